"""Every code an exporter may see on a consignment has a hint saying what to do about it (schemas.reason_hints)."""

from __future__ import annotations

import pytest

from schemas.codes import RECEIPT_REASON_CODES, Code
from schemas.reason_hints import HINTS, hint_for

#: Codes a consignment may show besides the receipt's reasons: the exporter's own, and the sealing ones.
EXPORTER_SIDE = {Code.RECEIPT_INVALID, Code.CHECKPOINT_INCONSISTENT, Code.DELIVERY_GAVE_UP}
SEALING = {
    Code.SEALED_INVALID,
    Code.SEALED_ALGORITHM_UNSUPPORTED,
    Code.SEALED_KEY_UNKNOWN,
    Code.SEALED_KEY_RETIRED,
    Code.DATA_CATEGORY_SEALING_REQUIRED,
    Code.SEALING_NOT_EXPECTED,
}


@pytest.mark.parametrize("code", sorted(RECEIPT_REASON_CODES | EXPORTER_SIDE | SEALING), ids=str)
def test_every_reason_an_exporter_may_see_has_a_hint(code: Code) -> None:
    hint = hint_for(code)
    assert hint is not None, f"{code} has no hint in schemas/reason_hints.py"
    assert hint[0].isupper() and hint.endswith("."), hint
    assert "{" not in hint and "}" not in hint  # no placeholder left: hints never quote the input


def test_hints_are_keyed_by_stable_codes_only() -> None:
    assert set(HINTS) <= set(Code)
    assert hint_for("NOT_A_CODE") is None and hint_for(None) is None
    assert hint_for("PROOF_INVALID") == HINTS[Code.PROOF_INVALID]  # the code's text finds it


def test_the_hints_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        HINTS[Code.PROOF_INVALID] = "something else"  # type: ignore[index]
