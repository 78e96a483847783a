"""Intake against its floor (底线): GridGov's ``POST /api/v1/matters`` beside the least work the
same stack can do to take a report (bench/floor.py), both served by gunicorn with the same settings
(config/gunicorn.py: WEB_CONCURRENCY gevent workers, cooperative psycopg2, the access log) and
loaded by the same wrk script (bench/intake.lua) in the same run, alternating.

    make bench            (or: scripts/bench.sh intake)

The city's places (bench/generate.py: 100,800 cells) and BENCH_INTAKE_USERS residents are written
first. GridGov does what a phone's report costs it: the bearer token and its session, the schema,
the per-user report limit (a counter row; MATTER_REPORTS_PER_HOUR raised so the bench is not
refused), the Idempotency-Key row, the category, the cell by ST_Covers, the matter, its timeline
entry, the audit row, and the commit with the per-day facts' trigger. The floor does one INSERT …
SELECT into the same table. Each is loaded for BENCH_INTAKE_SECONDS by BENCH_INTAKE_CONNECTIONS
connections, BENCH_INTAKE_ROUNDS times; the figures are the medians of the rounds, and the ratio
is GridGov's requests per second over the floor's. Results in bench/results/intake.json.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg2

from api.auth import passwords
from bench.generate import generate_places
from bench.grid_bench import RESULTS, reset
from config import TestingConfig
from scripts.serving import free_port, gunicorn_command

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Bench-pass-2026"


def worker_rss_mb(master_pid: int) -> list[float]:
    """The resident set size (VmRSS, MiB) of each worker of a gunicorn master."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(round(int(line.split()[1]) / 1024, 1))
    return sizes


@contextmanager
def serving(app: str, env: dict, log: Path):
    """gunicorn with GridGov's own settings serving ``app``; yields the base URL and the master's pid."""
    port = free_port()
    full = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port)}
    with open(log, "ab") as out:
        proc = subprocess.Popen(gunicorn_command(app),
                                cwd=ROOT, env=full, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with closing(socket.create_connection(("127.0.0.1", port), timeout=1)):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    sys.exit(f"{app} did not start; see {log}")
                time.sleep(0.2)
        time.sleep(1.5)  # every worker up
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _users(conn, n: int) -> tuple[list[str], str]:
    """``n`` residents of the first community; their usernames and one's id (the floor's reporter)."""
    config = TestingConfig()
    hashed = passwords.hash_password(passwords.hasher(config.ARGON2_TIME_COST, config.ARGON2_MEMORY_COST,
                                                      config.ARGON2_PARALLELISM), PASSWORD)
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM places WHERE kind = 'community' ORDER BY code LIMIT 1")
        community = cur.fetchone()[0]
        rows, names, first = io.StringIO(), [], None
        for index in range(n):
            user_id = uuid.uuid4()
            first = first or user_id
            names.append(f"bench_resident_{index}")
            rows.write(f"{user_id}\tbench_resident_{index}\t居民{index}\tresident\t{community}\t{hashed}\n")
        rows.seek(0)
        cur.copy_expert("COPY users (id, username, display_name, role, place_id, password_hash) FROM STDIN", rows)
    conn.commit()
    return names, str(first)


def _tokens(base: str, names: list[str]) -> list[str]:
    tokens = []
    for name in names:
        request = urllib.request.Request(f"{base}/api/v1/auth/login", method="POST",
                                         data=json.dumps({"username": name, "password": PASSWORD}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as answer:  # noqa: S310 (our own server)
            tokens.append(json.load(answer)["access_token"])
    return tokens


_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(base: str, tokens_file: Path, extent, *, seconds: int, connections: int) -> dict:
    """One wrk run; requests per second, latency percentiles (ms) and the non-2xx count."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", "bench/intake.lua",
                          f"{base}/api/v1/matters", "--", str(tokens_file), *(f"{v:.6f}" for v in extent)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    latency = {f"p{p}_ms": round(float(v) * _UNIT[u], 2) for p, v, u in _LATENCY.findall(out)}
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), **latency,
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "non_2xx": int(failed.group(1)) if failed else 0, "socket_errors": errors.group(1) if errors else None}


def _median(runs: list[dict]) -> dict:
    keys = ("rps", "p50_ms", "p75_ms", "p90_ms", "p99_ms")
    return {**{k: round(statistics.median(r[k] for r in runs), 2) for k in keys},
            "requests": sum(r["requests"] for r in runs), "non_2xx": sum(r["non_2xx"] for r in runs),
            "runs": runs}


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("BENCH_DATABASE_URL is not set: run `make bench`")
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: run `make bench` (scripts/bench.sh installs Debian's wrk)")
    seconds = int(os.environ.get("BENCH_INTAKE_SECONDS", "20"))
    connections = int(os.environ.get("BENCH_INTAKE_CONNECTIONS", "32"))
    rounds = int(os.environ.get("BENCH_INTAKE_ROUNDS", "3"))
    n_users = int(os.environ.get("BENCH_INTAKE_USERS", "50"))
    workers = os.environ.get("WEB_CONCURRENCY", "2")

    reset(url)
    started = time.perf_counter()
    with psycopg2.connect(url) as conn:
        city = generate_places(conn)
        names, reporter = _users(conn, n_users)
    print(f"city: {city['counts']} and {n_users} residents in {time.perf_counter() - started:.1f} s")

    env = {"BENCH_DATABASE_URL": url, "DATABASE_URL": url, "TEST_DATABASE_URL": url, "GRIDGOV_ENV": "testing",
           "WEB_CONCURRENCY": workers, "LOG_LEVEL": "WARNING", "MATTER_REPORTS_PER_HOUR": "100000000",
           "LOGIN_RATE_PER_MINUTE": "100000", "FLOOR_REPORTER_ID": reporter}
    work = Path(tempfile.mkdtemp(prefix="gridgov-intake-"))
    tokens_file = work / "tokens.txt"
    floor_runs, gridgov_runs = [], []
    for round_ in range(rounds):
        with serving("bench.floor:app", env, work / "floor.log") as (base, master):
            tokens_file.write_text("none\n")
            floor_runs.append(wrk(base, tokens_file, city["extent"], seconds=seconds, connections=connections))
            floor_runs[-1]["worker_rss_mb"] = worker_rss_mb(master)
        with serving("wsgi:app", env, work / "gridgov.log") as (base, master):
            tokens_file.write_text("\n".join(_tokens(base, names)) + "\n")
            gridgov_runs.append(wrk(base, tokens_file, city["extent"], seconds=seconds, connections=connections))
            gridgov_runs[-1]["worker_rss_mb"] = worker_rss_mb(master)  # after the load, before the workers stop
        print(f"round {round_ + 1}: floor {floor_runs[-1]['rps']:.0f} req/s, GridGov {gridgov_runs[-1]['rps']:.0f} req/s")

    floor, gridgov = _median(floor_runs), _median(gridgov_runs)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE grid_cell_id IS NULL) FROM matters")
        matters, unplaced = cur.fetchone()
    results = {
        "machine": {"cores": os.cpu_count(), "workers": int(workers), "connections": connections, "seconds": seconds,
                    "rounds": rounds},
        "floor": floor, "gridgov": gridgov,
        "ratio_rps": round(gridgov["rps"] / floor["rps"], 3),
        "ratio_p50": round(gridgov["p50_ms"] / floor["p50_ms"], 2),
        "matters_written": matters, "matters_unplaced": unplaced,
        "gridgov_worker_rss_mb_max": max(size for run in gridgov_runs for size in run["worker_rss_mb"]),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "intake.json").write_text(json.dumps(results, indent=2))
    print(f"\n{'':<10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for name in ("floor", "gridgov"):
        r = results[name]
        print(f"{name:<10}{r['rps']:>9.0f}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['non_2xx']:>9}")
    rss = [size for run in gridgov_runs for size in run["worker_rss_mb"]]
    print(f"GridGov worker resident size after load: {', '.join(map(str, rss))} MiB (target < 200 MiB)")
    print(f"GridGov / floor: {results['ratio_rps']} of the requests per second (target ≥ 0.5); "
          f"{matters} matters written, {unplaced} outside every cell")


if __name__ == "__main__":
    main()
