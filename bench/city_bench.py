"""Read paths on the city (bench/city.py): each with its median and p99, through the whole app
in-process (token, session, scope, SQL, serialisation), beside ``GET /api/v1/me`` measured in the
same run, and the database's share where the issue sets a target for it.

    make bench            (or: scripts/bench.sh city)

Targets (issue 11): locating a point, p99 under 5 ms at the database; a vector tile, under 50 ms;
the matter list with filters and paging, under 100 ms; every cockpit figure, under 200 ms;
responder recommendations among 10,000, under 20 ms; a 500-visit sync batch, under 2 s.
Results in bench/results/city.json; the database's size and its most used relations are written
down too (the working set).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg2
from sqlalchemy import text

from api import create_app
from api.auth import passwords
from api.cockpit import facts
from api.geo.tiles import tile_of
from api.visits.service import iso_week
from bench.city import generate_city
from bench.cockpit_bench import cockpit_requests
from bench.grid_bench import RESULTS, measure, reset
from bench.visits_bench import week_batch
from config import TestingConfig
from models.db import db_session

PASSWORD = "Bench-pass-2026"
TARGETS_MS = {"locate_sql": 5, "tile_": 50, "matter_list": 100, "cockpit_": 200, "recommendations": 20,
              "sync_500": 2000}  # by the results' name prefixes

LOCATE_SQL = ("SELECT id FROM places WHERE kind = 'grid_cell' AND ST_Covers(boundary, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) "
              "ORDER BY code LIMIT 1")


def _summary(times: list[float]) -> dict:
    times = sorted(times)
    return {"n": len(times), "median_ms": round(statistics.median(times), 2),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2)}


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _generate(app, conn, url: str, password_hash: str) -> dict:
    """A new city in the emptied bench database, its day and month facts rebuilt once."""
    reset(url)
    started = time.perf_counter()
    city = generate_city(conn, password_hash=password_hash, districts=_env_int("BENCH_CITY_DISTRICTS", 10),
                         households_per_cell=_env_int("BENCH_CITY_HOUSEHOLDS_PER_CELL", 4),
                         matters=_env_int("BENCH_CITY_MATTERS", 1_000_000),
                         responders=_env_int("BENCH_CITY_RESPONDERS", 10_000),
                         visit_weeks=_env_int("BENCH_CITY_VISIT_WEEKS", 52))
    with app.app_context():
        rebuild_started = time.perf_counter()
        fact_rows = facts.rebuild(db_session)
        db_session.commit()
        db_session.execute(text("ANALYZE matter_day_facts; ANALYZE matter_month_facts"))
        db_session.commit()
        db_session.remove()
    city["timings"]["facts_rebuild"] = round(time.perf_counter() - rebuild_started, 1)
    city["counts"]["matter_day_facts"] = fact_rows
    city["generate_seconds"] = round(time.perf_counter() - started, 1)
    print(f"city: {city['counts']} in {city['generate_seconds']} s ({city['timings']})", flush=True)
    return city


def _existing_city(conn) -> dict | None:
    """The city a previous run left (``BENCH_CITY_REUSE=1``: measure again without the 20 minutes of
    generating it), or None when there is none. Its incidents from earlier runs stay; harmless."""
    with conn.cursor() as cur:
        try:
            cur.execute("SELECT u.place_id, d.place_id FROM users u, users d "
                        "WHERE u.username = 'city_community_staff' AND d.username = 'city_district_admin'")
        except psycopg2.Error:
            conn.rollback()
            return None
        row = cur.fetchone()
        if row is None:
            return None
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    "(SELECT ST_Extent(boundary) e FROM places WHERE kind = 'grid_cell') x")
        extent = cur.fetchone()
        counts = {}
        for table in ("places", "households", "residents", "users", "responders", "matters", "visits"):
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cur.fetchone()[0]
    conn.rollback()
    return {"counts": counts, "timings": {}, "accounts": {"community": row[0]}, "first_district": row[1],
            "extent": extent}


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("BENCH_DATABASE_URL is not set: run `make bench`")
    rng = random.Random(20261128)
    config = TestingConfig()
    config.DATABASE_URL = url
    config.ACCESS_TOKEN_TTL = config.SESSION_IDLE_TIMEOUT = 6 * 3600
    app = create_app(config)
    password_hash = passwords.hash_password(passwords.hasher_from(app.config), PASSWORD)

    conn = psycopg2.connect(url)
    city = _existing_city(conn) if os.environ.get("BENCH_CITY_REUSE") else None
    if city is None:
        city = _generate(app, conn, url, password_hash)
    else:
        print("city: reusing the city already in the bench database (BENCH_CITY_REUSE)", flush=True)
    results: dict = {"city": {k: v for k, v in city.items() if k in ("counts", "timings", "generate_seconds")}}
    if not city["timings"] and (RESULTS / "city.json").exists():  # reused: the generation's figures are the last run's
        results["city"] = json.loads((RESULTS / "city.json").read_text()).get("city", results["city"])

    client = app.test_client()

    def login(username):
        answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).get_json()
        return {"Authorization": f"Bearer {answer['access_token']}"}

    district, street, community = (login(f"city_{r}") for r in ("district_admin", "street_admin", "community_staff"))
    n = _env_int("BENCH_REQUESTS", 200)
    results["baseline_me"] = measure(client, ["/api/v1/me"] * n, district)

    # locate: the SQL alone at the database, and the request
    x0, y0, x1, y1 = city["extent"]
    points = [(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(max(n, 1000))]
    with conn.cursor() as cur:
        times = []
        for lng, lat in points:
            start = time.perf_counter()
            cur.execute(LOCATE_SQL, (lng, lat))
            cur.fetchall()
            times.append((time.perf_counter() - start) * 1000)
        results["locate_sql"] = _summary(times[50:])
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    "(SELECT ST_Extent(boundary) e FROM places WHERE id = %s) x", (city["first_district"],))
        dx0, dy0, dx1, dy1 = cur.fetchone()
    conn.rollback()
    results["locate"] = measure(client, [f"/api/v1/grid-cells/locate?lng={lng}&lat={lat}" for lng, lat in points[:n]],
                                district)

    def tiles(layer, z):
        return ["/api/v1/tiles/{}/{}/{}/{}.mvt".format(layer, z, *tile_of(rng.uniform(dx0, dx1), rng.uniform(dy0, dy1), z))
                for _ in range(n)]

    for layer in ("grid-cells", "matters"):
        for z in (16, 14, 12):
            results[f"tile_{layer.replace('-', '_')}_z{z}"] = measure(client, tiles(layer, z), district)

    today = datetime.now(UTC).date()
    month_ago = (today - timedelta(days=30)).isoformat()
    lists = {
        "matter_list_open": "/api/v1/matters?open=true&page_size=20",
        "matter_list_status_category_page5": "/api/v1/matters?status=closed&category=ROAD-LIGHT&page=5&page_size=20",
        "matter_list_last_30_days_red": f"/api/v1/matters?created_from={month_ago}T00:00:00%2B08:00&deadline_colour=red&page_size=20",
        "matter_list_text": "/api/v1/matters?q=%E8%B7%AF%E7%81%AF&page=3&page_size=20",  # 路灯
    }
    for name, path in lists.items():
        results[f"{name}_district"] = measure(client, [path] * n, district, warmup=5)
    results["matter_list_open_community"] = measure(client, [lists["matter_list_open"]] * n, community, warmup=5)

    cockpit = [
        *cockpit_requests(district, street, community, today),
        ("coverage_streets", district, f"/api/v1/visits/coverage?week={iso_week(datetime.now(UTC) - timedelta(days=7))}"
         "&level=street&page_size=50"),
        ("assessment_communities_12_months", district, "/api/v1/assessment?level=community&from_month="
         f"{(today.replace(day=1) - timedelta(days=330)).strftime('%Y-%m')}&to_month={today.strftime('%Y-%m')}&page_size=50"),
    ]
    runs = max(20, n // 5)
    for name, headers, path in cockpit:
        results[f"cockpit_{name}"] = measure(client, [path] * runs, headers, warmup=3)

    with conn.cursor() as cur:  # phones report every minute: positions are fresh when a commander asks
        cur.execute("UPDATE responders SET position_at = now()")
    conn.commit()
    incidents = []
    for _ in range(50):
        answer = client.post("/api/v1/incidents", headers=district, json={
            "title": "基准突发事件", "kind": "accident", "subtype": "fire", "level": "III",
            "location": {"lng": rng.uniform(dx0, dx1), "lat": rng.uniform(dy0, dy1)}})
        assert answer.status_code == 201, answer.get_json()
        incidents.append(answer.get_json()["id"])
    results["recommendations"] = measure(
        client, [f"/api/v1/incidents/{rng.choice(incidents)}/recommendations?limit=10" for _ in range(n)], district)
    offered = [len(client.get(f"/api/v1/incidents/{i}/recommendations?limit=10", headers=district).get_json())
               for i in incidents]
    results["recommendations"]["responders_offered_mean"] = round(statistics.mean(offered), 1)
    if not any(offered):
        print("NO RESPONDER WAS RECOMMENDED: the figure would time an empty answer")

    with conn.cursor() as cur:
        cur.execute("SELECT h.id::text, ST_X(b.location), ST_Y(b.location) FROM households h "
                    "JOIN buildings b ON b.id = h.building_id JOIN places c ON c.id = h.grid_cell_id "
                    "WHERE c.parent_id = %s ORDER BY h.id", (city["accounts"]["community"],))
        homes = cur.fetchall()
    conn.rollback()
    now = datetime.now(UTC)
    times = []
    fresh = random.Random(time.time_ns())  # new visit ids in every run: a rerun on the same city writes, not replays
    for batch in range(_env_int("BENCH_CITY_SYNC_BATCHES", 10)):
        chosen = [homes[(batch * 500 + i) % len(homes)] for i in range(min(500, len(homes)))]
        visits = week_batch(fresh, chosen, iso_week(now), now)
        start = time.perf_counter()
        answer = client.post("/api/v1/visits/sync", json={"visits": visits}, headers=community)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, answer.get_json()
    results["sync_500"] = _summary(times)
    results["baseline_me_again"] = measure(client, ["/api/v1/me"] * n, district)

    base = statistics.mean([results["baseline_me"]["median_ms"], results["baseline_me_again"]["median_ms"]])
    for value in results.values():
        if isinstance(value, dict) and "median_ms" in value and value is not results["locate_sql"]:
            value["median_vs_baseline"] = round(value["median_ms"] / base, 2)

    with conn.cursor() as cur:  # the working set: the database, and its largest relations with their indexes
        cur.execute("SELECT pg_database_size(current_database())")
        results["database_bytes"] = cur.fetchone()[0]
        cur.execute("SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' "
                    "ORDER BY 2 DESC LIMIT 8")
        results["largest_tables"] = [{"table": t, "total_bytes": total, "heap_bytes": heap} for t, total, heap in cur]
    conn.close()

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "city.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"\n{'':<44}{'median':>9}{'p99':>9}{'× /me':>7}{'target':>8}")
    for name, value in results.items():
        if not (isinstance(value, dict) and "median_ms" in value):
            continue
        target = str(next((ms for prefix, ms in TARGETS_MS.items() if name.startswith(prefix)), ""))
        print(f"{name:<44}{value['median_ms']:>9}{value['p99_ms']:>9}{value.get('median_vs_baseline', ''):>7}{target:>8}")
    failed = {name: value["statuses"] for name, value in results.items()
              if isinstance(value, dict) and set(value.get("statuses", {200: 0})) != {200}}
    if failed:
        print(f"NOT ALL ANSWERED 200: {failed}")
    print(f"database: {results['database_bytes'] / 2**30:.2f} GiB; largest: "
          + ", ".join(f"{t['table']} {t['total_bytes'] / 2**20:.0f} MiB" for t in results["largest_tables"]))


if __name__ == "__main__":
    main()
