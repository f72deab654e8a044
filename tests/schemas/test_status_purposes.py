"""Which status lists an issuer keeps follows from the record types its role may issue (docs/design.md §12)."""

from __future__ import annotations

import pytest

from schemas.models.base import Role
from schemas.status_list import purpose_of_list, purposes_kept_by


@pytest.mark.parametrize(
    ("role", "kept"),
    [
        (Role.EXPORTER, ("revocation",)),
        (Role.CERTIFIER, ("revocation", "suspension")),
        (Role.COMPETENT_AUTHORITY, ("revocation", "suspension")),
        (Role.PORT_AUTHORITY, ()),  # receipts carry no status
        (Role.TRUST_LIST_OPERATOR, ()),
    ],
)
def test_the_lists_a_role_keeps(role: Role, kept: tuple[str, ...]) -> None:
    assert purposes_kept_by(role) == kept


@pytest.mark.parametrize(
    ("list_name", "purpose"),
    [("revocation-0", "revocation"), ("suspension-1", "suspension"), ("audit-1", None), ("revocation", None)],
)
def test_a_list_ids_purpose(list_name: str, purpose: str | None) -> None:
    assert purpose_of_list(list_name) == purpose
