"""The conformance kit: black-box suites that test any port or exporter implementation over HTTP.

``run_port_suite`` acts as the sandbox's exporters against a port; ``run_exporter_suite`` stands in for
a port (``port_standin``) and drives an exporter through its operator API. Both return a ``Report``
that ``report.render`` turns into text, JSON, JUnit XML or HTML. ``standins`` holds deliberately
non-conformant nodes that show the kit catches faults. See ``docs/conformance.md``.
"""

from pilot.conformance.material import KitMaterial, MaterialError
from pilot.conformance.model import CaseResult, CaseSpec, Report
from pilot.conformance.report import ReportFormat, render
from pilot.conformance.suites import ALL_CASES, run_exporter_suite, run_port_suite

__all__ = [
    "ALL_CASES",
    "CaseResult",
    "CaseSpec",
    "KitMaterial",
    "MaterialError",
    "Report",
    "ReportFormat",
    "render",
    "run_exporter_suite",
    "run_port_suite",
]
