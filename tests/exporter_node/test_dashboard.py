"""The exporter's dashboard API in process: operator access by token or this node's cookie, and what it shows.

ru-exp-01 registers its farms and plant, imports a certificate and an attestation, and ships through the
port stand-in: one consignment accepted, one queued as-is with a credential sealed to cn-port-03's key (so
cn-port-01 rejects it). The overview must list them with their state, decision, reasons and hints; the detail
must carry a leaf input that hashes to the receipt's leaf hash, and name the port a sealed credential was
sealed to. The browser test (tests/e2e/browser/test_exporter_dashboard.py) checks the page itself.
"""

from __future__ import annotations

import base64
import copy
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from exporter_node.tables import IMPORTED_CREDENTIAL
from schemas.codes import Code
from schemas.merkle import leaf_hash
from schemas.reason_hints import hint_for
from schemas.sealing import seal, sealed_credential
from schemas.trust import TrustRegistry
from tests.exporter_node.conftest import EXPORTER, Scenario
from tests.exporter_node.exporter_harness import ExporterHarness

pytestmark = [pytest.mark.anyio, pytest.mark.db]

COOKIE = f"pilot_token_{EXPORTER}"


def anonymous(exporter: ExporterHarness) -> httpx.AsyncClient:
    """A client of the same app with no token (a browser before it opened the link)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=exporter.app), base_url="http://exporter.test")


async def shipped(exporter: ExporterHarness, scenario: Scenario, trust: TrustRegistry) -> tuple[str, str]:
    """One accepted consignment and one rejected (a credential sealed to another port's key); their ids."""
    await scenario.prepare()
    assert (await scenario.consign("c-accepted")).status_code == 202
    submission = copy.deepcopy(await scenario.submission("c-accepted"))
    key = trust.sealing_key("cn-port-03", exporter.node.now())
    assert key is not None
    submission["submissionId"] = "c-sealed-elsewhere"
    submission["credentials"][-1] = sealed_credential(seal(submission["credentials"][-1], key.public_key, key.kid))
    raw = await exporter.client.post(
        "/v1/consignments:raw", json={"destination": "cn-port-01", "submission": submission}
    )
    assert raw.status_code == 202, raw.text
    await exporter.worker.run_until_idle(10)
    return "c-accepted", "c-sealed-elsewhere"


async def test_the_page_trades_the_token_for_this_nodes_cookie(exporter: ExporterHarness) -> None:
    async with anonymous(exporter) as browser:
        refused = await browser.get("/")
        assert refused.status_code == 401 and "Operator token needed" in refused.text
        assert (await browser.get("/v1/dashboard/overview")).status_code == 401
        first = await browser.get(f"/?token={exporter.node.token}&consignment=c-1")
        assert first.status_code == 303 and first.headers["location"] == "/?consignment=c-1"
        assert first.headers["set-cookie"].startswith(f"{COOKIE}={exporter.node.token};")
        page = await browser.get("/")  # the cookie now
        assert page.status_code == 200 and "<title>Exporter dashboard</title>" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert (await browser.get("/v1/dashboard/overview")).status_code == 200
        # The cookie opens the dashboard only: the operator API still wants the header or ?token=.
        assert (await browser.get("/v1/farms")).status_code == 401
        assert (await browser.post("/v1/consignments", json={})).status_code == 401


async def test_a_wrong_token_or_another_nodes_cookie_opens_nothing(exporter: ExporterHarness) -> None:
    async with anonymous(exporter) as browser:
        wrong = await browser.get("/?token=wrong")
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        browser.cookies.set("pilot_token_cn-port-01", exporter.node.token)
        assert (await browser.get("/")).status_code == 401
        browser.cookies.set(COOKIE, "wrong")
        assert (await browser.get("/v1/dashboard/overview")).status_code == 401


async def test_the_page_and_its_scripts_are_bundled(exporter: ExporterHarness) -> None:
    async with anonymous(exporter) as browser:
        page = (await browser.get(f"/?token={exporter.node.token}", follow_redirects=True)).text
        scripts = [line.split('"')[1] for line in page.splitlines() if line.startswith("<script src=")]
        assert scripts == [
            "/dashboard/shared/page.js",
            "/dashboard/shared/i18n.js",
            "/dashboard/shared/names.js",
            "/dashboard/shared/sha256.js",
            "/dashboard/shared/inclusion.js",
            "/dashboard/app.js",
        ]
        for path in [*scripts, "/dashboard/style.css"]:
            answer = await browser.get(path)
            assert answer.status_code == 200 and answer.headers["content-type"].startswith(
                ("text/javascript", "text/css")
            )
        assert "http://" not in page.replace("http://exporter.test", "") and "https://" not in page  # no CDN
        for missing in ("/dashboard/index.html", "/dashboard/shared/__init__.py", "/dashboard/..%2Fapp.py"):
            assert (await browser.get(missing)).status_code == 404


async def test_overview_lists_records_consignments_with_reasons_and_hints(
    exporter: ExporterHarness, scenario: Scenario, trust: TrustRegistry
) -> None:
    accepted, rejected = await shipped(exporter, scenario, trust)
    answer = await exporter.client.get("/v1/dashboard/overview")
    assert answer.status_code == 200, answer.text
    overview = answer.json()
    assert overview["exporter"] == EXPORTER
    assert {f["id"] for f in overview["farms"]} == {
        scenario.world.farms[0]["id"],
        scenario.world.farms[1]["id"],
        scenario.world.plant["id"],
    }
    farm = next(f for f in overview["farms"] if f["id"] == scenario.world.farms[0]["id"])
    assert farm["name"] == scenario.world.farms[0]["name"] and farm["validFrom"]
    assert {c["type"] for c in overview["certificates"]} == {"DigitalConformityCredential", "VeterinaryAttestation"}
    certificate = next(c for c in overview["certificates"] if c["type"] == "DigitalConformityCredential")
    assert certificate["validUntil"].startswith("2036-06-01") and certificate["issuer"] == "cert-01"
    assert certificate["standing"] == {"state": "valid", "codes": [], "sealedTo": None}  # it has no status entry
    # The farm's record has one, in this node's list at the registry, and no registry runs in process: its
    # status cannot be established now, a warning with its hint.
    assert farm["standing"] == {"state": "warning", "codes": ["STATUS_UNAVAILABLE"], "sealedTo": None}
    assert overview["hints"]["STATUS_UNAVAILABLE"] == hint_for(Code.STATUS_UNAVAILABLE)
    states = {c["id"]: (c["state"], c["decision"]) for c in overview["consignments"]}
    assert states == {accepted: ("delivered", "accepted"), rejected: ("delivered", "rejected")}
    codes = {r["code"] for c in overview["consignments"] if c["id"] == rejected for r in c["reasons"]}
    assert codes and all(overview["hints"][code] == hint_for(code) for code in codes)
    assert overview["outbox"] == []


async def test_detail_carries_what_the_page_needs_to_check_the_receipt(
    exporter: ExporterHarness, scenario: Scenario, trust: TrustRegistry
) -> None:
    accepted, rejected = await shipped(exporter, scenario, trust)
    detail = (await exporter.client.get(f"/v1/dashboard/consignments/{accepted}")).json()
    log = detail["consignment"]["receipt"]["credentialSubject"]["log"]
    assert base64.b64encode(leaf_hash(base64.b64decode(detail["leafInput"]))).decode() == log["leafHash"]
    assert detail["latestCheckpoint"].startswith("cn-port-01.pilot.example/log\n")
    assert [c["sealedTo"] for c in detail["credentials"]] == [None] * len(detail["credentials"])
    assert "ConsignmentManifest" not in {c["type"] for c in detail["credentials"]}  # the manifest is not a credential
    assert {c["type"] for c in detail["credentials"]} >= {"DigitalFacilityRecord", "DigitalConformityCredential"}
    sealed = (await exporter.client.get(f"/v1/dashboard/consignments/{rejected}")).json()
    assert sealed["consignment"]["decision"] == "rejected"
    assert sealed["credentials"][-1] == {
        "index": len(sealed["credentials"]) - 1,
        "type": None,
        "id": None,
        "sealedTo": "cn-port-03",
    }
    assert set(sealed["hints"]) == {r["code"] for r in sealed["consignment"]["reasons"]}
    missing = await exporter.client.get("/v1/dashboard/consignments/no-such-consignment")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


async def test_a_record_held_only_sealed_shows_the_port_it_was_sealed_to(
    exporter: ExporterHarness, scenario: Scenario, trust: TrustRegistry
) -> None:
    await scenario.prepare()
    key = trust.sealing_key("cn-port-03", exporter.node.now())
    assert key is not None
    with exporter.node.engine.begin() as connection:
        connection.execute(
            sa.update(IMPORTED_CREDENTIAL)
            .where(IMPORTED_CREDENTIAL.c.record_type == "VeterinaryAttestation")
            .values(sealed_to=key.kid, sealed_in="c-1", sealed_at=exporter.node.now())
        )
    overview = (await exporter.client.get("/v1/dashboard/overview")).json()
    attestation = next(c for c in overview["certificates"] if c["type"] == "VeterinaryAttestation")
    assert attestation["standing"] == {"state": "sealed", "codes": [], "sealedTo": "cn-port-03"}


async def test_a_certificate_expiring_soon_is_a_warning(
    exporter: ExporterHarness, scenario: Scenario, sign: Any
) -> None:
    await scenario.register()
    certificate = scenario.certificate()
    soon = sign(
        "cert-01",
        "DigitalConformityCredential",
        certificate["credentialSubject"],
        valid_until=exporter.node.now() + timedelta(days=10),
    )
    assert (await exporter.client.post("/v1/credentials", json=soon)).status_code == 201
    overview = (await exporter.client.get("/v1/dashboard/overview")).json()
    (shown,) = overview["certificates"]
    assert shown["standing"]["state"] == "warning"
    assert "CREDENTIAL_EXPIRING_SOON" in shown["standing"]["codes"]
    assert overview["hints"]["CREDENTIAL_EXPIRING_SOON"] == hint_for(Code.CREDENTIAL_EXPIRING_SOON)
