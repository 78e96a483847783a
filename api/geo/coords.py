"""Conversions between the coordinate systems used by map SDKs in China.

* WGS-84 (GPS 坐标): what GPS receivers and HTML5 geolocation report, and what
  we store in PostGIS (EPSG:4326).
* GCJ-02 (火星坐标, "Mars coordinates"): the legally mandated obfuscated datum
  used by AMap/高德, Tencent and the WeChat map component. It is WGS-84 plus a
  non-linear offset of a few hundred metres; it has no EPSG code and its
  inverse has no closed form, so ``gcj02_to_wgs84`` solves for it numerically.
* BD-09 (百度坐标): Baidu's second obfuscation layered on top of GCJ-02.

The forward GCJ-02 algorithm is the widely circulated one (Krasovsky 1940
ellipsoid, polynomial + sine offset around 105 E / 35 N), identical to the
open-source "coordtransform" / "eviltransform" implementations, so our values
agree with what AMap and Baidu clients produce.

Offsets only apply inside a rough bounding box of China (``out_of_china``).
Outside it both GCJ-02 and BD-09 are plain WGS-84: the obfuscation is only
mandated in China, and Baidu documents that its SDKs use WGS-84 abroad.
Near the box edges the transforms are discontinuous, so a point within a few
hundred metres of the box edge may not round-trip; no part of China's
territory is that close to the box edge.

Pure standard library on purpose: used by request validation and scripts alike.
"""

import enum
import math

__all__ = [
    "CoordSystem",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "valid_lng_lat",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]


class CoordSystem(enum.StrEnum):
    wgs84 = "wgs84"
    gcj02 = "gcj02"
    bd09 = "bd09"


# Krasovsky 1940 ellipsoid, as baked into the GCJ-02 algorithm (not WGS-84's).
_A = 6378245.0
_EE = 0.00669342162296594323
# Baidu's magic angular factor.
_X_PI = math.pi * 3000.0 / 180.0
# Offset Baidu adds after its rotation/scaling step.
_BD_DLNG = 0.0065
_BD_DLAT = 0.006

# Iterative inverses stop once the forward transform of the estimate lands
# this close (degrees, ~0.1 mm) to the input; 1e-9 leaves a wide margin below
# the 1e-7 degrees (~1 cm) accuracy we promise.
_TOLERANCE = 1e-9
# Each round shrinks the error by a factor of ~100 or more, so 2-4 rounds are
# normal; the cap only guards against pathological input.
_MAX_ROUNDS = 30


def out_of_china(lng: float, lat: float) -> bool:
    """True outside the rough bounding box of China, where no offset applies.

    Written as ``not (inside)`` so that NaN counts as outside and passes
    through the conversions unchanged instead of spreading through the maths.
    """
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj02_raw(lng: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 forward offset without the bounding-box test.

    The inverse iterates on this smooth function so that an estimate stepping
    just outside the box near its edge cannot make the iteration oscillate.
    """
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    # The polynomials yield metres; divide by the meridian / parallel radius of
    # curvature on the Krasovsky ellipsoid to get degrees.
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lng + dlng, lat + dlat


def _bd09_raw(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 -> BD-09 without the bounding-box test (see ``_gcj02_raw``)."""
    z = math.hypot(lng, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.cos(theta) + _BD_DLNG, z * math.sin(theta) + _BD_DLAT


def _invert(forward, lng: float, lat: float, guess: tuple[float, float]) -> tuple[float, float]:
    """Solve ``forward(p) == (lng, lat)`` by fixed-point iteration from ``guess``.

    Both obfuscations are the identity plus a small, slowly varying offset,
    so subtracting the current residual is a strong contraction.
    """
    est_lng, est_lat = guess
    for _ in range(_MAX_ROUNDS):
        fwd_lng, fwd_lat = forward(est_lng, est_lat)
        d_lng, d_lat = fwd_lng - lng, fwd_lat - lat
        if abs(d_lng) < _TOLERANCE and abs(d_lat) < _TOLERANCE:
            break
        est_lng -= d_lng
        est_lat -= d_lat
    return est_lng, est_lat


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 -> GCJ-02 (e.g. a GPS fix to show on an AMap/Tencent map)."""
    if out_of_china(lng, lat):
        return lng, lat
    return _gcj02_raw(lng, lat)


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 -> WGS-84, the exact numerical inverse of ``wgs84_to_gcj02``.

    The popular one-step approximation (subtract the offset computed at the
    GCJ-02 point) is off by up to a metre or so; we iterate instead.
    """
    if out_of_china(lng, lat):
        return lng, lat
    # Starting from the one-step approximation usually needs 2-3 more rounds.
    fwd_lng, fwd_lat = _gcj02_raw(lng, lat)
    return _invert(_gcj02_raw, lng, lat, (2.0 * lng - fwd_lng, 2.0 * lat - fwd_lat))


def gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 -> BD-09 (Baidu)."""
    if out_of_china(lng, lat):
        return lng, lat
    return _bd09_raw(lng, lat)


def bd09_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """BD-09 -> GCJ-02, refined so it exactly inverts ``gcj02_to_bd09``.

    The usual closed form only approximately undoes Baidu's transform (it
    evaluates the sin/cos perturbations at the wrong point); we use it as the
    starting estimate and polish it iteratively.
    """
    if out_of_china(lng, lat):
        return lng, lat
    x = lng - _BD_DLNG
    y = lat - _BD_DLAT
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return _invert(_bd09_raw, lng, lat, (z * math.cos(theta), z * math.sin(theta)))


def wgs84_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 -> BD-09, via GCJ-02 (Baidu defines BD-09 on top of GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lng, lat))


def bd09_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """BD-09 -> WGS-84, via GCJ-02."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))


_TO_WGS84 = {
    CoordSystem.wgs84: lambda lng, lat: (lng, lat),
    CoordSystem.gcj02: gcj02_to_wgs84,
    CoordSystem.bd09: bd09_to_wgs84,
}

_FROM_WGS84 = {
    CoordSystem.wgs84: lambda lng, lat: (lng, lat),
    CoordSystem.gcj02: wgs84_to_gcj02,
    CoordSystem.bd09: wgs84_to_bd09,
}


def to_wgs84(lng: float, lat: float, system: CoordSystem | str) -> tuple[float, float]:
    """Convert a point tagged with ``system`` to WGS-84 for storage/comparison.

    Raises ValueError for an unknown system (``CoordSystem(...)`` does that).
    """
    return _TO_WGS84[CoordSystem(system)](lng, lat)


def from_wgs84(lng: float, lat: float, system: CoordSystem | str) -> tuple[float, float]:
    """Convert a stored WGS-84 point to ``system`` for display on that map.

    Raises ValueError for an unknown system.
    """
    return _FROM_WGS84[CoordSystem(system)](lng, lat)


def valid_lng_lat(lng: float, lat: float) -> bool:
    """True for finite numbers with -180 <= lng <= 180 and -90 <= lat <= 90.

    ints are accepted (JSON ``114`` parses as int) but bools are not, even
    though ``bool`` subclasses ``int``: ``true`` is never a coordinate.
    """
    for value in (lng, lat):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        # Only floats can be NaN/inf; math.isfinite would overflow on huge ints.
        if isinstance(value, float) and not math.isfinite(value):
            return False
    return -180.0 <= lng <= 180.0 and -90.0 <= lat <= 90.0
