"""The crash test's first round in small (``make crash-test`` runs it at length on a cluster of its
own, and crashes PostgreSQL too): gunicorn serving the test database loses a worker, its master
with its workers, and its master alone, each to SIGKILL, while phones report matters and accept
them with Idempotency-Keys and send unanswered requests again. Every acknowledged report and
acceptance exists exactly once, with the timeline entries, audit rows and outbox row a report and
an acceptance make before any kill; no key is left unfinished. What it committed is removed
afterwards (the audit rows stay: the log is append-only)."""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import Counter, defaultdict, deque

import psycopg2

from scripts import crash_test
from scripts.serving import free_port
from tests.live import libpq_dsn

# what a crash must never leave
ZERO = ("lost", "doubled", "orphans", "key_mismatches", "stuck_keys", "open_transactions", "server_tracebacks")


def _clean(dsn: str, mark: str, keys: list[str]) -> None:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM outbox WHERE payload->>'matter_id' IN "
                    "(SELECT id::text FROM matters WHERE description LIKE %s)", (mark + " %",))
        cur.execute("DELETE FROM matters WHERE description LIKE %s", (mark + " %",))
        cur.execute("DELETE FROM visits WHERE notes LIKE %s", (mark + " %",))
        cur.execute("DELETE FROM idempotency_keys WHERE key = ANY(%s)", (keys,))
        # the per-user report limit and the per-address login limit this module used up
        cur.execute("DELETE FROM rate_counters WHERE key LIKE 'matters:%%' OR key LIKE 'login-ip:%%'")
    conn.close()


def test_acknowledged_writes_survive_sigkills_of_the_app_server(app, tmp_path):
    dsn = libpq_dsn(app)
    db = crash_test.Database.existing(dsn)
    setup = crash_test.prepare(db, seed=random.randrange(1_000_000), run_id=f"pytest-{uuid.uuid4().hex[:8]}")
    env = {**os.environ, "GRIDGOV_ENV": "testing", "DATABASE_URL": dsn, "TEST_DATABASE_URL": dsn,
           "HOST": "127.0.0.1", "PORT": str(free_port()), "WEB_CONCURRENCY": "2",
           "LOGIN_RATE_PER_MINUTE": "100000", "MATTER_REPORTS_PER_HOUR": "1000000"}
    log = tmp_path / "gunicorn.log"
    server = crash_test.Server(env, log)
    tally, ledger, stop, queue, drain = crash_test.Tally(), [], threading.Event(), deque(), [float("inf")]

    def client(name, kind, username):
        return crash_test.Client(name, kind, username, server.port, tally, ledger, stop, setup, queue, drain)

    try:
        server.start()
        # no visits: deleting them afterwards would leave the cells' coverage counting them
        baseline = crash_test.take_baseline({"matter": client("base-r", "matter", "resident"),
                                             "accept": client("base-s", "accept", "community_staff")},
                                            db, ledger, setup)
        phones = [client("c0", "accept", "community_staff"), client("c1", "matter", "resident"),
                  client("c2", "matter", "resident")]
        for phone in phones:
            phone.start()
        faults, times = Counter(), defaultdict(list)
        crash_test.round_a(server, tally, 3, random.Random(setup["seed"]), faults, times)  # one of each kind
        time.sleep(0.5)
        drain[0] = time.monotonic() + 60
        stop.set()
        for phone in phones:
            phone.join(90)
        server.stop()
        counts, problems = crash_test.check(db, ledger, setup, baseline, log, facts=False)
        acked = Counter(e["kind"] for e in ledger if e["status"] == "acked")
        assert faults == Counter(worker_kills=1, master_group_kills=1, master_alone_kills=1), faults
        assert problems == [] and [p.error for p in phones] == [None] * 3, problems
        assert acked["matter"] >= 3 and acked["accept"] >= 1, acked  # the baseline's, and the phones'
        assert {k: counts[k] for k in ZERO} == dict.fromkeys(ZERO, 0)
        assert all(e["status"] == "acked" for e in ledger), [e for e in ledger if e["status"] != "acked"]
        assert not any(k.startswith("5") for k in tally.statuses), tally.statuses
    finally:
        stop.set()
        server.stop()
        _clean(dsn, setup["mark"], [e["key"] for e in ledger])
