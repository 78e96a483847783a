"""City-scale places for benchmarks, written with COPY: districts → streets → communities → cells.

Cells are squares of about 300 m laid out row by row around Luohe, so communities, streets and
districts are unions of neighbouring squares and every level tiles its parent exactly.
"""

from __future__ import annotations

import io
import uuid

ORIGIN_LNG, ORIGIN_LAT = 113.5, 33.1
CELL_DEG = 0.003  # ≈ 280 m × 330 m at 33.6° N


def _square(col: int, row: int, cols: int = 1, rows: int = 1) -> str:
    x0, y0 = ORIGIN_LNG + col * CELL_DEG, ORIGIN_LAT + row * CELL_DEG
    x1, y1 = x0 + cols * CELL_DEG, y0 + rows * CELL_DEG
    return f"SRID=4326;MULTIPOLYGON((({x0:.6f} {y0:.6f},{x1:.6f} {y0:.6f},{x1:.6f} {y1:.6f},{x0:.6f} {y1:.6f},{x0:.6f} {y0:.6f})))"


def generate_places(conn, *, districts: int = 10, streets: int = 20, communities: int = 42,
                    cells: tuple[int, int] = (4, 3)) -> dict:
    """Write the places through COPY on a psycopg2 connection; returns counts and the first district's id.

    Each community is a block of cells[0] × cells[1] squares; communities of a street sit in one
    column of blocks, streets of a district side by side, districts in a row of bands.
    """
    cw, ch = cells
    buffer = io.StringIO()
    counts = {"district": 0, "street": 0, "community": 0, "grid_cell": 0}
    first_district = None

    def row(place_id, kind, code, name, parent_id, path, boundary, cell_kind):
        buffer.write("\t".join([str(place_id), kind, code, name, str(parent_id) if parent_id else r"\N", path,
                                boundary, cell_kind or r"\N", "f"]) + "\n")
        counts[kind] += 1

    for d in range(districts):
        d_id = uuid.uuid4()
        first_district = first_district or d_id
        d_code = f"{419000 + d:06d}"
        d_path = f"/{d_id}/"
        d_col = d * streets * cw
        row(d_id, "district", d_code, f"基准区{d + 1}", None, d_path,
            _square(d_col, 0, streets * cw, communities * ch), None)
        for s in range(streets):
            s_id = uuid.uuid4()
            s_code = f"{d_code}{s + 1:03d}"
            s_path = f"{d_path}{s_id}/"
            s_col = d_col + s * cw
            row(s_id, "street", s_code, f"基准区{d + 1}第{s + 1}街道", d_id, s_path, _square(s_col, 0, cw, communities * ch), None)
            for c in range(communities):
                c_id = uuid.uuid4()
                c_code = f"{s_code}{c + 1:03d}"
                c_path = f"{s_path}{c_id}/"
                row(c_id, "community", c_code, f"{s_code}社区{c + 1}", s_id, c_path, _square(s_col, c * ch, cw, ch), None)
                serial = 0
                for i in range(cw):
                    for j in range(ch):
                        serial += 1
                        g_id = uuid.uuid4()
                        row(g_id, "grid_cell", f"{c_code}{serial:03d}", f"{c_code}第{serial}网格", c_id,
                            f"{c_path}{g_id}/", _square(s_col + i, c * ch + j), "residential")
    buffer.seek(0)
    with conn.cursor() as cur:
        cur.copy_expert(
            "COPY places (id, kind, code, name, parent_id, path, boundary, cell_kind, is_demo) FROM STDIN", buffer)
        cur.execute("ANALYZE places")
    conn.commit()
    extent = (ORIGIN_LNG, ORIGIN_LAT, ORIGIN_LNG + districts * streets * cw * CELL_DEG,
              ORIGIN_LAT + communities * ch * CELL_DEG)
    return {"counts": counts, "first_district": first_district, "extent": extent}
