"""``pilot onboard exporter --name-in LANG=TEXT``: the new exporter's name in several languages, as given.

The forms go into the registration request as the participant's ``names`` (VC 2.0 language value objects),
byte for byte (Cyrillic, Hanzi, a decomposed letter with its combining mark), under the request's proof of
possession, and from there into the trust list ``pilot trust approve`` signs. A sandbox made of the
known-answer vectors (their trust list, anchor and ``pilot-gov``'s key) keeps each run well under a second.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from pilot.cli import app
from pilot.registration import check_possession
from tests.support.files import governed_sandbox

#: "Ёлка" with its Ё decomposed (NFD: Е and U+0308 COMBINING DIAERESIS): it must stay decomposed.
ELKA_NFD = "ООО «Е\u0308лка»"
NAMES = [
    ("ru", ELKA_NFD),
    ("ru-Latn", "OOO Yolka"),
    ("en", "Yolka LLC"),
    ("zh", "约尔卡有限责任公司"),  # the bare tag, which a Chinese reader's "zh" finds (schemas.names)
    ("zh-Latn-pinyin", "Yuē'ěrkǎ Yǒuxiàn Zérèn Gōngsī"),
]

runner = CliRunner()


@pytest.fixture(autouse=True)
def _english(english_environment: None) -> None:
    """Each test starts in English, with no sandbox or passphrase from the environment."""


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """The vectors' trust list and anchor, and the key of ``pilot-gov`` that signed them."""
    return governed_sandbox(tmp_path / "data")


def onboard(directory: Path, *args: str) -> Result:
    return runner.invoke(app, ["onboard", "exporter", "--id", "ru-exp-07", "--data-dir", str(directory), *args])


def name_in(names: list[tuple[str, str]]) -> list[str]:
    return [arg for tag, text in names for arg in ("--name-in", f"{tag}={text}")]


def participant_of(request: dict[str, Any]) -> dict[str, Any]:
    participant: dict[str, Any] = request["participant"]
    return participant


def test_names_in_several_languages_reach_the_signed_request_and_the_trust_list(sandbox: Path) -> None:
    made = onboard(sandbox, "--name", ELKA_NFD, *name_in(NAMES))
    assert made.exit_code == 0, made.output
    request_file = sandbox / "requests" / "ru-exp-07.json"
    request = json.loads(request_file.read_text(encoding="utf-8"))
    participant = participant_of(request)
    assert participant["name"] == ELKA_NFD
    assert participant["names"] == [{"@value": text, "@language": tag} for tag, text in NAMES]
    assert not unicodedata.is_normalized("NFC", participant["names"][0]["@value"])  # still decomposed
    check_possession(request)  # the names are under the new key's signature

    approved = runner.invoke(app, ["trust", "approve", str(request_file), "--data-dir", str(sandbox)])
    assert approved.exit_code == 0, approved.output
    listed = json.loads((sandbox / "trust-list.json").read_text(encoding="utf-8"))
    new = next(p for p in listed["participants"] if p["id"] == "ru-exp-07")
    assert (new["name"], new["names"]) == (participant["name"], participant["names"])
    shown = runner.invoke(app, ["--lang", "zh", "trust", "show", "--data-dir", str(sandbox)])
    assert "约尔卡有限责任公司" in shown.stdout


def test_without_name_the_first_form_is_the_plain_name(sandbox: Path) -> None:
    made = onboard(sandbox, *name_in([("ru", "ООО Ромашка"), ("en", "Romashka LLC")]))
    assert made.exit_code == 0, made.output
    participant = participant_of(json.loads((sandbox / "requests" / "ru-exp-07.json").read_text(encoding="utf-8")))
    assert participant["name"] == "ООО Ромашка"
    assert [form["@language"] for form in participant["names"]] == ["ru", "en"]


def test_a_plain_name_alone_makes_no_names(sandbox: Path) -> None:
    made = onboard(sandbox, "--name", "Tambov Soy Export LLC")
    assert made.exit_code == 0, made.output
    participant = participant_of(json.loads((sandbox / "requests" / "ru-exp-07.json").read_text(encoding="utf-8")))
    assert participant["name"] == "Tambov Soy Export LLC" and "names" not in participant


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name-in", "xx=Name"], "'xx' is not a language tag such as ru, en or zh-Hans (not a valid BCP 47"),
        (["--name-in", "rus=Name"], "which BCP 47 requires (ru, not rus)"),
        (["--name-in", "ru_RU=Name"], "'ru_RU' is not a language tag"),
        (["--name-in", "ООО Ромашка"], "--name-in 'ООО Ромашка': write LANG=TEXT"),
        (["--name-in", "ru="], "--name-in 'ru=': write LANG=TEXT"),
        (["--name-in", "ru=А", "--name-in", "RU=Б"], "--name-in: 'RU' is given twice"),
        (["--name", "Other", "--name-in", "ru=ООО Ромашка"], "--name 'Other' is none of the --name-in names"),
        (["--name-in", "en=" + "x" * 2001], "--name-in is not valid: String should have at most 2000 characters"),
        ([], "give the exporter's legal name"),
    ],
    ids=[
        "unknown language",
        "three letters",
        "locale form",
        "no tag",
        "no text",
        "twice",
        "plain elsewhere",
        "too long",
        "none",
    ],
)
def test_a_wrong_name_is_bad_usage_that_says_what_is_wrong(sandbox: Path, args: list[str], message: str) -> None:
    made = onboard(sandbox, *args)
    assert made.exit_code == 2
    assert message in " ".join(made.stderr.split())
    assert not (sandbox / "keys" / "ru-exp-07.pem").exists()  # nothing made
