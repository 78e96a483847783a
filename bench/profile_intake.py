"""Where a report's time goes (剖析): GridGov's ``POST /api/v1/matters`` in-process, each SQL
statement counted and timed, and the Python profile (pyinstrument) of the same reports.

    scripts/bench.sh intake          (first: it writes the city and its residents)
    BENCH_PROFILE_REPORTS=300 .venv/bin/python -m bench.profile_intake

Uses the bench database as the intake benchmark left it (BENCH_DATABASE_URL). Prints the round
trips per report grouped by statement, their time, the request's median, and pyinstrument's tree.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict

from pyinstrument import Profiler
from sqlalchemy import event

from api import create_app
from bench.intake_bench import PASSWORD
from config import TestingConfig
from models.db import get_engine


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("BENCH_DATABASE_URL is not set (scripts/bench.sh sets it)")
    n = int(os.environ.get("BENCH_PROFILE_REPORTS", "300"))
    os.environ.update({"DATABASE_URL": url, "MATTER_REPORTS_PER_HOUR": "100000000", "LOGIN_RATE_PER_MINUTE": "100000"})
    app = create_app(TestingConfig())
    client = app.test_client()
    env = {"REMOTE_ADDR": "127.0.0.1"}
    login = client.post("/api/v1/auth/login", json={"username": "bench_resident_0", "password": PASSWORD},
                        environ_base=env)
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    rng = random.Random(7)

    def report():
        body = {"category": "ROAD-LIGHT", "description": "路灯不亮（剖析）",  # the same report as bench/intake.lua
                "location": {"lng": 113.5 + rng.random() * 1.2, "lat": 33.1 + rng.random() * 0.37,
                             "coord_system": "wgs84"}}
        answer = client.post("/api/v1/matters", json=body, environ_base=env,
                             headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        assert answer.status_code == 201, answer.json

    for _ in range(30):
        report()
    statements: dict[str, list[float]] = defaultdict(list)
    engine = get_engine()

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, params, context, executemany):
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _end(conn, cursor, statement, params, context, executemany):
        statements[" ".join(statement.split())[:90]].append((time.perf_counter() - conn.info["t0"]) * 1000)

    times = []
    for _ in range(n):
        start = time.perf_counter()
        report()
        times.append((time.perf_counter() - start) * 1000)
    event.remove(engine, "before_cursor_execute", _start)
    event.remove(engine, "after_cursor_execute", _end)
    total = sum(len(v) for v in statements.values())
    print(f"{n} reports: median {statistics.median(times):.1f} ms; {total / n:.1f} statements per report "
          f"({sum(map(sum, statements.values())) / n:.1f} ms in them, commit not counted)")
    for text, runs in sorted(statements.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {len(runs) / n:5.2f} × {statistics.median(runs):6.2f} ms  {text}")

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(n):
        report()
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
