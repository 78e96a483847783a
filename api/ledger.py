"""Ledgers (台账) as Excel workbooks: a list's own query, at most EXPORT_LIMIT rows, audited.

Every text cell is stored as text, never as a formula (a summary that starts with "=" stays words).
Each domain names its columns and how an object becomes a row; what a ledger holds is what the list
shows the same caller, masked where the list masks."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from flask import Response, current_app
from sqlalchemy import Select

from api import audit, ratelimit
from api.china_time import CHINA
from models.db import db_session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LIMIT = 10000
XLSX_DOC = {"responses": {"200": {"description": "An Excel workbook (.xlsx): the filtered list, 台账",
                                  "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}}


def workbook(sheet_title: str, columns: Sequence[str], rows: list[list]) -> bytes:
    """One sheet: a header row and the rows; text cells as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title)
    sheet.append(list(columns))
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def limit_exports(action: str, object_type: str) -> None:
    """At most EXPORTS_PER_HOUR exports an hour per user, of every ledger together (and the grid
    cells' file): 429 above, the refusal audited as ``action``. Counted before the query runs."""
    ratelimit.per_user("export", current_app.config["EXPORTS_PER_HOUR"], audit_action=action, object_type=object_type)


def export(stmt: Select, *, title: str, filename: str, columns: Sequence[str], row: Callable[[object], list],
           action: str, object_type: str, filters: dict, prepare: Callable[[list], object] | None = None) -> Response:
    """Run the list's query (first EXPORT_LIMIT rows), record the export in the audit log, and
    answer the workbook. ``prepare`` may look up what the rows need in one go (names by id).
    Within the caller's EXPORTS_PER_HOUR (429 above)."""
    limit_exports(action, object_type)
    objects = db_session.scalars(stmt.limit(EXPORT_LIMIT)).unique().all()
    if prepare is not None:
        prepare(objects)
    rows = [row(o) for o in objects]
    audit.record(action, object_type=object_type, detail={"rows": len(rows), "filters": sorted(filters)})
    db_session.commit()
    return Response(workbook(title, columns, rows), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def when(moment) -> str:
    """A timestamp as a ledger shows it: China time to the minute."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment is not None else ""
