"""Door-knock sync benchmark: a week of a district's visits, through the whole app in-process.

    make bench            (or: scripts/bench.sh visits)

One generated district (10,080 cells); 5,000 grid members (``BENCH_VISIT_MEMBERS``), each with a
cell of 60 households in 6 buildings, send their week — 60 visits each, 300,000 in all — as one
sync batch, with what a real week holds: results met / nobody home / refused, a few findings (1 %
needing action, so they become matters), a few far-off positions, an occasional resident moving in.

Phases, each quoted beside the ``GET /api/v1/me`` baseline of the same run:
  A. 200 members' batches one after another: latency of a 60-visit batch;
  B. the rest with two client processes (the machine has two cores): wall time of the week;
  C. 200 batches sent again (a phone that did not get the answer): all ``unchanged``;
  D. 500-visit batches from community staff (issue 11's figure);
  E. reading the result: the district's coverage (per street, and every level), a cell's plan,
     the district's households not visited for a week.
Then it checks that every visit is stored exactly once and the coverage is 100 %.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg2
from sqlalchemy import select

from api import create_app
from api.auth import passwords
from api.auth import service as auth
from api.visits.service import iso_week, week_bounds
from bench.generate import CELL_DEG, generate_places
from bench.grid_bench import RESULTS, measure, reset
from config import TestingConfig
from models import User
from models.db import db_session, get_engine

PER_CELL, PER_BUILDING = 60, 10
SEQUENTIAL, REPLAYS, BIG_BATCHES, BIG_BATCH = 200, 200, 5, 500
RNG_SEED = 20261127


def _config(url: str) -> TestingConfig:
    config = TestingConfig()
    config.DATABASE_URL = url
    config.ACCESS_TOKEN_TTL = config.SESSION_IDLE_TIMEOUT = 6 * 3600  # the run outlasts the defaults
    return config


def generate_people(conn, members: int, staff: int, password_hash: str) -> dict:
    """Buildings and households for ``members`` cells, a grid member on each, and ``staff``
    community staff (each with a whole community of 12 cells), all with COPY."""
    with conn.cursor() as cur:
        cur.execute("SELECT c.id, c.parent_id, ST_XMin(c.boundary), ST_YMin(c.boundary) FROM places c "
                    "WHERE c.kind = 'grid_cell' ORDER BY c.code LIMIT %s", (members,))
        cells = cur.fetchall()
    rng = random.Random(RNG_SEED)
    buildings, households, users, assignments = io.StringIO(), io.StringIO(), io.StringIO(), io.StringIO()
    people = {"members": [], "staff": []}
    for index, (cell_id, community_id, x0, y0) in enumerate(cells):
        homes = []
        for b in range(PER_CELL // PER_BUILDING):
            b_id, lng, lat = uuid.uuid4(), x0 + CELL_DEG * (0.15 + 0.7 * rng.random()), y0 + CELL_DEG * (0.15 + 0.7 * rng.random())
            buildings.write(f"{b_id}\t{cell_id}\t{b + 1}号楼\t基准{index}网格{b + 1}号楼\tSRID=4326;POINT({lng} {lat})\n")
            for h in range(PER_BUILDING):
                h_id = uuid.uuid4()
                households.write(f"{h_id}\t{cell_id}\t{b_id}\t{h // 4 + 1}\t{h + 101}\t基准{index}网格{b + 1}号楼{h + 101}室\n")
                homes.append((str(h_id), lng, lat))
        u_id = uuid.uuid4()
        users.write(f"{u_id}\tbench_gm_{index}\t网格员{index}\tgrid_member\t{community_id}\t{password_hash}\n")
        assignments.write(f"{u_id}\t{cell_id}\n")
        people["members"].append({"user_id": str(u_id), "homes": homes})
    communities = sorted({c[1] for c in cells})[:staff]
    for index, community_id in enumerate(communities):
        u_id = uuid.uuid4()
        users.write(f"{u_id}\tbench_staff_{index}\t社区工作人员{index}\tcommunity_staff\t{community_id}\t{password_hash}\n")
        homes = [home for member, cell in zip(people["members"], cells, strict=True) if cell[1] == community_id
                 for home in member["homes"]]
        people["staff"].append({"user_id": str(u_id), "homes": homes})
    with conn.cursor() as cur:
        for table, columns, buffer in (
                ("buildings", "id, grid_cell_id, name, address, location", buildings),
                ("households", "id, grid_cell_id, building_id, unit, room, address", households),
                ("users", "id, username, display_name, role, place_id, password_hash", users),
                ("grid_member_cells", "user_id, grid_cell_id", assignments)):
            buffer.seek(0)
            cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        cur.execute("ANALYZE buildings; ANALYZE households; ANALYZE users; ANALYZE grid_member_cells")
    conn.commit()
    return people


def week_batch(rng: random.Random, homes: list, week: str, now: datetime) -> list[dict]:
    """One visit per household, spread over Monday–Saturday of ``week`` (never after ``now``)."""
    start, _ = week_bounds(week)
    visits = []
    for household_id, lng, lat in homes:
        at = min(start + timedelta(days=rng.randrange(6), hours=8.5 + 9 * rng.random()), now - timedelta(minutes=5))
        result = rng.choices(("met", "nobody_home", "refused"), weights=(78, 19, 3))[0]
        visit = {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "household_id": household_id,
                 "visited_at": at.isoformat(), "result": result, "findings": [], "notes": None,
                 "location": {"lng": lng + (0.004 if rng.random() < 0.03 else 0.00005), "lat": lat,
                              "coord_system": "wgs84"}}
        draw = rng.random()
        if result == "met" and draw < 0.15:
            visit["findings"] = [{"tag": "information_change", "needs_action": False, "note": "新添人口"}]
        elif result == "met" and draw < 0.16:
            visit["findings"] = [{"tag": "hazard", "needs_action": True, "note": "楼道堆放杂物"}]
        if result == "met" and rng.random() < 0.005:
            visit["roster_changes"] = [{"change": "moved_in", "name": "新住户", "kind": "migrant"}]
        visits.append(visit)
    return visits


_CLIENT = None


def _worker_init(url: str) -> None:
    global _CLIENT
    _CLIENT = create_app(_config(url)).test_client()


def _sync(job) -> tuple[float, dict]:
    token, visits = job
    return _post(_CLIENT, token, visits)


def _post(client, token: str, visits: list) -> tuple[float, dict]:
    start = time.perf_counter()
    response = client.post("/api/v1/visits/sync", json={"visits": visits}, headers={"Authorization": f"Bearer {token}"})
    elapsed = (time.perf_counter() - start) * 1000
    statuses: dict = {}
    for result in response.get_json()["results"] if response.status_code == 200 else []:
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    if response.status_code != 200:
        statuses[f"http_{response.status_code}"] = 1
    return elapsed, statuses


def summary(times: list[float], statuses: list[dict]) -> dict:
    times = sorted(times)
    counts: dict = {}
    for item in statuses:
        for key, value in item.items():
            counts[key] = counts.get(key, 0) + value
    return {"n": len(times), "median_ms": round(statistics.median(times), 1),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1), "results": counts}


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("BENCH_DATABASE_URL is not set: run `make bench`")
    members = int(os.environ.get("BENCH_VISIT_MEMBERS", "5000"))
    processes = int(os.environ.get("BENCH_PROCESSES", "2"))
    rng = random.Random(RNG_SEED)
    reset(url)
    conn = psycopg2.connect(url)
    started = time.perf_counter()
    generated = generate_places(conn, districts=1)
    app = create_app(_config(url))
    password_hash = passwords.hash_password(passwords.hasher_from(app.config), "Bench-pass-2026")
    people = generate_people(conn, members, BIG_BATCHES, password_hash)
    admin_id = uuid.uuid4()
    with conn.cursor() as cur:
        cur.execute("INSERT INTO users (id, username, display_name, role, place_id, password_hash) "
                    "VALUES (%s, 'bench_admin', 'bench', 'district_admin', %s, %s)",
                    (str(admin_id), str(generated["first_district"]), password_hash))
    conn.commit()
    with app.app_context():
        settings = auth.AuthSettings.from_config(app.config)
        tokens = {}
        for user in db_session.scalars(select(User)):
            tokens[str(user.id)] = auth.start_session(db_session, user, settings, ip=None, user_agent="bench").access_token
        db_session.commit()
        db_session.remove()
    generate_seconds = time.perf_counter() - started
    households = members * PER_CELL
    print(f"generated {generated['counts']['grid_cell']} cells, {households} households, {members} grid members "
          f"and their sessions in {generate_seconds:.1f} s", flush=True)

    now = datetime.now(UTC)
    week = iso_week(now - timedelta(weeks=1))
    batches = [(tokens[m["user_id"]], week_batch(rng, m["homes"], week, now)) for m in people["members"]]
    client = app.test_client()
    admin = {"Authorization": f"Bearer {tokens[str(admin_id)]}"}
    results: dict = {"members": members, "households": households, "week": week, "processes": processes,
                     "generate_seconds": round(generate_seconds, 1)}
    results["baseline_me"] = measure(client, ["/api/v1/me"] * 500, admin)

    sequential = min(SEQUENTIAL, len(batches))
    outcome = [_post(client, token, visits) for token, visits in batches[:sequential]]
    results["A_batch_60_sequential"] = summary([t for t, _ in outcome], [s for _, s in outcome])

    get_engine().dispose()  # the client processes are forked: they must not share pooled connections
    rest = batches[sequential:]
    wall = time.perf_counter()
    if rest:
        with multiprocessing.get_context("fork").Pool(processes, initializer=_worker_init, initargs=(url,)) as pool:
            parallel = pool.map(_sync, rest, chunksize=20)
    else:
        parallel = []
    wall = time.perf_counter() - wall
    results["B_batch_60_parallel"] = summary([t for t, _ in parallel] or [0.0], [s for _, s in parallel])
    results["B_rest_of_week_wall_seconds"] = round(wall, 1)
    a_total = sum(t for t, _ in outcome) / 1000
    # The whole week at the parallel rate: visits of phase B per second of wall time.
    rate = len(rest) * PER_CELL / wall if rest else sequential * PER_CELL / a_total
    results["week_visits_per_second"] = round(rate, 1)
    results["week_projected_wall_minutes"] = round(households / rate / 60, 1)

    replay = [_post(client, token, visits) for token, visits in batches[:min(REPLAYS, len(batches))]]
    results["C_replay_60_unchanged"] = summary([t for t, _ in replay], [s for _, s in replay])

    big = []
    for staff in people["staff"][:BIG_BATCHES]:
        homes = staff["homes"][:BIG_BATCH]
        if len(homes) == BIG_BATCH:
            big.append(_post(client, tokens[staff["user_id"]], week_batch(rng, homes, iso_week(now), now)))
    if big:
        results["D_batch_500"] = summary([t for t, _ in big], [s for _, s in big])

    coverage = f"/api/v1/visits/coverage?week={week}&page_size=1"
    results["E_coverage_district_streets"] = measure(client, [coverage + "&level=street"] * 20, admin, warmup=2)
    results["E_coverage_district_all_levels"] = measure(client, [coverage] * 20, admin, warmup=2)
    member = {"Authorization": f"Bearer {tokens[people['members'][0]['user_id']]}"}
    results["E_plan_of_a_cell"] = measure(client, [f"/api/v1/visits/plan?week={iso_week(now)}"] * 50, member, warmup=5)
    results["E_unvisited_district"] = measure(client, ["/api/v1/visits/unvisited?weeks=1"] * 20, admin, warmup=2)
    results["baseline_me_again"] = measure(client, ["/api/v1/me"] * 500, admin)
    base = statistics.mean([results["baseline_me"]["median_ms"], results["baseline_me_again"]["median_ms"]])
    for value in results.values():
        if isinstance(value, dict) and "median_ms" in value:
            value["median_vs_baseline"] = round(value["median_ms"] / base, 1)

    with conn.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT household_id) FROM visits WHERE week = %s", (week,))
        stored, distinct = cur.fetchone()
        cur.execute("SELECT count(*) FROM matters WHERE source = 'door_knock'")
        matters = cur.fetchone()[0]
    conn.close()
    district = client.get(f"/api/v1/visits/coverage?week={week}&page_size=1", headers=admin).get_json()[0]
    results["check"] = {"visits_stored": stored, "households_visited": distinct, "door_knock_matters": matters,
                        "district_coverage_percent": district["coverage_percent"]}

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "visits.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten to {RESULTS / 'visits.json'}")


if __name__ == "__main__":
    main()
