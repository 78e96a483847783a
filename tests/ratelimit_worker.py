"""One worker process hitting one rate limit, for the test that the limits hold across processes.

``python -m tests.ratelimit_worker KEY LIMIT TRIES PAUSE`` with TEST_DATABASE_URL (and, for the Redis
backend, WORKER_REDIS_URL) in the environment: builds its own app (its own database connections,
its own Redis client), prints ``ready``, waits for a line on standard input so that every worker
starts at once, then sends TRIES requests through the limit, PAUSE seconds apart, each committed as a request
would be, and prints how many were let in.
"""

from __future__ import annotations

import os
import sys
import time


def main() -> None:
    from api import create_app, ratelimit
    from api.errors import TooManyRequests
    from config import TestingConfig
    from models.db import db_session

    key, limit, tries, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    config = TestingConfig()
    config.REDIS_URL = os.environ.get("WORKER_REDIS_URL", "")
    app = create_app(config)
    print(f"ready {app.extensions['gridgov.ratelimit'].name}", flush=True)
    sys.stdin.readline()
    let_in = 0
    for _ in range(tries):
        with app.test_request_context():
            try:
                ratelimit.hit(key, limit=limit, window_seconds=3600)
            except TooManyRequests:
                db_session.rollback()
            else:
                db_session.commit()
                let_in += 1
        time.sleep(pause)
    print(let_in, flush=True)


if __name__ == "__main__":
    main()
