"""Deterministic geography of the GridGov demo district.

The demo district is modelled on 召陵区 (Zhaoling district, Luohe, Henan) and
uses the county-level code "411104". That code has NOT been verified against
the official administrative division list. Everything else here -- street,
community and cell codes, names, kinds and every boundary -- is invented demo
data and does not describe real administrative areas.

Construction (pure Python + shapely, no database):

1. An irregular district outline is drawn in a local metric plane (metres
   east/north of a point near Luohe).
2. The district is split top-down into streets, each street into communities
   and each community into grid cells, using Voronoi diagrams of seeded
   points (a few Lloyd relaxation steps keep the pieces evenly sized) clipped
   to the parent.
3. The cell boundaries are converted to WGS-84 lng/lat, noded together on a
   1e-7 degree grid and polygonized. Every cell, community, street and the
   district is then rebuilt as the coverage union of those faces, so shared
   edges use identical vertices at every level and parents equal the union of
   their children exactly.

A fixed seed makes the output identical on every call.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Polygon

__all__ = [
    "CellSpec",
    "CommunitySpec",
    "StreetSpec",
    "DistrictSpec",
    "build_demo_district",
]


@dataclass(frozen=True)
class CellSpec:
    code: str  # 15 digits: community's 12 digits + 3-digit serial "001"..
    name: str  # e.g. "漓江路社区第1网格"
    kind: str  # one of "residential", "commercial", "mixed", "dedicated"
    boundary: MultiPolygon  # WGS-84 lng/lat, valid, 2D


@dataclass(frozen=True)
class CommunitySpec:
    code: str  # 12 digits: street's 9 digits + 3-digit serial
    name: str
    boundary: MultiPolygon
    cells: tuple[CellSpec, ...]


@dataclass(frozen=True)
class StreetSpec:
    code: str  # 9 digits: district's 6 digits + 3
    name: str
    boundary: MultiPolygon
    communities: tuple[CommunitySpec, ...]


@dataclass(frozen=True)
class DistrictSpec:
    code: str  # "411104"
    name: str  # "召陵区"
    boundary: MultiPolygon
    streets: tuple[StreetSpec, ...]


DISTRICT_CODE = "411104"  # unverified, see module docstring
DISTRICT_NAME = "召陵区"

# Streets in code order, each with its invented communities. The street
# pieces are assigned west -> east, so 东城街道 ("east town") ends up east.
STREETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("411104001", "天桥街道", ("漓江路社区", "嵩山路社区", "黄河路社区", "长江路社区")),
    ("411104002", "翟庄街道", ("翟庄社区", "泰山路社区", "湘江路社区", "淞江路社区")),
    ("411104003", "东城街道", ("东城社区", "人民东路社区", "太白山路社区", "珠江路社区", "赣江路社区")),
)

# Cells per community are drawn from this range.
CELLS_PER_COMMUNITY = (11, 13)

# Local plane origin (district centre) and the metres-per-degree factors of a
# simple equirectangular approximation, adequate at district scale.
ORIGIN_LNG = 114.03
ORIGIN_LAT = 33.58
M_PER_DEG_LNG = math.cos(math.radians(ORIGIN_LAT)) * 111320.0
M_PER_DEG_LAT = 110540.0

# Output coordinates are snapped to this grid (7 decimals ~ 1 cm).
GRID_SIZE = 1e-7

_GEOMETRY_SEED = 411104
_ATTRIBUTE_SEED = 4111040


def build_demo_district() -> DistrictSpec:
    """Build the demo district; identical output on every call."""
    geo_rng = random.Random(_GEOMETRY_SEED)
    attr_rng = random.Random(_ATTRIBUTE_SEED)

    # --- 1+2: top-down partition in the metric plane -----------------------
    district_m = _district_outline(geo_rng)
    street_pieces = _partition(district_m, len(STREETS), geo_rng, band=None)
    street_pieces.sort(key=lambda p: p.centroid.x)  # west -> east

    # nested[street][community] = list of metric cell polygons
    nested: list[list[list[Polygon]]] = []
    for street_m, (_, _, community_names) in zip(street_pieces, STREETS):
        communities_m = _partition(street_m, len(community_names), geo_rng, band=1500.0)
        nested.append(
            [
                _partition(community_m, geo_rng.randint(*CELLS_PER_COMMUNITY), geo_rng, band=500.0)
                for community_m in communities_m
            ]
        )

    # --- 3: node all cell edges on the output grid, rebuild every level ----
    flat_cells_m = [cell for street in nested for community in street for cell in community]
    cell_faces = _snap_to_shared_faces([_to_lnglat(c) for c in flat_cells_m])

    kinds = _assign_kinds(nested, attr_rng)

    streets: list[StreetSpec] = []
    flat_index = 0
    for s_idx, (street_code, street_name, community_names) in enumerate(STREETS):
        communities: list[CommunitySpec] = []
        street_faces: list[Polygon] = []
        for c_idx, community_name in enumerate(community_names):
            community_code = f"{street_code}{c_idx + 1:03d}"
            cells: list[CellSpec] = []
            community_faces: list[Polygon] = []
            for k in range(len(nested[s_idx][c_idx])):
                faces = cell_faces[flat_index]
                flat_index += 1
                community_faces.extend(faces)
                cells.append(
                    CellSpec(
                        code=f"{community_code}{k + 1:03d}",
                        name=f"{community_name}第{k + 1}网格",
                        kind=kinds[s_idx][c_idx][k],
                        boundary=_merge(faces),
                    )
                )
            street_faces.extend(community_faces)
            communities.append(
                CommunitySpec(
                    code=community_code,
                    name=community_name,
                    boundary=_merge(community_faces),
                    cells=tuple(cells),
                )
            )
        streets.append(
            StreetSpec(
                code=street_code,
                name=street_name,
                boundary=_merge(street_faces),
                communities=tuple(communities),
            )
        )

    all_faces = [f for faces in cell_faces for f in faces]
    return DistrictSpec(
        code=DISTRICT_CODE,
        name=DISTRICT_NAME,
        boundary=_merge(all_faces),
        streets=tuple(streets),
    )


# ---------------------------------------------------------------------------
# Metric-plane construction
# ---------------------------------------------------------------------------


def _district_outline(rng: random.Random) -> Polygon:
    """Irregular, star-shaped outline roughly 8.6 km x 7.2 km (about 48 km²)."""
    # A few random low harmonics wobble an ellipse; amplitudes stay small so
    # the radius is always positive and the ring cannot self-intersect.
    harmonics = [(j, rng.uniform(0.025, 0.06), rng.uniform(0.0, 2 * math.pi)) for j in range(2, 7)]
    rx, ry = 4300.0, 3600.0
    ring = []
    n = 72
    for i in range(n):
        t = 2 * math.pi * i / n
        wobble = 1.0 + sum(a * math.sin(j * t + phase) for j, a, phase in harmonics)
        wobble *= 1.0 + rng.uniform(-0.015, 0.015)  # small jitter: less "drawn"
        ring.append((rx * wobble * math.cos(t), ry * wobble * math.sin(t)))
    return Polygon(ring)


def _partition(parent: Polygon, n: int, rng: random.Random, band: float | None) -> list[Polygon]:
    """Split `parent` into `n` single polygons: clipped, Lloyd-relaxed Voronoi.

    Retries with fresh seeds if a piece comes out multi-part (a concave parent
    can cut a Voronoi region in two) or much smaller than average. Pieces are
    returned in reading order: north -> south in bands of `band` metres, then
    west -> east (seed order if `band` is None).
    """
    mean_area = parent.area / n
    for _attempt in range(100):
        seeds = _sample_points(parent, n, rng)
        # Only a few relaxation steps: even sizes, but not a honeycomb.
        for _ in range(3):
            pieces = _clipped_voronoi(parent, seeds)
            seeds = shapely.get_coordinates(shapely.centroid(pieces))
        pieces = _clipped_voronoi(parent, seeds)
        if all(isinstance(p, Polygon) and not p.is_empty for p in pieces) and min(
            p.area for p in pieces
        ) > 0.35 * mean_area:
            result = list(pieces)
            if band is not None:
                result.sort(key=lambda p: (-math.floor(p.centroid.y / band), p.centroid.x))
            return result
    raise RuntimeError("could not partition parent polygon")  # pragma: no cover


def _sample_points(parent: Polygon, n: int, rng: random.Random) -> np.ndarray:
    """`n` uniform random points inside `parent` (rejection sampling)."""
    minx, miny, maxx, maxy = parent.bounds
    points: list[tuple[float, float]] = []
    while len(points) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(parent, x, y):
            points.append((x, y))
    return np.array(points)


def _clipped_voronoi(parent: Polygon, seeds: np.ndarray) -> np.ndarray:
    """Voronoi regions of `seeds` (in seed order) intersected with `parent`."""
    extent = shapely.buffer(parent.envelope, 1000.0)
    regions = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(seeds), extend_to=extent, ordered=True))
    return shapely.intersection(regions, parent)


# ---------------------------------------------------------------------------
# Conversion to lng/lat and exact shared edges
# ---------------------------------------------------------------------------


def _to_lnglat(geom):
    """Metric plane -> WGS-84 lng/lat (inverse of the local approximation)."""
    scale = np.array([1.0 / M_PER_DEG_LNG, 1.0 / M_PER_DEG_LAT])
    origin = np.array([ORIGIN_LNG, ORIGIN_LAT])
    return shapely.transform(geom, lambda xy: xy * scale + origin)


def _snap_to_shared_faces(cells: list[Polygon]) -> list[list[Polygon]]:
    """Node all cell edges on the output grid and give each cell its faces.

    Snap-rounded noding inserts every vertex into every edge passing through
    it, so the polygonized faces share edges exactly (no slivers, no
    T-junctions), also across community and street borders.
    """
    edges = shapely.union_all(shapely.boundary(cells), grid_size=GRID_SIZE)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(edges)))
    tree = shapely.STRtree(cells)
    assigned: list[list[Polygon]] = [[] for _ in cells]
    for face in faces:
        candidates = tree.query(face)
        overlaps = shapely.area(shapely.intersection(np.asarray(cells, dtype=object)[candidates], face))
        assigned[int(candidates[int(np.argmax(overlaps))])].append(face)
    if any(not f for f in assigned):  # pragma: no cover - would be a construction bug
        raise RuntimeError("a cell received no faces")
    return assigned


def _merge(faces: list[Polygon]) -> MultiPolygon:
    """Union of exactly edge-sharing faces, always as a MultiPolygon."""
    merged = shapely.coverage_union_all(faces)
    if isinstance(merged, Polygon):
        return MultiPolygon([merged])
    if isinstance(merged, MultiPolygon):
        return merged
    raise RuntimeError(f"unexpected union type {merged.geom_type}")  # pragma: no cover


# ---------------------------------------------------------------------------
# Attributes
# ---------------------------------------------------------------------------


def _assign_kinds(nested: list[list[list[Polygon]]], rng: random.Random) -> list[list[list[str]]]:
    """Mostly residential cells, some commercial/mixed, one dedicated per street."""
    kinds: list[list[list[str]]] = []
    for street in nested:
        street_kinds = [
            rng.choices(["residential", "commercial", "mixed"], weights=[70, 15, 15], k=len(community))
            for community in street
        ]
        # A dedicated cell (school, hospital, industrial park ...) per street.
        c = rng.randrange(len(street_kinds))
        street_kinds[c][rng.randrange(len(street_kinds[c]))] = "dedicated"
        kinds.append(street_kinds)
    return kinds
