"""A farm's GeoJSON polygon drawn as an inline SVG map: no tiles, no network, every value escaped.

The projection is equirectangular about the centre of the polygon's bounds, longitudes scaled by the
cosine of that latitude, in metres on a sphere of the IUGG mean Earth radius: at the scale of a farm (a
few kilometres) the distortion is far below what a drawing shows. The projected shape is scaled to fit
the drawing area and centred; north is up. The map carries the farm's name and id, the centre in
degrees, its area (or why the polygon is not a valid area), a scale bar of a round length and a north
arrow. ``shapely`` gives the bounds, the area and the validity (``explain_validity``, the reason only). The
labels (units, the north arrow, the map's title) are in the command's language (``pilot.language``).

GeoJSON (RFC 7946 §3.1.6, §3.1.7): a ``Polygon`` is an outer ring then its holes; a ``MultiPolygon`` is a
list of those. The pilot's records carry only ``Polygon`` (``schemas.models.geometry``); a MultiPolygon is
drawn too, so that a map never fails on a shape a future record may carry. Rings are drawn with the
even-odd rule, so a hole shows as a hole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.validation import explain_validity

from pilot.language import tr
from pilot.pictures._errors import PictureError
from pilot.pictures._markup import clipped, escaped, name_text, number

__all__ = ["MAP_HEIGHT", "MAP_WIDTH", "FarmMap", "farm_map_svg", "project_farm", "scale_bar_metres"]

#: IUGG mean Earth radius, metres.
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180.0
#: The drawing (SVG user units = CSS pixels at full size).
MAP_WIDTH, MAP_HEIGHT = 320.0, 268.0
#: Where the shape is drawn: left, top, width, height.
PLOT = (10.0, 52.0, 300.0, 170.0)
#: Positions a map draws at most (a farm polygon has tens).
MAX_POSITIONS = 20_000

Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class FarmMap:
    """A projected farm shape: each ring in the drawing's units (y down), with what the map says about it."""

    #: The polygons, each an outer ring then its holes.
    polygons: tuple[tuple[Ring, ...], ...]
    #: Drawing units per metre on the ground.
    scale: float
    #: Area in square metres (of the valid shape; 0 when it is not valid).
    area_m2: float
    #: Why the shape is not a valid area (shapely's reason), or None.
    problem: str | None
    #: The centre of the bounds, (longitude, latitude) in degrees.
    centre: tuple[float, float]


def _position(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not 2 <= len(value) <= 3:
        raise PictureError(f"{where} is not a GeoJSON position [longitude, latitude]")
    lon, lat = value[0], value[1]
    for number_ in (lon, lat):
        if isinstance(number_, bool) or not isinstance(number_, int | float) or not math.isfinite(number_):
            raise PictureError(f"{where} holds a value that is not a finite number")
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise PictureError(f"{where} lies outside longitude [-180, 180] or latitude [-90, 90]")
    return float(lon), float(lat)


def _rings(value: Any, where: str) -> list[list[tuple[float, float]]]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise PictureError(f"{where} is not a list of linear rings")
    rings = []
    for r, ring in enumerate(value):
        label = f"{where} ring {r}"
        if not isinstance(ring, Sequence) or isinstance(ring, str) or len(ring) < 3:
            raise PictureError(f"{label} has fewer than 3 positions")
        rings.append([_position(p, f"{label} position {i}") for i, p in enumerate(ring)])
    return rings


def _polygons(geometry: Any) -> list[list[list[tuple[float, float]]]]:
    """The geometry's polygons in degrees, checked for shape (RFC 7946 §3.1.6, §3.1.7)."""
    if not isinstance(geometry, Mapping):
        raise PictureError("the geometry is not a GeoJSON object")
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [_rings(coordinates, "the polygon")]
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, Sequence) or isinstance(coordinates, str) or not coordinates:
            raise PictureError("the multipolygon has no polygons")
        polygons = [_rings(p, f"polygon {i}") for i, p in enumerate(coordinates)]
    else:
        raise PictureError(f"a map draws a Polygon or a MultiPolygon, not {clipped(str(kind), 40)!r}")
    count = sum(len(ring) for polygon in polygons for ring in polygon)
    if count > MAX_POSITIONS:
        raise PictureError(f"the geometry has {count} positions, more than a map draws ({MAX_POSITIONS})")
    return polygons


def project_farm(geometry: Any) -> FarmMap:
    """``geometry`` (a GeoJSON Polygon or MultiPolygon) projected and fitted to the drawing area (module doc)."""
    polygons = _polygons(geometry)
    points = [p for polygon in polygons for ring in polygon for p in ring]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    lon0, lat0 = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    east = METRES_PER_DEGREE * math.cos(math.radians(lat0))

    def metres(p: tuple[float, float]) -> tuple[float, float]:
        return (p[0] - lon0) * east, (p[1] - lat0) * METRES_PER_DEGREE

    projected = [[[metres(p) for p in ring] for ring in polygon] for polygon in polygons]
    try:
        shape = MultiPolygon([ShapelyPolygon(polygon[0], polygon[1:]) for polygon in projected])
    except (ShapelyError, ValueError) as exc:
        raise PictureError(f"the geometry is not a drawable polygon: {exc}") from exc
    min_x, min_y, max_x, max_y = shape.bounds
    width_m, height_m = max(max_x - min_x, 1.0), max(max_y - min_y, 1.0)
    left, top, plot_w, plot_h = PLOT
    scale = min(plot_w / width_m, plot_h / height_m)
    x0 = left + (plot_w - (max_x - min_x) * scale) / 2
    y0 = top + (plot_h - (max_y - min_y) * scale) / 2

    def drawn(p: tuple[float, float]) -> tuple[float, float]:
        return x0 + (p[0] - min_x) * scale, y0 + (max_y - p[1]) * scale

    valid = shape.is_valid
    return FarmMap(
        polygons=tuple(tuple(tuple(drawn(p) for p in ring) for ring in polygon) for polygon in projected),
        scale=scale,
        area_m2=shape.area if valid else 0.0,
        # explain_validity ends with the offending point ("Self-intersection[36.61 50.705]"): the reason is enough.
        problem=None if valid else explain_validity(shape).split("[", 1)[0].strip(),
        centre=(lon0, lat0),
    )


def scale_bar_metres(scale: float, longest: float) -> float:
    """The longest round length (1, 2 or 5 times a power of ten metres) drawn no longer than ``longest`` units."""
    limit = longest / scale
    power = 10.0 ** math.floor(math.log10(limit))
    return max(step * power for step in (1.0, 2.0, 5.0) if step * power <= limit)


def _length(metres: float) -> str:
    return tr("{km:g} km", km=metres / 1000) if metres >= 1000 else tr("{m:g} m", m=metres)


def _area(m2: float) -> str:
    hectares = m2 / 10_000
    return (
        tr("{hectares:,.1f} ha", hectares=hectares) if hectares < 100 else tr("{hectares:,.0f} ha", hectares=hectares)
    )


def _degrees(lon: float, lat: float) -> str:
    """The centre in degrees and hemispheres (``50.5050° N, 37.0500° E``), written as the reader's language does."""
    north, east, lat, lon = lat >= 0, lon >= 0, abs(lat), abs(lon)
    if north and east:
        return tr("{lat:.4f}° N, {lon:.4f}° E", lat=lat, lon=lon)
    if north:
        return tr("{lat:.4f}° N, {lon:.4f}° W", lat=lat, lon=lon)
    if east:
        return tr("{lat:.4f}° S, {lon:.4f}° E", lat=lat, lon=lon)
    return tr("{lat:.4f}° S, {lon:.4f}° W", lat=lat, lon=lon)


def _path(farm: FarmMap) -> str:
    parts = []
    for polygon in farm.polygons:
        for ring in polygon:
            first, *rest = ring
            moves = " ".join(f"L{number(x)} {number(y)}" for x, y in rest)
            parts.append(f"M{number(first[0])} {number(first[1])} {moves} Z")
    return " ".join(parts)


def farm_map_svg(geometry: Any, *, name: Any, facility_id: str, region: str | None = None, names: Any = None) -> str:
    """The map of one farm as an ``<svg>`` element (module doc); PictureError when the geometry cannot be drawn.

    ``name`` labels the map; it and every form in ``names`` (language value objects) are in the map's title
    (``name_text``).
    """
    farm = project_farm(geometry)
    shown, every = name_text(name, names)
    bar = scale_bar_metres(farm.scale, PLOT[2] / 3)
    bar_end = PLOT[0] + bar * farm.scale
    footer_y = PLOT[1] + PLOT[3] + 26
    place = _degrees(*farm.centre) + (f" · {region}" if region else "")
    measure = tr("not a valid area: {problem}", problem=farm.problem) if farm.problem else _area(farm.area_m2)
    title = tr("Map of {names} ({id}), {place}: {measure}", names=every, id=facility_id, place=place, measure=measure)
    north = escaped(tr("N"))  # the north arrow's letter
    arrow_x, arrow_y = PLOT[0] + PLOT[2] - 14, PLOT[1] + 8
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pilot-farm-map" role="img" '
        f'viewBox="0 0 {MAP_WIDTH:g} {MAP_HEIGHT:g}" width="{MAP_WIDTH:g}" height="{MAP_HEIGHT:g}" '
        f'font-family="system-ui, sans-serif" style="max-width: 100%; height: auto">'
        f"<title>{escaped(title)}</title>"
        f'<text x="10" y="19" font-size="14" font-weight="bold" fill="#1d2530">{escaped(clipped(shown, 38))}</text>'
        f'<text x="10" y="34" font-size="9.5" font-family="ui-monospace, monospace" fill="#4a5561">'
        f"{escaped(clipped(facility_id, 58))}</text>"
        f'<text x="10" y="47" font-size="9.5" fill="#67727e">{escaped(place)}</text>'
        f'<rect x="{PLOT[0]:g}" y="{PLOT[1]:g}" width="{PLOT[2]:g}" height="{PLOT[3]:g}" fill="#f3f5ef" '
        f'stroke="#d5dbd0"/>'
        f'<path class="farm-outline" d="{_path(farm)}" fill="#bfe0b0" fill-rule="evenodd" '
        f'stroke="{"#b3261e" if farm.problem else "#2f6b2a"}" stroke-width="1.5" stroke-linejoin="round"/>'
        f'<path d="M{arrow_x:g} {arrow_y + 16:g} L{arrow_x:g} {arrow_y:g} M{arrow_x - 4:g} {arrow_y + 5:g} '
        f'L{arrow_x:g} {arrow_y:g} L{arrow_x + 4:g} {arrow_y + 5:g}" fill="none" stroke="#4a5561" stroke-width="1.2"/>'
        f'<text x="{arrow_x:g}" y="{arrow_y + 27:g}" font-size="9" text-anchor="middle" fill="#4a5561">{north}</text>'
        f'<path class="scale-bar" d="M{PLOT[0]:g} {footer_y - 4:g} V{footer_y:g} H{number(bar_end)} '
        f'V{footer_y - 4:g}" fill="none" stroke="#1d2530" stroke-width="1.5"/>'
        f'<text x="{number(bar_end + 6)}" y="{footer_y:g}" font-size="10" fill="#1d2530">{_length(bar)}</text>'
        f'<text x="{MAP_WIDTH - 10:g}" y="{footer_y:g}" font-size="10" text-anchor="end" '
        f'fill="{"#b3261e" if farm.problem else "#1d2530"}">{escaped(clipped(measure, 40))}</text>'
        "</svg>"
    )
