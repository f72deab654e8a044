"""The port receives sealed credentials over real HTTP (docs/design.md §§4, 8; issue 15 items 4 and 5).

cn-port-03 takes laboratory results only sealed to its keyAgreement key: a sealed lab credential is opened,
verified and decided like a clear one, and stored as it came, sealed. Nothing the port keeps or says (the
database, the receipt, the public log, its log lines) holds a byte of the plaintext: each check searches for
``LAB_VALUE``, a value known to be inside it, and the same search finds it where the plaintext does rest
(opened with the port's key, or sent in clear to cn-port-01), so the search is not blind.

Keys: a key destroyed (by the port, or by rewriting the keyring file as ``pilot keys destroy`` does) stops
opening anything at once and after a restart; ``/health`` says so; retention destroys a retired key once
``sealedRetentionDays`` have passed after its window, at start-up and in its hourly rounds.
"""

from __future__ import annotations

import json
import logging
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import port_node.key_retention
from pilot.sandbox import SEALED_RETENTION_DAYS
from schemas.keyring import destroy_key, destroyed_keys, load_agreement_keys
from schemas.sealing import is_sealed, open_sealed_credential
from schemas.time import utc_now
from tests.port_node.port_harness import PORT_ID, PortHarness
from tests.port_node.sealing_port import SEALING_PORT, SealingPortHarness, check_port_receipt, sealing_port
from tests.support.sealed import (
    LAB_VALUE,
    agreement_kid,
    credential_index,
    lab_submission,
    port_agreement_keys,
    sealed_at,
)

pytestmark = [pytest.mark.anyio, pytest.mark.db]

__all__ = ["sealing_port"]

EXPORTER = "ru-exp-01"
DCC = "DigitalConformityCredential"
CURRENT = agreement_kid(SEALING_PORT)  # key-4, valid until 2037
RETIRED = agreement_kid(SEALING_PORT, "key-5")  # valid until 2026-06-30
SECRET = LAB_VALUE.encode()


def _sealed_lab(name: str, port: str = SEALING_PORT, label: str = "key-4") -> tuple[dict[str, Any], int]:
    clear = lab_submission(EXPORTER, name, port)
    index = credential_index(clear, DCC)
    return sealed_at(clear, index, port, label=label), index


def _database_bytes(port: PortHarness) -> bytes:
    """Every value in every table, and for SQLite every byte of the database files (main, -wal, -shm)."""
    engine: sa.Engine = port.port.engine
    chunks: list[bytes] = []
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                chunks += [v if isinstance(v, bytes) else str(v).encode() for v in row if v is not None]
    url = make_url(port.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        for suffix in ("", "-wal", "-shm"):
            file = Path(url.database + suffix)
            if file.exists():
                chunks.append(file.read_bytes())
    return b"\n".join(chunks)


def _log_text(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in records)


async def _stored(port: PortHarness, submission_id: str) -> dict[str, Any]:
    async with port.client(EXPORTER) as client:
        response = await client.get(f"/v1/submissions/{submission_id}")
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


async def _health(port: PortHarness) -> dict[str, Any]:
    async with port.client() as client:
        health: dict[str, Any] = (await client.get("/health")).json()
    return health


# -- intake -----------------------------------------------------------------------------------------------


async def test_a_sealed_lab_credential_is_decided_and_stored_sealed_never_in_clear(
    sealing_port: SealingPortHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    document, index = _sealed_lab("sealed-stored")
    response = await sealing_port.submit(EXPORTER, document)
    assert response.status_code == 201, response.text
    subject = check_port_receipt(response.content, SEALING_PORT)["credentialSubject"]
    assert subject["decision"] in ("accepted", "held_for_inspection")  # cn-port-03 samples 20%
    assert subject["reasons"] == []

    record = await _stored(sealing_port, document["submissionId"])
    assert record["contentStored"] is True
    stored = record["submission"]["credentials"][index]
    assert is_sealed(stored) and stored == document["credentials"][index]  # what it received, as received

    # The plaintext is inside what the port keeps (its key opens it) ...
    opened = open_sealed_credential(stored, port_agreement_keys(SEALING_PORT))
    assert opened.kid == CURRENT and LAB_VALUE in json.dumps(opened.credential)
    # ... and nowhere in clear: database, receipt, public log, log lines.
    assert SECRET not in _database_bytes(sealing_port)
    assert SECRET not in response.content
    async with sealing_port.client() as client:
        entries = (await client.get("/v1/log/entries", params={"start": 0, "end": 1})).text
    assert LAB_VALUE not in entries
    assert caplog.records and LAB_VALUE not in _log_text(caplog.records)


async def test_the_search_finds_lab_values_where_they_rest_in_clear(harness: PortHarness) -> None:
    """cn-port-01 permits laboratory results in clear text: it stores them, and the same search finds them."""
    document = lab_submission(EXPORTER, "clear-at-01", PORT_ID)
    response = await harness.submit(EXPORTER, document)
    assert response.status_code == 201, response.text
    assert json.loads(response.content)["credentialSubject"]["decision"] == "accepted"
    assert SECRET in _database_bytes(harness)


async def test_lab_results_in_clear_text_to_cn_port_03_are_rejected_and_not_stored(
    sealing_port: SealingPortHarness,
) -> None:
    document = lab_submission(EXPORTER, "clear-at-03", SEALING_PORT)
    response = await sealing_port.submit(EXPORTER, document)
    assert response.status_code == 201, response.text
    subject = check_port_receipt(response.content, SEALING_PORT)["credentialSubject"]
    assert subject["decision"] == "rejected"
    assert {r["code"] for r in subject["reasons"]} == {"DATA_CATEGORY_SEALING_REQUIRED"}
    assert (await _stored(sealing_port, document["submissionId"]))["contentStored"] is False
    assert SECRET not in _database_bytes(sealing_port)


async def test_a_credential_sealed_to_the_retired_key_is_refused(sealing_port: SealingPortHarness) -> None:
    assert RETIRED in sealing_port.port.agreement_keys.private_keys()  # still held, within its retention
    document, _ = _sealed_lab("retired", label="key-5")
    response = await sealing_port.submit(EXPORTER, document)
    subject = check_port_receipt(response.content, SEALING_PORT)["credentialSubject"]
    assert subject["decision"] == "rejected"
    assert [r["code"] for r in subject["reasons"]] == ["SEALED_KEY_RETIRED"]
    assert (await _stored(sealing_port, document["submissionId"]))["contentStored"] is False


# -- destroying keys --------------------------------------------------------------------------------------


async def _codes_of(port: PortHarness, name: str) -> list[str]:
    document, _ = _sealed_lab(name)
    response = await port.submit(EXPORTER, document)
    assert response.status_code == 201, response.text
    return [r["code"] for r in json.loads(response.content)["credentialSubject"]["reasons"]]


async def test_a_destroyed_key_opens_nothing_at_once_and_after_a_restart(
    sealing_port: SealingPortHarness, caplog: pytest.LogCaptureFixture
) -> None:
    keys = sealing_port.port.agreement_keys
    assert await _codes_of(sealing_port, "before") == []
    assert (await _health(sealing_port))["status"] == "ok"

    at = utc_now().replace(microsecond=0)
    keys.destroy(CURRENT, at)
    assert CURRENT not in keys.private_keys() and keys.destroyed() == {CURRENT: at}
    key_file = sealing_port.data_dir / "keys" / f"{SEALING_PORT}.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert destroyed_keys(key_file.read_bytes()) == {CURRENT: at}
    assert [e.verification_method for e in load_agreement_keys(key_file.read_bytes())] == [RETIRED]

    assert await _codes_of(sealing_port, "after") == ["SEALED_KEY_UNKNOWN"]
    health = await _health(sealing_port)
    assert health["status"] == "degraded"
    assert any(r.startswith("SEALED_KEY_UNKNOWN: ") and CURRENT in r for r in health["reasons"]), health

    sealing_port.restart()
    assert sealing_port.port.agreement_keys.destroyed() == {CURRENT: at}
    assert await _codes_of(sealing_port, "after-restart") == ["SEALED_KEY_UNKNOWN"]


async def test_a_keyring_rewritten_outside_the_port_takes_effect_without_a_restart(
    sealing_port: SealingPortHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """What ``pilot keys destroy`` does to the file: the running port notices, and logs it."""
    caplog.set_level(logging.INFO)
    assert await _codes_of(sealing_port, "before-rewrite") == []
    key_file = sealing_port.data_dir / "keys" / f"{SEALING_PORT}.pem"
    key_file.write_bytes(destroy_key(key_file.read_bytes(), CURRENT, utc_now()))
    assert await _codes_of(sealing_port, "after-rewrite") == ["SEALED_KEY_UNKNOWN"]
    assert any(r.getMessage() == "keyAgreement key destroyed" and r.__dict__["kid"] == CURRENT for r in caplog.records)


async def test_a_keyring_that_can_no_longer_be_read_holds_no_key(sealing_port: SealingPortHarness) -> None:
    key_file = sealing_port.data_dir / "keys" / f"{SEALING_PORT}.pem"
    lines = key_file.read_text().splitlines(keepends=True)
    label = lines.index(f"# {CURRENT} keyAgreement\n")
    lines[label + 2] = "AAAA\n"  # the key's base64 body replaced: still PEM-shaped, no key inside
    key_file.write_text("".join(lines))
    keys = sealing_port.port.agreement_keys
    assert keys.private_keys() == {} and keys.problem is not None
    health = await _health(sealing_port)
    assert health["status"] == "degraded" and any("keyring" in r for r in health["reasons"]), health


async def test_cn_port_01_seals_nothing_so_its_health_does_not_depend_on_its_key(harness: PortHarness) -> None:
    harness.port.agreement_keys.destroy(agreement_kid(PORT_ID), utc_now())
    assert (await _health(harness))["status"] == "ok"


# -- retention --------------------------------------------------------------------------------------------

#: The day after cn-port-03's key-5 has been retired for its whole retention (2026-06-30 + 365 days).
AFTER_RETENTION = datetime(2026, 6, 30, tzinfo=UTC) + timedelta(days=SEALED_RETENTION_DAYS, seconds=1)


async def test_retention_destroys_a_retired_key_once_its_period_is_over(
    sealing_port: SealingPortHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    retention = sealing_port.port.retention
    retention.clock = lambda: AFTER_RETENTION - timedelta(seconds=2)
    assert retention.run_once() == []  # one second before its end: kept
    retention.clock = lambda: AFTER_RETENTION
    assert retention.run_once() == [RETIRED]
    assert retention.run_once() == []  # already gone
    keys = sealing_port.port.agreement_keys
    assert set(keys.private_keys()) == {CURRENT} and set(keys.destroyed()) == {RETIRED}
    assert any(r.getMessage().startswith("keyAgreement key destroyed at the end") for r in caplog.records)
    assert await _codes_of(sealing_port, "after-retention") == []  # the current key still opens


async def test_retention_runs_at_start_up(sealing_port: SealingPortHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    assert RETIRED in sealing_port.port.agreement_keys.private_keys()
    monkeypatch.setattr(port_node.key_retention, "utc_now", lambda: AFTER_RETENTION)
    sealing_port.restart()
    assert set(sealing_port.port.agreement_keys.destroyed()) == {RETIRED}


async def test_without_a_retention_period_nothing_is_destroyed(harness: PortHarness) -> None:
    """cn-port-01's policy has no sealedRetentionDays: however late, its keys stay."""
    harness.port.retention.clock = lambda: datetime(2099, 1, 1, tzinfo=UTC)
    assert harness.port.retention.run_once() == []
    assert harness.port.agreement_keys.destroyed() == {}
