"""The crash test (``make crash-test``): retried creates survive SIGKILLs of the app server and
immediate stops of PostgreSQL, each exactly once, with their audit and outbox rows.

Clients report matters (the demo ``resident``), sync batches of door-knock visits (``grid_member``)
and accept reported matters (``community_staff``, whose acceptance writes an outbox row for the
reporter), every request with a fresh ``Idempotency-Key`` (and the same ``X-Request-ID``, so its
audit rows can be found). An unanswered request (connection refused or cut, timeout), a 5xx, a
409 or a 429 is sent again, the same bytes with the same key, until a definitive answer; every
acknowledged write goes into the client's ledger. Meanwhile:

- round A kills the app server CRASH_CYCLES times with SIGKILL: one worker (gunicorn's master forks
  another), the master with all its workers (then restarted), or the master alone (its orphaned
  workers finish what they hold and leave; then restarted);
- round B stops PostgreSQL in immediate mode (a crash of the database software: no checkpoint,
  recovery from the WAL at the next start) CRASH_PG_CYCLES times while the app keeps serving.

Each fault waits for the clients to make progress since the previous one. Afterwards, with the
server stopped and the database up, the database is checked against the ledger: every
acknowledged matter, acceptance and visit exists exactly once; each has the rows a create made
before any fault has (timeline entries, audit rows by object and by request, outbox rows); no
idempotency key is unfinished, no transaction is left open, the cockpit's figures kept by triggers
equal a recount; the server answered no 500 (a 503 while the database is down is the expected
answer, and counted apart). The counts are printed and written to var/crash-test/last.json;
the exit status is 1 when an invariant fails.

It runs on a PostgreSQL cluster of its own (var/crash-pg, port CRASH_PG_PORT, default 55439; see
scripts/pg.sh GRIDGOV_PG_DIR), with a fresh database each run, so stopping it never touches the
cluster of ``make run``. The server's limits are raised for the test (LOGIN_RATE_PER_MINUTE,
MATTER_REPORTS_PER_HOUR, SUBMISSIONS_PER_HOUR): a few users send thousands of reports and visit
batches, and a 429 is not what is tested.

    python -m scripts.crash_test                 (make crash-test; CRASH_CYCLES=20 for a quick run)

Settings: CRASH_CYCLES (300), CRASH_PG_CYCLES (CRASH_CYCLES / 6, at least 3), CRASH_CLIENTS (8),
CRASH_WORKERS (2), CRASH_PG_PORT (55439), CRASH_SEED, CRASH_KEEP_PG (1: leave the cluster running).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2

from scripts.serving import free_port, gunicorn_command, healthy

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "crash-test"
PG_DIR = ROOT / "var" / "crash-pg"
DATABASE = "gridgov_crash"
PASSWORD = "Demo-pass-2026"
LIJIANGLU_1 = "411104001001001"  # the demo resident's cell
REQUEST_TIMEOUT = 30  # a client's patience for one attempt (gunicorn's worker timeout is 30 s too)
DRAIN_SECONDS = 180  # after the last fault, how long an unanswered request may still take


def log(message: str) -> None:
    print(f"[crash] {time.strftime('%H:%M:%S')} {message}", flush=True)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


# -- the database ---------------------------------------------------------------------------------

class Database:
    """The test's own cluster, through scripts/pg.sh with GRIDGOV_PG_DIR."""

    def __init__(self, port: int):
        self.env = {**os.environ, "GRIDGOV_PG_DIR": str(PG_DIR), "GRIDGOV_PG_PORT": str(port)}

    @classmethod
    def existing(cls, url: str) -> Database:
        """A database made elsewhere (the test suite's), only read: never crashed, never stopped."""
        db = cls.__new__(cls)
        db.env, db.owner_url, db.app_url = dict(os.environ), url, url
        return db

    def pg(self, *args: str) -> str:
        done = subprocess.run([str(ROOT / "scripts" / "pg.sh"), *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"scripts/pg.sh {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout.strip()

    def provision(self) -> None:
        """The cluster, a fresh database migrated to head, the demo district."""
        self.pg("ensure")
        self.owner_url, self.app_url = self.pg("url", DATABASE), self.pg("app-url", DATABASE)
        from scripts.dbtool import drop_database, ensure_database

        drop_database(self.owner_url)
        ensure_database(self.owner_url)
        # what makes a commit durable: its WAL on disk before it is answered, as the app's role sees it
        settings = dict(self.settings())
        if settings != {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}:
            raise SystemExit(f"the crash test needs a durable commit; the cluster has {settings}")
        env = {**self.env, "GRIDGOV_ENV": "development", "DATABASE_URL": self.app_url,
               "DATABASE_OWNER_URL": self.owner_url}
        flask = str(Path(sys.executable).parent / "flask")
        for args in (["db", "upgrade"], ["demo", "load"]):
            done = subprocess.run([flask, "--app", "wsgi", *args], env=env, cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}")

    def settings(self) -> list:
        with closing(psycopg2.connect(self.app_url, connect_timeout=10)) as conn, conn.cursor() as cur:
            cur.execute("SELECT name, setting FROM pg_settings "
                        "WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes') ORDER BY name")
            return cur.fetchall()

    def connect(self):
        return psycopg2.connect(self.owner_url, connect_timeout=10)

    def crash(self) -> None:
        self.pg("stop", "immediate")

    def start(self) -> None:
        self.pg("start")

    def stop(self) -> None:
        self.pg("stop")


# -- the app server -------------------------------------------------------------------------------

class Server:
    """gunicorn (config/gunicorn.py, gevent workers) in a process group of its own."""

    def __init__(self, env: dict, log_path: Path):
        self.env, self.log_path = env, log_path
        self.port = int(env["PORT"])
        self.proc: subprocess.Popen | None = None

    def start(self) -> float:
        began = time.monotonic()
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(gunicorn_command(), cwd=ROOT, env=self.env,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while not self.healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {self.log_path}")
            time.sleep(0.05)
        return time.monotonic() - began

    def healthy(self) -> bool:
        return healthy(self.port)

    def workers(self) -> list[int]:
        pid = self.proc.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def kill_worker(self) -> bool:
        workers = self.workers()
        if not workers:
            return False
        try:
            os.kill(random.choice(workers), signal.SIGKILL)
        except ProcessLookupError:
            return False
        return True

    def kill_master(self, *, alone: bool) -> float:
        """SIGKILL the master (and, unless ``alone``, its workers with it); start a new one.
        Returns the seconds until the new one answers."""
        workers = self.workers()
        if alone:
            os.kill(self.proc.pid, signal.SIGKILL)
        else:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        began = time.monotonic()
        if alone:
            # orphaned workers see their parent gone within a second, stop accepting and finish
            # what they hold (a request waits for its answer); the port is free once they are gone
            deadline = time.monotonic() + 25
            while any(Path(f"/proc/{pid}").exists() and _state(pid) != "Z" for pid in workers):
                if time.monotonic() > deadline:
                    for pid in workers:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                time.sleep(0.05)
        self.start()
        return time.monotonic() - began

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        deadline = time.monotonic() + 30  # the workers too: none may hold a transaction open
        while self.workers_alive() and time.monotonic() < deadline:
            time.sleep(0.1)

    def workers_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
            return True
        except ProcessLookupError:
            return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


# 409s that mean "running, or raced by, another attempt of this request": asked again
RETRIED_409 = {"idempotency_in_progress", "conflict"}


def _error(raw: bytes) -> str | None:
    try:
        return json.loads(raw).get("error")
    except (ValueError, AttributeError):
        return None


# -- the clients ----------------------------------------------------------------------------------

class Tally:
    """Counts shared by the clients and the fault loops."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.statuses: Counter = Counter()
        self.samples: dict[str, list] = defaultdict(list)  # a few answers of each unexpected kind
        self.acks = 0

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n

    def status(self, status: int, body: bytes, what: str) -> None:
        with self.lock:
            self.statuses[str(status)] += 1
            if status >= 400 and len(self.samples[str(status)]) < 5:
                self.samples[str(status)].append(f"{what}: {body[:300].decode(errors='replace')}")

    def acked(self) -> None:
        with self.lock:
            self.acks += 1


class Client(threading.Thread):
    """One phone: logs in, then sends its kind of request in a loop until told to stop; each
    request is retried with its key until it gets a definitive answer."""

    def __init__(self, name: str, kind: str, username: str, port: int, tally: Tally, ledger: list,
                 stop: threading.Event, setup: dict, queue: deque, drain_deadline: list):
        super().__init__(name=name, daemon=True)
        self.kind, self.username, self.port = kind, username, port
        self.tally, self.ledger, self.stop, self.setup, self.queue = tally, ledger, stop, setup, queue
        self.drain_deadline = drain_deadline
        self.token: str | None = None
        self.seq = 0
        self.rng = random.Random(f"{setup['seed']}-{name}")
        self.error: str | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                if self.kind == "matter":
                    entry = self.report()
                    if entry is not None and self.rng.random() < 0.5:  # half are accepted by the staff client
                        self.queue.append(entry["id"])
                elif self.kind == "visits":
                    self.sync()
                elif not self.accept():
                    time.sleep(0.05)  # nothing to accept yet
                time.sleep(self.rng.uniform(0, 0.03))
        except Exception as exc:  # a bug of the test itself: reported, and the run fails
            self.error = f"{type(exc).__name__}: {exc}"
            raise

    # one attempt ---------------------------------------------------------------------------------
    def attempt(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, dict, bytes] | None:
        """One try; None when no answer came (refused, cut, timed out)."""
        try:
            with closing(http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)) as conn:
                conn.request(method, path, body=body, headers={"Content-Type": "application/json", **headers})
                answer = conn.getresponse()
                return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        except TimeoutError:
            self.tally.add("timeouts")
        except (OSError, http.client.HTTPException):
            self.tally.add("connection_errors")
        return None

    def login(self) -> None:
        body = json.dumps({"username": self.username, "password": PASSWORD}).encode()
        for tries in range(10_000):
            self.tally.add("logins")
            got = self.attempt("POST", "/api/v1/auth/login", body, {})
            if got is not None and got[0] == 200:
                self.token = json.loads(got[2])["access_token"]
                return
            if got is not None and got[0] not in (429,) and got[0] < 500:
                raise RuntimeError(f"login of {self.username} refused: {got[0]} {got[2][:200]!r}")
            self.backoff(tries)
        raise RuntimeError("login never succeeded")

    def backoff(self, tries: int) -> None:
        time.sleep(min(2.0, 0.05 * 2 ** min(tries, 6)) * self.rng.uniform(0.5, 1.0))

    def send(self, what: str, path: str, payload: dict) -> tuple[int, dict, dict] | None:
        """A request with a fresh key, retried (same bytes, same key) until definitively answered.
        Returns (status, headers, body) of that answer; None if it never came (the run fails)."""
        key = uuid.uuid4().hex  # also the X-Request-ID of every attempt: its audit rows carry it
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.tally.add("requests")
        tries = 0
        while True:
            if self.token is None:
                self.login()
            got = self.attempt("POST", path, body, {"Authorization": f"Bearer {self.token}",
                                                    "Idempotency-Key": key, "X-Request-ID": key})
            if got is not None:
                status, headers, raw = got
                self.tally.status(status, raw, what)
                if status < 300:
                    if headers.get("idempotent-replayed") == "true":
                        self.tally.add("replayed_answers")
                    return status, headers, json.loads(raw) | {"_key": key}
                if status == 401:  # the access token expired (or its session): log in again
                    self.token = None
                    self.tally.add("relogins")
                elif status < 500 and status != 429 and not (status == 409 and _error(raw) in RETRIED_409):
                    return status, headers, {"_key": key, "_body": raw.decode(errors="replace")[:500]}
            if self.stop.is_set() and time.monotonic() > self.drain_deadline[0]:
                self.tally.add("unfinished")
                self.ledger.append({"kind": what, "key": key, "status": "unfinished", "payload": payload,
                                    "ids": [v["id"] for v in payload.get("visits", [])]})
                return None
            tries += 1
            self.tally.add("retries")
            self.backoff(tries)

    def record(self, entry: dict, answer) -> bool:
        """Put a definitively answered request in the ledger; whether it was acknowledged."""
        if answer is None:
            return False  # never answered: in the ledger as unfinished
        status, _, data = answer
        entry.update({"key": data["_key"], "http": status, "status": "acked" if status < 300 else "refused"})
        if status >= 300:
            entry["answer"] = data.get("_body")
            self.tally.add("refused")
        self.ledger.append(entry)
        if status < 300:
            self.tally.acked()
        return status < 300

    # the three kinds of request ------------------------------------------------------------------
    def report(self) -> dict | None:
        self.seq += 1
        marker = f"{self.setup['mark']} {self.name}-{self.seq:06d}"
        lng, lat = self.setup["point"]
        payload = {"category": "ROAD-LIGHT", "description": marker, "location": {"lng": lng, "lat": lat}}
        entry = {"kind": "matter", "marker": marker}
        answer = self.send("matter", "/api/v1/matters", payload)
        if answer is not None and answer[0] < 300:
            entry["id"] = answer[2]["id"]
        return entry if self.record(entry, answer) else None

    def sync(self) -> None:
        self.seq += 1
        visited = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
        visits = [{"id": str(uuid.uuid4()), "household_id": household, "visited_at": visited, "result": "met",
                   "findings": [], "notes": f"{self.setup['mark']} {self.name}-{self.seq:06d}"}
                  for household in self.rng.sample(self.setup["households"], self.rng.randint(2, 5))]
        entry = {"kind": "visits", "ids": [v["id"] for v in visits]}
        answer = self.send("visits", "/api/v1/visits/sync", {"visits": visits})
        if answer is not None and answer[0] < 300:
            results = answer[2]["results"]
            entry["results"] = [r["status"] for r in results]
            if [r["id"] for r in results] != entry["ids"] or set(entry["results"]) - {"created", "unchanged"}:
                answer = (422, answer[1], {**answer[2], "_body": json.dumps(results, ensure_ascii=False)[:500]})
        self.record(entry, answer)

    def accept(self) -> bool:
        try:
            matter_id = self.queue.popleft()
        except IndexError:
            return False
        entry = {"kind": "accept", "matter_id": matter_id}
        self.record(entry, self.send("accept", f"/api/v1/matters/{matter_id}/transitions", {"action": "accept"}))
        return True


# -- the faults -----------------------------------------------------------------------------------

def wait_progress(tally: Tally, since: int, timeout: float = 120) -> bool:
    """Whether the clients got an acknowledgement after ``since`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while tally.acks <= since:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def round_a(server: Server, tally: Tally, cycles: int, rng: random.Random, faults: Counter, times: dict) -> None:
    """SIGKILL a worker (about 3 in 4), the master with its workers (1 in 6) or the master alone
    (1 in 14), each kind at least once, in a shuffled order."""
    group, alone = max(1, round(cycles * 0.18)), max(1, round(cycles * 0.07))
    plan = ["group"] * group + ["alone"] * alone + ["worker"] * max(0, cycles - group - alone)
    rng.shuffle(plan)
    for cycle, kind in enumerate(plan):
        time.sleep(rng.uniform(0.2, 1.5))
        if kind == "worker":
            deadline = time.monotonic() + 60
            while not server.kill_worker():  # between a worker's death and its successor's birth
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn has had no worker for a minute; see {server.log_path}")
                time.sleep(0.05)
            faults["worker_kills"] += 1
        else:
            times["master_restart_s"].append(server.kill_master(alone=kind == "alone"))
            faults[f"master_{kind}_kills"] += 1
        if not wait_progress(tally, tally.acks):  # an answer after the kill (and the restart)
            faults["stalled_cycles"] += 1
            log(f"round A cycle {cycle + 1}: no progress within 120 s")
        if (cycle + 1) % 25 == 0:
            log(f"round A: {cycle + 1}/{cycles} kills, {tally.acks} acknowledged writes")


def round_b(db: Database, tally: Tally, cycles: int, rng: random.Random, faults: Counter, times: dict) -> None:
    """Stop PostgreSQL in immediate mode (no checkpoint: recovery from the WAL), leave it down a
    moment, start it; the app server keeps running throughout."""
    for cycle in range(cycles):
        time.sleep(rng.uniform(0.3, 2.0))
        db.crash()
        faults["pg_immediate_stops"] += 1
        down = time.monotonic()
        time.sleep(rng.uniform(0, 1.5))
        db.start()
        times["pg_down_s"].append(time.monotonic() - down)
        began = time.monotonic()
        if not wait_progress(tally, tally.acks):  # an answer after the restart
            faults["stalled_cycles"] += 1
            log(f"round B cycle {cycle + 1}: no progress within 120 s")
        times["pg_recovery_to_ack_s"].append(time.monotonic() - began)
        if (cycle + 1) % 10 == 0:
            log(f"round B: {cycle + 1}/{cycles} immediate stops, {tally.acks} acknowledged writes")


# -- the check ------------------------------------------------------------------------------------

FOOTPRINT = """
SELECT id::text, 'row:matters', count(*) FROM matters WHERE id = ANY(%(ids)s::uuid[]) GROUP BY 1
UNION ALL
SELECT matter_id::text, 'timeline:' || action, count(*) FROM matter_events
 WHERE matter_id = ANY(%(ids)s::uuid[]) GROUP BY 1, 2
UNION ALL
SELECT object_id, 'audit:' || action, count(*) FROM audit_events
 WHERE object_type = 'matter' AND object_id = ANY(%(ids)s) AND outcome = 'success' GROUP BY 1, 2
UNION ALL
SELECT payload->>'matter_id', 'outbox:' || topic, count(*) FROM outbox
 WHERE payload->>'matter_id' = ANY(%(ids)s) GROUP BY 1, 2
UNION ALL
SELECT payload->>'matter_id', 'stream:' || topic, count(*) FROM stream_events
 WHERE payload->>'matter_id' = ANY(%(ids)s) GROUP BY 1, 2
"""


def matter_footprints(cur, ids: list[str]) -> dict[str, dict[str, int]]:
    """The rows that refer to each matter, counted by kind: the matter itself, its timeline
    entries, its audit rows (successes), its outbox and live-stream rows."""
    prints: dict[str, dict[str, int]] = {i: {} for i in ids}
    cur.execute(FOOTPRINT, {"ids": ids})
    for matter_id, kind, count in cur.fetchall():
        prints[matter_id][kind] = count
    return prints


def request_audit(cur, keys: list[str]) -> dict[str, dict[str, int]]:
    """The successful audit rows each request wrote (every attempt carried its key as X-Request-ID)."""
    found: dict[str, dict[str, int]] = {k: {} for k in keys}
    cur.execute("SELECT request_id, action, count(*) FROM audit_events "
                "WHERE request_id = ANY(%s) AND outcome = 'success' GROUP BY 1, 2", (keys,))
    for key, action, count in cur.fetchall():
        found[key][action] = count
    return found


def check(db: Database, ledger: list, setup: dict, baseline: dict, server_log: Path, *,
          facts: bool = True) -> tuple[dict, list]:
    """The database against the ledger; returns (counts, problems)."""
    counts: Counter = Counter()
    problems: list[str] = []

    def problem(name: str, detail: str) -> None:
        counts[name] += 1
        if sum(1 for p in problems if p.startswith(name)) < 5:
            problems.append(f"{name}: {detail}")

    acked = [e for e in ledger if e["status"] == "acked"]
    unanswered = [e for e in ledger if e["status"] == "unfinished"]
    matters = [e for e in acked if e["kind"] == "matter"]
    accepted = {e["matter_id"] for e in acked if e["kind"] == "accept"}
    batches = [e for e in acked if e["kind"] == "visits"]
    with closing(db.connect()) as conn, conn.cursor() as cur:
        # matters: one row per marker, the one whose id the client was given
        cur.execute("SELECT description, array_agg(id::text) FROM matters WHERE description LIKE %s GROUP BY 1",
                    (setup["mark"] + " %",))
        by_marker = dict(cur.fetchall())
        for entry in matters:
            ids = by_marker.get(entry["marker"], [])
            if entry["id"] not in ids:
                problem("lost", f"matter {entry['id']} ({entry['marker']}) acknowledged, not in the database")
            if len(ids) > 1:
                problem("doubled", f"{entry['marker']}: {len(ids)} matters {ids}")
        may_exist = {e["payload"].get("description") for e in unanswered if e["kind"] == "matter"}
        acked_markers = {e["marker"] for e in matters}
        for marker, ids in by_marker.items():
            if marker not in acked_markers:
                if marker in may_exist and len(ids) == 1:
                    counts["unacknowledged_writes"] += 1  # its client gave up; written at most once
                else:
                    problem("orphans", f"{marker}: {ids} never acknowledged")
        # each matter has what a create (and an acceptance) made before any fault
        prints = matter_footprints(cur, [e["id"] for e in matters])
        for entry in matters:
            expected = baseline["accepted" if entry["id"] in accepted else "created"]
            got = prints[entry["id"]]
            for kind in expected.keys() | got.keys():
                want, have = expected.get(kind, 0), got.get(kind, 0)
                if have > want:
                    problem("doubled", f"matter {entry['id']}: {have} × {kind}, a create makes {want}")
                elif have < want:
                    problem("lost", f"matter {entry['id']}: {have} × {kind}, a create makes {want}")
        # visits: each acknowledged one exists (once: the id is the key); none unacknowledged
        visit_ids = [i for e in batches for i in e["ids"]]
        cur.execute("SELECT id::text FROM visits WHERE notes LIKE %s", (setup["mark"] + " %",))
        stored = Counter(row[0] for row in cur.fetchall())
        for visit_id in visit_ids:
            if stored[visit_id] == 0:
                problem("lost", f"visit {visit_id} acknowledged, not in the database")
            elif stored[visit_id] > 1:
                problem("doubled", f"visit {visit_id} × {stored[visit_id]}")
        may_exist = {i for e in unanswered if e["kind"] == "visits" for i in e.get("ids", [])}
        for visit_id in stored.keys() - set(visit_ids):
            if visit_id in may_exist:
                counts["unacknowledged_writes"] += 1
            else:
                problem("orphans", f"visit {visit_id} never acknowledged")
        # audit rows by request: exactly what one run of the request writes
        for entry, found in zip(acked, request_audit(cur, [e["key"] for e in acked]).values(), strict=True):
            expected = baseline["request_audit"][entry["kind"]]
            if found != expected:
                name = "doubled" if sum(found.values()) > sum(expected.values()) else "lost"
                problem(name, f"{entry['kind']} request {entry['key']}: audit {found}, one run writes {expected}")
        # idempotency keys: each acknowledged request's answer is stored, none unfinished
        cur.execute("SELECT key, status_code, response_body FROM idempotency_keys WHERE key = ANY(%s)",
                    ([e["key"] for e in acked],))
        keys = {key: (status, body) for key, status, body in cur.fetchall()}
        for entry in acked:
            status, body = keys.get(entry["key"], (None, None))
            answer = json.loads(body) if body else {}
            if status != entry["http"] or (entry["kind"] == "matter" and answer.get("id") != entry["id"]):
                problem("key_mismatches", f"{entry['kind']} key {entry['key']}: stored {status}, answered {entry['http']}")
        cur.execute("SELECT count(*) FROM idempotency_keys WHERE status_code IS NULL OR response_body IS NULL")
        counts["stuck_keys"] = cur.fetchone()[0]
        # nothing left open by a killed worker or a crashed database
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'")
        counts["open_transactions"] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM pg_prepared_xacts")
        counts["open_transactions"] += cur.fetchone()[0]
    # the cockpit's figures, kept by triggers in the writing transactions, equal a recount
    env = {**db.env, "GRIDGOV_ENV": "development", "DATABASE_URL": db.app_url, "DATABASE_OWNER_URL": db.owner_url,
           "LOG_LEVEL": "WARNING"}
    if facts:
        done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "matters", "rebuild-facts",
                               "--check"], env=env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            problem("facts_differ", (done.stderr or done.stdout).strip()[-300:])
    # the server's own log: no stack trace
    text = server_log.read_text(errors="replace")
    counts["server_tracebacks"] = text.count("Traceback (most recent call last)")
    for match in re.finditer(r"Traceback \(most recent call last\)", text):
        if sum(1 for p in problems if p.startswith("server_tracebacks")) < 3:
            tail = text[match.start():match.start() + 4000].splitlines()
            last = next((line for line in tail[1:] if line and not line.startswith((" ", "Traceback"))), "?")
            problems.append(f"server_tracebacks: {last[:300]}")
    for name in ("lost", "doubled", "orphans", "key_mismatches", "facts_differ"):
        counts.setdefault(name, 0)
    return dict(counts), problems


# -- the run --------------------------------------------------------------------------------------

def prepare(db: Database, seed: int, run_id: str) -> dict:
    """What the clients send: a point in the resident's cell, the grid member's households."""
    with closing(db.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) AS p FROM places "
                    "WHERE code = %s) AS c", (LIJIANGLU_1,))
        point = cur.fetchone()
        cur.execute("SELECT h.id::text FROM households h JOIN grid_member_cells c ON c.grid_cell_id = h.grid_cell_id "
                    "JOIN users u ON u.id = c.user_id WHERE u.username = 'grid_member' ORDER BY h.id")
        households = [row[0] for row in cur.fetchall()]
    assert point and len(households) >= 5, (point, len(households))
    return {"seed": seed, "mark": f"崩溃测试 {run_id}", "point": point, "households": households}


def take_baseline(clients: dict, db: Database, ledger: list, setup: dict) -> dict:
    """One of each request before any fault, and the rows each wrote: what every acknowledged
    request must have written exactly once afterwards."""
    accepted, created = clients["matter"].report(), clients["matter"].report()
    clients["accept"].queue.append(accepted["id"])
    clients["accept"].accept()
    if "visits" in clients:
        clients["visits"].sync()
    assert all(e["status"] == "acked" for e in ledger) and len(ledger) == 1 + len(clients), ledger
    with closing(db.connect()) as conn, conn.cursor() as cur:
        prints = matter_footprints(cur, [accepted["id"], created["id"]])
        audit = request_audit(cur, [e["key"] for e in ledger])
    return {"accepted": prints[accepted["id"]], "created": prints[created["id"]],
            "request_audit": {e["kind"]: audit[e["key"]] for e in ledger}}


def summary_table(result: dict) -> str:
    rows = [("duration", f"{result['duration_s']:.0f} s"), ("seed", result["seed"])]
    rows += [(k.replace("_", " "), v) for k, v in result["faults"].items()]
    rows += [(k.replace("_", " "), v) for k, v in result["clients"].items()]
    rows += [(f"answers {k}", v) for k, v in sorted(result["answers"].items())]
    rows += [(k.replace("_", " "), v) for k, v in result["check"].items()]
    rows += [(k.replace("_", " "), v) for k, v in result["timings"].items()]
    width = max(len(str(k)) for k, _ in rows)
    return "\n".join(f"  {str(k).ljust(width)}  {v}" for k, v in rows)


def main() -> int:
    cycles = _env_int("CRASH_CYCLES", 300)
    pg_cycles = _env_int("CRASH_PG_CYCLES", max(3, cycles // 6))
    n_clients = max(3, _env_int("CRASH_CLIENTS", 8))
    workers = _env_int("CRASH_WORKERS", 2)
    seed = _env_int("CRASH_SEED", random.SystemRandom().randrange(1_000_000))
    keep_pg = os.environ.get("CRASH_KEEP_PG", "") == "1"
    rng = random.Random(seed)
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    OUT.mkdir(parents=True, exist_ok=True)
    server_log = OUT / "server.log"
    server_log.write_bytes(b"")
    started = time.monotonic()
    log(f"{cycles} app-server kills, {pg_cycles} PostgreSQL immediate stops, {n_clients} clients, "
        f"{workers} workers, seed {seed}")

    db = Database(_env_int("CRASH_PG_PORT", 55439))
    log(f"provisioning the test's own cluster ({PG_DIR.relative_to(ROOT)}) and a fresh {DATABASE}")
    db.provision()
    setup = prepare(db, seed, run_id)
    env = {**os.environ, "GRIDGOV_ENV": "development", "DATABASE_URL": db.app_url, "DATABASE_OWNER_URL": db.owner_url,
           "HOST": "127.0.0.1", "PORT": str(free_port()), "WEB_CONCURRENCY": str(workers),
           # raised for the test: a few users send thousands of requests; a 429 is not what is tested
           "LOGIN_RATE_PER_MINUTE": "1000000", "MATTER_REPORTS_PER_HOUR": "100000000",
           "SUBMISSIONS_PER_HOUR": "100000000"}
    server = Server(env, server_log)
    tally, ledger, stop, queue, drain_deadline = Tally(), [], threading.Event(), deque(), [float("inf")]
    faults: Counter = Counter({"worker_kills": 0, "master_group_kills": 0, "master_alone_kills": 0,
                               "pg_immediate_stops": 0, "stalled_cycles": 0})
    times: dict[str, list[float]] = defaultdict(list)
    try:
        server.start()
        log(f"gunicorn on port {server.port}; taking the baseline")

        def client(name: str, kind: str, username: str) -> Client:
            return Client(name, kind, username, server.port, tally, ledger, stop, setup, queue, drain_deadline)

        baseline = take_baseline({"matter": client("base-r", "matter", "resident"),
                                  "accept": client("base-s", "accept", "community_staff"),
                                  "visits": client("base-g", "visits", "grid_member")}, db, ledger, setup)
        log(f"baseline: a report writes {baseline['created']}; an acceptance adds "
            f"{ {k: v for k, v in baseline['accepted'].items() if baseline['created'].get(k) != v} }")
        kinds = ["accept"] + ["matter", "visits"] * n_clients
        clients = [client(f"c{i}", kind, {"matter": "resident", "visits": "grid_member", "accept": "community_staff"}[kind])
                   for i, kind in enumerate(kinds[:n_clients])]
        for c in clients:
            c.start()
        time.sleep(2)
        log("round A: SIGKILL of workers and masters")
        began = time.monotonic()
        round_a(server, tally, cycles, rng, faults, times)
        times["round_a_s"].append(time.monotonic() - began)
        log("round B: PostgreSQL stopped in immediate mode and started")
        began = time.monotonic()
        round_b(db, tally, pg_cycles, rng, faults, times)
        times["round_b_s"].append(time.monotonic() - began)
        time.sleep(2)
        log("stopping the clients (each finishes its request)")
        drain_deadline[0] = time.monotonic() + DRAIN_SECONDS
        stop.set()
        for c in clients:
            c.join(DRAIN_SECONDS + REQUEST_TIMEOUT + 10)
        errors = [f"{c.name}: {c.error}" for c in clients if c.error or c.is_alive()]
        server.stop()
        log("checking the database against the ledger")
        counts, problems = check(db, ledger, setup, baseline, server_log)
    finally:
        server.stop()
        if not keep_pg:
            db.stop()

    with tally.lock:
        statuses = dict(tally.statuses)
        c = tally.counts
    server_errors = sum(v for k, v in statuses.items() if k.startswith("5") and k != "503")
    acked = Counter(e["kind"] for e in ledger if e["status"] == "acked")
    check_counts = {
        "acknowledged_matters": acked["matter"], "acknowledged_acceptances": acked["accept"],
        "acknowledged_visit_batches": acked["visits"],
        "acknowledged_visits": sum(len(e["ids"]) for e in ledger if e["status"] == "acked" and e["kind"] == "visits"),
        "lost": counts["lost"], "doubled": counts["doubled"], "orphans": counts["orphans"],
        "unacknowledged_writes": counts.get("unacknowledged_writes", 0),
        "key_mismatches": counts["key_mismatches"], "stuck_keys": counts["stuck_keys"],
        "open_transactions": counts["open_transactions"], "facts_exact": counts["facts_differ"] == 0,
        "server_errors_5xx": server_errors, "unavailable_503": statuses.get("503", 0),
        "server_tracebacks": counts["server_tracebacks"],
        "refused": c["refused"], "unfinished": c["unfinished"],
    }
    result = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"), "duration_s": round(time.monotonic() - started, 1),
        "seed": seed, "settings": {"cycles": cycles, "pg_cycles": pg_cycles, "clients": n_clients, "workers": workers},
        "faults": dict(faults),
        "clients": {"requests": c["requests"], "attempts": c["requests"] + c["retries"], "retries": c["retries"],
                    "connection_errors": c["connection_errors"], "timeouts": c["timeouts"],
                    "replayed_answers": c["replayed_answers"], "logins": c["logins"]},
        "answers": statuses,
        "check": check_counts,
        "timings": {k: (f"mean {sum(v) / len(v):.2f} s, max {max(v):.2f} s" if len(v) > 1 else f"{v[0]:.0f} s")
                    for k, v in times.items() if v},
        "problems": problems + errors, "samples": {k: v for k, v in tally.samples.items()},
    }
    failed = [name for name, bad in (
        ("lost", check_counts["lost"]), ("doubled", check_counts["doubled"]), ("orphans", check_counts["orphans"]),
        ("key_mismatches", check_counts["key_mismatches"]), ("stuck_keys", check_counts["stuck_keys"]),
        ("open_transactions", check_counts["open_transactions"]), ("facts", not check_counts["facts_exact"]),
        ("server_errors", server_errors), ("server_tracebacks", check_counts["server_tracebacks"]),
        ("refused", check_counts["refused"]), ("unfinished", check_counts["unfinished"]),
        ("stalled_cycles", faults["stalled_cycles"]), ("client_errors", len(errors)),
    ) if bad]
    result["failed"] = failed
    (OUT / "last.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print()
    print(summary_table(result))
    for line in result["problems"]:
        print(f"  ! {line}")
    for status, lines in result["samples"].items():
        for line in lines[:2]:
            print(f"  answer {status}: {line}")
    print()
    if failed:
        log(f"FAILED: {', '.join(failed)} (var/crash-test/last.json, var/crash-test/server.log)")
        return 1
    log("passed: every acknowledged write exactly once, with its audit and outbox rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
