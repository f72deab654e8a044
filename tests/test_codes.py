"""The stable codes: every HTTP error code has a status, and codes are unique strings."""

from schemas.codes import HTTP_STATUS, RECEIPT_REASON_CODES, Code


def test_codes_are_their_own_names() -> None:
    for code in Code:
        assert code.value == code.name


def test_design_http_statuses() -> None:
    assert HTTP_STATUS[Code.JSON_MALFORMED] == 400
    assert HTTP_STATUS[Code.REQUEST_REPLAYED] == 401
    assert HTTP_STATUS[Code.DUPLICATE_CONFLICT] == 409
    assert HTTP_STATUS[Code.PAYLOAD_TOO_LARGE] == 413
    assert HTTP_STATUS[Code.TRUST_LIST_STALE] == 503


def test_receipt_reasons_are_not_http_errors() -> None:
    assert not (RECEIPT_REASON_CODES & {c for c in HTTP_STATUS if c != Code.SCHEMA_INVALID})
