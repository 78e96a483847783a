"""Scale-out (横向扩展): two GridGov processes on different ports behind one nginx (Debian's),
against one database — and the proof that nothing is kept in a process.

    make bench            (or: scripts/bench.sh scaleout)

The city's places and residents as bench/intake_bench.py writes them. Then:
  1. sessions: a token from a login through nginx is good on both processes (each process's
     access log shows requests of that token answered 200);
  2. rate limits: a resident's hourly report limit (set to 10 here) holds across the two: of 16
     reports sent round-robin, 10 are taken and 6 refused with 429 and Retry-After;
  3. idempotency: the same report with the same key sent to both processes at once is one matter;
  4. outbox delivery: 5,000 due outbox rows delivered by two workers (``flask worker run --once``)
     at once: every row delivered exactly once;
  5. throughput: intake (the wrk script of bench/intake.lua) through nginx to the two processes
     (one gevent worker each), beside one process with two workers on the same machine.
Results in bench/results/scaleout.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg2

from bench.generate import generate_places
from bench.grid_bench import RESULTS, reset
from bench.intake_bench import ROOT, _tokens, _users, serving, wrk
from scripts.serving import free_port

NGINX_CONF = """
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    upstream gridgov {{
        server 127.0.0.1:{a};
        server 127.0.0.1:{b};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://gridgov;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


@contextmanager
def nginx(work: Path, backends: list[str]):
    """Debian's nginx in the foreground with its own prefix, balancing round-robin over ``backends``."""
    port = free_port()
    (work / "nginx.conf").write_text(NGINX_CONF.format(work=work, port=port, a=backends[0].rsplit(":", 1)[1],
                                                       b=backends[1].rsplit(":", 1)[1]))
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([binary, "-p", str(work), "-c", str(work / "nginx.conf"), "-g", "daemon off;"],
                            stderr=subprocess.STDOUT, stdout=open(work / "nginx.out", "ab"))  # noqa: SIM115
    try:
        time.sleep(1)
        if proc.poll() is not None:
            sys.exit(f"nginx did not start; see {work}/nginx.out")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def call(base: str, method: str, path: str, body=None, headers=None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(f"{base}{path}", method=method, headers={"Content-Type": "application/json",
                                                                              **(headers or {})},
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request) as answer:  # noqa: S310 (our own servers)
            return answer.status, dict(answer.headers), json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.load(error)


def report(i: int) -> dict:
    return {"category": "ROAD-LIGHT", "description": f"横向扩展 {i}",
            "location": {"lng": 113.51, "lat": 33.11, "coord_system": "wgs84"}}


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("BENCH_DATABASE_URL is not set: run `make bench`")
    seconds = int(os.environ.get("BENCH_INTAKE_SECONDS", "20"))
    connections = int(os.environ.get("BENCH_INTAKE_CONNECTIONS", "32"))
    reset(url)
    with psycopg2.connect(url) as conn:
        city = generate_places(conn)
        names, _ = _users(conn, 50)
    work = Path(tempfile.mkdtemp(prefix="gridgov-scaleout-"))
    env = {"BENCH_DATABASE_URL": url, "DATABASE_URL": url, "GRIDGOV_ENV": "testing", "LOG_LEVEL": "WARNING",
           "LOGIN_RATE_PER_MINUTE": "100000", "WEB_CONCURRENCY": "1"}
    results: dict = {}

    # 1–3 with a small report limit, so that it can be seen to hold across the processes
    with ExitStack() as stack:
        (a, _), (b, _) = (stack.enter_context(serving("wsgi:app", {**env, "MATTER_REPORTS_PER_HOUR": "10"},
                                                      work / f"gridgov-{name}.log")) for name in "ab")
        lb = stack.enter_context(nginx(work, [a, b]))
        token = _tokens(lb, names[:1])[0]
        auth = {"Authorization": f"Bearer {token}"}
        statuses = [call(lb, "GET", "/api/v1/me", headers=auth)[0] for _ in range(20)]
        logs = {name: sum(1 for line in (work / f"gridgov-{name}.log").read_text().splitlines()
                          if '"GET /api/v1/me ' in line and '" 200 ' in line) for name in "ab"}
        results["sessions"] = {"me_statuses": sorted(set(statuses)), "answered_200_by_process": logs,
                               "holds": statuses == [200] * 20 and all(logs.values())}

        answers = [call(lb, "POST", "/api/v1/matters", report(i), auth) for i in range(16)]
        taken = sum(1 for status, _, _ in answers if status == 201)
        refused = [headers.get("Retry-After") for status, headers, _ in answers if status == 429]
        results["rate_limit"] = {"limit": 10, "sent": 16, "taken": taken, "refused": len(refused),
                                 "retry_after_present": all(refused), "holds": taken == 10 and len(refused) == 6}

        other = {"Authorization": f"Bearer {_tokens(lb, names[1:2])[0]}", "Idempotency-Key": str(uuid.uuid4())}
        same = [None, None]

        def send(index, base):
            same[index] = call(base, "POST", "/api/v1/matters", report(99), other)

        threads = [threading.Thread(target=send, args=(i, base)) for i, base in enumerate((a, b))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        ids = {answer[2].get("id") for answer in same}
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM matters WHERE description = %s", (report(99)["description"],))
            stored = cur.fetchone()[0]
        results["idempotency"] = {"statuses": [answer[0] for answer in same], "distinct_ids": len(ids),
                                  "matters_stored": stored, "holds": len(ids) == 1 and stored == 1}

    # 4. the outbox, delivered by two workers at once
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO outbox (topic, recipient_id, payload) SELECT 'matter.accepted', id, "
                    "jsonb_build_object('number', n) FROM users, generate_series(1, 100) n "
                    "WHERE username LIKE 'bench_resident_%%'")
    flask = str(Path(sys.executable).parent / "flask")
    workers = [subprocess.Popen([flask, "worker", "run", "--once"], cwd=ROOT, env={**os.environ, **env, "FLASK_APP": "wsgi.py"},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    for worker in workers:
        worker.wait(timeout=600)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE delivered_at IS NULL) FROM outbox")
        rows, pending = cur.fetchone()
        cur.execute("SELECT count(*), count(DISTINCT outbox_id) FROM notifications")
        notifications, distinct = cur.fetchone()
    results["outbox"] = {"rows": rows, "pending_after": pending, "notifications": notifications,
                         "holds": pending == 0 and notifications == distinct == rows}

    # 5. throughput: two one-worker processes behind nginx, and one two-worker process
    tokens_file = work / "tokens.txt"
    high = {**env, "MATTER_REPORTS_PER_HOUR": "100000000"}
    with ExitStack() as stack:
        (a, _), (b, _) = (stack.enter_context(serving("wsgi:app", high, work / f"load-{name}.log")) for name in "ab")
        lb = stack.enter_context(nginx(work, [a, b]))
        tokens_file.write_text("\n".join(_tokens(lb, names)) + "\n")
        results["two_processes_behind_nginx"] = wrk(lb, tokens_file, city["extent"], seconds=seconds,
                                                    connections=connections)
    with serving("wsgi:app", {**high, "WEB_CONCURRENCY": "2"}, work / "single.log") as (base, _):
        tokens_file.write_text("\n".join(_tokens(base, names)) + "\n")
        results["one_process_two_workers"] = wrk(base, tokens_file, city["extent"], seconds=seconds,
                                                 connections=connections)

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scaleout.json").write_text(json.dumps(results, indent=2))
    for check in ("sessions", "rate_limit", "idempotency", "outbox"):
        print(f"{check:<12} {'holds' if results[check]['holds'] else 'FAILS'}: {results[check]}")
    for name in ("two_processes_behind_nginx", "one_process_two_workers"):
        r = results[name]
        print(f"{name:<28} {r['rps']:>7.0f} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  non-2xx {r['non_2xx']}")
    if not all(results[check]["holds"] for check in ("sessions", "rate_limit", "idempotency", "outbox")):
        sys.exit(1)


if __name__ == "__main__":
    main()
