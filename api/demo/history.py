"""A history of matters written in the database in one statement per batch: the demo's months
behind the cockpit, and the benchmarks' million.

Each matter's stages end a random while after they start, now and then past their time limit;
young matters are often still open, old ones mostly closed and rated. With ``final_only`` every
matter is closed or rejected (the demo keeps its hand-made open matters for the desk). The
timelines (``matter_events``) follow the same times, one step per action, so a historical matter
opened in the console reads like one worked through the app.
"""

from __future__ import annotations

from datetime import datetime

MATTERS_SQL = """
WITH cells AS (SELECT array_agg(id ORDER BY code) AS ids, array_agg(ST_PointOnSurface(boundary) ORDER BY code) AS points,
                      array_agg(path ORDER BY code) AS paths
               FROM places WHERE kind = 'grid_cell' AND path LIKE %(path)s || '%%'),
     cats AS (SELECT array_agg(c.id ORDER BY c.code) AS ids, array_agg(c.name ORDER BY c.code) AS names,
                     array_agg(coalesce(c.accept_hours, p.accept_hours) ORDER BY c.code) AS a,
                     array_agg(coalesce(c.handle_hours, p.handle_hours) ORDER BY c.code) AS h,
                     array_agg(coalesce(c.verify_hours, p.verify_hours) ORDER BY c.code) AS v
              FROM matter_categories c JOIN matter_categories p ON p.id = c.parent_id WHERE c.is_active),
     g AS (SELECT random() AS r_age, random() AS r_state, random() AS r_cell, random() AS r_cat, random() AS r_a,
                  random() AS r_h, random() AS r_v, random() AS r_rate FROM generate_series(1, %(n)s)),
     picked AS (
        SELECT g.*, 1 + floor(g.r_cell * cardinality(cells.ids))::int AS ci, 1 + floor(g.r_cat * cardinality(cats.ids))::int AS ki,
               %(now)s::timestamptz - make_interval(secs => (%(youngest)s + g.r_age * (%(days)s - %(youngest)s)) * 86400)
                   AS created
        FROM g, cells, cats),
     staged AS (
        SELECT p.*, CASE
            WHEN %(final_only)s THEN CASE WHEN r_state < 0.94 THEN 'closed' ELSE 'rejected' END
            WHEN p.created > %(now)s::timestamptz - interval '30 days' THEN CASE
                WHEN r_state < 0.50 THEN 'closed' WHEN r_state < 0.55 THEN 'rejected' WHEN r_state < 0.62 THEN 'submitted'
                WHEN r_state < 0.70 THEN 'accepted' WHEN r_state < 0.76 THEN 'registered'
                WHEN r_state < 0.88 THEN 'dispatched' WHEN r_state < 0.95 THEN 'handled' ELSE 'verified' END
            ELSE CASE WHEN r_state < 0.93 THEN 'closed' WHEN r_state < 0.98 THEN 'rejected' WHEN r_state < 0.985 THEN 'submitted'
                WHEN r_state < 0.99 THEN 'registered' WHEN r_state < 0.995 THEN 'dispatched' ELSE 'handled' END END AS status,
            least(p.created + make_interval(secs => cats.a[p.ki] * 3600 * 1.5 * p.r_a ^ 2), %(now)s::timestamptz) AS accepted_at,
            cats.a[p.ki] AS a, cats.h[p.ki] AS h, cats.v[p.ki] AS v
        FROM picked p, cats),
     timed AS (
        SELECT s.*, least(s.accepted_at + make_interval(secs => s.h * 3600 * 1.3 * s.r_h ^ 2), %(now)s::timestamptz) AS handled_at
        FROM staged s),
     done AS (
        SELECT t.*, least(t.handled_at + make_interval(secs => t.v * 3600 * 1.2 * t.r_v ^ 2), %(now)s::timestamptz) AS verified_at
        FROM timed t)
INSERT INTO matters (category_id, description, location, grid_cell_id, place_path, needs_placement, source, reporter_id, status,
                     level, unit_id, rating, closed_at, stage_started_at, stage_due_at, created_at, updated_at,
                     accept_done_at, accept_late, handle_done_at, handle_late, verify_done_at, verify_late)
SELECT cats.ids[d.ki], cats.names[d.ki] || %(label)s, cells.points[d.ci], cells.ids[d.ci], cells.paths[d.ci], false, 'app', %(reporter)s,
       d.status, 'grid',
       CASE WHEN d.status IN ('dispatched', 'handled', 'verified', 'closed') THEN %(unit)s::uuid END,
       CASE WHEN d.status = 'closed' AND d.r_rate < 0.55 THEN 'satisfied'
            WHEN d.status = 'closed' AND d.r_rate < 0.68 THEN 'basically_satisfied'
            WHEN d.status = 'closed' AND d.r_rate < 0.72 THEN 'dissatisfied' END,
       CASE WHEN d.status = 'closed' THEN d.verified_at END,
       CASE WHEN d.status = 'submitted' THEN d.created WHEN d.status IN ('handled', 'verified') THEN d.handled_at
            ELSE d.accepted_at END,
       CASE WHEN d.status = 'submitted' THEN d.created + make_interval(hours => d.a)
            WHEN d.status IN ('accepted', 'registered', 'dispatched') THEN d.accepted_at + make_interval(hours => d.h)
            WHEN d.status IN ('handled', 'verified') THEN d.handled_at + make_interval(hours => d.v) END,
       d.created, d.created,
       CASE WHEN d.status <> 'submitted' THEN d.accepted_at END,
       CASE WHEN d.status <> 'submitted' THEN d.accepted_at > d.created + make_interval(hours => d.a) END,
       CASE WHEN d.status IN ('handled', 'verified', 'closed') THEN d.handled_at END,
       CASE WHEN d.status IN ('handled', 'verified', 'closed') THEN d.handled_at > d.accepted_at + make_interval(hours => d.h) END,
       CASE WHEN d.status = 'closed' THEN d.verified_at END,
       CASE WHEN d.status = 'closed' THEN d.verified_at > d.handled_at + make_interval(hours => d.v) END
FROM done d, cells, cats
RETURNING id
"""

# The timeline of each matter just written, step by step at the times its columns hold.
EVENTS_SQL = """
INSERT INTO matter_events (matter_id, at, actor_role, action, from_status, to_status, data)
SELECT m.id, e.at, e.role, e.action, e.from_status, e.to_status, e.data
FROM matters m CROSS JOIN LATERAL (VALUES
    (m.created_at, 'resident', 'submit', NULL, 'submitted', NULL::jsonb, true),
    (m.accept_done_at, 'community_staff', 'reject', 'submitted', 'rejected', NULL, m.status = 'rejected'),
    (m.accept_done_at, 'community_staff', 'accept', 'submitted', 'accepted', NULL, m.status NOT IN ('submitted', 'rejected')),
    (m.accept_done_at + interval '2 minutes', 'community_staff', 'register', 'accepted', 'registered', NULL,
     m.status NOT IN ('submitted', 'rejected', 'accepted')),
    (m.accept_done_at + interval '5 minutes', 'community_staff', 'dispatch', 'registered', 'dispatched',
     jsonb_build_object('unit_id', m.unit_id), m.status IN ('dispatched', 'handled', 'verified', 'closed')),
    (m.handle_done_at, 'unit_staff', 'handle', 'dispatched', 'handled', NULL, m.status IN ('handled', 'verified', 'closed')),
    (coalesce(m.verify_done_at - interval '10 minutes', least(m.handle_done_at + interval '1 hour', now())),
     'grid_member', 'verify',
     'handled', 'verified', NULL, m.status IN ('verified', 'closed')),
    (m.closed_at, 'community_staff', 'close', 'verified', 'closed', NULL, m.status = 'closed'),
    (m.closed_at + interval '3 hours', 'resident', 'rate', 'closed', 'closed', jsonb_build_object('rating', m.rating),
     m.rating IS NOT NULL)
) AS e(at, role, action, from_status, to_status, data, happened)
WHERE m.id = ANY(%(ids)s::uuid[]) AND e.happened
ORDER BY m.id, e.at
"""


def generate(conn, n: int, *, now: datetime, days: int, reporter_id, unit_id, path: str = "/",
             youngest_days: float = 0, final_only: bool = False, events: bool = True,
             label: str = "（历史）") -> int:
    """Write ``n`` matters reported between ``days`` and ``youngest_days`` ago in the cells under
    ``path``, through a DB-API connection (psycopg2, or SQLAlchemy's ``exec_driver_sql``'s);
    their timelines too unless ``events`` is false. Returns how many were written."""
    params = {"n": n, "now": now, "days": days, "youngest": youngest_days, "final_only": final_only, "path": path,
              "reporter": str(reporter_id), "unit": str(unit_id), "label": label}
    cursor = conn.cursor()
    cursor.execute(MATTERS_SQL, params)
    ids = [row[0] for row in cursor.fetchall()]
    if events and ids:
        cursor.execute(EVENTS_SQL, {"ids": [str(i) for i in ids]})
    cursor.close()
    return len(ids)
