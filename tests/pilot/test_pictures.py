"""``pilot.pictures``: farm maps from GeoJSON and consignment timelines, as inline SVG.

Known answers for the projection (a square of 0.01 degrees at 60° N is twice as tall as wide on the
ground), a hole, a MultiPolygon, a polygon that is not a valid area, geometries that cannot be drawn
(a table of named cases), hostile names and titles (the SVG stays well-formed XML, nothing is markup,
Cyrillic and combining characters stay as sent), the timeline's order, and the stories read from the
published vectors (embedded proofs, VC-JOSE envelopes, a sealed credential).
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import pilot.pictures
from pilot.pictures import (
    ConsignmentStory,
    Cosignature,
    Milestone,
    PictureError,
    Stage,
    farm_map_svg,
    project_farm,
    story_farms,
    story_figures_html,
    story_milestones,
    timeline_svg,
)
from pilot.pictures._timeline import elapsed, ordered
from schemas.sealing import sealed_header
from tests.support.self_contained import element_names, external_references

VECTORS = Path(__file__).resolve().parents[2] / "schemas" / "vectors"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</text><script>alert("x")</script>&amp; \x07\u202e <b>'
# "Ферма «Йошкар»" with the Й decomposed (И + U+0306 COMBINING BREVE): no normalisation anywhere.
CYRILLIC = "Ферма «И\u0306ошкар»"


def square(lon: float, lat: float, side: float) -> list[list[float]]:
    return [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]


def polygon(*rings: list[list[Any]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def parsed(svg: str) -> ET.Element:
    """The SVG as XML: parsing fails if anything in it broke the markup."""
    return ET.fromstring(svg)


def path_data(svg: str, css_class: str) -> str:
    (path,) = [p for p in parsed(svg).iter(f"{SVG}path") if p.get("class") == css_class]
    return path.get("d") or ""


def path_points(svg: str) -> list[list[tuple[float, float]]]:
    """The subpaths of the farm's outline, each a list of points (``M x y L x y ... Z``)."""
    subpaths = []
    for part in path_data(svg, "farm-outline").split("M")[1:]:
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", part)]
        subpaths.append(list(zip(numbers[::2], numbers[1::2], strict=True)))
    return subpaths


def texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in parsed(svg).iter(f"{SVG}text")]


def test_the_public_surface_is_what_we_mean() -> None:
    assert set(pilot.pictures.__all__) == {
        "ConsignmentStory",
        "Cosignature",
        "Facility",
        "FarmMap",
        "Milestone",
        "PictureError",
        "Stage",
        "escaped",
        "farm_map_svg",
        "project_farm",
        "story_farms",
        "story_figures_html",
        "story_milestones",
        "timeline_svg",
    }
    assert issubclass(PictureError, ValueError)


# -- the farm map ------------------------------------------------------------------------------------


def test_a_square_at_60_north_is_drawn_half_as_wide_as_tall_centred_north_up() -> None:
    # 0.01° of longitude at 60° N is cos(60°) = 0.5 of 0.01° of latitude: 556 m x 1112 m on the ground.
    svg = farm_map_svg(polygon(square(30.0, 59.995, 0.01)), name="Square farm", facility_id="urn:farm:sq")
    (ring,) = path_points(svg)
    # The drawing area is x 10..310, y 52..222; height-limited: 170 units tall, 85 wide, centred.
    expected = [(117.5, 222.0), (202.5, 222.0), (202.5, 52.0), (117.5, 52.0), (117.5, 222.0)]
    assert len(ring) == len(expected)
    for (x, y), (ex, ey) in zip(ring, expected, strict=True):
        assert x == pytest.approx(ex, abs=0.11) and y == pytest.approx(ey, abs=0.11)
    farm = project_farm(polygon(square(30.0, 59.995, 0.01)))
    metres_per_degree = math.pi * 6_371_008.8 / 180
    assert farm.scale == pytest.approx(170 / (0.01 * metres_per_degree), rel=1e-9)
    assert farm.area_m2 == pytest.approx(0.01 * metres_per_degree * 0.01 * metres_per_degree * 0.5, rel=1e-6)
    assert farm.problem is None and farm.centre == pytest.approx((30.005, 60.0))
    shown = texts(svg)
    assert "61.8 ha" in shown  # 556 m x 1112 m
    assert "500 m" in shown  # the longest round length within a third of the width: 654 m
    bar_end = re.search(r"H(\d+(?:\.\d+)?)", path_data(svg, "scale-bar"))
    assert bar_end is not None and float(bar_end[1]) == pytest.approx(10 + 500 * farm.scale, abs=0.11)
    assert "60.0000° N, 30.0050° E" in shown


def test_a_wide_farm_is_limited_by_the_width_and_the_scale_bar_reads_km() -> None:
    svg = farm_map_svg(
        polygon([[37.0, 50.5], [37.1, 50.5], [37.1, 50.51], [37.0, 50.51], [37.0, 50.5]]),
        name="Wide",
        facility_id="urn:farm:wide",
        region="RU-BEL",
    )
    (ring,) = path_points(svg)
    assert min(x for x, _ in ring) == pytest.approx(10.0, abs=0.11)
    assert max(x for x, _ in ring) == pytest.approx(310.0, abs=0.11)
    assert "2 km" in texts(svg)  # 7.07 km wide: a third is 2.36 km
    assert "50.5050° N, 37.0500° E · RU-BEL" in texts(svg)


def test_a_hole_is_a_second_subpath_drawn_even_odd_and_taken_off_the_area() -> None:
    outer, hole = square(40.0, 50.0, 0.02), square(40.005, 50.005, 0.01)
    svg = farm_map_svg(polygon(outer, hole[::-1]), name="Ring farm", facility_id="urn:farm:ring")
    outline = next(p for p in parsed(svg).iter(f"{SVG}path") if p.get("class") == "farm-outline")
    assert outline.get("fill-rule") == "evenodd"
    outer_ring, inner_ring = path_points(svg)
    assert len(outer_ring) == len(inner_ring) == 5
    assert min(x for x, _ in outer_ring) < min(x for x, _ in inner_ring)
    assert max(y for _, y in inner_ring) < max(y for _, y in outer_ring)
    whole = project_farm(polygon(outer)).area_m2
    assert project_farm(polygon(outer, hole)).area_m2 == pytest.approx(whole * 0.75, rel=1e-3)


def test_a_multipolygon_draws_each_part_in_one_frame() -> None:
    geometry = {
        "type": "MultiPolygon",
        "coordinates": [[square(40.0, 50.0, 0.01)], [square(40.03, 50.0, 0.01)]],
    }
    farm = project_farm(geometry)
    assert len(farm.polygons) == 2
    left, right = (p[0] for p in farm.polygons)
    assert min(x for x, _ in left) == pytest.approx(10.0, abs=1e-6)  # width-limited: 0.04° wide, 0.01° tall
    assert max(x for x, _ in right) == pytest.approx(310.0, abs=1e-6)
    assert max(x for x, _ in left) < min(x for x, _ in right)
    assert len(path_points(farm_map_svg(geometry, name="Two fields", facility_id="urn:farm:two"))) == 2


def test_a_polygon_that_is_not_a_valid_area_is_drawn_and_says_why() -> None:
    bowtie = polygon([[36.6, 50.7], [36.62, 50.72], [36.62, 50.7], [36.6, 50.72], [36.6, 50.7]])
    farm = project_farm(bowtie)
    assert farm.problem == "Self-intersection" and farm.area_m2 == 0
    svg = farm_map_svg(bowtie, name="Bowtie", facility_id="urn:farm:bowtie")
    assert "not a valid area: Self-intersection" in texts(svg)
    assert "36.6" not in farm.problem  # shapely's point is not quoted


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        pytest.param(None, "not a GeoJSON object", id="not-an-object"),
        pytest.param({"type": "Point", "coordinates": [37.0, 50.0]}, "not 'Point'", id="point"),
        pytest.param({"type": "Polygon", "coordinates": []}, "not a list of linear rings", id="no-rings"),
        pytest.param({"type": "Polygon", "coordinates": "[[0, 0]]"}, "not a list of linear rings", id="string"),
        pytest.param(polygon([[37.0, 50.0], [37.1, 50.0]]), "fewer than 3 positions", id="two-positions"),
        pytest.param(polygon([[37.0, 50.0], [37.1], [37.0, 50.1]]), "not a GeoJSON position", id="short-position"),
        pytest.param(polygon([[37.0, 50.0], [float("nan"), 50.0], [37.0, 50.1]]), "not a finite", id="nan"),
        pytest.param(polygon([[37.0, 50.0], [True, 50.0], [37.0, 50.1]]), "not a finite", id="boolean"),
        pytest.param(polygon([[37.0, 50.0], ["37.1", 50.0], [37.0, 50.1]]), "not a finite", id="text-number"),
        pytest.param(polygon([[37.0, 50.0], [200.0, 50.0], [37.0, 50.1]]), "outside longitude", id="longitude"),
        pytest.param(polygon([[37.0, 95.0], [37.1, 50.0], [37.0, 50.1]]), "outside longitude", id="latitude"),
        pytest.param({"type": "MultiPolygon", "coordinates": []}, "has no polygons", id="empty-multi"),
        pytest.param(polygon([[37.0 + i * 1e-6, 50.0] for i in range(20_001)]), "more than a map draws", id="huge"),
    ],
)
def test_a_geometry_that_cannot_be_drawn_is_refused_saying_why(geometry: Any, message: str) -> None:
    with pytest.raises(PictureError, match=re.escape(message)):
        farm_map_svg(geometry, name="x", facility_id="urn:farm:x")


def test_hostile_names_and_ids_stay_text_and_the_svg_stays_well_formed() -> None:
    svg = farm_map_svg(polygon(square(37.0, 50.0, 0.01)), name=HOSTILE, facility_id=f"urn:farm:{HOSTILE}")
    root = parsed(svg)
    assert not [e for e in root.iter() if e.tag.removeprefix(SVG) in {"script", "b"}]
    assert "<script" not in svg and "<b>" not in svg
    label, ident, *_ = texts(svg)
    assert label == '</text><script>alert("x")</script>&am…'  # as sent, cut to fit
    assert ident.startswith("urn:farm:</text><script>")
    # Whole in the title, controls and the right-to-left override shown as visible escapes.
    title = root.find(f"{SVG}title")
    assert title is not None and "</script>&amp; \\x07\\u202e <b>" in (title.text or "")
    assert external_references(svg) == []


def test_a_name_in_its_own_script_stays_as_sent_and_every_form_is_in_the_title() -> None:
    names = [{"@value": CYRILLIC, "@language": "ru"}, {"@value": "Ferma «Joshkar»", "@language": "ru-Latn"}]
    svg = farm_map_svg(polygon(square(37.0, 50.0, 0.01)), name=CYRILLIC, names=names, facility_id="urn:farm:ru")
    assert texts(svg)[0] == CYRILLIC  # decomposed, not normalised to "Й"
    title = parsed(svg).find(f"{SVG}title")
    assert title is not None and f"{CYRILLIC} / Ferma «Joshkar»" in (title.text or "")
    # Language value objects alone: the first is shown.
    assert texts(farm_map_svg(polygon(square(37.0, 50.0, 0.01)), name=names, facility_id="urn:farm:x"))[0] == CYRILLIC


# -- the timeline ------------------------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_milestones_go_in_time_order_and_untimed_ones_after_their_stage() -> None:
    decision = Milestone(at("2026-08-01T10:00:05"), Stage.decision, "accepted")
    lot = Milestone(at("2026-07-22T08:00:00"), Stage.farm_lot, "lot 1")
    certificate = Milestone(at("2026-03-01T00:00:00"), Stage.certificate, "certificate")
    sealed = Milestone(None, Stage.certificate, "sealed")
    manifest = Milestone(at("2026-08-01T10:00:00"), Stage.manifest, "manifest")
    same_time_log = Milestone(at("2026-08-01T10:00:05"), Stage.log, "entry 0")
    result = ordered([same_time_log, decision, sealed, lot, manifest, certificate])
    assert [m.title for m in result] == ["certificate", "lot 1", "sealed", "manifest", "accepted", "entry 0"]
    # The port stamps to the second: its decision follows an attempt started within that second.
    attempt = Milestone(at("2026-08-01T10:00:05.400"), Stage.delivery, "attempt 1")
    assert [m.title for m in ordered([decision, attempt])] == ["attempt 1", "accepted"]
    assert "+0 s" in texts(timeline_svg([decision, attempt], title="t"))


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-0.6, "+0 s"),
        (0, "+0 s"),
        (59.4, "+59 s"),
        (60, "+1 min"),
        (3599, "+59 min"),
        (3600, "+1 h"),
        (3660, "+1 h 1 min"),
        (86400, "+1 d"),
        (90000, "+1 d 1 h"),
        (202 * 86400 + 3600, "+202 d"),
    ],
)
def test_gaps_are_written_to_the_unit_that_matters(seconds: float, shown: str) -> None:
    assert elapsed(seconds) == shown


def test_the_timeline_has_a_row_per_milestone_with_its_stage_outcome_and_escaped_text() -> None:
    milestones = [
        Milestone(at("2026-07-22T08:00:00"), Stage.farm_lot, "lot 1 " + HOSTILE, "7002.6 KGM"),
        Milestone(at("2026-08-01T10:00:01"), Stage.delivery, "attempt 1: retry", "LOG_UNAVAILABLE", "attention"),
        Milestone(at("2026-08-01T10:00:05"), Stage.decision, "rejected: HS_CODE_NOT_PERMITTED", "", "failed"),
    ]
    svg = timeline_svg(milestones, title=f"c-1 {HOSTILE}")
    root = parsed(svg)
    rows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "milestone"]
    assert [g.get("data-stage") for g in rows] == ["farm_lot", "delivery", "decision"]
    assert [g.get("data-outcome") for g in rows] == [None, "attention", "failed"]
    assert "+10 d" in texts(svg) and "+4 s" in texts(svg)  # 10 d 2 h: beyond 10 days, hours do not matter
    assert "<script" not in svg and external_references(svg) == []
    assert not [e for e in root.iter() if e.tag.removeprefix(SVG) == "script"]
    # A text too long for its row is cut, and kept whole in the row's tooltip.
    long = Milestone(at("2026-07-22T08:00:00"), Stage.event, "x" * 300)
    (row,) = [g for g in parsed(timeline_svg([long], title="t")).iter(f"{SVG}g") if g.get("class") == "milestone"]
    tooltip = row.find(f"{SVG}title")
    assert tooltip is not None and "x" * 300 in (tooltip.text or "")
    assert not any("x" * 100 in t for t in texts(timeline_svg([long], title="t")))


def test_an_empty_timeline_says_so() -> None:
    assert "nothing to show" in texts(timeline_svg([], title="c-0"))


# -- stories from the published vectors --------------------------------------------------------------


def vector(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return document


# A checkpoint of size 7 (its signature is not checked by the pictures: the story says what verified).
RECEIPT_NOTE = (
    "cn-port-01.pilot.example/log\n7\n" + "A" * 43 + "=\n\n— cn-port-01.pilot.example/log " + "A" * 91 + "=\n"
)


def story(submission: dict[str, Any], *, receipt: bool = True) -> ConsignmentStory:
    view = {
        "createdAt": "2026-08-01T10:00:00Z",
        "submissionDigest": "sha-256:00",
        "state": "delivered",
        "attemptLog": [
            {"number": 1, "startedAt": "2026-08-01T10:00:01Z", "outcome": "retry", "httpStatus": 503},
            {"number": 2, "startedAt": "2026-08-01T10:00:04Z", "outcome": "delivered", "httpStatus": 201},
        ],
    }
    document = {
        "id": "urn:uuid:receipt",
        "issuer": "did:web:pilot.example:cn-port-01",
        "credentialSubject": {
            "decision": "accepted",
            "reasons": [],
            "receivedAt": "2026-08-01T10:00:05Z",
            "log": {"index": 6, "origin": "cn-port-01.pilot.example/log", "checkpoint": RECEIPT_NOTE},
        },
    }
    cosigned = (Cosignature("cn-port-02", at("2026-08-01T10:00:09"), 7),)
    return ConsignmentStory(
        str(submission["submissionId"]),
        "ru-exp-01",
        "cn-port-01",
        submission,
        view,
        document if receipt else None,
        cosigned if receipt else (),
        True if receipt else None,
    )


def test_a_vector_submission_tells_farm_lots_to_cosignature_in_order() -> None:
    milestones = ordered(story_milestones(story(vector("valid/submission-ru-exp-01.json"))))
    stages = [m.stage for m in milestones]
    assert stages.count(Stage.farm_lot) == 2 and stages.count(Stage.certificate) == 2
    assert stages[-4:] == [Stage.delivery, Stage.decision, Stage.log, Stage.cosigned]
    lots = [m for m in milestones if m.stage is Stage.farm_lot]
    assert [m.at for m in lots] == [at("2026-07-22T08:00:00"), at("2026-07-22T09:00:00")]
    assert "farm-lot-1 at urn:pilot:facility:ru-exp-01:farm-001" in lots[0].title
    assert lots[0].detail == "7002.6 KGM frozen broiler chicken cuts"
    attempts = [m for m in milestones if m.title.startswith("attempt")]
    assert [m.outcome for m in attempts] == ["attention", "ok"]
    decision, log, cosigned = milestones[-3:]
    assert decision.title == "accepted" and decision.outcome == "ok" and "(verified)" in decision.detail
    assert log.title == "entry 6 in cn-port-01.pilot.example/log" and "size 7" in log.detail
    assert cosigned.title == "by cn-port-02" and cosigned.at == at("2026-08-01T10:00:09")


def test_the_farms_are_the_lots_origins_first_then_the_plant() -> None:
    farms = story_farms(story(vector("valid/submission-ru-exp-01.json")))
    assert [f.id for f in farms] == [
        "urn:pilot:facility:ru-exp-01:farm-001",
        "urn:pilot:facility:ru-exp-01:farm-002",
        "urn:pilot:facility:ru-exp-01:plant-01",
    ]
    facility = vector("valid/submission-ru-exp-01.json")["credentials"][0]["credentialSubject"]["facility"]
    assert farms[0].name == facility["name"] and farms[0].names == facility.get("names")
    assert farms[0].region == "RU-BEL"


def test_enveloped_credentials_are_read_from_their_payload() -> None:
    jose = story(vector("valid/submission-ru-exp-01-jose.json"))
    assert len(story_farms(jose)) == 3
    assert sum(1 for m in story_milestones(jose) if m.stage is Stage.farm_lot) == 2


def test_a_sealed_credential_is_shown_sealed_with_its_key_and_no_content() -> None:
    submission = vector("sealed/valid/submission-sealed-laboratory.json")
    (sealed,) = [c for c in submission["credentials"] if str(c.get("id", "")).startswith("data:application/jose,")]
    kid = sealed_header(sealed["id"].removeprefix("data:application/jose,"))["kid"]
    (milestone,) = [m for m in story_milestones(story(submission)) if m.title == "a credential sealed to the port"]
    assert milestone.stage is Stage.certificate and milestone.at is None
    assert milestone.detail == f"sealed to {kid}"


def test_no_receipt_yet_and_a_failed_receipt_are_said() -> None:
    pending = story(vector("valid/submission-ru-exp-02.json"), receipt=False)
    (last,) = [m for m in story_milestones(pending) if m.stage is Stage.decision]
    assert last.title == "no receipt (state delivered)" and last.outcome is None
    told = story(vector("valid/submission-ru-exp-02.json"))
    failing = ConsignmentStory(**{**told.__dict__, "receipt_verified": False})
    decision, log = [m for m in story_milestones(failing) if m.stage in (Stage.decision, Stage.log)]
    assert decision.outcome == "failed" and "DOES NOT VERIFY" in decision.detail and log.outcome == "failed"


def test_malformed_parts_are_skipped_not_raised() -> None:
    submission = vector("valid/submission-ru-exp-03.json")
    submission["credentials"] += [42, {"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,x"}]
    submission["manifest"]["proof"]["created"] = "yesterday"
    told = story(submission)
    (manifest,) = [m for m in story_milestones(told) if m.stage is Stage.manifest]
    assert manifest.at == at("2026-01-01T00:00:00")  # its validFrom, the proof's time being no time
    assert story_figures_html(told)


def test_the_figures_are_a_timeline_and_a_map_per_farm_and_refer_to_nothing() -> None:
    submission = vector("valid/submission-ru-exp-04.json")
    submission["credentials"][0]["credentialSubject"]["facility"]["locationInformation"]["geoBoundary"] = {
        "type": "Point",
        "coordinates": [0, 0],
    }
    html = story_figures_html(story(submission))
    assert html.count('class="pilot-timeline"') == 1
    assert html.count('class="pilot-farm-map"') == 2  # the third facility's boundary is no polygon
    assert "no map of <code>" in html and "not &#x27;Point&#x27;" in html
    assert external_references(html) == []
    assert "script" not in element_names(html)
