"""``pilot trust``, ``keys``, ``onboard`` and ``credential`` print in the command's language (``--lang``).

docs/design.md §9, "Languages". A small operator's sandbox made of the known-answer vectors (their trust list,
anchor and ``pilot-gov``'s key), so every command runs for real in well under a second: the text changes
with ``--lang``, the ids, key ids, codes and paths in it do not, and ``--format json`` is the same document
in every language.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pilot.cli import app
from tests.support.files import VECTORS, governed_sandbox

GOV_KEY = "did:web:pilot.example:pilot-gov#key-1"

runner = CliRunner()


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """The vectors' trust list and anchor, and the key of ``pilot-gov`` that signed them."""
    return governed_sandbox(tmp_path / "data")


def pilot(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def onboard(directory: Path, exporter: str = "ru-exp-07") -> Path:
    made = pilot("onboard", "exporter", "--id", exporter, "--name", "Tambov Soy Export LLC", "--data-dir", directory)
    assert made.exit_code == 0, made.output
    return directory / "requests" / f"{exporter}.json"


@pytest.mark.parametrize(
    ("language", "header", "columns", "names"),
    [
        ("en", "trust list sequence 1, issued", ("participant", "purposes"), ("Belgorod Broiler Export LLC",)),
        ("ru", "список доверия, номер 1, выпущен", ("участник", "назначения"), ("ООО «Белгородский бройлер-экспорт»",)),
        # No Chinese form of an exporter's name: its English one; a port's in Hanzi.
        (
            "zh",
            "信任列表序号 1，签发于",
            ("参与方", "用途"),
            ("Belgorod Broiler Export LLC", "满洲里铁路口岸管理局（虚构）"),
        ),
    ],
)
def test_trust_show_speaks_the_language_and_keeps_the_ids(
    sandbox: Path, language: str, header: str, columns: tuple[str, ...], names: tuple[str, ...]
) -> None:
    shown = pilot("--lang", language, "trust", "show", "--data-dir", sandbox)
    assert shown.exit_code == 0, shown.output
    assert header in shown.stdout
    assert all(column in shown.stdout for column in columns)
    assert all(name in shown.stdout for name in names)  # each participant named in the reader's language
    for unchanged in (GOV_KEY, "ru-exp-01", "cn-port-03", "key-1", "assertion,authentication", "port_authority"):
        assert unchanged in shown.stdout


def test_trust_show_json_is_the_signed_list_whatever_the_language_and_flag(sandbox: Path) -> None:
    signed = json.loads((sandbox / "trust-list.json").read_text())
    for language, flags in (("ru", ["--format", "json"]), ("zh", ["--json"])):
        shown = pilot("--lang", language, "trust", "show", "--data-dir", sandbox, *flags)
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.stdout) == signed


def test_trust_approve_in_chinese_then_refused_in_russian(sandbox: Path) -> None:
    request = onboard(sandbox)
    approved = pilot("--lang", "zh", "trust", "approve", request, "--data-dir", sandbox)
    assert approved.exit_code == 0, approved.output
    assert approved.stdout.startswith("已批准 ru-exp-07.json：信任列表序号 1 -> 2（签发于 ")
    assert f"签名者 {GOV_KEY}）" in approved.stdout
    again = pilot("--lang", "ru", "trust", "approve", request, "--data-dir", sandbox)
    assert again.exit_code == 1
    assert again.stdout.strip() == "отклонено: участник ru-exp-07 уже есть в списке доверия"


def test_trust_approve_json_is_english_in_every_language(sandbox: Path) -> None:
    request = onboard(sandbox)
    approved = pilot("--lang", "ru", "trust", "approve", request, "--data-dir", sandbox, "--format", "json")
    assert approved.exit_code == 0, approved.output
    answer = json.loads(approved.stdout)
    assert {k: answer[k] for k in ("approved", "previousSequence", "sequence", "signedBy", "sealingKey")} == {
        "approved": True,
        "previousSequence": 1,
        "sequence": 2,
        "signedBy": GOV_KEY,
        "sealingKey": None,
    }
    assert json.loads((sandbox / "trust-list.json").read_text())["sequence"] == 2
    refused = pilot("--lang", "zh", "trust", "approve", request, "--data-dir", sandbox, "--json")
    assert refused.exit_code == 1
    assert json.loads(refused.stdout) == {
        "approved": False,
        "request": str(request),
        "reason": "participant ru-exp-07 is already in the trust list",
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "error: {path} does not exist: is nobody-01 a participant of the sandbox in {directory}?"),
        ("ru", "ошибка: {path} не существует: участвует ли nobody-01 в песочнице {directory}?"),
        ("zh", "错误： {path} 不存在：nobody-01 是 {directory} 中沙盒的参与方吗？"),
    ],
)
def test_keys_rotate_explains_bad_usage_in_the_language(sandbox: Path, language: str, expected: str) -> None:
    rotated = pilot("--lang", language, "keys", "rotate", "--id", "nobody-01", "--data-dir", sandbox)
    assert rotated.exit_code == 2
    path = sandbox / "keys" / "nobody-01.pem"
    assert " ".join(rotated.stderr.split()) == expected.format(path=path, directory=sandbox)


def test_keys_rotate_refusal_from_the_trust_list_in_chinese(sandbox: Path) -> None:
    onboard(sandbox, "ru-exp-08")  # an exporter, so it has no keyAgreement key to rotate
    rotated = pilot(
        "--lang", "zh", "keys", "rotate", "--id", "ru-exp-08", "--purpose", "keyAgreement", "--data-dir", sandbox
    )
    assert rotated.exit_code == 2
    assert "错误： ru-exp-08 不在信任列表中" in " ".join(rotated.stderr.split())


def test_onboard_exporter_in_russian(sandbox: Path) -> None:
    made = pilot("--lang", "ru", "onboard", "exporter", "--id", "ru-exp-07", "--name", "X", "--data-dir", sandbox)
    assert made.exit_code == 0, made.output
    key_file, request_file = sandbox / "keys" / "ru-exp-07.pem", sandbox / "requests" / "ru-exp-07.json"
    lines = made.stdout.splitlines()
    assert lines[0] == f"созданы ключ {key_file}, токен оператора и запрос {request_file}"
    assert lines[1] == f"далее: pilot trust approve {request_file} --data-dir {sandbox}"


def test_credential_verify_in_chinese_keeps_the_code(sandbox: Path) -> None:
    valid = VECTORS / "valid" / "credential-facility-record.json"
    trust: list[str | Path] = ["--trust-list", VECTORS / "trust-list.json", "--at", "2026-11-01T00:00:00Z"]
    verified = pilot("--lang", "zh", "credential", "verify", valid, *trust)
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.splitlines()[0] == f"已核验 {valid}"
    tampered = VECTORS / "invalid" / "credential-tampered-proof-value.json"
    refused = pilot("--lang", "zh", "credential", "verify", tampered, *trust)
    assert refused.exit_code == 1
    assert refused.stdout.splitlines()[0] == f"PROOF_INVALID {tampered} 未通过核验"  # the code untranslated
    assert "严重程度" in refused.stdout and "消息" in refused.stdout
