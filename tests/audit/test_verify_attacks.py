"""``pilot audit verify`` reads a bounded amount whatever it is given (docs/reliability.md, attack 15).

It used to read the whole file first: ``/dev/zero`` or a 3 GiB file ended in ``MemoryError``. Now a
regular file above 64 MiB is refused unread (its size comes from ``fstat``), anything else is read up to
64 MiB and one byte, and the trust anchor up to 1 MiB. Refusing the bundle is a failed check (exit 1,
with the reason, in the table and in ``--json``); an unusable anchor is bad usage (exit 2).
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pilot.cli import app

ROOT = Path(__file__).resolve().parents[2]
ANCHOR = ROOT / "schemas" / "vectors" / "trust-anchor.json"
DEV_ZERO = Path("/dev/zero")

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide terminal, so that table cells do not wrap the text the tests look for."""
    from pilot import console

    for each in (console.console, console.err_console):
        monkeypatch.setattr(each, "_width", 1000)


def verify(*args: str) -> tuple[Result, float, int]:
    """``pilot audit verify ARGS``: the result, the seconds it took and the peak memory it traced."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = runner.invoke(app, ["audit", "verify", *args])
        return result, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_dev_zero_is_read_up_to_the_bound_and_refused() -> None:
    result, seconds, peak = verify(str(DEV_ZERO), "--trust-anchor", str(ANCHOR), "--json")
    print(f"\n/dev/zero: exit {result.exit_code} in {seconds:.2f} s, peak traced {peak / 2**20:.0f} MiB")
    assert result.exit_code == 1, repr(result.exception)
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["checks"] == [
        {"name": "bundle opens", "ok": False, "detail": "/dev/zero gave more than the 64 MiB allowed (a device, "
         "a pipe, or it grew): refused"}
    ]  # fmt: skip
    assert peak < 200 * 2**20


def test_a_3_gib_file_is_refused_unread(tmp_path: Path) -> None:
    huge = tmp_path / "huge.zip"
    with huge.open("wb") as handle:  # sparse: 3 GiB long, nothing on disk
        handle.truncate(3 * 2**30)
    result, seconds, peak = verify(str(huge), "--trust-anchor", str(ANCHOR))
    print(f"\n3 GiB file: exit {result.exit_code} in {seconds:.2f} s, peak traced {peak / 2**20:.1f} MiB")
    assert result.exit_code == 1, repr(result.exception)
    assert "holds 3221225472 bytes, more than the 64 MiB allowed: refused unread" in result.output
    assert "bundle does NOT verify" in result.output
    assert peak < 8 * 2**20


def test_dev_zero_as_the_trust_anchor_is_bad_usage(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(b"PK")
    result, _, peak = verify(str(bundle), "--trust-anchor", str(DEV_ZERO))
    assert result.exit_code == 2, repr(result.exception)
    assert "more than the 1 MiB allowed" in result.output
    assert peak < 16 * 2**20
