"""Tests for the WGS-84 / GCJ-02 / BD-09 conversions in api.geo.coords."""

import math
import random

import pytest

from api.geo.coords import (
    CoordSystem,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    valid_lng_lat,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Round trips must be exact to this many degrees (~1 cm).
ROUND_TRIP_TOL = 1e-7
LUOHE = (114.0, 33.58)
# China's actual extent (Pamirs to the Wusuli, Zengmu Ansha to Mohe), which
# keeps clear of the rough bounding-box edges where the offset switches off.
CHINA_LNG = (73.5, 135.0)
CHINA_LAT = (3.8, 53.6)


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lng, lat) points."""
    radius = 6371008.8  # mean Earth radius
    lat1, lat2 = math.radians(a[1]), math.radians(b[1])
    dlat = lat2 - lat1
    dlng = math.radians(b[0] - a[0])
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


def assert_close(got, want, tol):
    assert abs(got[0] - want[0]) < tol and abs(got[1] - want[1]) < tol, (got, want)


def frange(start: float, stop: float, step: float) -> list[float]:
    n = int(round((stop - start) / step))
    return [start + i * step for i in range(n + 1)]


# --- Published reference values ------------------------------------------------

# wandergis/coordtransform (JS sibling of coordTransform_py, same algorithm),
# test/app.js, published results for the point (116.404, 39.915).
COORDTRANSFORM_POINT = (116.404, 39.915)
COORDTRANSFORM_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
COORDTRANSFORM_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
COORDTRANSFORM_BD09_TO_GCJ02 = (116.39762729119315, 39.90865673957631)

# googollee/eviltransform, go/transform_test.go and python/test.py:
# (wgs lat, wgs lng, gcj lat, gcj lng) -- note lat-first order there.
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]

# hujiulong/gcoord, test/unit/crs/GCJ02.spec.js, checked there to 5 decimals.
GCOORD_POINT = (123.0, 45.0)
GCOORD_GCJ02_TO_WGS84 = (122.99395597, 44.99804071)
GCOORD_GCJ02_TO_BD09 = (123.00636499, 45.00636899)


def test_wgs84_to_gcj02_matches_coordtransform():
    """WGS-84 -> GCJ-02 reproduces coordtransform's published value for (116.404, 39.915)."""
    assert_close(wgs84_to_gcj02(*COORDTRANSFORM_POINT), COORDTRANSFORM_WGS84_TO_GCJ02, 1e-10)


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", EVILTRANSFORM_PAIRS)
def test_wgs84_to_gcj02_matches_eviltransform(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    """WGS-84 -> GCJ-02 reproduces eviltransform's Shanghai/Shenzhen/Beijing test pairs."""
    assert_close(wgs84_to_gcj02(wgs_lng, wgs_lat), (gcj_lng, gcj_lat), 1e-10)


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", EVILTRANSFORM_PAIRS)
def test_gcj02_to_wgs84_inverts_eviltransform_pairs(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    """GCJ-02 -> WGS-84 recovers eviltransform's WGS-84 points to within 1e-7 degrees."""
    assert_close(gcj02_to_wgs84(gcj_lng, gcj_lat), (wgs_lng, wgs_lat), ROUND_TRIP_TOL)


def test_gcj02_to_bd09_matches_coordtransform_and_gcoord():
    """GCJ-02 -> BD-09 reproduces the values published by coordtransform and gcoord."""
    assert_close(gcj02_to_bd09(*COORDTRANSFORM_POINT), COORDTRANSFORM_GCJ02_TO_BD09, 1e-10)
    assert_close(gcj02_to_bd09(*GCOORD_POINT), GCOORD_GCJ02_TO_BD09, 1e-8)


def test_bd09_to_gcj02_refines_coordtransform_closed_form():
    """BD-09 -> GCJ-02 stays within 1e-6 degrees of coordtransform's closed form but inverts exactly."""
    got = bd09_to_gcj02(*COORDTRANSFORM_POINT)
    # The reference is the approximate closed form; our refinement moves it by ~5 cm.
    assert_close(got, COORDTRANSFORM_BD09_TO_GCJ02, 1e-6)
    assert_close(gcj02_to_bd09(*got), COORDTRANSFORM_POINT, 1e-9)
    # ...and the reference itself does not invert exactly, which is why we refine.
    ref_back = gcj02_to_bd09(*COORDTRANSFORM_BD09_TO_GCJ02)
    assert max(abs(ref_back[0] - COORDTRANSFORM_POINT[0]), abs(ref_back[1] - COORDTRANSFORM_POINT[1])) > 1e-7


def test_gcj02_to_wgs84_matches_gcoord():
    """GCJ-02 -> WGS-84 agrees with gcoord's iterative inverse at (123, 45) to its 1e-6 stop criterion."""
    assert_close(gcj02_to_wgs84(*GCOORD_POINT), GCOORD_GCJ02_TO_WGS84, 5e-6)


def test_gcj02_to_wgs84_hits_input_exactly():
    """The GCJ-02 inverse maps back onto its input to within the 1e-9 degree stop criterion."""
    wgs = gcj02_to_wgs84(*COORDTRANSFORM_POINT)
    assert_close(wgs84_to_gcj02(*wgs), COORDTRANSFORM_POINT, 1e-9)


# --- Round trips ---------------------------------------------------------------


def _max_round_trip_error(points):
    worst = 0.0
    for lng, lat in points:
        for forward, inverse in ((wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84)):
            back = inverse(*forward(lng, lat))
            worst = max(worst, abs(back[0] - lng), abs(back[1] - lat))
    return worst


def test_round_trip_grid_over_china():
    """wgs->gcj->wgs and wgs->bd->wgs are exact to 1e-7 degrees on a half-degree grid over China."""
    points = [(lng, lat) for lng in frange(*CHINA_LNG, 0.5) for lat in frange(*CHINA_LAT, 0.5)]
    assert len(points) > 10_000
    assert _max_round_trip_error(points) < ROUND_TRIP_TOL


def test_round_trip_around_luohe():
    """Round trips are exact to 1e-7 degrees on a fine grid within 0.3 degrees of Luohe."""
    lng0, lat0 = LUOHE
    points = [
        (lng, lat) for lng in frange(lng0 - 0.3, lng0 + 0.3, 0.01) for lat in frange(lat0 - 0.3, lat0 + 0.3, 0.01)
    ]
    assert _max_round_trip_error(points) < ROUND_TRIP_TOL


def test_round_trip_random_points_in_china():
    """Round trips are exact to 1e-7 degrees for 2,000 seeded random points in China."""
    rng = random.Random(20240611)
    points = [(rng.uniform(*CHINA_LNG), rng.uniform(*CHINA_LAT)) for _ in range(2000)]
    assert _max_round_trip_error(points) < ROUND_TRIP_TOL


def test_bd09_inverse_round_trip_from_bd09_side():
    """gcj02_to_bd09(bd09_to_gcj02(p)) returns p to 1e-7 degrees for random BD-09 points."""
    rng = random.Random(7)
    for _ in range(500):
        p = (rng.uniform(*CHINA_LNG), rng.uniform(*CHINA_LAT))
        assert_close(gcj02_to_bd09(*bd09_to_gcj02(*p)), p, ROUND_TRIP_TOL)


# --- Magnitude of the offset -----------------------------------------------------


def test_gcj02_offset_near_luohe_is_hundreds_of_metres():
    """The GCJ-02 offset around Luohe is between 300 and 800 metres."""
    lng0, lat0 = LUOHE
    for dlng in (-0.1, 0.0, 0.1):
        for dlat in (-0.1, 0.0, 0.1):
            p = (lng0 + dlng, lat0 + dlat)
            assert 300 < haversine_m(p, wgs84_to_gcj02(*p)) < 800


def test_bd09_offset_exceeds_gcj02_offset_near_luohe():
    """BD-09 adds Baidu's own shift on top of GCJ-02, so the total offset near Luohe is larger."""
    assert haversine_m(LUOHE, wgs84_to_bd09(*LUOHE)) > haversine_m(LUOHE, wgs84_to_gcj02(*LUOHE))


# --- Outside China ---------------------------------------------------------------

OUTSIDE_CHINA = [
    (139.69, 35.69),  # Tokyo (inside the longitude range, east of the box)
    (-0.1276, 51.5072),  # London
    (-74.006, 40.7128),  # New York
    (151.2093, -33.8688),  # Sydney
]


@pytest.mark.parametrize("point", OUTSIDE_CHINA)
def test_no_offset_outside_china(point):
    """Outside China every conversion is the identity."""
    assert out_of_china(*point)
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84):
        assert fn(*point) == point
    for system in CoordSystem:
        assert to_wgs84(*point, system) == point
        assert from_wgs84(*point, system) == point


def test_out_of_china_bounding_box():
    """out_of_china uses the usual rough bounding box, edges included as inside."""
    assert not out_of_china(*LUOHE)
    assert not out_of_china(72.004, 0.8293)
    assert not out_of_china(137.8347, 55.8271)
    assert out_of_china(72.003, 30.0)
    assert out_of_china(137.8348, 30.0)
    assert out_of_china(110.0, 0.8292)
    assert out_of_china(110.0, 55.8272)


def test_nan_passes_through_without_looping():
    """NaN counts as outside China, so conversions return it unchanged instead of iterating."""
    assert out_of_china(math.nan, 33.0)
    lng, lat = gcj02_to_wgs84(math.nan, 33.0)
    assert math.isnan(lng) and lat == 33.0


# --- Dispatch --------------------------------------------------------------------

DISPATCH = [
    (CoordSystem.wgs84, lambda lng, lat: (lng, lat), lambda lng, lat: (lng, lat)),
    (CoordSystem.gcj02, gcj02_to_wgs84, wgs84_to_gcj02),
    (CoordSystem.bd09, bd09_to_wgs84, wgs84_to_bd09),
]


@pytest.mark.parametrize("system, to_fn, from_fn", DISPATCH)
@pytest.mark.parametrize("as_str", [False, True])
def test_to_and_from_wgs84_dispatch(system, to_fn, from_fn, as_str):
    """to_wgs84/from_wgs84 pick the right conversion for enum members and plain strings."""
    tag = system.value if as_str else system
    assert to_wgs84(*LUOHE, tag) == to_fn(*LUOHE)
    assert from_wgs84(*LUOHE, tag) == from_fn(*LUOHE)
    assert_close(to_wgs84(*from_wgs84(*LUOHE, tag), tag), LUOHE, ROUND_TRIP_TOL)


def test_wgs84_tag_is_identity_in_china():
    """A point already tagged wgs84 is stored unchanged, even inside China."""
    assert to_wgs84(*LUOHE, "wgs84") == LUOHE
    assert from_wgs84(*LUOHE, "wgs84") == LUOHE


def test_coord_system_values_are_strings():
    """CoordSystem members compare equal to their API spelling."""
    assert [s.value for s in CoordSystem] == ["wgs84", "gcj02", "bd09"]
    assert CoordSystem.gcj02 == "gcj02"


@pytest.mark.parametrize("system", ["", "utm", "bd09mc", "epsg:4326", "gcj-02", None])
def test_unknown_system_raises_value_error(system):
    """An unknown coord_system tag raises ValueError in both directions."""
    with pytest.raises(ValueError):
        to_wgs84(*LUOHE, system)
    with pytest.raises(ValueError):
        from_wgs84(*LUOHE, system)


# --- Validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "lng, lat",
    [(180.0, 90.0), (-180.0, -90.0), (0.0, 0.0), LUOHE, (114, 33), (-180, 90)],
)
def test_valid_lng_lat_accepts(lng, lat):
    """Finite numbers within [-180, 180] x [-90, 90], edges included, are valid."""
    assert valid_lng_lat(lng, lat)


@pytest.mark.parametrize(
    "lng, lat",
    [
        (180.0001, 0.0),
        (-180.0001, 0.0),
        (0.0, 90.0001),
        (0.0, -90.0001),
        (math.nan, 0.0),
        (0.0, math.nan),
        (math.inf, 0.0),
        (0.0, -math.inf),
        (True, 0.0),
        ("114", "33"),
        (None, 0.0),
        (10**400, 0.0),
    ],
)
def test_valid_lng_lat_rejects(lng, lat):
    """Out-of-range, NaN, infinite and non-numeric values are invalid."""
    assert not valid_lng_lat(lng, lat)
