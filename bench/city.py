"""A city for benchmarks (基准城市), written in minutes: 100,800 grid cells, about a million
residents in 400,000 households, 10,000 responders in 800 teams, a million matters over two years
in every state, and a year of door-knock visits.

Places come from Python through COPY (bench/generate.py); everything else is made inside
PostgreSQL by ``INSERT … SELECT`` over ``generate_series`` — no rows travel over the socket — with
the per-day matter facts rebuilt once at the end instead of row by row. Every row obeys the
schema's constraints, and the kept counts (households per cell, visit coverage per cell and week,
each household's last visit) are computed from the rows, so the app reads them as its own.

    scripts/bench.sh city           (generates, then measures the read paths: bench/city_bench.py)

Sizes: BENCH_CITY_DISTRICTS (10: 10,080 cells each), BENCH_CITY_HOUSEHOLDS_PER_CELL (4, ~2.5
residents each), BENCH_CITY_MATTERS (1,000,000), BENCH_CITY_RESPONDERS (10,000),
BENCH_CITY_VISIT_WEEKS (52: a visit of every household every four weeks, on a rota).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from api.cockpit.facts import VISIT_WEEKS
from api.demo import history
from bench.generate import generate_places

TEAM_KINDS = ("governance", "mediation", "patrol", "rescue")
VISIT_EVERY_WEEKS = 4  # each household once in four weeks; a cell's member knocks on a quarter a week

PEOPLE_SQL = """
INSERT INTO buildings (grid_cell_id, name, address, location)
SELECT id, '1号楼', name || '1号楼', ST_PointOnSurface(boundary) FROM places WHERE kind = 'grid_cell';

-- the first community is an old town, 60 households a cell (720 in all: the 500-visit batches)
INSERT INTO households (grid_cell_id, building_id, unit, room, address)
SELECT b.grid_cell_id, b.id, '1', (100 + h)::text, b.address || (100 + h) || '室'
FROM buildings b JOIN places c ON c.id = b.grid_cell_id
CROSS JOIN LATERAL generate_series(1, CASE WHEN c.parent_id = %(dense)s THEN 60 ELSE %(per_cell)s END) h;

-- 1 to 4 people a household (2.5 on average): householder, spouse, children
INSERT INTO residents (grid_cell_id, household_id, name, gender, birth_date, kind, relation)
SELECT h.grid_cell_id, h.id, '居民' || substr(md5(h.id::text || i), 1, 6),
       CASE WHEN random() < 0.5 THEN 'male' ELSE 'female' END,
       CASE WHEN i <= 2 THEN date '1945-01-01' + (random() * 18000)::int ELSE date '1995-01-01' + (random() * 10000)::int END,
       (ARRAY['registered', 'registered', 'registered', 'migrant', 'left_behind'])[1 + floor(random() * 5)::int],
       (ARRAY['householder', 'spouse', 'child', 'child'])[i]
FROM households h, generate_series(1, 4) i
WHERE i <= 1 + (hashtext(h.id::text) & 3);

-- a grid member for every cell (their account's place is the community)
CREATE TEMP TABLE city_members ON COMMIT DROP AS
SELECT gen_random_uuid() AS user_id, id AS cell_id, parent_id AS community_id,
       'city_gm_' || row_number() OVER (ORDER BY code) AS username
FROM places WHERE kind = 'grid_cell';
INSERT INTO users (id, username, display_name, role, place_id, password_hash)
SELECT user_id, username, '网格员', 'grid_member', community_id, %(hash)s FROM city_members;
INSERT INTO grid_member_cells (user_id, grid_cell_id) SELECT user_id, cell_id FROM city_members;
"""

RESPONDERS_SQL = """
INSERT INTO teams (place_id, kind, name)
SELECT s.id, k, s.name || k FROM places s, unnest(%(kinds)s::varchar[]) k WHERE s.kind = 'street';

CREATE TEMP TABLE city_responders ON COMMIT DROP AS
WITH streets AS (SELECT id, boundary, row_number() OVER (ORDER BY code) - 1 AS i, count(*) OVER () AS total
                 FROM places WHERE kind = 'street')
SELECT gen_random_uuid() AS user_id, 'city_responder_' || g AS username, s.id AS street_id,
       ST_SetSRID(ST_MakePoint(ST_XMin(s.boundary) + random() * (ST_XMax(s.boundary) - ST_XMin(s.boundary)),
                               ST_YMin(s.boundary) + random() * (ST_YMax(s.boundary) - ST_YMin(s.boundary))), 4326) AS position,
       (SELECT t.id FROM teams t WHERE t.place_id = s.id ORDER BY t.kind OFFSET (g / total) %% 4 LIMIT 1) AS team_id,
       CASE WHEN random() < 0.7 THEN 'on_duty' WHEN random() < 0.5 THEN 'busy' ELSE 'off_duty' END AS duty
FROM generate_series(0, %(n)s - 1) g JOIN streets s ON s.i = g %% s.total;
INSERT INTO users (id, username, display_name, role, place_id, password_hash)
SELECT user_id, username, '应急队员', 'responder', street_id, %(hash)s FROM city_responders;
INSERT INTO responders (user_id, team_id, skills, duty_status, position, position_at)
SELECT user_id, team_id, '{first_aid}', duty, position, now() FROM city_responders;
"""

# A year of weekly rounds: in week w a cell's member visits the households whose turn it is
# (every VISIT_EVERY_WEEKS weeks each), on a weekday between 8:30 and 17:30 China time.
VISITS_SQL = """
INSERT INTO visits (id, household_id, grid_cell_id, visitor_id, visited_at, week, location, result, findings, version)
SELECT gen_random_uuid(), h.id, h.grid_cell_id, m.user_id, v.at, to_char(v.at AT TIME ZONE 'Asia/Shanghai', 'IYYY-"W"IW'),
       b.location,
       (ARRAY['met', 'met', 'met', 'met', 'nobody_home'])[1 + floor(random() * 5)::int],
       CASE WHEN random() < 0.15 THEN '[{"tag": "information_change", "needs_action": false, "note": "新添人口"}]'::jsonb
            ELSE '[]'::jsonb END,
       nextval('visit_versions')
FROM households h
JOIN buildings b ON b.id = h.building_id
JOIN grid_member_cells m ON m.grid_cell_id = h.grid_cell_id
CROSS JOIN generate_series(0, %(weeks)s - 1) w
CROSS JOIN LATERAL (SELECT date_trunc('week', %(now)s::timestamptz AT TIME ZONE 'Asia/Shanghai') - make_interval(weeks => w + 1)
                           + make_interval(days => abs(hashtext(h.id::text || w)) %% 6, mins => 510 + (hashtext(h.id::text) & 511))
                    AS local) l
CROSS JOIN LATERAL (SELECT l.local AT TIME ZONE 'Asia/Shanghai' AS at) v
WHERE (w + (hashtext(h.id::text) & 1023)) %% %(every)s = 0;

-- the communities' weeks summed once after, not by the trigger for each of 3.6 million cell-weeks
ALTER TABLE visit_coverage DISABLE TRIGGER visit_community_weeks;
INSERT INTO visit_coverage (grid_cell_id, week, visited, visits, late)
SELECT grid_cell_id, week, count(DISTINCT household_id), count(*), 0 FROM visits GROUP BY grid_cell_id, week;
ALTER TABLE visit_coverage ENABLE TRIGGER visit_community_weeks;
INSERT INTO visit_community_weeks (community_id, week, place_path, visits, late) {visit_weeks};

UPDATE households h SET last_visited_at = v.latest
FROM (SELECT household_id, max(visited_at) AS latest FROM visits GROUP BY household_id) v WHERE v.household_id = h.id;
""".replace("{visit_weeks}", VISIT_WEEKS)


ACCOUNTS = ("district_admin", "street_admin", "community_staff", "resident", "reporter")


def _accounts(conn, password_hash: str) -> dict:
    """The accounts the read paths are measured as (``city_<role>``, in the first district, street
    and community), the history's reporter and a handling unit; returns their ids."""
    with conn.cursor() as cur:
        cur.execute("SELECT d.id, s.id, c.id FROM places d JOIN places s ON s.parent_id = d.id "
                    "JOIN places c ON c.parent_id = s.id ORDER BY d.code, s.code, c.code LIMIT 1")
        district, street, community = cur.fetchone()
        ids = {}
        for name, role, place in (("district_admin", "district_admin", district), ("street_admin", "street_admin", street),
                                  ("community_staff", "community_staff", community), ("resident", "resident", community),
                                  ("reporter", "resident", community)):
            cur.execute("INSERT INTO users (username, display_name, role, place_id, password_hash) "
                        "VALUES (%s, %s, %s, %s, %s) RETURNING id", (f"city_{name}", name, role, place, password_hash))
            ids[name] = cur.fetchone()[0]
        cur.execute("INSERT INTO handling_units (name, place_id) VALUES ('基准区城管局', %s) RETURNING id", (district,))
        ids["unit"] = cur.fetchone()[0]
    ids.update(district=district, street=street, community=community)
    conn.commit()
    return ids


def _step(conn, label: str, sql: str, params: dict, timings: dict) -> None:
    started = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(sql, params)
    conn.commit()
    timings[label] = round(time.perf_counter() - started, 1)
    print(f"  {label}: {timings[label]} s", flush=True)


def generate_city(conn, *, password_hash: str, districts: int = 10, households_per_cell: int = 4,
                  matters: int = 1_000_000, responders: int = 10_000, visit_weeks: int = 52) -> dict:
    """Write the city on a psycopg2 connection to an empty, migrated database; returns the counts,
    the time each part took, the first district's id and the city's extent."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    places = generate_places(conn, districts=districts)
    timings["places"] = round(time.perf_counter() - started, 1)
    print(f"  places: {timings['places']} s", flush=True)
    accounts = _accounts(conn, password_hash)
    _step(conn, "people", PEOPLE_SQL, {"per_cell": households_per_cell, "hash": password_hash,
                                       "dense": accounts["community"]}, timings)
    _step(conn, "responders", RESPONDERS_SQL, {"kinds": list(TEAM_KINDS), "n": responders, "hash": password_hash},
          timings)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE matters DISABLE TRIGGER matter_facts")  # the facts: rebuilt once, after
        conn.commit()
        for start in range(0, matters, 100_000):
            history.generate(conn, min(100_000, matters - start), now=now, days=730, reporter_id=accounts["reporter"],
                             unit_id=accounts["unit"], events=False, label="（基准）")
            conn.commit()
        cur.execute("ALTER TABLE matters ENABLE TRIGGER matter_facts")
        conn.commit()
    timings["matters"] = round(time.perf_counter() - started, 1)
    print(f"  matters: {timings['matters']} s", flush=True)
    _step(conn, "visits", VISITS_SQL, {"weeks": visit_weeks, "every": VISIT_EVERY_WEEKS, "now": now}, timings)
    started = time.perf_counter()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        counts = {}
        for table in ("places", "households", "residents", "users", "responders", "matters", "visits"):
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cur.fetchone()[0]
    conn.autocommit = False
    timings["vacuum_analyze"] = round(time.perf_counter() - started, 1)
    return {"counts": counts, "timings": timings, "accounts": accounts, "first_district": places["first_district"],
            "extent": places["extent"]}
