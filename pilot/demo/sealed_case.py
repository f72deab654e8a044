"""The demo's sealed case (docs/design.md §8): laboratory results travel to cn-port-03 sealed, and rest sealed.

cn-port-03's policy takes ``laboratory`` fields only sealed to its ``keyAgreement`` key. Each exporter
registers a farm of its own for the run (``pilot.synthetic.laboratory_farm``: no other consignment names
it, so the certificate about it goes into one consignment only), imports its certifier's certificate of
that farm carrying residue test results (``laboratory_results``, each naming the sample), and ships one
consignment from it to cn-port-03. The exporter must send that certificate sealed; the port opens it,
judges it and stores it sealed.

After the run (``check_sealed_at_rest``): the values are found in no byte of cn-port-03's or any exporter's
SQLite files (main file, ``-wal``, ``-shm``), and are found in what each exporter sent once opened with
cn-port-03's private key from the data dir (``PILOT_KEY_PASSPHRASE`` when it is encrypted). Nodes that keep
their data in PostgreSQL (``GET /health``: ``database``) leave no file to search; then only the second half
is checked, and the row says so. The outcome is one row of the demo's fault table.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from pilot.demo.checks import check_sealed_at_rest, database_files
from pilot.demo.faults import FaultCase, FaultOutcome
from pilot.language import N_
from pilot.participants import EXPORTER_IDS
from pilot.synthetic import (
    build_world,
    farm_certificate,
    laboratory_farm,
    laboratory_results,
    plan_consignment,
    stable_id,
)
from schemas.keyring import load_agreement_keys

if TYPE_CHECKING:  # the scenario runs this case; only its types are needed here
    from pilot.demo.scenario import Scenario, Shipment

__all__ = ["PORT", "SEALED_CASE", "SealedCase"]

#: The port whose policy seals laboratory results.
PORT = "cn-port-03"
DAY = date(2026, 3, 1)
SEALED_CASE = FaultCase(
    "sealed-laboratory",
    N_("laboratory results, sealed to the port's key"),
    "all",
    PORT,
    "consignment",
    "sealed; no plaintext at rest",
    "accepted or held",
)


class SealedCase:
    """One exporter's sealed consignment per exporter, then the check of what rests where."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.shipments: list[Shipment] = []
        #: consignment id -> the laboratory values it carries (what the byte search looks for).
        self.values: dict[str, list[str]] = {}

    def ship(self, exporter_id: str) -> Shipment:
        """Register the run's laboratory farm at ``exporter_id``, import its certificate, ship from it."""
        scenario = self.scenario
        client = scenario.clients[exporter_id]
        consignment_id = f"demo-{scenario.run_id}-{exporter_id}-{PORT}-sealed"
        world = build_world(scenario.seed, exporter_id)
        farm = laboratory_farm(scenario.seed, world, consignment_id)
        response = client.post("/v1/farms", json=farm)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"register the laboratory farm at {exporter_id}: HTTP {response.status_code}")
        record = response.json()
        results = laboratory_results(scenario.seed, world.exporter.hs_code, consignment_id)
        certificate = farm_certificate(
            scenario.seed,
            scenario.signer,
            world,
            farm,
            (record["credentialId"], record["digest"]),
            key=f"demo/{consignment_id}",
            day=DAY,
            credential_id=stable_id(scenario.seed, "demo-lab-cert", consignment_id),
            laboratory=results,
        )
        response = client.post("/v1/credentials", json=certificate)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"import the laboratory certificate at {exporter_id}: HTTP {response.status_code}")
        self.values[consignment_id] = [value for result in results for value in (result["test"], result["result"])]
        parts = plan_consignment(scenario.seed, world, consignment_id, PORT, "sea")
        lots = [{**lot, "originFacilities": [farm["id"]]} for lot in parts.lots]
        shipment = scenario.ship_lots(exporter_id, PORT, "sealed", consignment_id, lots)
        self.shipments.append(shipment)
        return shipment

    def ship_all(self) -> list[Shipment]:
        """One sealed consignment per exporter."""
        return [self.ship(exporter_id) for exporter_id in EXPORTER_IDS]

    def judge(self) -> FaultOutcome:
        """The fault table's row: every consignment delivered and not rejected, sent sealed, and no value at rest
        in clear."""
        scenario = self.scenario
        data_dir = scenario.control.data_dir
        passphrase = os.environ.get("PILOT_KEY_PASSPHRASE")
        keys = {
            entry.verification_method: entry.private_key
            for entry in load_agreement_keys(
                (data_dir / "keys" / f"{PORT}.pem").read_bytes(), passphrase.encode() if passphrase else None
            )
        }
        sent: dict[str, Any] = {s.consignment_id: scenario.submission_of(s) or {} for s in self.shipments}
        files: list[Path] | None = database_files(data_dir, [PORT, *EXPORTER_IDS])
        if not files and self._database_kind() == "postgresql":
            files = None
        found = check_sealed_at_rest(sent, self.values, keys, files)
        decisions = [s.decision or s.refused_code or s.state for s in self.shipments]
        decided = all(d in ("accepted", "held_for_inspection") for d in decisions)
        for problem in found.problems:
            scenario.problems.append(f"sealed case: {problem}")
        for path, count in found.leaks:
            scenario.problems.append(f"sealed case: {count} laboratory value(s) rest in clear in {path.name}")
        accepted, held = decisions.count("accepted"), decisions.count("held_for_inspection")
        if files is None:
            rest = "database files not searched (PostgreSQL)"
        else:
            clear = "no plaintext" if not found.leaks else f"plaintext in {len(found.leaks)} file(s)"
            rest = f"{clear} in {len(files)} database files"
        actual = f"{found.opened} of {len(self.shipments)} sealed, {accepted} accepted, {held} held; {rest}"
        return FaultOutcome(SEALED_CASE, actual, decided and found.ok and found.opened == len(self.shipments))

    def _database_kind(self) -> str | None:
        """What cn-port-03 says it keeps its data in (``GET /health``: ``sqlite`` or ``postgresql``)."""
        try:
            body = self.scenario.clients[PORT].get("/health").json()
        except (httpx.HTTPError, ValueError):
            return None
        kind = body.get("database") if isinstance(body, dict) else None
        return str(kind) if kind is not None else None
