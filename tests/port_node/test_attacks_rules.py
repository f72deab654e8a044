"""docs/reliability.md, attacks 1, 2, 7, 8, through the port: what it keeps, decides, signs and publishes under attack.

- a credential whose proof fails still has its data categories checked, and its content is not kept;
  reasons never quote input values (neither in the receipt nor in the database);
- an exporter cannot ship under another exporter's registered establishment;
- one request bounds what the port writes and signs (the review's 1 MiB body of 110,000 unknown members,
  and its 3.5 MB batch), measured here: receipt and response size, bytes the database gained;
- inspection sampling uses a per-day port key, published only once the day is over.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from node_core.settings import NodeSettings
from pilot.participants import exporter
from pilot.sandbox import DEFAULT_SEED, plant_number, write_sandbox
from pilot.synthetic import Signer, build_world, plan_consignment, sign_consignment, stable_id
from schemas.records import facility_record_subject
from tests.port_node.port_harness import PortHarness, as_body, check_receipt, fresh_submission, sandbox

pytestmark = [pytest.mark.anyio, pytest.mark.db]

PERSONAL_NAME = "Ivan Ivanov"
PERSONAL_PHONE = "+7 916 555-01-02"
PERSONAL = f"{PERSONAL_NAME}, private mobile {PERSONAL_PHONE}"


def _stored_bytes(harness: PortHarness) -> tuple[int, bytes]:
    """Every value in every table of the port's database: (total bytes, all of them concatenated)."""
    engine: sa.Engine = harness.port.engine
    chunks: list[bytes] = []
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, bytes | bytearray | memoryview):
                        chunks.append(bytes(value))
                    elif isinstance(value, str):
                        chunks.append(value.encode())
                    else:
                        chunks.append(json.dumps(value, default=str).encode())
    data = b"\x00".join(chunks)
    return len(data), data


def _personal_record(exporter_id: str = "ru-exp-01", **facility: Any) -> dict[str, Any]:
    farm = {**build_world(DEFAULT_SEED, exporter_id).farms[0], **facility}
    credential: dict[str, Any] = Signer(sandbox().keyrings).issue(
        exporter_id, "DigitalFacilityRecord", facility_record_subject(farm), credential_id=stable_id("t", "personal")
    )
    return credential


async def _read_back(harness: PortHarness, exporter_id: str, submission_id: str) -> dict[str, Any]:
    async with harness.client(exporter_id) as client:
        response = await client.get(f"/v1/submissions/{submission_id}")
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


# -- item 1 -------------------------------------------------------------------------------------------------


async def test_personal_data_in_a_tampered_credential_is_neither_kept_nor_served(harness: PortHarness) -> None:
    document = fresh_submission("ru-exp-01", "att-tampered-personal")
    record = _personal_record(operatorContact={"name": PERSONAL_NAME, "phone": PERSONAL_PHONE})
    record["credentialSubject"]["facility"]["name"] += " (renamed)"  # the proof no longer verifies
    document["credentials"].append(record)
    response = await harness.submit("ru-exp-01", document)
    assert response.status_code == 201, response.text
    subject = check_receipt(response.content)["credentialSubject"]
    codes = {reason["code"] for reason in subject["reasons"]}
    assert subject["decision"] == "rejected"
    assert {"PROOF_INVALID", "DATA_CATEGORY_NOT_PERMITTED"} <= codes
    stored = await _read_back(harness, "ru-exp-01", document["submissionId"])
    assert stored["contentStored"] is False and stored["submission"] is None
    _, everything = _stored_bytes(harness)
    assert PERSONAL_PHONE.encode() not in everything and PERSONAL_NAME.encode() not in everything


async def test_a_schema_error_never_quotes_the_value_into_the_receipt_or_the_database(harness: PortHarness) -> None:
    """The review's case: personal data typed into a coded field, signed by the exporter."""
    document = fresh_submission("ru-exp-01", "att-quoted")
    document["credentials"].append(_personal_record(countryOfOperation=PERSONAL, region=PERSONAL))
    response = await harness.submit("ru-exp-01", document)
    assert response.status_code == 201, response.text
    subject = check_receipt(response.content)["credentialSubject"]
    assert subject["decision"] == "rejected"
    assert "SCHEMA_INVALID" in {reason["code"] for reason in subject["reasons"]}
    assert PERSONAL_NAME.encode() not in response.content and PERSONAL_PHONE.encode() not in response.content
    stored = await _read_back(harness, "ru-exp-01", document["submissionId"])
    assert stored["contentStored"] is False  # a field that does not fit its schema cannot be classified
    _, everything = _stored_bytes(harness)
    assert PERSONAL_PHONE.encode() not in everything and PERSONAL_NAME.encode() not in everything


# -- item 2 -------------------------------------------------------------------------------------------------


async def test_an_exporter_cannot_ship_under_another_exporters_establishment(harness: PortHarness) -> None:
    beef = exporter("ru-exp-02").hs_code
    parts = plan_consignment(DEFAULT_SEED, build_world(DEFAULT_SEED, "ru-exp-01"), "t-alt-plant", "cn-port-01", "rail")
    parts.lots[0].update(hsCode=beef, establishmentNumber=plant_number("ru-exp-02"))
    for event in parts.events:
        event["hsCode"] = beef
    document = sign_consignment(DEFAULT_SEED, parts, Signer(sandbox().keyrings)).submission
    response = await harness.submit("ru-exp-01", document)
    assert response.status_code == 201, response.text
    subject = check_receipt(response.content)["credentialSubject"]
    assert subject["decision"] == "rejected"
    assert [r["code"] for r in subject["reasons"]] == ["ESTABLISHMENT_NOT_BOUND_TO_EXPORTER"]


# -- item 7 -------------------------------------------------------------------------------------------------


def _name(n: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    text = ""
    while True:
        n, digit = divmod(n, len(alphabet))
        text += alphabet[digit]
        if n == 0:
            return text


def _with_unknown_members(document: dict[str, Any], count: int, prefix: str = "") -> dict[str, Any]:
    for n in range(count):
        document[prefix + _name(n)] = 0
    return document


async def test_a_body_of_unknown_members_makes_a_bounded_receipt(harness: PortHarness) -> None:
    """The review's 1 MiB body with 110,000 unknown members: 11 MB receipt, stored twice, before."""
    document = _with_unknown_members(fresh_submission("ru-exp-01", "att-amplify"), 110_000)
    body = as_body(document)
    assert len(body) <= 1024 * 1024
    before, _ = _stored_bytes(harness)
    response = await harness.submit("ru-exp-01", document)
    growth = _stored_bytes(harness)[0] - before
    print(f"\nsingle: body {len(body)} B, receipt {len(response.content)} B, database +{growth} B")
    assert response.status_code == 201, response.text[:300]
    subject = check_receipt(response.content)["credentialSubject"]
    assert subject["decision"] == "rejected"
    assert len(subject["reasons"]) == 51 and subject["reasons"][-1]["code"] == "REASONS_OMITTED"
    assert len(response.content) < 32 * 1024
    assert growth < 64 * 1024


async def test_a_batch_of_unknown_members_makes_a_bounded_response(harness: PortHarness) -> None:
    """The review's 3.5 MB batch: a 46 MB response and 95 MB of database growth, before."""
    items = [
        _with_unknown_members({"submissionId": f"att-batch-{i}", "manifest": {}, "credentials": []}, 4_000)
        for i in range(125)
    ]
    body = as_body({"submissions": items})
    before, _ = _stored_bytes(harness)
    async with harness.client("ru-exp-01", timeout=600) as client:
        response = await client.post(
            "/v1/submissions:batch", content=body, headers={"content-type": "application/json"}
        )
    growth = _stored_bytes(harness)[0] - before
    print(f"\nbatch: body {len(body)} B, response {len(response.content)} B, database +{growth} B")
    assert response.status_code == 200, response.text[:300]
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201] * 125
    assert len(response.content) < 2 * len(body)
    assert growth < 2 * len(body)


# -- item 8 -------------------------------------------------------------------------------------------------

SAMPLING_PORT = "cn-port-03"  # samplingRate 0.2


class SamplingPortHarness(PortHarness):
    """The same harness, as cn-port-03 (the port that samples)."""

    def settings(self) -> NodeSettings:
        return super().settings().model_copy(update={"node_id": SAMPLING_PORT})


@pytest.fixture
def sampling_port(tmp_path: Path, database_url: str) -> Any:
    data_dir = tmp_path / "data"
    write_sandbox(sandbox(), data_dir)
    port = SamplingPortHarness(data_dir, database_url)
    try:
        yield port
    finally:
        port.close()


async def _get(port: PortHarness, path: str) -> httpx.Response:
    async with port.client() as client:
        return await client.get(path)


async def test_sampling_follows_a_day_key_published_only_once_the_day_is_over(
    sampling_port: SamplingPortHarness,
) -> None:
    from schemas.sampling import day_key, is_sampled

    secret_file = sampling_port.data_dir / "secrets" / f"{SAMPLING_PORT}.sampling"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    secret = secret_file.read_bytes()
    today = datetime.now(UTC).date()

    for day in (today, today + timedelta(days=1)):
        response = await _get(sampling_port, f"/v1/inspection/sampling-keys/{day.isoformat()}")
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    assert (await _get(sampling_port, "/v1/inspection/sampling-keys/2026-13-01")).status_code == 400
    yesterday = today - timedelta(days=1)
    published = await _get(sampling_port, f"/v1/inspection/sampling-keys/{yesterday.isoformat()}")
    assert published.status_code == 200, published.text
    assert base64.b64decode(published.json()["key"]) == day_key(secret, yesterday)

    decisions = []
    for n in range(20):
        parts = plan_consignment(DEFAULT_SEED, build_world(DEFAULT_SEED, "ru-exp-01"), f"t-s-{n}", SAMPLING_PORT, "sea")
        document = sign_consignment(DEFAULT_SEED, parts, Signer(sandbox().keyrings)).submission
        response = await sampling_port.submit("ru-exp-01", document)
        assert response.status_code == 201, response.text
        subject = json.loads(response.content)["credentialSubject"]
        received = datetime.fromisoformat(subject["receivedAt"].replace("Z", "+00:00")).date()
        held = is_sampled(day_key(secret, received), subject["submissionDigest"], 0.2)
        assert subject["decision"] == ("held_for_inspection" if held else "accepted")
        decisions.append(subject["decision"])
    print(f"\nsampling at {SAMPLING_PORT}: {decisions.count('held_for_inspection')} of {len(decisions)} held")

    # An auditor, once today's key is published, checks every logged decision against it.
    from schemas.sampling import audit_sampling

    async with sampling_port.client() as client:
        entries = (await client.get("/v1/log/entries", params={"start": 0, "end": 20})).json()["entries"]
    audit = audit_sampling([e["entry"] for e in entries], {today: day_key(secret, today)}, 0.2)
    assert audit.checked == 20 and audit.consistent and audit.held_not_sampled == []
