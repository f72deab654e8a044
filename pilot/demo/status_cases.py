"""The demo's status cases (docs/design.md §12): a certificate suspended and reinstated, and the registry down.

Run after the regular consignments are delivered, so that nothing else is in flight:

1. ``cert-01`` suspends the antibiotic-use certificate of ``ru-exp-01``'s first farm, which the exporter
   imported when the demo seeded it (``pilot.issuer_state.change_status``, as ``pilot status suspend``
   does: the list's next version is signed and published to the registry). It also suspends the
   certificate of a consignment the demo signs itself. Once the lists' ``ttl`` has passed (every cache
   has had to ask the registry again):
   - the exporter's next consignment citing the certificate is refused by its own pre-check with
     ``CREDENTIAL_SUSPENDED``, the port's code;
   - the consignment sent already signed (``/v1/consignments:raw``, no pre-check) is rejected by the port
     with ``CREDENTIAL_SUSPENDED``.
2. ``cert-01`` reinstates both; after the ``ttl``, the exporter's next consignment citing the certificate
   is accepted.
3. The registry is stopped for ``REGISTRY_DOWN_S`` (at least the lists' ``ttl``, so that every cached list
   goes stale while it is down) while every exporter ships, before and after the caches expire. A port
   may accept only with a status check that succeeded: every accepted consignment's receipt must name
   (``statusLists``) a version of every status list its credentials cite; the others must be held with
   ``STATUS_UNAVAILABLE``. The count of consignments accepted without such a check must be 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pilot.demo.faults import FaultCase, FaultOutcome
from pilot.issuer_state import Action, change_status, status_ttl
from pilot.language import N_
from pilot.participants import EXPORTER_IDS
from pilot.synthetic import build_world, certifier_of, plan_consignment, sign_consignment, stable_id
from schemas.codes import Code
from schemas.status_list import cited_status_lists

if TYPE_CHECKING:  # the scenario runs these cases; only its types are needed here
    from pilot.demo.scenario import Scenario, Shipment

__all__ = ["CASES", "REGISTRY_DOWN_S", "RegistryOutage", "demo_certificate_id", "run_status_cases"]

EXPORTER = "ru-exp-01"
PORT = "cn-port-01"
#: How long the registry is down: at least 5 s, and longer than the lists' ttl (see the module doc).
REGISTRY_DOWN_S = 5.0

CASES: tuple[FaultCase, ...] = (
    FaultCase(
        "suspended-precheck",
        N_("certificate suspended by cert-01 after import (exporter pre-check)"),
        EXPORTER,
        PORT,
        "consignment",
        Code.CREDENTIAL_SUSPENDED,
        None,
    ),
    FaultCase(
        "suspended-port",
        N_("signed consignment citing a suspended certificate"),
        EXPORTER,
        PORT,
        "raw",
        Code.CREDENTIAL_SUSPENDED,
        "rejected",
    ),
    FaultCase(
        "reinstated",
        N_("the same certificate after cert-01 reinstates it"),
        EXPORTER,
        PORT,
        "consignment",
        "no status reason",
        "accepted",
    ),
)


def demo_certificate_id(seed: str, farm_id: str) -> str:
    """The id of the certificate the demo has ``certifier_of`` the farm's exporter issue for the farm."""
    return stable_id(seed, "demo-cert", farm_id)


@dataclass
class RegistryOutage:
    """What the consignments shipped while the registry was down came to."""

    seconds: float
    shipments: int
    accepted_with_check: int = 0
    accepted_without_check: int = 0
    held: int = 0
    other: int = 0

    @property
    def ok(self) -> bool:
        """No consignment accepted without a status check that succeeded, and every one decided."""
        return self.accepted_without_check == 0 and self.other == 0


def _named_lists(receipt: dict[str, Any] | None) -> set[str]:
    subject = (receipt or {}).get("credentialSubject") or {}
    return {str(item.get("id")) for item in subject.get("statusLists") or [] if isinstance(item, dict)}


class StatusCases:
    """The status cases over one scenario's network."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.control = scenario.control
        self.registry_url = self.control.urls["registry"]
        # Every cache has asked again once this has passed since a change was published.
        self.settle_s = status_ttl().total_seconds() + 1.0

    def _change(self, credential_id: str, action: Action) -> None:
        change = change_status(
            self.control.data_dir, certifier_of(EXPORTER), credential_id, action, registry_url=self.registry_url
        )
        if change.publication is None or not change.publication.published:
            detail = change.publication.detail if change.publication else "no registry"
            self.scenario.problems.append(f"{action} of {credential_id} was not published: {detail}")

    def _raw_submission(self, consignment_id: str) -> tuple[dict[str, Any], str]:
        """A consignment the demo signs itself (its certificate issued by cert-01 in the live lists)."""
        scenario = self.scenario
        world = build_world(scenario.seed, EXPORTER)
        parts = plan_consignment(scenario.seed, world, consignment_id, PORT, "rail")
        signed = sign_consignment(scenario.seed, parts, scenario.signer)
        certificate = next(c for c in signed.credentials if "DigitalConformityCredential" in c.get("type", []))
        return signed.submission, str(certificate["id"])

    def run(self) -> list[FaultOutcome]:
        scenario = self.scenario
        world = build_world(scenario.seed, EXPORTER)
        imported = demo_certificate_id(scenario.seed, world.farms[0]["id"])
        raw_id = f"demo-{scenario.run_id}-status-raw"
        submission, raw_certificate = self._raw_submission(raw_id)

        scenario.console.print(
            f"[bold]status:[/] {certifier_of(EXPORTER)} suspends two certificates; waiting {self.settle_s:.0f} s "
            "for every cache to ask the registry again"
        )
        self._change(imported, "suspend")
        self._change(raw_certificate, "suspend")
        time.sleep(self.settle_s)
        precheck = scenario.ship(EXPORTER, PORT, "suspended-precheck", 0)
        raw = scenario.ship_raw(EXPORTER, PORT, "suspended-port", submission)
        scenario.wait([raw], 60.0, "the port judges the suspended certificate")

        self._change(imported, "reinstate")
        self._change(raw_certificate, "reinstate")
        time.sleep(self.settle_s)
        reinstated = scenario.ship(EXPORTER, PORT, "reinstated", 0)
        scenario.wait([reinstated], 60.0, "after reinstatement")

        outcomes = []
        actual = precheck.refused_code or f"queued ({precheck.state})"
        outcomes.append(FaultOutcome(CASES[0], actual, precheck.refused_code == Code.CREDENTIAL_SUSPENDED))
        outcomes.append(_judged(CASES[1], raw, lambda s: Code.CREDENTIAL_SUSPENDED in s.reason_codes))
        outcomes.append(
            _judged(
                CASES[2],
                reinstated,
                lambda s: not {Code.CREDENTIAL_SUSPENDED, Code.STATUS_UNAVAILABLE} & set(s.reason_codes),
            )
        )
        return outcomes

    def registry_outage(self) -> RegistryOutage:
        """Stop the registry while every exporter ships twice (before and after the caches went stale)."""
        scenario = self.scenario
        down_s = max(REGISTRY_DOWN_S, self.settle_s)
        scenario.console.print(
            f"[bold]registry outage:[/] stopping the registry for {down_s:.0f} s while exporters ship"
        )
        shipped: list[Shipment] = []
        self.control.stop_node("registry")
        stopped = time.monotonic()
        try:
            shipped += [scenario.ship(e, PORT, "registry-down", 1) for e in EXPORTER_IDS]
            time.sleep(max(0.0, self.settle_s - (time.monotonic() - stopped)))
            shipped += [scenario.ship(e, PORT, "registry-down", 2) for e in EXPORTER_IDS]
            time.sleep(max(0.0, down_s - (time.monotonic() - stopped)))
        finally:
            self.control.start_node("registry")
        scenario.wait(shipped, 120.0, "delivering what was shipped while the registry was down")
        outage = RegistryOutage(down_s, len(shipped))
        for shipment in shipped:
            if shipment.decision == "accepted":
                cited = cited_status_lists(scenario.submission_of(shipment))
                if cited and cited <= _named_lists(shipment.receipt):
                    outage.accepted_with_check += 1
                else:
                    outage.accepted_without_check += 1
                    scenario.problems.append(
                        f"{shipment.consignment_id} was accepted while the registry was down without naming "
                        "every status list it cites"
                    )
            elif shipment.decision == "held_for_inspection" and Code.STATUS_UNAVAILABLE in shipment.reason_codes:
                outage.held += 1
            else:
                outage.other += 1
                outcome = shipment.decision or shipment.refused_code or shipment.state
                scenario.problems.append(
                    f"{shipment.consignment_id} (registry down): {outcome} {shipment.reason_codes}"
                )
        return outage


def _judged(case: FaultCase, shipment: Shipment, codes_ok: Callable[[Shipment], bool]) -> FaultOutcome:
    distinct = list(dict.fromkeys(shipment.reason_codes))
    actual = f"{shipment.decision or shipment.refused_code or shipment.state}: {', '.join(distinct) or '-'}"
    matched = (
        shipment.decision == case.expected_decision and bool(codes_ok(shipment)) and shipment.receipt_problem is None
    )
    return FaultOutcome(case, actual, matched)


def run_status_cases(scenario: Scenario) -> tuple[list[FaultOutcome], RegistryOutage]:
    """The suspension cases, then the registry outage (see the module doc)."""
    cases = StatusCases(scenario)
    return cases.run(), cases.registry_outage()
