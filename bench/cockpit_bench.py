"""Cockpit benchmark: the figures a leader's screen asks for, on a million matters.

    make bench            (or: scripts/bench.sh cockpit)

One generated district (10,080 cells in 840 communities and 20 streets) and ``BENCH_MATTERS``
(default 1,000,000) matters over two years in every state, written in the database (INSERT …
SELECT, 100,000 per transaction), then the per-day figures rebuilt from them.

Measured through the whole app in-process, each beside the ``GET /api/v1/me`` baseline of the run:
the matter figures for a district / street / community over 30 and 365 days, the assessment
ranking of streets and of communities for a month and for twelve, and the per-place counts of
``/matters/stats`` (open from the matters, closed from the month facts). Then
the same year of the district summed straight from the matters (what the figures would cost
without the facts), and the cost of the trigger on intake: ``POST /api/v1/matters`` with it on
and off, alternating blocks. Results in bench/results/cockpit.json.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg2
from sqlalchemy import text

from api import create_app
from api.auth import passwords
from api.cockpit import facts
from api.demo import history
from bench.generate import generate_places
from bench.grid_bench import measure, reset, write_results
from config import TestingConfig
from models.db import db_session

PASSWORD = "Bench-pass-2026"
RESIDENTS = 20
INTAKE_BLOCKS, INTAKE_BLOCK = 6, 50

# The district's year straight from the matters: what /matters/figures would cost without the facts.
NAIVE_YEAR = text("""
    SELECT timezone(interval '08:00', m.created_at)::date AS day, coalesce(c.parent_id, c.id) AS category,
           count(*) AS reported, count(*) FILTER (WHERE m.status = 'closed') AS closed,
           count(*) FILTER (WHERE NOT m.accept_late) AS accept_on_time, count(m.accept_done_at) AS accept_done,
           count(*) FILTER (WHERE NOT m.handle_late) AS handle_on_time, count(m.handle_done_at) AS handle_done,
           avg(m.closed_at - m.created_at) AS handling, count(*) FILTER (WHERE m.rating = 'satisfied') AS satisfied
    FROM matters m JOIN matter_categories c ON c.id = m.category_id
    WHERE m.created_at >= now() - interval '365 days'
    GROUP BY 1, 2
""")
FACTS_YEAR = text("""
    SELECT f.day, coalesce(c.parent_id, c.id) AS category, sum(f.reported), sum(f.closed), sum(f.accept_on_time),
           sum(f.accept_done), sum(f.handle_on_time), sum(f.handle_done), sum(f.handle_seconds), sum(f.satisfied)
    FROM matter_day_facts f JOIN matter_categories c ON c.id = f.category_id
    WHERE f.place_id = (SELECT id FROM places WHERE kind = 'district') AND f.day >= current_date - 365
    GROUP BY 1, 2
""")


def _users(conn, password_hash: str) -> dict:
    """A district admin, a street admin, a community's staff, a grid member and residents."""
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM places WHERE kind = 'district' ORDER BY code LIMIT 1")
        district = cur.fetchone()[0]
        cur.execute("SELECT id FROM places WHERE kind = 'street' ORDER BY code LIMIT 1")
        street = cur.fetchone()[0]
        cur.execute("SELECT id, parent_id FROM places WHERE kind = 'grid_cell' ORDER BY code LIMIT 1")
        cell, community = cur.fetchone()
    ids = {name: uuid.uuid4() for name in ("district_admin", "street_admin", "community_staff", "grid_member")}
    rows = io.StringIO()
    for name, place in (("district_admin", district), ("street_admin", street), ("community_staff", community),
                        ("grid_member", community)):
        rows.write(f"{ids[name]}\tbench_{name}\t{name}\t{name}\t{place}\t{password_hash}\n")
    residents, reporter = [], uuid.uuid4()  # the history's reporter: a resident who is no one's caller
    rows.write(f"{reporter}\tbench_reporter\t历史上报人\tresident\t{community}\t{password_hash}\n")
    for index in range(RESIDENTS):
        resident = uuid.uuid4()
        residents.append(f"bench_resident_{index}")
        rows.write(f"{resident}\tbench_resident_{index}\t居民{index}\tresident\t{community}\t{password_hash}\n")
    rows.seek(0)
    with conn.cursor() as cur:
        cur.copy_expert("COPY users (id, username, display_name, role, place_id, password_hash) FROM STDIN", rows)
        cur.execute("INSERT INTO grid_member_cells (user_id, grid_cell_id) VALUES (%s, %s)", (str(ids["grid_member"]), cell))
        cur.execute("INSERT INTO handling_units (name, place_id) VALUES ('基准区城管局', %s) RETURNING id", (district,))
        unit = cur.fetchone()[0]
        cur.execute("SELECT ST_X(ST_PointOnSurface(boundary)), ST_Y(ST_PointOnSurface(boundary)) FROM places WHERE id = %s",
                    (cell,))
        point = cur.fetchone()
    conn.commit()
    return {"ids": ids, "residents": residents, "point": point, "unit": unit, "reporter": reporter}


def generate_matters(conn, n: int, *, reporter_id, unit_id, batch: int = 100_000) -> None:
    """``n`` matters over two years in every state (no timelines), a batch per transaction, with
    the per-day figures' trigger off meanwhile (rebuilt after: ``api.cockpit.facts.rebuild``)."""
    now = datetime.now(UTC)
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE matters DISABLE TRIGGER matter_facts")
        conn.commit()
        for start in range(0, n, batch):
            history.generate(conn, min(batch, n - start), now=now, days=730, reporter_id=reporter_id,
                             unit_id=unit_id, events=False, label="（基准）")
            conn.commit()
        cur.execute("ALTER TABLE matters ENABLE TRIGGER matter_facts")
        cur.execute("ANALYZE matters")
        conn.commit()


def _sql_median(statement, runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        db_session.execute(statement).all()
        times.append((time.perf_counter() - started) * 1000)
    db_session.rollback()
    return round(statistics.median(times), 1)


def _intake(client, tokens: list[str], point, count: int) -> list[float]:
    times = []
    for index in range(count):
        started = time.perf_counter()
        response = client.post("/api/v1/matters", headers={"Authorization": f"Bearer {tokens[index % len(tokens)]}"},
                               json={"category": "ROAD-LIGHT", "description": "基准上报",
                                     "location": {"lng": point[0], "lat": point[1]}})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.get_json()
    return times


def cockpit_requests(district: dict, street: dict, community: dict, today) -> list[tuple[str, dict, str]]:
    """The cockpit's requests a leader's screen makes, as (name, the caller's headers, path): the
    figures of 30 and 365 days at each level, last month's assessment of streets and communities,
    the live stats."""
    last_year = f"/api/v1/matters/figures?from={(today - timedelta(days=364)).isoformat()}&to={today.isoformat()}"
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return [
        ("figures_district_30d", district, "/api/v1/matters/figures"),
        ("figures_district_365d", district, last_year),
        ("figures_street_365d", street, last_year),
        ("figures_community_30d", community, "/api/v1/matters/figures"),
        ("assessment_streets_month", district, f"/api/v1/assessment?level=street&from_month={last_month}"
         f"&to_month={last_month}&page_size=50"),
        ("assessment_communities_month", district, f"/api/v1/assessment?level=community&from_month={last_month}"
         f"&to_month={last_month}&page_size=50"),
        ("stats_streets_live", district, "/api/v1/matters/stats?level=street"),
        ("stats_cells_community", community, "/api/v1/matters/stats?level=grid_cell&page_size=100"),
    ]


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("BENCH_DATABASE_URL is not set: run `make bench`")
    n_matters = int(os.environ.get("BENCH_MATTERS", "1000000"))
    reset(url)
    conn = psycopg2.connect(url)
    generated = generate_places(conn, districts=1)
    config = TestingConfig()
    config.DATABASE_URL = url
    config.ACCESS_TOKEN_TTL = config.SESSION_IDLE_TIMEOUT = 6 * 3600
    app = create_app(config)
    people = _users(conn, passwords.hash_password(passwords.hasher_from(app.config), PASSWORD))

    started = time.perf_counter()
    generate_matters(conn, n_matters, reporter_id=people["reporter"], unit_id=people["unit"])
    generate_seconds = time.perf_counter() - started
    print(f"generated {generated['counts']['grid_cell']} cells and {n_matters} matters in {generate_seconds:.0f} s",
          flush=True)
    results = {"cells": generated["counts"]["grid_cell"], "matters": n_matters,
               "generate_seconds": round(generate_seconds, 1)}

    with app.app_context():
        started = time.perf_counter()
        results["fact_rows"] = facts.rebuild(db_session)
        db_session.commit()
        db_session.execute(text("ANALYZE matter_day_facts"))
        db_session.commit()
        results["rebuild_seconds"] = round(time.perf_counter() - started, 1)
        print(f"rebuilt {results['fact_rows']} rows of per-day figures in {results['rebuild_seconds']} s", flush=True)
        results["sql_year_from_facts_ms"] = _sql_median(FACTS_YEAR)
        results["sql_year_from_matters_ms"] = _sql_median(NAIVE_YEAR)
        results["sql_facts_vs_matters"] = round(results["sql_year_from_matters_ms"] / results["sql_year_from_facts_ms"], 1)
        db_session.remove()

    client = app.test_client()

    def login(username):
        token = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).get_json()
        return {"Authorization": f"Bearer {token['access_token']}"}

    district, street, community = (login(f"bench_{r}") for r in ("district_admin", "street_admin", "community_staff"))
    runs = int(os.environ.get("BENCH_REQUESTS", "60"))
    today = datetime.now(UTC).date()
    this_month = today.strftime("%Y-%m")
    year_ago = (today.replace(day=1) - timedelta(days=330)).strftime("%Y-%m")  # eleven months back: twelve in all
    cases = [
        ("baseline_me", district, "/api/v1/me"),
        *cockpit_requests(district, street, community, today),
        ("assessment_communities_12_months", district, f"/api/v1/assessment?level=community&from_month={year_ago}"
         f"&to_month={this_month}&page_size=50"),
        ("baseline_me_again", district, "/api/v1/me"),
    ]
    for name, headers, path in cases:
        results[name] = measure(client, [path] * runs, headers, warmup=3)
        print(f"{name:<30}{results[name]['median_ms']:>9} ms  p99 {results[name]['p99_ms']} ms", flush=True)

    # the trigger's cost on intake: alternate blocks with it on and off (the owner switches it)
    tokens = [login(name)["Authorization"].split()[1] for name in people["residents"]]
    on, off = [], []
    with conn.cursor() as cur:
        for block in range(INTAKE_BLOCKS * 2):
            enabled = block % 2 == 0
            cur.execute(f"ALTER TABLE matters {'ENABLE' if enabled else 'DISABLE'} TRIGGER matter_facts")
            conn.commit()
            (on if enabled else off).extend(_intake(client, tokens, people["point"], INTAKE_BLOCK))
        cur.execute("ALTER TABLE matters ENABLE TRIGGER matter_facts")
        conn.commit()
    results["intake_trigger_on_median_ms"] = round(statistics.median(on), 2)
    results["intake_trigger_off_median_ms"] = round(statistics.median(off), 2)
    results["intake_trigger_ratio"] = round(statistics.median(on) / statistics.median(off), 3)
    conn.close()

    write_results("cockpit", results)


if __name__ == "__main__":
    main()
