"""Grid benchmark: 100,000+ cells, then locate and vector-tile latency through the whole app.

    make bench            (or: scripts/bench.sh)

Requests go through the Flask app in-process (authentication, scope, SQL, serialisation), so the
figures are the app's and PostgreSQL's, without HTTP. Every figure is quoted with a baseline
measured in the same run: ``GET /api/v1/me``, the cheapest authenticated request (token check,
session and user lookup). Absolute times on a shared machine drift; the ratios travel better.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg2
from alembic import command
from sqlalchemy import create_engine, text

from api import create_app
from api.auth import passwords
from api.cli import alembic_config
from api.geo.tiles import tile_of
from bench.generate import generate_places
from config import TestingConfig

RESULTS = Path(__file__).resolve().parent / "results"


def reset(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    command.upgrade(alembic_config(url), "head")


def measure(client, urls: list[str], headers: dict, *, warmup: int = 20) -> dict:
    for url in urls[:warmup]:
        client.get(url, headers=headers)
    times, sizes, statuses = [], [], {}
    for url in urls:
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        sizes.append(len(response.data))
    times.sort()
    return {"n": len(times), "median_ms": round(statistics.median(times), 3),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 3),
            "mean_bytes": round(statistics.mean(sizes)), "statuses": statuses}


def write_results(name: str, results: dict) -> None:
    """Each timing against the mean of the run's two /me baselines, written to
    bench/results/<name>.json and printed as a table (other figures as they are)."""
    base = statistics.mean([results["baseline_me"]["median_ms"], results["baseline_me_again"]["median_ms"]])
    for value in results.values():
        if isinstance(value, dict) and "median_ms" in value:
            value["median_vs_baseline"] = round(value["median_ms"] / base, 2)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2))
    print(f"\n{'what':<32}{'n':>6}{'median ms':>11}{'p99 ms':>9}{'× /me':>8}{'bytes':>8}  statuses")
    for key, value in results.items():
        if isinstance(value, dict):
            print(f"{key:<32}{value['n']:>6}{value['median_ms']:>11}{value['p99_ms']:>9}"
                  f"{value['median_vs_baseline']:>8}{value['mean_bytes']:>8}  {value['statuses']}")
        else:
            print(f"{key:<32}{value}")
    print(f"\nwritten to {RESULTS / f'{name}.json'}")


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("BENCH_DATABASE_URL is not set: run `make bench`")
    rng = random.Random(20261127)
    reset(url)
    conn = psycopg2.connect(url)
    started = time.perf_counter()
    generated = generate_places(conn)
    generate_seconds = time.perf_counter() - started
    counts, extent = generated["counts"], generated["extent"]
    print(f"generated {counts} with COPY in {generate_seconds:.1f} s", flush=True)

    config = TestingConfig()
    config.DATABASE_URL = url
    app = create_app(config)
    ph = passwords.hasher_from(app.config)
    with conn.cursor() as cur:
        admin_id = uuid.uuid4()
        cur.execute("INSERT INTO users (id, username, display_name, role, place_id, password_hash) "
                    "VALUES (%s, 'bench_admin', 'bench', 'district_admin', %s, %s)",
                    (str(admin_id), str(generated["first_district"]), passwords.hash_password(ph, "Bench-pass-2026")))
        cur.execute("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
                    "(SELECT boundary::box2d AS b FROM places WHERE id = %s) s", (str(generated["first_district"]),))
        d_extent = cur.fetchone()
    conn.commit()
    conn.close()

    client = app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": "bench_admin", "password": "Bench-pass-2026"}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}

    def random_point(box):
        return rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])

    n = int(os.environ.get("BENCH_REQUESTS", "1000"))
    locate_urls = [f"/api/v1/grid-cells/locate?lng={lng:.6f}&lat={lat:.6f}"
                   for lng, lat in (random_point(extent) for _ in range(n))]
    tile_urls = {}
    for z in (16, 14, 12, 10):
        tile_urls[z] = []
        for _ in range(n // 2):
            x, y = tile_of(*random_point(d_extent), z)
            tile_urls[z].append(f"/api/v1/tiles/grid-cells/{z}/{x}/{y}.mvt")

    results = {"cells": counts["grid_cell"], "generate_seconds": round(generate_seconds, 1)}
    results["baseline_me"] = measure(client, ["/api/v1/me"] * n, headers)
    results["locate"] = measure(client, locate_urls, headers)
    for z, urls in tile_urls.items():
        results[f"tile_z{z}"] = measure(client, urls, headers)
    results["baseline_me_again"] = measure(client, ["/api/v1/me"] * n, headers)
    write_results("grid", results)


if __name__ == "__main__":
    main()
