"""The demo scenario: seed every exporter, ship consignments to every port, inject faults, wait, check.

Besides the regular consignments, every exporter ships one with laboratory results to cn-port-03, which
takes them only sealed (``pilot.demo.sealed_case``): checked after the run in the nodes' database files.

``run_scenario`` drives a running network through its public HTTP APIs only (the exporters' operator
routes with their tokens, the ports' public log), exactly as participants would, and returns a
``DemoResult`` that the summary and the HTML report render.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pilot.demo.checks import LogAudit, audit_log, check_receipt
from pilot.demo.faults import BUILDERS, CASES, FaultCase, FaultOutcome, unapproved_establishment
from pilot.demo.report_pictures import gather_stories
from pilot.demo.sealed_case import SealedCase
from pilot.demo.status_cases import RegistryOutage, demo_certificate_id, run_status_cases
from pilot.issuer_state import DataDirStatus
from pilot.participants import EXPORTER_IDS, PORT_IDS, PORTS
from pilot.pictures import ConsignmentStory
from pilot.sandbox import UNAPPROVED_ESTABLISHMENT, build_sandbox
from pilot.synthetic import (
    Signer,
    build_world,
    certificate_subject,
    certifier_of,
    farm_certificate,
    plan_consignment,
    plant_attestation,
    stable_id,
)
from schemas.trust import TrustRegistry

FINAL_STATES = {"delivered", "delivered_with_warnings", "failed"}
TRANSPORT = {p.short_id: p.transport_mode for p in PORTS}


@dataclass
class Shipment:
    """One consignment the demo asked an exporter to send, and what became of it."""

    consignment_id: str
    exporter: str
    port: str
    kind: str  # "normal", "outage" or a fault key
    state: str = "pending"
    decision: str | None = None
    reason_codes: list[str] = field(default_factory=list)
    refused_code: str | None = None  # the exporter refused it before sending
    receipt: dict[str, Any] | None = None
    receipt_problem: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class DemoResult:
    """Everything the summary and the report show."""

    urls: dict[str, str]
    shipments: list[Shipment]
    faults: list[FaultOutcome]
    logs: list[LogAudit]
    outage: dict[str, Any]
    elapsed_s: float = 0.0
    problems: list[str] = field(default_factory=list)
    #: The consignments shipped while the registry was down (docs/design.md §12).
    registry_outage: RegistryOutage | None = None
    #: What the report's timelines and farm maps are drawn from, by consignment id (``pilot.demo.report_pictures``).
    stories: dict[str, ConsignmentStory] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every check passed and every fault case matched."""
        outage_ok = self.registry_outage is None or self.registry_outage.ok
        return not self.problems and all(f.matched for f in self.faults) and outage_ok


@dataclass
class NetworkControl:
    """What the scenario needs from the network it runs on."""

    urls: dict[str, str]
    tokens: dict[str, str]
    stop_node: Callable[[str], None]
    start_node: Callable[[str], None]
    #: The network's data directory: where the certifiers' and ru-vet's status state lives (``pilot.issuer_state``).
    data_dir: Path


class Scenario:
    """One run of the demo over a network."""

    def __init__(self, control: NetworkControl, *, seed: str, per_pair: int, console: Console) -> None:
        self.control = control
        self.seed = seed
        self.per_pair = per_pair
        self.console = console
        self.sandbox = build_sandbox(_sandbox_seed(control))
        # Certificates and attestations the demo issues as cert-01, cert-02 and ru-vet take status indexes from
        # those issuers' state in the data dir, so that the demo can suspend and reinstate them.
        self.signer = Signer(self.sandbox.keyrings, status=DataDirStatus(control.data_dir))
        self.trust = TrustRegistry.from_document(self.sandbox.trust_list)
        self.run_id = datetime.now(UTC).strftime("%H%M%S")
        self.shipments: list[Shipment] = []
        self.faults: list[FaultOutcome] = []
        self.problems: list[str] = []
        self.clients = {
            node: httpx.Client(
                base_url=url,
                timeout=30.0,
                headers={"Authorization": f"Bearer {control.tokens[node]}"} if node in control.tokens else {},
            )
            for node, url in control.urls.items()
        }

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    # -- set-up ----------------------------------------------------------------------------------
    def seed_exporter(self, exporter_id: str) -> None:
        """Register the exporter's farms and plant, then import its certificates and attestation."""
        client = self.clients[exporter_id]
        world = build_world(self.seed, exporter_id)
        issued: dict[str, dict[str, Any]] = {}
        existing = {f.get("id") for f in _farm_subjects(client.get("/v1/farms").raise_for_status().json())}
        for subject in (*world.farms, world.plant):
            if subject["id"] in existing:
                continue
            response = client.post("/v1/farms", json=subject)
            _expect(response, (200, 201), f"register {subject['id']} at {exporter_id}")
        for record in _farm_credentials(client.get("/v1/farms").raise_for_status().json()):
            issued[record["credentialSubject"]["facility"]["id"]] = record
        day = date(2026, 3, 1)
        for farm in world.farms:
            credential = issued.get(farm["id"])
            if credential is None:
                raise RuntimeError(f"{exporter_id} did not return a facility record for {farm['id']}")
            certificate = farm_certificate(
                self.seed,
                self.signer,
                world,
                farm,
                (credential["id"], _digest(credential)),
                key=f"demo/{farm['id']}",
                day=day,
                credential_id=demo_certificate_id(self.seed, farm["id"]),
            )
            _expect(
                client.post("/v1/credentials", json=certificate),
                (200, 201, 409),
                f"import certificate at {exporter_id}",
            )
        attestation = plant_attestation(
            self.seed,
            self.signer,
            world,
            key=f"demo/{exporter_id}",
            day=day,
            credential_id=stable_id(self.seed, "demo-att", exporter_id),
        )
        if attestation is not None:
            _expect(
                client.post("/v1/credentials", json=attestation),
                (200, 201, 409),
                f"import attestation at {exporter_id}",
            )

    def register_unapproved_plant(self, exporter_id: str) -> None:
        """A second plant of the exporter, in RU-TAM, that is not on the importer-side register."""
        world = build_world(self.seed, exporter_id)
        plant = {
            **world.plant,
            "id": f"urn:pilot:facility:{exporter_id}:plant-unlisted",
            "name": "Plant awaiting registration",
            "region": "RU-TAM",
            "establishmentNumber": UNAPPROVED_ESTABLISHMENT,
            "locationInformation": {
                "geoBoundary": {
                    "type": "Polygon",
                    "coordinates": [[[41.40, 52.70], [41.43, 52.70], [41.43, 52.72], [41.40, 52.72], [41.40, 52.70]]],
                }
            },
        }
        response = self.clients[exporter_id].post("/v1/farms", json=plant)
        _expect(response, (200, 201, 409), f"register the unlisted plant at {exporter_id}")

    # -- shipping --------------------------------------------------------------------------------
    def ship(self, exporter_id: str, port_id: str, kind: str, n: int) -> Shipment:
        """Ask the exporter for one normal consignment to ``port_id``."""
        consignment_id = f"demo-{self.run_id}-{exporter_id}-{port_id}-{kind}-{n}"
        world = build_world(self.seed, exporter_id)
        parts = plan_consignment(self.seed, world, consignment_id, port_id, TRANSPORT[port_id], n)
        return self.ship_lots(exporter_id, port_id, kind, consignment_id, parts.lots)

    def ship_lots(
        self, exporter_id: str, port_id: str, kind: str, consignment_id: str, lots: list[dict[str, Any]]
    ) -> Shipment:
        """Ask the exporter for the consignment ``consignment_id`` of ``lots`` to ``port_id``."""
        shipment = Shipment(consignment_id, exporter_id, port_id, kind)
        response = self.clients[exporter_id].post(
            "/v1/consignments",
            json={"destination": port_id, "lots": lots, "consignmentId": consignment_id},
        )
        self._record_creation(shipment, response)
        self.shipments.append(shipment)
        return shipment

    def _record_creation(self, shipment: Shipment, response: httpx.Response) -> None:
        if response.status_code in (200, 201, 202):
            return
        body = _json(response)
        shipment.state = "refused"
        shipment.refused_code = str(body.get("code", response.status_code))
        shipment.detail = body

    def ship_fault(self, case: FaultCase) -> str:
        """Send one fault case; returns the actual outcome in the form of ``expected_code``."""
        client = self.clients[case.exporter]
        if case.route == "import":
            world = build_world(self.seed, case.exporter)
            subject = certificate_subject(self.seed, world.exporter, world.farms[0], "demo/expired", date(2026, 3, 1))
            certificate = self.signer.issue(
                certifier_of(case.exporter),
                "DigitalConformityCredential",
                subject,
                credential_id=stable_id(self.seed, "demo-expired", self.run_id),
                valid_until=datetime(2026, 6, 30, tzinfo=UTC),
            )
            response = client.post("/v1/credentials", json=certificate)
            return "accepted" if response.is_success else str(_json(response).get("code", response.status_code))
        consignment_id = f"demo-{self.run_id}-fault-{case.key}"
        world = build_world(self.seed, case.exporter)
        parts = plan_consignment(self.seed, world, consignment_id, case.port, TRANSPORT[case.port])
        if case.route == "raw":
            submission = BUILDERS[case.key](self.seed, parts, self.signer)
            shipment = self.ship_raw(case.exporter, case.port, case.key, submission)
            return shipment.refused_code or "queued"
        shipment = Shipment(consignment_id, case.exporter, case.port, case.key)
        self.shipments.append(shipment)
        self.register_unapproved_plant(case.exporter)
        response = client.post(
            "/v1/consignments",
            json={
                "destination": case.port,
                "consignmentId": consignment_id,
                "lots": unapproved_establishment(parts.lots),
            },
        )
        self._record_creation(shipment, response)
        return shipment.refused_code or "queued"

    def ship_raw(self, exporter_id: str, port_id: str, kind: str, submission: dict[str, Any]) -> Shipment:
        """Have the exporter queue an already-signed submission as it is (no building, no pre-check)."""
        shipment = Shipment(str(submission["submissionId"]), exporter_id, port_id, kind)
        self.shipments.append(shipment)
        response = self.clients[exporter_id].post(
            "/v1/consignments:raw", json={"destination": port_id, "submission": submission}
        )
        self._record_creation(shipment, response)
        return shipment

    def submission_of(self, shipment: Shipment) -> Any:
        """The submission the exporter sent for ``shipment`` (None when it has none)."""
        response = self.clients[shipment.exporter].get(f"/v1/consignments/{shipment.consignment_id}/submission")
        return response.json() if response.status_code == 200 else None

    # -- waiting and checking --------------------------------------------------------------------
    def wait(self, shipments: list[Shipment], timeout_s: float, label: str) -> None:
        """Poll until every shipment is final (or refused), with a progress bar."""
        pending = [s for s in shipments if s.state not in FINAL_STATES and s.refused_code is None]
        deadline = time.monotonic() + timeout_s
        with Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        ) as progress:
            task = progress.add_task(label, total=len(shipments), completed=len(shipments) - len(pending))
            while pending and time.monotonic() < deadline:
                still = []
                for shipment in pending:
                    self.refresh(shipment)
                    if shipment.state in FINAL_STATES:
                        progress.advance(task)
                    else:
                        still.append(shipment)
                pending = still
                if pending:
                    time.sleep(0.25)
        for shipment in pending:
            self.problems.append(f"{shipment.consignment_id} still {shipment.state} after {timeout_s:.0f} s")

    def refresh(self, shipment: Shipment) -> None:
        response = self.clients[shipment.exporter].get(f"/v1/consignments/{shipment.consignment_id}")
        if response.status_code != 200:
            return
        body = response.json()
        shipment.state = str(body.get("state", shipment.state))
        shipment.decision = body.get("decision")
        shipment.reason_codes = [str(r.get("code")) for r in body.get("reasons") or []]
        shipment.receipt = body.get("receipt")
        shipment.detail = body

    def check_receipts(self) -> None:
        now = datetime.now(UTC)
        for shipment in self.shipments:
            if shipment.receipt is None:
                continue
            shipment.receipt_problem = check_receipt(shipment.receipt, shipment.port, self.trust, now)
            if shipment.receipt_problem:
                self.problems.append(f"receipt of {shipment.consignment_id}: {shipment.receipt_problem}")

    def check_logs(self) -> list[LogAudit]:
        audits = []
        with httpx.Client(timeout=30.0) as client:
            for port_id in PORT_IDS:
                audit = audit_log(client, self.control.urls[port_id], port_id, self.trust)
                audits.append(audit)
                if audit.problem:
                    self.problems.append(f"log of {port_id}: {audit.problem}")
        delivered = [s for s in self.shipments if s.receipt is not None]
        counts = {a.port_id: a.submission_counts for a in audits}
        for shipment in delivered:
            entries = counts.get(shipment.port, {}).get((shipment.exporter, shipment.consignment_id), 0)
            if entries != 1:
                self.problems.append(f"{shipment.consignment_id} has {entries} entries in {shipment.port}'s log")
        return audits


def _sandbox_seed(control: NetworkControl) -> str:
    from pilot.sandbox import DEFAULT_SEED

    return DEFAULT_SEED


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"code": response.status_code, "detail": response.text[:200]}
    return body if isinstance(body, dict) else {"body": body}


def _expect(response: httpx.Response, statuses: tuple[int, ...], what: str) -> None:
    if response.status_code not in statuses:
        raise RuntimeError(f"{what}: HTTP {response.status_code} {response.text[:300]}")


def _digest(credential: dict[str, Any]) -> str:
    from schemas.digest import credential_digest

    return credential_digest(credential)


def _farm_subjects(listing: Any) -> list[dict[str, Any]]:
    return [c.get("credentialSubject", {}).get("facility", {}) for c in _farm_credentials(listing)]


def _farm_credentials(listing: Any) -> list[dict[str, Any]]:
    """The signed facility records in a ``GET /v1/farms`` answer (a list, or ``{"farms": [...]}``)."""
    items = listing.get("farms", listing.get("items", [])) if isinstance(listing, dict) else listing
    out = []
    for item in items if isinstance(items, list) else []:
        credential = item.get("credential", item) if isinstance(item, dict) else None
        if isinstance(credential, dict) and "credentialSubject" in credential:
            out.append(credential)
    return out


def run_scenario(
    control: NetworkControl,
    *,
    seed: str,
    per_pair: int,
    console: Console,
    outage_port: str = "cn-port-02",
    outage_s: float = 3.0,
) -> DemoResult:
    """The whole scenario; never raises for a failed check (those go into ``DemoResult.problems``)."""
    started = time.monotonic()
    scenario = Scenario(control, seed=seed, per_pair=per_pair, console=console)
    try:
        with console.status("registering farms and importing certificates at 6 exporters"):
            for exporter_id in EXPORTER_IDS:
                scenario.seed_exporter(exporter_id)
        normal = [scenario.ship(e, p, "normal", n) for n in range(per_pair) for e in EXPORTER_IDS for p in PORT_IDS]
        sealed = SealedCase(scenario)
        sealed.ship_all()
        fault_actual: dict[str, str] = {case.key: scenario.ship_fault(case) for case in CASES}

        console.print(f"[bold]outage:[/] stopping {outage_port} for {outage_s:.0f} s while exporters keep shipping")
        control.stop_node(outage_port)
        outage = [scenario.ship(e, outage_port, "outage", 0) for e in EXPORTER_IDS]
        time.sleep(outage_s)
        control.start_node(outage_port)

        scenario.wait(scenario.shipments, 90.0, "delivering")
        status_outcomes, registry_outage = run_status_cases(scenario)
        scenario.check_receipts()
        logs = scenario.check_logs()
        stories = gather_stories(scenario)

        for shipment in normal + outage:
            if shipment.refused_code or shipment.state not in ("delivered", "delivered_with_warnings"):
                refused = shipment.refused_code or ""
                scenario.problems.append(
                    f"{shipment.consignment_id}: {shipment.state} {refused} {shipment.reason_codes}"
                )
            elif shipment.decision not in ("accepted", "held_for_inspection"):
                scenario.problems.append(
                    f"{shipment.consignment_id}: decision {shipment.decision} {shipment.reason_codes}"
                )
        by_id = {s.kind: s for s in scenario.shipments}
        for case in CASES:
            found = by_id.get(case.key)
            if case.expected_decision is None:
                actual = found.refused_code if found else fault_actual[case.key]
                actual = actual or "queued"
                scenario.faults.append(FaultOutcome(case, actual, actual == case.expected_code))
                continue
            assert found is not None
            codes = found.reason_codes
            distinct = list(dict.fromkeys(codes))
            actual = f"{found.decision or found.state}: {', '.join(distinct) or found.refused_code or '-'}"
            matched = (
                found.decision == case.expected_decision
                and case.expected_code in codes
                and found.receipt_problem is None
            )
            scenario.faults.append(FaultOutcome(case, actual, matched))
        scenario.faults += status_outcomes
        scenario.faults.append(sealed.judge())
        outage_summary = {
            "port": outage_port,
            "seconds": outage_s,
            "shipments": len(outage),
            "delivered": sum(1 for s in outage if s.state in ("delivered", "delivered_with_warnings")),
            "attempts": sum(int(s.detail.get("attempts") or 0) for s in outage),
        }
        return DemoResult(
            control.urls,
            scenario.shipments,
            scenario.faults,
            logs,
            outage_summary,
            time.monotonic() - started,
            scenario.problems,
            registry_outage,
            stories,
        )
    finally:
        scenario.close()


__all__ = ["DemoResult", "NetworkControl", "Path", "run_scenario"]
