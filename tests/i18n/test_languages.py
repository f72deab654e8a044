"""Which language a tag, an ``Accept-Language`` header or the environment asks for (``node_core.languages``).

The header has one parser, ``schemas.names.language_ranges``; ``negotiate_language`` (problem details, through
``node_core.request_language``) is built on it, so both read a malformed weight alike: the range is ignored
(RFC 9110 §12.4.2).
"""

from __future__ import annotations

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from node_core.languages import environment_language, language_of, negotiate_language
from node_core.request_language import RequestLanguageMiddleware, request_language
from schemas.names import language_ranges

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
    ("locale form", "ru_RU.UTF-8", "ru"),
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


#: Headers whose first range has a weight RFC 9110 §12.4.2 does not allow: (header, ranges read, language).
MALFORMED_WEIGHTS = [
    ("word", "ru;q=high, zh;q=0.2", ["zh"], "zh"),
    ("empty", "ru;q=, zh;q=0.2", ["zh"], "zh"),
    ("above one", "ru;q=2, zh;q=0.2", ["zh"], "zh"),
    ("one and a fraction", "ru;q=1.5, zh;q=0.2", ["zh"], "zh"),
    ("negative", "ru;q=-1, zh;q=0.2", ["zh"], "zh"),
    ("four decimals", "ru;q=0.0001, zh;q=0.2", ["zh"], "zh"),
    ("infinity", "ru;q=inf, zh;q=0.2", ["zh"], "zh"),
    ("not a number", "ru;q=nan, zh;q=0.2", ["zh"], "zh"),
    ("exponent", "ru;q=1e-1, zh;q=0.2", ["zh"], "zh"),
    ("two weights", "ru;q=0.9;q=0.8, zh;q=0.2", ["zh"], "zh"),
    ("another parameter", "ru;level=1, zh;q=0.2", ["zh"], "zh"),
    ("no value", "ru;q, zh;q=0.2", ["zh"], "zh"),
    ("not a range", "r u, zh;q=0.2", ["zh"], "zh"),
    ("all malformed", "ru;q=high, zh;q=9", [], "en"),
]
WELL_FORMED_WEIGHTS = [
    ("three decimals", "ru;q=0.001, zh;q=0.0", ["ru"], "ru"),
    ("one with zeros", "zh;q=0.5, ru;q=1.000", ["ru", "zh"], "ru"),
    ("upper-case Q", "zh;Q=0.5, ru;q=0.6", ["ru", "zh"], "ru"),
    ("white space around", "zh ; q = 0.5 , ru;q=0.6", ["ru", "zh"], "ru"),
    ("zero and one with a bare dot", "ru;q=0., zh;q=1.", ["zh"], "zh"),
]


@pytest.mark.parametrize(
    ("header", "ranges", "language"),
    [case[1:] for case in MALFORMED_WEIGHTS + WELL_FORMED_WEIGHTS],
    ids=[case[0] for case in MALFORMED_WEIGHTS + WELL_FORMED_WEIGHTS],
)
def test_both_readers_of_the_header_ignore_a_range_with_an_invalid_weight(
    header: str, ranges: list[str], language: str
) -> None:
    assert language_ranges(header) == ranges
    assert negotiate_language(header) == language


async def _language_echo(scope: Scope, receive: Receive, send: Send) -> None:
    """An ASGI app that answers the language ``request_language`` gives while it handles the request."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": request_language().encode()})


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("header", "language"),
    [(None, "en"), ("ru;q=high, zh;q=0.2", "zh"), ("zh;q=2, ru;q=0.5", "ru"), ("ru;level=1", "en")],
)
async def test_a_request_with_an_invalid_weight_is_answered_in_the_next_range(
    header: str | None, language: str
) -> None:
    transport = httpx.ASGITransport(app=RequestLanguageMiddleware(_language_echo))
    headers = {"accept-language": header} if header is not None else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        answer = await client.get("/", headers=headers)
    assert answer.text == language
    assert request_language() == "en"  # outside the request: nothing left behind
