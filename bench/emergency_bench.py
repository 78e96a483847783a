"""Emergency benchmark: nearest available responders among 10,000, and dispatch-to-phone latency.

    scripts/bench.sh emergency      (make bench runs it with the others)

1. A district of 10,080 cells, its 20 streets with the four teams each, and 10,000 responders spread
   over it (about 70 % on duty, fresh positions), all written with COPY.
2. Recommendations (`GET /api/v1/incidents/{id}/recommendations`, PostGIS KNN on the geography
   index) for incidents at random points, through the whole app in-process, against the
   `GET /api/v1/me` baseline measured in the same run — with the default 5 km radius and with a
   20 km one (many more candidates).
3. Dispatch to delivery over real sockets: GridGov under gunicorn (gevent workers, as `make run`),
   a responder's phone holding the live stream open; for each of BENCH_DISPATCHES dispatches the
   time from sending `POST /incidents/{id}/dispatches` to the event arriving on the phone, against
   the same server's `GET /api/v1/me` round trip.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg2

from api import create_app
from api.auth import passwords
from bench.generate import generate_places
from bench.grid_bench import RESULTS, measure, reset
from config import TestingConfig
from tests.live_server import running_server

RESPONDERS = int(os.environ.get("BENCH_RESPONDERS", "10000"))
PASSWORD = "Bench-pass-2026"
TEAM_KINDS = ("governance", "mediation", "patrol", "rescue")


def _config(url: str) -> TestingConfig:
    config = TestingConfig()
    config.DATABASE_URL = url
    return config


def generate_responders(conn, district_id, password_hash: str, rng: random.Random) -> dict:
    """The four teams of every street and RESPONDERS team members over the district, with COPY."""
    with conn.cursor() as cur:
        cur.execute("SELECT id, ST_XMin(boundary), ST_YMin(boundary), ST_XMax(boundary), ST_YMax(boundary) "
                    "FROM places WHERE kind = 'street' AND parent_id = %s ORDER BY code", (str(district_id),))
        streets = cur.fetchall()
    teams, users, responders = io.StringIO(), io.StringIO(), io.StringIO()
    team_ids = []
    for street_id, *_ in streets:
        for kind in TEAM_KINDS:
            team_id = uuid.uuid4()
            teams.write(f"{team_id}\t{street_id}\t{kind}\t基准{kind}队\n")
            team_ids.append((team_id, street_id))
    people = []
    for index in range(RESPONDERS):
        street_id, x0, y0, x1, y1 = streets[index % len(streets)]
        team_id = team_ids[(index % len(streets)) * 4 + rng.randrange(4)][0]
        user_id = uuid.uuid4()
        lng, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        duty = "on_duty" if rng.random() < 0.7 else rng.choice(["busy", "off_duty"])
        users.write(f"{user_id}\tbench_responder_{index}\t队员{index}\tresponder\t{street_id}\t{password_hash}\n")
        responders.write(f"{user_id}\t{team_id}\t{{first_aid}}\t{duty}\tSRID=4326;POINT({lng} {lat})\t"
                         f"{time.strftime('%Y-%m-%d %H:%M:%S+00', time.gmtime())}\n")
        people.append((str(user_id), lng, lat, duty))
    with conn.cursor() as cur:
        for table, columns, buffer in (
                ("teams", "id, place_id, kind, name", teams),
                ("users", "id, username, display_name, role, place_id, password_hash", users),
                ("responders", "user_id, team_id, skills, duty_status, position, position_at", responders)):
            buffer.seek(0)
            cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        cur.execute("ANALYZE teams; ANALYZE users; ANALYZE responders")
    conn.commit()
    return {"streets": len(streets), "teams": len(team_ids), "people": people}


def _call(port, method, path, body=None, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json",
                              **({"Authorization": f"Bearer {token}"} if token else {})})
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def _stream(port, token, arrived: dict, ready: threading.Event, stop: threading.Event):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/api/v1/stream", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    name = None
    for raw in response:
        line = raw.decode().rstrip("\n")
        if line.startswith("retry:"):
            ready.set()
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: ") and name == "dispatch.created":
            arrived[json.loads(line[6:])["id"]] = time.perf_counter()
        if stop.is_set():
            break
    conn.close()


def _summary(times: list[float]) -> dict:
    times = sorted(times)
    return {"n": len(times), "median_ms": round(statistics.median(times), 3),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 3)}


def delivery(url: str, people: list, rng: random.Random) -> dict:
    """Dispatch to the phone over real sockets, gunicorn with gevent workers."""
    with tempfile.TemporaryDirectory() as folder, running_server(
            url, Path(folder) / "gunicorn.log", WEB_CONCURRENCY="2", LOGIN_RATE_PER_MINUTE="100000",
            LOG_LEVEL="WARNING") as port:
        status, login = _call(port, "POST", "/api/v1/auth/login", {"username": "bench_commander", "password": PASSWORD})
        assert status == 200, login
        commander = login["access_token"]
        n = int(os.environ.get("BENCH_DISPATCHES", "60"))
        baseline = []
        for _ in range(200):
            start = time.perf_counter()
            _call(port, "GET", "/api/v1/me", token=commander)
            baseline.append((time.perf_counter() - start) * 1000)
        on_duty = [p for p in people if p[3] == "on_duty"]
        latencies, posts = [], []
        for responder_id, lng, lat, _ in rng.sample(on_duty, n):
            index = next(i for i, p in enumerate(people) if p[0] == responder_id)
            token = _call(port, "POST", "/api/v1/auth/login",
                          {"username": f"bench_responder_{index}", "password": PASSWORD})[1]["access_token"]
            arrived, ready, stop = {}, threading.Event(), threading.Event()
            reader = threading.Thread(target=_stream, args=(port, token, arrived, ready, stop), daemon=True)
            reader.start()
            ready.wait(10)
            status, incident = _call(port, "POST", "/api/v1/incidents", {
                "title": "基准突发事件", "kind": "accident", "subtype": "fire", "level": "IV",
                "location": {"lng": lng + 0.001, "lat": lat}, "teams": list(TEAM_KINDS)}, commander)
            assert status == 201, incident
            start = time.perf_counter()
            status, sent = _call(port, "POST", f"/api/v1/incidents/{incident['id']}/dispatches",
                                 {"responder_ids": [responder_id]}, commander)
            answered = time.perf_counter()
            assert status == 201, sent
            deadline = time.perf_counter() + 5
            while sent[0]["id"] not in arrived and time.perf_counter() < deadline:
                time.sleep(0.001)
            latencies.append((arrived.get(sent[0]["id"], float("inf")) - start) * 1000)
            posts.append((answered - start) * 1000)
            stop.set()
        return {"baseline_http_me": _summary(baseline), "dispatch_post": _summary(posts),
                "dispatch_to_phone": _summary(latencies),
                "within_2_s": sum(1 for t in latencies if t < 2000)}


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("BENCH_DATABASE_URL is not set: run `make bench`")
    rng = random.Random(20261127)
    reset(url)
    conn = psycopg2.connect(url)
    started = time.perf_counter()
    generated = generate_places(conn, districts=1)
    app = create_app(_config(url))
    password_hash = passwords.hash_password(passwords.hasher_from(app.config), PASSWORD)
    made = generate_responders(conn, generated["first_district"], password_hash, rng)
    generate_seconds = time.perf_counter() - started
    with conn.cursor() as cur:
        cur.execute("INSERT INTO users (id, username, display_name, role, place_id, password_hash) "
                    "VALUES (%s, 'bench_commander', '指挥员', 'district_admin', %s, %s)",
                    (str(uuid.uuid4()), str(generated["first_district"]), password_hash))
    conn.commit()
    print(f"generated {generated['counts']['grid_cell']} cells, {made['teams']} teams, {RESPONDERS} responders "
          f"with COPY in {generate_seconds:.1f} s", flush=True)

    client = app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": "bench_commander", "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    x0, y0, x1, y1 = generated["extent"]
    incidents = []
    for _ in range(100):
        response = client.post("/api/v1/incidents", headers=headers, json={
            "title": "基准突发事件", "kind": "accident", "subtype": "fire", "level": "III",
            "location": {"lng": rng.uniform(x0, x1), "lat": rng.uniform(y0, y1)}})
        assert response.status_code == 201, response.get_json()
        incidents.append(response.get_json()["id"])
    n = int(os.environ.get("BENCH_REQUESTS", "1000"))
    near = [f"/api/v1/incidents/{rng.choice(incidents)}/recommendations?limit=10" for _ in range(n)]
    wide = [f"/api/v1/incidents/{rng.choice(incidents)}/recommendations?limit=10&radius_m=20000" for _ in range(n)]
    results = {"responders": RESPONDERS, "teams": made["teams"], "generate_seconds": round(generate_seconds, 1)}
    results["baseline_me"] = measure(client, ["/api/v1/me"] * n, headers)
    results["recommend_5km"] = measure(client, near, headers)
    results["recommend_20km"] = measure(client, wide, headers)
    results["baseline_me_again"] = measure(client, ["/api/v1/me"] * n, headers)
    base = statistics.mean([results["baseline_me"]["median_ms"], results["baseline_me_again"]["median_ms"]])
    for value in list(results.values()):
        if isinstance(value, dict) and "median_ms" in value:
            value["median_vs_baseline"] = round(value["median_ms"] / base, 2)
    with conn.cursor() as cur:  # the SQL alone: eligible teams, then the KNN scan of available responders
        cur.execute("SELECT id FROM teams WHERE kind = 'rescue'")
        rescue = [row[0] for row in cur.fetchall()]
        sql_times = []
        for _ in range(300):
            lng, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
            start = time.perf_counter()
            cur.execute("SELECT r.user_id, ST_Distance(r.position, p.g, false) FROM responders r, "
                        "(SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography g) p "
                        "WHERE r.duty_status = 'on_duty' AND ST_DWithin(r.position, p.g, 5000, false) "
                        "AND r.position_at >= now() - interval '1 day' AND r.team_id = ANY(%s::uuid[]) "
                        "ORDER BY r.position <-> p.g LIMIT 10", (lng, lat, rescue))
            cur.fetchall()
            sql_times.append((time.perf_counter() - start) * 1000)
        results["knn_sql_only"] = _summary(sql_times[50:])
    with conn.cursor() as cur:  # the plan: the KNN index scan over available responders
        cur.execute("EXPLAIN SELECT user_id FROM responders WHERE duty_status = 'on_duty' AND position IS NOT NULL "
                    "ORDER BY position <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography LIMIT 10",
                    ((x0 + x1) / 2, (y0 + y1) / 2))
        results["knn_plan"] = [row[0] for row in cur.fetchall()]
    conn.close()
    print(f"\n{'what':<22}{'n':>6}{'median ms':>11}{'p99 ms':>9}{'× /me':>8}")
    for key, value in results.items():
        if isinstance(value, dict) and "median_ms" in value:
            print(f"{key:<22}{value['n']:>6}{value['median_ms']:>11}{value['p99_ms']:>9}"
                  f"{value.get('median_vs_baseline', ''):>8}")
    print("\nKNN plan:\n  " + "\n  ".join(results["knn_plan"]))

    results["delivery"] = delivery(url, made["people"], rng)
    d = results["delivery"]
    base_http = d["baseline_http_me"]["median_ms"]
    for key in ("dispatch_post", "dispatch_to_phone"):
        d[key]["median_vs_http_me"] = round(d[key]["median_ms"] / base_http, 2)
    print(f"\nover HTTP (gunicorn, gevent): /me {base_http} ms; POST dispatches {d['dispatch_post']['median_ms']} ms "
          f"(p99 {d['dispatch_post']['p99_ms']}); dispatch to phone {d['dispatch_to_phone']['median_ms']} ms "
          f"(p99 {d['dispatch_to_phone']['p99_ms']}); within 2 s: {d['within_2_s']}/{d['dispatch_to_phone']['n']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "emergency.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten to {RESULTS / 'emergency.json'}")


if __name__ == "__main__":
    main()
