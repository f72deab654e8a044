"""Running a whole suite against one node and collecting its ``Report``; the registry of every case."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from pilot.conformance.cases_exporter import EXPORTER_CASES, ExporterSuite
from pilot.conformance.cases_port import PORT_CASES, PortSuite
from pilot.conformance.cases_sealing import EXPORTER_SEALING_CASES, PORT_SEALING_CASES, PortSealingCases
from pilot.conformance.cases_status import STATUS_CASES, StatusCases
from pilot.conformance.material import KitMaterial
from pilot.conformance.model import CaseSpec, Report
from pilot.conformance.runner import ProgressHook, run_planned
from schemas.time import format_time

__all__ = ["ALL_CASES", "run_exporter_suite", "run_port_suite"]

#: Every case of both suites, in run order (vector families as ``<vector>`` templates). The sealing cases run
#: only against a port (or for a destination) whose policy seals ``laboratory`` (``cases_sealing``).
ALL_CASES: tuple[CaseSpec, ...] = (
    PORT_CASES + STATUS_CASES + PORT_SEALING_CASES + EXPORTER_CASES + EXPORTER_SEALING_CASES
)


def _now() -> str:
    return format_time(datetime.now(UTC).replace(microsecond=0))


def run_port_suite(
    material: KitMaterial,
    url: str,
    *,
    port_id: str = "cn-port-01",
    progress: ProgressHook | None = None,
    planned: Callable[[int], None] | None = None,
) -> Report:
    """The port suite against the port at ``url``; ``planned(n)`` is told how many cases will run."""
    started = time.monotonic()
    suite = PortSuite(material, url, port_id)
    try:
        cases = [*suite.plan(), *StatusCases(suite).plan(), *PortSealingCases(suite).plan()]
        if planned is not None:
            planned(len(cases))
        report = Report("port", url, port_id, _now(), run_planned(cases, progress))
    finally:
        suite.close()
    report.elapsed_s = time.monotonic() - started
    return report


def run_exporter_suite(
    material: KitMaterial,
    url: str,
    *,
    exporter_id: str = "ru-exp-01",
    port_id: str = "cn-port-01",
    listen: tuple[str, int] = ("127.0.0.1", 8180),
    timeout_s: float = 60.0,
    progress: ProgressHook | None = None,
    planned: Callable[[int], None] | None = None,
    note: Callable[[str], None] = lambda _: None,
    registry_url: str | None = None,
) -> Report:
    """The exporter suite: the kit serves ``port_id`` on ``listen`` and drives the exporter at ``url``.

    The stand-in port checks status against the sandbox's lists and, given ``registry_url``, that registry's
    (where the exporter publishes its own lists).
    """
    started = time.monotonic()
    suite = ExporterSuite(material, url, exporter_id, port_id, listen, timeout_s, registry_url=registry_url)
    started_at = _now()
    suite.exercise(note)
    cases = suite.plan()
    if planned is not None:
        planned(len(cases))
    report = Report("exporter", url, exporter_id, started_at, run_planned(cases, progress))
    report.elapsed_s = time.monotonic() - started
    return report
