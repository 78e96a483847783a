"""Tests for the demo district geography generator (no database needed)."""

import math
import re

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon

from api.demo.geography import build_demo_district

# Local equal-area approximation around Luohe: degrees -> metres.
_LAT0 = 33.58
_SCALE = np.array([math.cos(math.radians(_LAT0)) * 111320.0, 110540.0])
_TOLERANCE_M2 = 1.0
_KINDS = {"residential", "commercial", "mixed", "dedicated"}


def _metres(geom):
    return shapely.transform(geom, lambda xy: xy * _SCALE)


def _area_m2(geom) -> float:
    return _metres(geom).area


@pytest.fixture(scope="module")
def district():
    return build_demo_district()


def _communities(district):
    return [c for s in district.streets for c in s.communities]


def _cells(district):
    return [cell for c in _communities(district) for cell in c.cells]


def _all_units(district):
    return [district, *district.streets, *_communities(district), *_cells(district)]


def _families(district):
    """(parent, children boundaries) for every level of the hierarchy."""
    yield district, [s.boundary for s in district.streets]
    for street in district.streets:
        yield street, [c.boundary for c in street.communities]
        for community in street.communities:
            yield community, [cell.boundary for cell in community.cells]


def _snapshot(d):
    return [(u.code, u.name, getattr(u, "kind", None), u.boundary.wkb) for u in _all_units(d)]


def test_build_is_deterministic():
    """Two builds give identical codes, names, kinds and boundary WKB."""
    first, second = build_demo_district(), build_demo_district()
    assert _snapshot(first) == _snapshot(second)
    assert first == second


def test_district_and_streets(district):
    """District is 召陵区 411104 with the three streets in the agreed order."""
    assert (district.code, district.name) == ("411104", "召陵区")
    assert [(s.code, s.name) for s in district.streets] == [
        ("411104001", "天桥街道"),
        ("411104002", "翟庄街道"),
        ("411104003", "东城街道"),
    ]


def test_first_community_is_lijiang_road(district):
    """天桥街道's first community is 漓江路社区 with code 411104001001."""
    first = district.streets[0].communities[0]
    assert (first.code, first.name) == ("411104001001", "漓江路社区")


def test_counts(district):
    """At least 9 communities, at least 100 cells, 11-13 cells per community."""
    communities = _communities(district)
    assert len(communities) >= 9
    assert all(3 <= len(s.communities) <= 5 for s in district.streets)
    assert len(_cells(district)) >= 100
    assert all(11 <= len(c.cells) <= 13 for c in communities)


def test_code_formats_prefixes_and_serials(district):
    """Codes are digits of the right length, extend the parent code and count up from 001."""
    for street_no, street in enumerate(district.streets, start=1):
        assert re.fullmatch(r"\d{9}", street.code)
        assert street.code == f"{district.code}{street_no:03d}"
        for community_no, community in enumerate(street.communities, start=1):
            assert re.fullmatch(r"\d{12}", community.code)
            assert community.code == f"{street.code}{community_no:03d}"
            for cell_no, cell in enumerate(community.cells, start=1):
                assert re.fullmatch(r"\d{15}", cell.code)
                assert cell.code == f"{community.code}{cell_no:03d}"


def test_codes_and_names_unique(district):
    """Codes are unique overall and community and cell names are unique."""
    codes = [u.code for u in _all_units(district)]
    assert len(codes) == len(set(codes))
    community_names = [c.name for c in _communities(district)]
    assert len(community_names) == len(set(community_names))
    assert all(name.endswith("社区") for name in community_names)
    cell_names = [c.name for c in _cells(district)]
    assert len(cell_names) == len(set(cell_names))


def test_cell_names_follow_community(district):
    """Each cell is named "<community name>第N网格" with N its serial."""
    for community in _communities(district):
        for n, cell in enumerate(community.cells, start=1):
            assert cell.name == f"{community.name}第{n}网格"


def test_cell_kinds(district):
    """Kinds are valid, mostly residential, some commercial/mixed, at most one dedicated per street."""
    cells = _cells(district)
    kinds = [c.kind for c in cells]
    assert set(kinds) <= _KINDS
    assert kinds.count("residential") > len(kinds) / 2
    assert "commercial" in kinds and "mixed" in kinds
    for street in district.streets:
        dedicated = [cell for c in street.communities for cell in c.cells if cell.kind == "dedicated"]
        assert len(dedicated) <= 1


def test_boundaries_are_valid_2d_multipolygons(district):
    """Every boundary is a valid, 2D MultiPolygon without empty parts."""
    for unit in _all_units(district):
        geom = unit.boundary
        assert isinstance(geom, MultiPolygon), unit.code
        assert geom.is_valid, (unit.code, shapely.is_valid_reason(geom))
        assert not geom.is_empty and not geom.has_z, unit.code
        assert all(not part.is_empty and part.area > 0 for part in geom.geoms), unit.code


def test_children_tile_parent(district):
    """At every level the union of the children equals the parent (< 1 m² difference)."""
    for parent, children in _families(district):
        union = shapely.union_all(children)
        assert _area_m2(union.symmetric_difference(parent.boundary)) < _TOLERANCE_M2, parent.code


def test_siblings_do_not_overlap(district):
    """No two siblings overlap by 1 m² or more."""
    for parent, children in _families(district):
        for i, a in enumerate(children):
            for b in children[i + 1 :]:
                if a.intersects(b):
                    assert _area_m2(a.intersection(b)) < _TOLERANCE_M2, parent.code


def test_children_inside_parent(district):
    """Every child lies inside its parent (< 1 m² outside)."""
    for parent, children in _families(district):
        for child in children:
            assert _area_m2(child.difference(parent.boundary)) < _TOLERANCE_M2, parent.code


def test_cells_share_edges_exactly(district):
    """All cells of the district form an exact coverage (identical shared vertices, no slivers)."""
    assert shapely.coverage_is_valid([c.boundary for c in _cells(district)])


def test_coordinates_rounded_to_seven_decimals(district):
    """All vertices sit on the 1e-7 degree grid."""
    coords = shapely.get_coordinates([u.boundary for u in _all_units(district)]) * 1e7
    assert np.allclose(coords, np.round(coords), rtol=0, atol=1e-3)


def test_bounding_box_around_luohe(district):
    """The district lies around Luohe, roughly 113.98-114.08 E, 33.54-33.62 N."""
    minx, miny, maxx, maxy = district.boundary.bounds
    assert 113.97 <= minx < 114.0 and 114.06 < maxx <= 114.09
    assert 33.53 <= miny < 33.56 and 33.60 < maxy <= 33.63


def test_unit_sizes_are_plausible(district):
    """Communities are about 1-2.5 km across and cells a few hundred metres."""
    for community in _communities(district):
        assert 1000 <= math.sqrt(_area_m2(community.boundary)) <= 2500, community.code
    for cell in _cells(district):
        assert 200 <= math.sqrt(_area_m2(cell.boundary)) <= 1000, cell.code
