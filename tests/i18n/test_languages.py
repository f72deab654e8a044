"""Which language a tag, an ``Accept-Language`` header or the environment asks for (``node_core.languages``)."""

from __future__ import annotations

import pytest

from node_core.languages import environment_language, language_of, negotiate_language

NEGOTIATION = [
    ("none", None, "en"),
    ("empty", "", "en"),
    ("russian", "ru", "ru"),
    ("russian region", "ru-RU", "ru"),
    ("chinese simplified script", "zh-Hans", "zh"),
    ("chinese mainland", "zh-CN", "zh"),
    ("chinese script and region", "zh-Hans-CN", "zh"),
    ("case-insensitive", "ZH-cn", "zh"),
    ("first of ours in order", "fr-CH, ru, zh", "ru"),
    ("quality decides", "zh;q=0.5, ru;q=0.9, en;q=0.1", "ru"),
    ("quality one when absent", "ru;q=0.99, zh", "zh"),
    ("equal quality: header order", "zh;q=0.8, ru;q=0.8", "zh"),
    ("q=0 refuses", "ru;q=0, zh;q=0.1", "zh"),
    ("malformed quality ignored", "ru;q=high, zh;q=0.2", "zh"),
    ("quality above one ignored", "ru;q=2, zh;q=0.2", "zh"),
    ("wildcard is English", "*, ru;q=0.5", "en"),
    ("none of ours", "fr, de;q=0.8", "en"),
    ("garbage", ";;,,=;q", "en"),
    ("english preferred", "en-GB, zh;q=0.9", "en"),
]


@pytest.mark.parametrize(("header", "expected"), [case[1:] for case in NEGOTIATION], ids=[c[0] for c in NEGOTIATION])
def test_accept_language(header: str | None, expected: str) -> None:
    assert negotiate_language(header) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("ru_RU.UTF-8", "ru"),
        ("zh_CN.UTF-8@pinyin", "zh"),
        ("en_US", "en"),
        ("C", None),
        ("C.UTF-8", None),
        ("POSIX", None),
        ("", None),
        ("fr_FR", None),
        ("123", None),
    ],
)
def test_language_of_a_tag_or_locale(tag: str, expected: str | None) -> None:
    assert language_of(tag) == expected


ENVIRONMENTS = [
    ("nothing set", {}, "en"),
    ("LANG", {"LANG": "ru_RU.UTF-8"}, "ru"),
    ("C locale", {"LANG": "C.UTF-8"}, "en"),
    ("LC_ALL over LANG", {"LC_ALL": "zh_CN.UTF-8", "LANG": "ru_RU.UTF-8"}, "zh"),
    ("LC_MESSAGES over LANG", {"LC_MESSAGES": "ru_RU.UTF-8", "LANG": "zh_CN.UTF-8"}, "ru"),
    ("first set decides", {"LC_ALL": "fr_FR.UTF-8", "LANG": "ru_RU.UTF-8"}, "en"),
    ("LANGUAGE list first", {"LANGUAGE": "fr:zh:ru", "LANG": "ru_RU.UTF-8"}, "zh"),
    ("LANGUAGE of none of ours", {"LANGUAGE": "fr", "LANG": "ru_RU.UTF-8"}, "ru"),
]


@pytest.mark.parametrize(("environ", "expected"), [c[1:] for c in ENVIRONMENTS], ids=[c[0] for c in ENVIRONMENTS])
def test_environment(environ: dict[str, str], expected: str) -> None:
    assert environment_language(environ) == expected
