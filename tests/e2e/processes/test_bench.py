"""The benchmark's workload and, by hand (``-m slow``), a tiny run of ``pilot bench port``."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from pilot.commands.bench import app as bench_app
from pilot.commands.bench import make_work
from schemas.assess import assess_submission
from schemas.time import utc_now
from tests.port_node.port_harness import PORT_ID, trust_registry


def test_workload_is_distinct_accepted_submissions_of_three_credentials() -> None:
    work = make_work(7, "t")
    documents = [json.loads(item.body) for item in work]
    assert len({d["submissionId"] for d in documents}) == 7
    for item, document in zip(work, documents, strict=True):
        assert len(document["credentials"]) == 3
        verdict = assess_submission(
            document, trust_registry(), port_id=PORT_ID, at=utc_now(), exporter_id=item.exporter
        )
        assert verdict.decision == "accepted", verdict.reason_codes


@pytest.mark.slow
@pytest.mark.e2e
def test_bench_port_runs() -> None:
    pilot = typer.Typer()
    pilot.add_typer(bench_app, name="bench")
    result = CliRunner().invoke(
        pilot, ["bench", "port", "--records", "50", "--clients", "4", "--proof-entries", "2000", "--json"]
    )
    assert result.exit_code == 0, result.output
    names = [figure["name"] for figure in json.loads(result.output[result.output.index("[") :])]
    assert names[0] == "in-process bound" and len(names) == 4
