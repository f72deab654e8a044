"""``pilot status``, ``pilot down`` and the network's overview page in Russian and Chinese (docs/design.md §9).

The text for people follows ``--lang`` (the overview page: the browser's ``Accept-Language``); ids, paths,
URLs, codes and the JSON output stay as they are in every language.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilot.cli import app
from pilot.language import set_cli_language
from pilot.network_file import NetworkRecord, ProcessEntry, write_record
from pilot.overview import render_page
from pilot.status_history import EntryHistory, VersionBit
from pilot.status_output import exporter_change_report, print_change, print_histories
from schemas.phrase import Phrase

CREDENTIAL = "urn:uuid:0b9f3c9e-8d1c-4b7e-9a59-1c2f3e4d5a6b"
LIST_URL = "https://registry.pilot.example/v1/status/cert-01/suspension-1"
CLOSED = "http://127.0.0.1:1"  # nothing listens on port 1: a refused connection, at once


def pilot(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def words(text: str) -> str:
    """The text with its line breaks and runs of spaces made one space (a long message may wrap)."""
    return " ".join(text.split())


def test_status_and_down_without_a_network(tmp_path: Path) -> None:
    code, _, err = pilot("--lang", "zh", "status", "--data-dir", str(tmp_path))
    assert code == 1 and f"{tmp_path} 中没有记录网络（请用 `pilot up` 启动）。" in words(err)
    code, _, err = pilot("--lang", "ru", "status", "--data-dir", str(tmp_path))
    assert code == 1 and f"В {tmp_path} не записано ни одной сети" in words(err)
    code, out, _ = pilot("--lang", "ru", "down", "--data-dir", str(tmp_path))
    assert code == 0 and f"Останавливать нечего: в {tmp_path} не записано ни одной сети." in words(out)
    english = pilot("status", "--data-dir", str(tmp_path), "--format", "json")
    assert pilot("--lang", "zh", "status", "--data-dir", str(tmp_path), "--format", "json") == english
    assert json.loads(english[1]) == {"running": False, "nodes": {}, "overview": None}


def test_status_table_of_a_recorded_network(tmp_path: Path) -> None:
    write_record(tmp_path, NetworkRecord(nodes={"cn-port-01": ProcessEntry(CLOSED, 0, "port")}, base_port=8100))
    code, out, _ = pilot("--lang", "zh", "status", "--data-dir", str(tmp_path))
    assert code == 1
    assert all(text in out for text in ("节点", "角色", "信任列表", "数据库", "已停止", f"{tmp_path} 中的试点网络"))
    assert all(code in out for code in ("cn-port-01", "port", CLOSED))  # ids, kinds and URLs as they are
    assert " down" not in out and "node" not in out


def test_a_usage_error_in_russian_keeps_ids_and_paths(tmp_path: Path) -> None:
    code, _, err = pilot("--lang", "ru", "status", "show", CREDENTIAL, "--data-dir", str(tmp_path))
    assert code == 2
    assert words(err).startswith(f"ошибка: ни один издатель, известный в {tmp_path}, не выделял индекс статуса для ")
    assert CREDENTIAL in words(err) and "--issuer" in err
    revoke = ("status", "revoke", "--issuer", "cert-01", CREDENTIAL, "--registry", "ftp://registry")
    code, _, err = pilot("--lang", "zh", *revoke, "--data-dir", str(tmp_path))
    assert code == 2 and "错误： --registry 'ftp://registry' 不是 http(s) URL" in words(err)


def history() -> EntryHistory:
    signed = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    versions = [
        VersionBit(1, datetime(2026, 11, 1, 8, 0, tzinfo=UTC), "2026-11-01T08:00:05Z", False),
        VersionBit(2, signed, "2026-11-02T08:00:05Z", True),
        VersionBit(3, None, None, None, Phrase("the registry answered HTTP {status}", status=503)),
    ]
    return EntryHistory(LIST_URL, "suspension", 7, versions, now=True)


def test_a_status_history_in_chinese_and_russian(capsys: pytest.CaptureFixture[str]) -> None:
    set_cli_language("zh")
    print_histories(CREDENTIAL, [history()])
    text = words(capsys.readouterr().out)
    assert f"suspension（{LIST_URL} 中的索引 7）： 自版本 2 起已暂停（2026-11-02T08:00:00Z）" in text
    assert all(word in text for word in ("版本", "注册中心接收时间", "已验证", "已置位", "注册中心返回 HTTP 503"))
    set_cli_language("ru")
    print_histories(CREDENTIAL, [history()])
    text = words(capsys.readouterr().out)
    assert "приостановлено начиная с версии 2 (2026-11-02T08:00:00Z)" in text and "реестр ответил HTTP 503" in text
    # The JSON keeps the English problem, whatever the language.
    assert history().as_json()["versions"][2]["problem"] == "the registry answered HTTP 503"


def test_a_change_in_russian_and_its_json_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    answer = {"credential": CREDENTIAL, "changed": True, "status": {"revocation": True}, "list": {"published": False}}
    report = exporter_change_report("revoke", "ru-exp-01", answer)
    set_cli_language("ru")
    print_change(report, as_json=False)
    captured = capsys.readouterr()
    assert f"{CREDENTIAL}: отозвано издателем ru-exp-01" in words(captured.out)
    assert "revocation: установлен" in captured.out and "нет" in captured.out
    assert "не опубликовано: реестр ещё не подтвердил получение (сохранено;" in words(captured.err)
    print_change(report, as_json=True)
    assert json.loads(capsys.readouterr().out)["list"]["problem"] == "not yet acknowledged by the registry"


def test_the_overview_page_in_the_browsers_language(tmp_path: Path) -> None:
    nodes = {"cn-port-01": ProcessEntry(CLOSED, 1, "port"), "registry": ProcessEntry(CLOSED, 2, "registry")}
    write_record(tmp_path, NetworkRecord(nodes=nodes, base_port=8100))
    page = render_page(tmp_path, ["zh-CN", "en;q=0.5"])
    assert '<html lang="zh">' in page and "<title>试点网络</title>" in page
    assert "<h2>节点</h2>" in page and "无响应" in page and "<code>pilot up</code>" in page
    assert "<td>cn-port-01</td><td>port</td>" in page and f'href="{CLOSED}/v1/trust-list">信任列表</a>' in page
    russian = render_page(tmp_path, ["ru-RU"])
    assert '<html lang="ru">' in russian and "<h2>Узлы</h2>" in russian and "не отвечает" in russian
    assert '<html lang="en">' in render_page(tmp_path, ["fr"])
