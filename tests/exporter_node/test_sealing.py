"""The exporter seals what the destination's policy takes only sealed, and keeps only the sealed form once sent.

Against the real cn-port-03 app (``httpx.ASGITransport``, its own SQLite database), whose sandbox policy takes
``laboratory`` only sealed, and the kit's stand-in cn-port-01 (``FakePort``), which takes it in clear
(docs/design.md §§6, 8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

import exporter_node.sealing
from exporter_node.state import ExporterNode
from exporter_node.tables import metadata
from node_core.settings import NodeSettings
from pilot.sandbox import Sandbox, write_sandbox
from schemas.digest import canonical_digest
from schemas.jose import credential_payload
from schemas.receipt import verify_receipt
from schemas.sealing import is_sealed, open_sealed_credential
from schemas.time import utc_now
from schemas.trust import TrustRegistry
from tests.exporter_node.conftest import EXPORTER, Scenario
from tests.exporter_node.sealing_support import (
    LAB_RESULT,
    LAB_TEST,
    SEALING_PORT,
    SEALING_PORT_URL,
    agreement_private_keys,
    lab_certificate,
    real_port,
    resigned_trust_list,
    revoke_agreement_keys,
    seal_category,
)
from tests.support.registry import RegistryStandin
from tests.support.surface import assert_exports

pytestmark = [pytest.mark.anyio, pytest.mark.db]


@pytest.fixture
def registry(tmp_path: Path, sandbox: Sandbox) -> RegistryStandin:
    """The registry cn-port-03 fetches status lists from: the sandbox's lists (and the exporter's, once followed)."""
    data_dir = tmp_path / "registry-data"
    write_sandbox(sandbox, data_dir)
    return RegistryStandin.from_data_dir(data_dir)


@pytest.fixture
def sealing_settings(settings: NodeSettings) -> NodeSettings:
    """ru-exp-01's settings with cn-port-03's URL."""
    settings.peer_urls = {**settings.peer_urls, SEALING_PORT: SEALING_PORT_URL}
    return settings


@pytest.fixture
def port03(tmp_path: Path, sandbox: Sandbox, registry: RegistryStandin) -> Iterator[Any]:
    """The real cn-port-03 app, on the sandbox trust list."""
    with real_port(tmp_path, sandbox, registry) as app:
        yield app


async def _import(scenario: Scenario, credential: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = await scenario.exporter.client.post("/v1/credentials", json=credential)
    assert response.status_code == status, response.text
    return dict(response.json())


async def _prepare_with_lab(scenario: Scenario) -> dict[str, Any]:
    """Farms and plant registered; the lab certificate of the first farm and the plant's attestation imported."""
    await scenario.register()
    farm = scenario.world.farms[0]
    certificate = lab_certificate(scenario.sign, farm, scenario.records[farm["id"]], EXPORTER)
    await _import(scenario, certificate)
    await _import(scenario, scenario.attestation())
    return certificate


async def _credentials(scenario: Scenario) -> dict[str, dict[str, Any]]:
    response = await scenario.exporter.client.get("/v1/credentials")
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()}


def _pins(submission: dict[str, Any]) -> dict[str, str]:
    """The manifest's pins: credential id -> digest."""
    subject = credential_payload(submission["manifest"])["credentialSubject"]
    return {ref["id"]: ref["digest"] for ref in subject["credentials"]}


def _database_bytes(database: Path) -> bytes:
    """The SQLite database file and its write-ahead log (when there is one), as they are on disk."""
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def test_a_lab_certificate_travels_sealed_to_cn_port_03_opens_to_the_pinned_plaintext_and_is_accepted(
    sealing_settings: NodeSettings,
    port03: Any,
    registry: RegistryStandin,
    trust: TrustRegistry,
    data_dir: Path,
    make_exporter: Callable[..., Any],
    make_scenario: Callable[[Any], Scenario],
) -> None:
    async with make_exporter(sealing_settings, httpx.ASGITransport(app=port03)) as exporter:
        registry.follow(exporter.node)
        scenario = make_scenario(exporter)
        certificate = await _prepare_with_lab(scenario)
        certificate_id = credential_payload(certificate)["id"]

        response = await scenario.consign("c-sealed-1", destination=SEALING_PORT)
        assert response.status_code == 202, response.text
        text = (await exporter.client.get("/v1/consignments/c-sealed-1/submission")).text
        assert LAB_TEST not in text and LAB_RESULT not in text
        submission = await scenario.submission("c-sealed-1")
        sealed = [c for c in submission["credentials"] if is_sealed(c)]
        assert len(sealed) == 1, "only the lab certificate holds a field cn-port-03 takes only sealed"
        assert not is_sealed(submission["manifest"])

        # cn-port-03's current keyAgreement key (key-4 of the sandbox keyring) opens it, to the very credential
        # imported, whose digest is the manifest's pin.
        opened = open_sealed_credential(sealed[0], agreement_private_keys(data_dir, SEALING_PORT))
        current = trust.sealing_key(SEALING_PORT, utc_now())
        assert current is not None and opened.kid == current.kid and opened.kid.endswith("#key-4")
        assert opened.credential == certificate
        assert _pins(submission)[certificate_id] == opened.digest
        view = await scenario.view("c-sealed-1")
        assert view["submissionDigest"] == canonical_digest(submission)
        position = submission["credentials"].index(sealed[0])
        assert view["sealedCredentials"] == [
            {"position": position, "credentialId": certificate_id, "digest": opened.digest, "kid": opened.kid}
        ]

        await exporter.worker.run_until_idle(10)
        view = await scenario.view("c-sealed-1")
        assert view["state"] in ("delivered", "delivered_with_warnings"), view["attemptLog"]
        assert view["decision"] in ("accepted", "held_for_inspection"), view["reasons"]
        assert not [r for r in view["reasons"] if r["severity"] == "error"]
        verified = verify_receipt(
            view["receipt"],
            trust,
            port_id=SEALING_PORT,
            at=utc_now(),
            submission_id="c-sealed-1",
            submission_digest=view["submissionDigest"],
        )
        assert verified.decision == view["decision"]

        # Sent: the exporter holds the certificate only sealed, as it was sent; the attestation stays clear.
        held = await _credentials(scenario)
        assert held[certificate_id]["credential"] == sealed[0]
        assert held[certificate_id]["sealedTo"] == opened.kid
        assert held[certificate_id]["sealedIn"] == "c-sealed-1"
        assert held[certificate_id]["sealedAt"] is not None
        others = [item for item in held.values() if item["id"] != certificate_id]
        assert others and all(item["sealedTo"] is None and not is_sealed(item["credential"]) for item in others)

        # A later consignment that needs it is refused until it is imported again from its issuer.
        response = await scenario.consign("c-sealed-2", scenario.lot(2), destination=SEALING_PORT)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "CREDENTIAL_PLAINTEXT_DISCARDED"
        assert "c-sealed-1" in problem["detail"] and "POST /v1/credentials" in problem["detail"]
        assert (await exporter.client.get("/v1/consignments/c-sealed-2")).status_code == 404

        await _import(scenario, certificate)
        assert (await _credentials(scenario))[certificate_id]["sealedTo"] is None
        response = await scenario.consign("c-sealed-2", scenario.lot(2), destination=SEALING_PORT)
        assert response.status_code == 202, response.text
        await exporter.worker.run_until_idle(10)
        assert (await scenario.view("c-sealed-2"))["decision"] in ("accepted", "held_for_inspection")


async def test_the_same_certificate_travels_in_clear_to_cn_port_01_and_stays_held_in_clear(
    exporter: Any, scenario: Scenario, trust: TrustRegistry
) -> None:
    certificate = await _prepare_with_lab(scenario)
    certificate_id = credential_payload(certificate)["id"]
    response = await scenario.consign("c-clear-1")
    assert response.status_code == 202, response.text
    submission = await scenario.submission("c-clear-1")
    assert not any(is_sealed(c) for c in submission["credentials"])
    assert certificate in submission["credentials"]
    assert (await scenario.view("c-clear-1"))["sealedCredentials"] == []

    await exporter.worker.run_until_idle(10)
    view = await scenario.view("c-clear-1")
    assert view["state"] in ("delivered", "delivered_with_warnings") and view["decision"] == "accepted", view
    verify_receipt(
        view["receipt"],
        trust,
        port_id="cn-port-01",
        at=utc_now(),
        submission_id="c-clear-1",
        submission_digest=view["submissionDigest"],
    )
    held = (await _credentials(scenario))[certificate_id]
    assert held["sealedTo"] is None and held["credential"] == certificate
    assert (await scenario.consign("c-clear-2", scenario.lot(2))).status_code == 202


async def test_a_port_that_refuses_laboratory_data_is_still_refused_by_the_precheck(scenario: Scenario) -> None:
    await _prepare_with_lab(scenario)
    response = await scenario.consign("c-refused-1", destination="cn-port-02")
    assert response.status_code == 422, response.text
    assert "DATA_CATEGORY_NOT_PERMITTED" in response.json()["reasonCodes"]


async def test_after_delivery_no_byte_of_the_lab_results_is_left_in_the_exporters_sqlite_files(
    tmp_path: Path,
    sealing_settings: NodeSettings,
    port03: Any,
    registry: RegistryStandin,
    make_exporter: Callable[..., Any],
    make_scenario: Callable[[Any], Scenario],
) -> None:
    database = tmp_path / "exporter-sealing.db"
    sealing_settings.database_url = f"sqlite:///{database}"
    markers = (LAB_TEST.encode(), LAB_RESULT.encode())
    async with make_exporter(sealing_settings, httpx.ASGITransport(app=port03)) as exporter:
        registry.follow(exporter.node)
        scenario = make_scenario(exporter)
        await _prepare_with_lab(scenario)
        before = _database_bytes(database)
        assert all(marker in before for marker in markers), "the search must find the plaintext while it is held"

        assert (await scenario.consign("c-bytes-1", destination=SEALING_PORT)).status_code == 202
        await exporter.worker.run_until_idle(10)
        assert (await scenario.view("c-bytes-1"))["state"] in ("delivered", "delivered_with_warnings")

        running = _database_bytes(database)
        assert not [m for m in markers if m in running], "plaintext left in the database file or its -wal"
    assert not [m for m in markers if m in _database_bytes(database)]


async def test_a_port_that_seals_a_category_but_has_no_usable_key_refuses_the_consignment(
    sandbox: Sandbox,
    data_dir: Path,
    sealing_settings: NodeSettings,
    make_exporter: Callable[..., Any],
    make_scenario: Callable[[Any], Scenario],
) -> None:
    (data_dir / "trust-list.json").write_bytes(resigned_trust_list(sandbox, revoke_agreement_keys(SEALING_PORT)))
    async with make_exporter(sealing_settings) as exporter:
        scenario = make_scenario(exporter)
        await _prepare_with_lab(scenario)
        response = await scenario.consign("c-nokey-1", destination=SEALING_PORT)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "SEALING_KEY_UNAVAILABLE"
        assert problem["sealedCategories"] == ["laboratory"] and problem["destination"] == SEALING_PORT
        assert (await exporter.client.get("/v1/consignments/c-nokey-1")).status_code == 404
        # Nothing to seal, nothing to seal to: a lot from the second farm alone (no lab certificate) goes.
        lot = scenario.lot(3, originFacilities=[scenario.world.farms[1]["id"]])
        response = await scenario.consign("c-nokey-2", lot, destination=SEALING_PORT)
        assert response.status_code == 202, response.text
        assert not any(is_sealed(c) for c in (await scenario.submission("c-nokey-2"))["credentials"])


async def test_a_facility_record_sent_sealed_is_held_sealed_until_the_facility_is_registered_again(
    tmp_path: Path,
    sandbox: Sandbox,
    data_dir: Path,
    sealing_settings: NodeSettings,
    registry: RegistryStandin,
    make_exporter: Callable[..., Any],
    make_scenario: Callable[[Any], Scenario],
) -> None:
    # A cn-port-03 that also takes precise locations (farm polygons) only sealed: facility records travel sealed.
    trust_list = resigned_trust_list(sandbox, seal_category(SEALING_PORT, "precise_location"))
    (data_dir / "trust-list.json").write_bytes(trust_list)
    with real_port(tmp_path, sandbox, registry, trust_list) as port:
        async with make_exporter(sealing_settings, httpx.ASGITransport(app=port)) as exporter:
            registry.follow(exporter.node)
            scenario = make_scenario(exporter)
            await scenario.register()
            await _import(scenario, scenario.attestation())
            farm = scenario.world.farms[0]
            record_id = scenario.records[farm["id"]]["credentialId"]

            assert (await scenario.consign("c-farm-1", destination=SEALING_PORT)).status_code == 202
            submission = await scenario.submission("c-farm-1")
            sealed_records = [c for c in submission["credentials"] if is_sealed(c)]
            assert len(sealed_records) == 3, "two farms and the plant: each record holds a polygon"
            await exporter.worker.run_until_idle(10)
            assert (await scenario.view("c-farm-1"))["decision"] in ("accepted", "held_for_inspection")

            farms = {item["id"]: item for item in (await exporter.client.get("/v1/farms")).json()}
            assert farms[farm["id"]]["sealedTo"] is not None and is_sealed(farms[farm["id"]]["credential"])
            response = await scenario.consign("c-farm-2", scenario.lot(2), destination=SEALING_PORT)
            assert response.status_code == 422 and response.json()["code"] == "CREDENTIAL_PLAINTEXT_DISCARDED"
            assert "POST /v1/farms" in response.json()["detail"]

            for facility in (scenario.world.farms[0], scenario.world.farms[1], scenario.world.plant):
                again = await exporter.client.post("/v1/farms", json=facility)
                assert again.status_code == 201, again.text
                assert again.json()["sealedTo"] is None and again.json()["credentialId"] != record_id
            # Registered in clear: registering it once more is the usual conflict.
            assert (await exporter.client.post("/v1/farms", json=farm)).status_code == 409
            response = await scenario.consign("c-farm-2", scenario.lot(2), destination=SEALING_PORT)
            assert response.status_code == 202, response.text


def test_the_migrations_create_every_column_the_tables_name(sealing_settings: NodeSettings) -> None:
    node = ExporterNode.open(sealing_settings)
    try:
        inspector = sa.inspect(node.engine)
        for table in metadata.sorted_tables:
            found = {column["name"] for column in inspector.get_columns(table.name)}
            assert found == {column.name for column in table.columns}, table.name
    finally:
        node.close()


def test_every_connection_of_the_exporters_sqlite_database_deletes_securely(sealing_settings: NodeSettings) -> None:
    sealing_settings.database_url = f"sqlite:///{sealing_settings.data_dir / 'secure-delete.db'}"
    node = ExporterNode.open(sealing_settings)
    try:
        with node.engine.connect() as first, node.engine.connect() as second:
            for connection in (first, second):
                assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        node.close()


def test_the_sealing_module_exports_what_the_exporter_uses() -> None:
    assert_exports(
        exporter_node.sealing,
        "SealedCredential",
        "SealingPlan",
        "apply_sealing",
        "sealed_categories_of",
        "sealing_plan",
    )
