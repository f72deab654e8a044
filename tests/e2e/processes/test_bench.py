"""The benchmarks' workload, floor and ratios; and, by hand (``-m slow``), tiny runs of ``pilot bench``."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from pilot.bench.figure import Figure, relate
from pilot.bench.floor import FloorMismatchError, crypto_work, measure_floor
from pilot.bench.repeat import median_runs
from pilot.bench.targets import judge
from pilot.bench.workload import make_work
from pilot.commands.bench import app as bench_app
from schemas.assess import assess_submission
from schemas.phrase import Phrase
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


def test_floor_times_four_verifications_and_two_signatures_per_submission() -> None:
    documents = [json.loads(item.body) for item in make_work(5, "floor")]
    figure = measure_floor(documents, trust_registry(), rounds=1)
    assert figure.key == "floor" and figure.rate is not None and figure.rate > 0
    assert figure.extra["verifications"] == 4 * 5 and figure.extra["signatures"] == 2 * 5


def test_floor_verifies_the_bytes_it_times_so_a_changed_credential_is_refused() -> None:
    document = json.loads(make_work(1, "tampered")[0].body)
    crypto_work(document, trust_registry(), 0)  # the bytes made for every proof verify
    document["credentials"][1]["validUntil"] = "2099-01-01T00:00:00Z"
    with pytest.raises(FloorMismatchError):
        crypto_work(document, trust_registry(), 0)


def test_every_submission_figure_is_a_ratio_of_the_floor_and_of_its_baseline() -> None:
    figures = [
        Figure("floor", Phrase("floor"), rate=1000.0, baseline=""),
        Figure("in_process", Phrase("in process"), rate=500.0),
        Figure("pg_in_process", Phrase("in process, PostgreSQL"), rate=400.0),
        Figure("single", Phrase("single"), rate=240.0, baseline="pg_in_process"),
        Figure("proof", Phrase("proof"), unit="proofs", rate=900.0),
    ]
    relate(figures)
    ratios = {f.key: (f.of_floor, f.of_in_process) for f in figures}
    assert ratios == {
        "floor": (None, None),
        "in_process": (0.5, None),
        "pg_in_process": (0.4, 0.8),
        "single": (0.24, 0.6),
        "proof": (None, None),
    }


def _run(in_process: float, single: float, single_p99: float, proof_p99: float) -> list[Figure]:
    """One run's figures: the floor at 1,000/s, the rest at the rates and latencies given."""
    figures = [
        Figure("floor", Phrase("floor"), rate=1000.0, baseline=""),
        Figure("in_process", Phrase("in process"), rate=in_process),
        Figure("single", Phrase("single"), rate=single, p50_ms=10.0, p99_ms=single_p99),
        Figure("proof", Phrase("proof"), unit="proofs", rate=900.0, p50_ms=0.5, p99_ms=proof_p99),
    ]
    relate(figures)
    return figures


def test_repeated_runs_show_each_figures_median_run_whole_with_every_runs_values() -> None:
    runs = [_run(200.0, 150.0, 15.0, 0.9), _run(300.0, 150.0, 25.0, 3.0), _run(250.0, 140.0, 30.0, 1.1)]
    combined = {f.key: f for f in median_runs(runs)}
    # in process ranks by its share of the floor: 20%, 30%, 25%: the third run's.
    assert combined["in_process"].rate == 250.0 and combined["in_process"].of_floor == 0.25
    # single ranks by its share of in process (75%, 50%, 56%): the third run's, its latencies with it, so its
    # target is judged on one real run (p99 30 > 2 x p50), not on medians of different runs.
    single = combined["single"]
    assert (single.rate, single.p99_ms) == (140.0, 30.0)
    assert judge(single) is not None and not judge(single).met  # type: ignore[union-attr]
    # the proof ranks by p99: 0.9, 3.0, 1.1 ms: the third run's; every run's values are kept.
    assert combined["proof"].p99_ms == 1.1
    assert [r["p99_ms"] for r in combined["proof"].extra["runs"]] == [0.9, 3.0, 1.1]
    assert "median of 3 runs (20% to 30%)" in str(combined["in_process"].note)
    assert "p99 0.90 to 3.00 ms" in str(combined["proof"].note)


def test_an_even_number_of_runs_shows_the_lower_middle_run_and_one_run_is_shown_as_it_is() -> None:
    two = median_runs([_run(300.0, 150.0, 15.0, 0.9), _run(200.0, 150.0, 15.0, 0.9)])
    assert next(f for f in two if f.key == "in_process").rate == 200.0
    one = _run(300.0, 150.0, 15.0, 0.9)
    assert median_runs([one]) == one


def _bench(*arguments: str) -> list[dict[str, object]]:
    pilot = typer.Typer()
    pilot.add_typer(bench_app, name="bench")
    result = CliRunner().invoke(pilot, ["bench", *arguments, "--format", "json"])
    assert result.exit_code == 0, result.output
    figures: list[dict[str, object]] = json.loads(result.output[result.output.index("[") :])
    return figures


@pytest.mark.slow
@pytest.mark.e2e
def test_bench_port_runs() -> None:
    figures = _bench("port", "--records", "50", "--clients", "4", "--proof-entries", "2000", "--repeat", "2")
    assert [f["key"] for f in figures] == ["floor", "in_process", "single", "batch", "proof"]
    assert all(isinstance(f["of_floor"], float) for f in figures[1:4])
    assert all(len(f["extra"]["runs"]) == 2 for f in figures)  # type: ignore[index]


@pytest.mark.slow
@pytest.mark.e2e
def test_bench_network_runs() -> None:
    figures = _bench("network", "--consignments", "18", "--clients", "6", "--repeat", "2")
    assert [f["key"] for f in figures] == ["floor", "network"]
    network = figures[1]
    assert len(network["extra"]["runs"]) == 2  # type: ignore[index]
    extra = network["extra"]
    assert isinstance(extra, dict) and extra["consignments"] == 18
    assert set(extra["states"]) <= {"delivered", "delivered_with_warnings"} and sum(extra["states"].values()) == 18
