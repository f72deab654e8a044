"""Farm polygons: shape errors are SCHEMA_INVALID, geometric ones GEOMETRY_INVALID via semantic_problems."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.codes import Code
from schemas.errors import Reason
from schemas.models import (
    REGION_BBOXES,
    Polygon,
    geometry_problems,
    semantic_problems,
    validate_credential_payload,
)
from schemas.models.geometry import CACHED_POSITIONS
from tests.support import examples as ex

SQUARE = [[36.6, 50.7], [36.62, 50.7], [36.62, 50.71], [36.6, 50.71], [36.6, 50.7]]

GEOMETRY_CASES: list[tuple[str, list[list[list[float]]], str | None, str]] = [
    ("ring not closed", [[*SQUARE[:-1], [36.6, 50.705]]], "RU-BEL", "not closed"),
    ("too few positions", [[[36.6, 50.7], [36.62, 50.7], [36.6, 50.7]]], "RU-BEL", "at least 4"),
    ("self-intersecting bow tie",
     [[[36.6, 50.7], [36.62, 50.71], [36.62, 50.7], [36.6, 50.71], [36.6, 50.7]]],
     "RU-BEL", "Self-intersection"),
    ("zero area", [[[36.6, 50.7], [36.61, 50.7], [36.62, 50.7], [36.6, 50.7]]], "RU-BEL", "not valid"),
    ("longitude out of range", [[[181.0, 50.7], [36.62, 50.7], [36.62, 50.71], [181.0, 50.7]]], None,
     "position 0: longitude outside [-180, 180]"),
    ("latitude out of range", [[[36.6, 95.0], [36.62, 50.7], [36.62, 50.71], [36.6, 95.0]]], None,
     "position 0: latitude outside [-90, 90]"),
    ("outside the region's bounding box", [SQUARE], "RU-AMU", "outside the authored bounding box of RU-AMU"),
    ("latitude and longitude swapped", [[[lat, lon] for lon, lat in SQUARE]], "RU-BEL", "outside"),
]  # fmt: skip


@pytest.mark.parametrize(("coordinates", "region", "fragment"), [c[1:] for c in GEOMETRY_CASES],
                         ids=[c[0] for c in GEOMETRY_CASES])  # fmt: skip
def test_geometry_problems(coordinates: list[Any], region: str | None, fragment: str) -> None:
    polygon = Polygon.model_validate({"type": "Polygon", "coordinates": coordinates})
    problems = geometry_problems(polygon, region)
    assert any(fragment in p for p in problems), problems


def test_valid_polygon_in_region_has_no_problems() -> None:
    polygon = Polygon.model_validate({"type": "Polygon", "coordinates": [SQUARE]})
    assert geometry_problems(polygon, "RU-BEL") == []
    assert geometry_problems(polygon, None) == []
    assert geometry_problems(polygon, "RU-MOW") == []  # no authored box: only the geometry is judged


def test_polygon_with_hole() -> None:
    hole = [[36.605, 50.702], [36.605, 50.705], [36.61, 50.705], [36.61, 50.702], [36.605, 50.702]]
    polygon = Polygon.model_validate({"type": "Polygon", "coordinates": [SQUARE, hole]})
    assert geometry_problems(polygon, "RU-BEL") == []


@pytest.mark.parametrize(("coordinates", "region", "fragment"), [c[1:] for c in GEOMETRY_CASES],
                         ids=[c[0] for c in GEOMETRY_CASES])  # fmt: skip
def test_bad_geometry_is_geometry_invalid_not_schema_invalid(
    coordinates: list[Any], region: str | None, fragment: str
) -> None:
    doc = ex.facility_record()
    facility = doc["credentialSubject"]["facility"]
    facility["locationInformation"]["geoBoundary"]["coordinates"] = coordinates
    if region is not None:
        facility["region"] = region
    model, problems = validate_credential_payload(doc, "/credentials/0")
    assert problems == []
    assert model is not None
    found = semantic_problems(model, "/credentials/0")
    assert found
    assert all(isinstance(p, Reason) for p in found)
    assert {(p.code, p.path) for p in found} == {
        (Code.GEOMETRY_INVALID, "/credentials/0/credentialSubject/facility/locationInformation/geoBoundary")
    }


def test_other_records_have_no_semantic_problems() -> None:
    model, _ = validate_credential_payload(ex.consignment_manifest())
    assert model is not None
    assert semantic_problems(model) == []


def test_region_boxes_are_ordered_and_plausible() -> None:
    for required in ["RU-BEL", "RU-KRS", "RU-ALT", "RU-AMU", "RU-ROS", "RU-KDA", "RU-VOR", "RU-TAM", "RU-LIP",
                     "RU-ORE", "RU-SAR", "RU-PRI", "RU-NVS", "RU-OMS", "RU-STA"]:  # fmt: skip
        min_lon, min_lat, max_lon, max_lat = REGION_BBOXES[required]
        assert 19.0 < min_lon < max_lon < 180.0, required  # Russia lies east of 19E
        assert 41.0 < min_lat < max_lat < 82.0, required


def _large(ring: list[list[float]], positions: int) -> list[list[float]]:
    """``ring`` with extra positions on its first edge: the same area, ``positions`` positions in all."""
    (x0, y0), (x1, y1) = ring[0], ring[1]
    steps = positions - len(ring) + 1
    extra = [[x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps] for k in range(1, steps)]
    return [ring[0], *extra, *ring[1:]]


@pytest.mark.parametrize("positions", [5, CACHED_POSITIONS + 40], ids=["remembered", "too large to remember"])
@pytest.mark.parametrize(("coordinates", "region", "fragment"), [GEOMETRY_CASES[2][1:], GEOMETRY_CASES[6][1:]],
                         ids=["self-intersecting", "outside the region"])  # fmt: skip
def test_a_polygon_seen_before_gets_the_same_verdict(
    coordinates: list[Any], region: str | None, fragment: str, positions: int
) -> None:
    ring = coordinates[0] if positions == 5 else _large(coordinates[0], positions)
    assert len(ring) == positions
    polygon = Polygon.model_validate({"type": "Polygon", "coordinates": [ring]})
    first = geometry_problems(polygon, region)
    first.append("a caller's own change")  # a caller owns the list it gets: the remembered verdict is untouched
    again = geometry_problems(polygon, region)
    assert any(fragment in p for p in again) and "a caller's own change" not in again
    # The region is part of what is remembered: the same polygon elsewhere is judged for that region.
    assert geometry_problems(Polygon.model_validate({"type": "Polygon", "coordinates": [SQUARE]}), "RU-BEL") == []
    assert geometry_problems(Polygon.model_validate({"type": "Polygon", "coordinates": [SQUARE]}), "RU-AMU") != []
