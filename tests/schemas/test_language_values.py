"""Names in several languages: language value objects, BCP 47 tags, and which form a reader is shown."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pilot.participants import language_values
from pilot.sandbox import DEFAULT_SEED, build_sandbox
from pilot.synthetic import build_world
from schemas.jsonschema import JSON_DIR
from schemas.models import Facility, LanguageValue, TrustList
from schemas.models.language import language_tag_problem
from schemas.models.validate import validate_model
from schemas.names import choose_name, language_ranges, lookup, name_label

NFD_NAME = "Птицефабрика «Бере\u0308зка»"  # е + U+0308 COMBINING DIAERESIS, as the synthetic farm has it
NFC_NAME = "Птицефабрика «Берёзка»"  # the precomposed ё


@pytest.mark.parametrize(
    "tag",
    ["ru", "ru-Latn", "zh", "zh-Hans", "zh-Latn-pinyin", "en", "en-GB", "RU-latn", "es-419", "sr-Latn-RS",
     "de-CH-1901", "en-a-bbb-x-pilot", "zh-yue", "ar"],
)  # fmt: skip
def test_valid_tags_are_taken_as_written(tag: str) -> None:
    assert language_tag_problem(tag) is None
    assert LanguageValue.model_validate({"@value": "x", "@language": tag}).language == tag


@pytest.mark.parametrize(
    ("tag", "fragment"),
    [
        ("", "not a well-formed"),
        ("ru-", "not a well-formed"),
        ("ru_RU", "not a well-formed"),
        ("i-klingon", "not a well-formed"),
        ("x-private", "not a well-formed"),
        ("xx", "its language subtag is not an ISO 639 code"),
        ("rus", "ru, not rus"),
        ("zho", "two-letter ISO 639-1 code"),
        ("russian", "its language subtag is not an ISO 639 code"),
        ("zh-xxq", "extended language subtag"),
        ("ru-Xyzw", "its script subtag is not an ISO 15924 code"),
        ("ru-ZZ", "not an ISO 3166-1 country code"),
        ("es-999", "not a UN M.49 region"),
        ("de-1901-1901", "a variant subtag repeats"),
        ("en-a-bbb-a-ccc", "an extension singleton repeats"),
    ],
)
def test_invalid_tags_are_refused_with_the_reason(tag: str, fragment: str) -> None:
    problem = language_tag_problem(tag)
    assert problem is not None and fragment in problem
    assert not tag or f"'{tag}'" not in problem  # a reason never quotes the input
    with pytest.raises(ValueError, match=r"BCP 47 language tag|String should match"):
        LanguageValue.model_validate({"@value": "x", "@language": tag})


@pytest.mark.parametrize(
    "value",
    [
        {"@value": "x"},
        {"@language": "ru"},
        {"@value": "", "@language": "ru"},
        {"@value": "x", "@language": "ru", "@direction": "up"},
        {"@value": "x", "@language": "ru", "@direction": None},
        {"@value": "x", "@language": "ru", "@type": "xsd:string"},
        {"@value": 7, "@language": "ru"},
    ],
    ids=["no value", "no language", "empty", "bad direction", "null direction", "extra member", "not text"],
)
def test_malformed_language_values_are_refused(value: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        LanguageValue.model_validate(value)


def test_a_direction_is_kept() -> None:
    value = LanguageValue.model_validate({"@value": "اسم", "@language": "ar", "@direction": "rtl"})
    assert value.direction == "rtl"


def _farm() -> dict[str, Any]:
    return copy.deepcopy(build_world(DEFAULT_SEED, "ru-exp-01").farms[0])


def test_the_synthetic_farm_carries_its_names_decomposed() -> None:
    farm = _farm()
    assert farm["name"] == NFD_NAME != NFC_NAME
    assert farm["names"] == [
        {"@value": NFD_NAME, "@language": "ru"},
        {"@value": "Ptitsefabrika Bere\u0308zka", "@language": "ru-Latn"},
    ]
    model = Facility.model_validate(farm)
    assert model.names is not None and model.names[0].value == NFD_NAME  # not normalised by validation
    assert farm["operatedByParty"]["names"][0] == {"@value": "ООО «Белгородский бройлер-экспорт»", "@language": "ru"}


def test_a_facility_with_a_bad_tag_is_refused_at_the_tag() -> None:
    farm = _farm()
    farm["names"][1]["@language"] = "ru-Latn-RUS"
    model, problems = validate_model(Facility, farm)
    assert model is None
    assert [(str(p.code), p.path) for p in problems] == [("SCHEMA_INVALID", "/names/1/@language")]
    assert "RUS" not in problems[0].message and "BCP 47" in problems[0].message


@pytest.mark.parametrize(
    ("names", "fragment"),
    [([], "at least 1"), ([{"@value": "a", "@language": "ru"}, {"@value": "b", "@language": "RU"}], "appears twice")],
    ids=["empty list", "one language twice"],
)
def test_names_must_be_a_list_of_distinct_languages(names: list[Any], fragment: str) -> None:
    farm = _farm()
    farm["names"] = names
    model, problems = validate_model(Facility, farm)
    assert model is None and any(fragment in p.message for p in problems), problems


def test_the_trust_list_names_participants_in_their_scripts() -> None:
    trust = TrustList.model_validate(build_sandbox().trust_list)
    port = next(p for p in trust.participants if p.id == "cn-port-01")
    assert port.name == "满洲里铁路口岸管理局（虚构）"
    assert [v.language for v in port.names or []] == ["zh", "zh-Latn-pinyin", "en"]
    exporter = next(p for p in trust.participants if p.id == "ru-exp-01")
    assert [v.language for v in exporter.names or []] == ["ru", "ru-Latn", "en"]
    plant = next(e for e in trust.establishments if e.exporter == "ru-exp-01")
    assert plant.name.startswith("Перерабатывающий завод") and plant.names is not None


def test_the_published_json_schemas_describe_language_values() -> None:
    for name in ("DigitalFacilityRecord", "DigitalConformityCredential", "TrustList"):
        schema = json.loads((JSON_DIR / f"{name}.schema.json").read_text())
        value = schema["$defs"]["LanguageValue"]
        assert value["required"] == ["@value", "@language"] and value["additionalProperties"] is False
        assert set(value["properties"]) == {"@value", "@language", "@direction"}


# -- which form a reader is shown (schemas.names) -------------------------------------------------------

PORT = [
    {"@value": "满洲里铁路口岸管理局（虚构）", "@language": "zh"},
    {"@value": "Mǎnzhōulǐ Tiělù Kǒu'àn Guǎnlǐjú (xūgòu)", "@language": "zh-Latn-pinyin"},
    {"@value": "Manzhouli Rail Crossing Port Authority (fictional)", "@language": "en"},
]
FARM = language_values((("ru", NFD_NAME), ("ru-Latn", "Ptitsefabrika Bere\u0308zka")))


@pytest.mark.parametrize(
    ("names", "ranges", "expected"),
    [
        (PORT, ["zh"], "满洲里铁路口岸管理局（虚构）"),
        (PORT, ["zh-CN", "zh"], "满洲里铁路口岸管理局（虚构）"),
        (PORT, ["zh-Hans-CN"], "满洲里铁路口岸管理局（虚构）"),
        (PORT, ["zh-Latn-pinyin"], "Mǎnzhōulǐ Tiělù Kǒu'àn Guǎnlǐjú (xūgòu)"),
        (PORT, ["ru"], "Manzhouli Rail Crossing Port Authority (fictional)"),  # none for ru: English
        (PORT, ["en-US"], "Manzhouli Rail Crossing Port Authority (fictional)"),
        (FARM, ["ru-RU"], NFD_NAME),
        (FARM, ["en"], "Ptitsefabrika Bere\u0308zka"),  # no English: the Latin transliteration
        (FARM, ["zh"], "Ptitsefabrika Bere\u0308zka"),
        (FARM, [], "Ptitsefabrika Bere\u0308zka"),
        (FARM, ["*"], "Ptitsefabrika Bere\u0308zka"),
        (FARM, ["de", "ru"], NFD_NAME),  # the second range finds it
    ],
)
def test_the_reader_sees_the_form_in_its_language(names: list[Any], ranges: list[str], expected: str) -> None:
    chosen = choose_name(names[0]["@value"], names, ranges)
    assert chosen.value == expected
    assert len(chosen.others) == len(names) - 1 and expected not in [v for _, v in chosen.others]


def test_without_names_the_plain_name_is_shown() -> None:
    assert choose_name("Ферма", None, ["en"]).value == "Ферма"
    assert choose_name("Ферма", [{"@value": "Ферма"}, "junk", {"@language": "ru"}], ["ru"]).value == "Ферма"
    only_cyrillic = [{"@value": "Ферма", "@language": "ru"}, {"@value": "農場", "@language": "ja"}]
    chosen = choose_name("Ферма", only_cyrillic, ["de"])
    assert (chosen.value, chosen.language, chosen.others) == ("Ферма", None, (("ja", "農場"),))


def test_a_plain_name_that_is_none_of_the_forms_stays_at_hand() -> None:
    chosen = choose_name("Old name", FARM, ["ru"])
    assert chosen.value == NFD_NAME
    assert chosen.others == (("ru-Latn", "Ptitsefabrika Bere\u0308zka"), ("und", "Old name"))


def test_lookup_shortens_the_range_as_rfc_4647_says() -> None:
    # RFC 4647 §3.4's example: zh-Hant-CN-x-private1-private2, then zh-Hant-CN-x-private1, zh-Hant-CN,
    # zh-Hant, zh (the "x" singleton goes with the subtag after it).
    tags = ["zh", "zh-Hant", "zh-Hant-CN", "zh-Hant-CN-x-private1"]
    range_ = ["zh-Hant-CN-x-private1-private2"]
    assert lookup(tags, range_) == 3
    assert lookup(tags[:3], range_) == 2
    assert lookup(tags[:2], range_) == 1
    assert lookup(tags[:1], range_) == 0
    assert lookup(["zh-Hant"], ["zh"]) is None  # a range never grows: zh does not find zh-Hant


@pytest.mark.parametrize(
    ("header", "ranges"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", ["ru-RU", "ru", "en"]),
        ("en;q=0.2, zh-CN, ru;q=0.5", ["zh-CN", "ru", "en"]),
        ("de;q=0, fr", ["fr"]),
        ("ru_RU.UTF-8", ["ru-RU"]),
        ("ru:en", ["ru", "en"]),
        ("C", []),
        ("", []),
        (None, []),
        ("en;q=abc, ru", ["ru"]),
    ],
)
def test_language_ranges_read_headers_and_locales(header: str | None, ranges: list[str]) -> None:
    assert language_ranges(header) == ranges


def test_a_label_shows_the_chosen_form_then_the_others() -> None:
    assert name_label(PORT[0]["@value"], PORT, ["zh"]) == (
        "满洲里铁路口岸管理局（虚构） [Mǎnzhōulǐ Tiělù Kǒu'àn Guǎnlǐjú (xūgòu) / "
        "Manzhouli Rail Crossing Port Authority (fictional)]"
    )
    assert name_label("Ферма", None, ["ru"]) == "Ферма"
