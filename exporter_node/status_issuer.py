"""The exporter as an issuer of status lists: its records' status entries, their changes, its list versions.

docs/design.md §12. Every record the exporter signs (facility records, traceability events, manifests)
gets an index in the exporter's generation-1 lists, allocated from its database (``StatusStore``) and
never reused. Those records are superseded rather than suspended, so an exporter keeps one list,
``revocation-1``; ``suspend`` and ``reinstate`` of its records are refused (422 ``REQUEST_INVALID``).

Each change of a bit signs the list's next version (``sequence`` + 1) in the same transaction. A version
is valid for ``VALIDITY`` from its signing and carries the node's ``ttl`` (``PILOT_STATUS_TTL_S``);
``ensure_current`` signs version 1 of a list that has none and a fresh version of a list within
``RENEW_WITHIN`` of its ``validUntil`` (at start and periodically, ``exporter_node.status_publisher``,
which also delivers every version to the registry). Lists are always secured with an embedded
``eddsa-jcs-2022`` proof, whatever ``PILOT_SECURING`` says: a list's ``id`` must stay readable, as its URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from exporter_node.errors import ExporterError, NotFoundError
from exporter_node.identity import NodeIdentity
from exporter_node.status_store import Allocation, ListVersion, SignedVersion, SignVersion, StatusStore
from node_core.trust_holder import TrustHolder
from schemas.codes import Code
from schemas.digest import credential_digest
from schemas.errors import VerificationError
from schemas.issue import secure
from schemas.models.base import Role
from schemas.models.credential import StatusPurpose
from schemas.status_list import (
    bit_is_set,
    decode_bitstring,
    list_id,
    purpose_of_list,
    purposes_for,
    purposes_kept_by,
    status_entries,
    status_list_credential,
    status_list_url,
)
from schemas.time import format_time

__all__ = [
    "GENERATION",
    "RENEW_WITHIN",
    "VALIDITY",
    "Action",
    "StatusChange",
    "StatusIssuer",
    "StatusSigningError",
]

#: The generation of the lists of records issued at run time (generation 0: the sandbox's fixtures).
GENERATION = 1
#: How long a signed list version is valid.
VALIDITY = timedelta(days=30)
#: A list whose newest version expires within this is signed again.
RENEW_WITHIN = timedelta(days=7)
#: The purposes of the exporter's own lists: its record types are revocation-only.
EXPORTER_PURPOSES: tuple[StatusPurpose, ...] = purposes_kept_by(Role.EXPORTER)

Action = Literal["revoke", "suspend", "reinstate"]
_PURPOSE_OF: dict[Action, StatusPurpose] = {"revoke": "revocation", "suspend": "suspension", "reinstate": "suspension"}


class StatusSigningError(ExporterError):
    """No list version can be signed now: the node has no usable assertion key (503, with the key's code)."""

    def __init__(self, cause: VerificationError) -> None:
        first = cause.problems[0]
        super().__init__(first.code, f"cannot sign a status list now: {first.message}", status=503)


@dataclass(frozen=True)
class StatusChange:
    """What a ``revoke``/``suspend``/``reinstate`` did: the bit, and the list version that now holds it."""

    credential_id: str
    purpose: StatusPurpose
    changed: bool
    version: ListVersion
    status: dict[str, bool]


class StatusIssuer:
    """Allocates, changes and signs this exporter's status (one per node, shared by routes and workers)."""

    def __init__(self, identity: NodeIdentity, trust: TrustHolder, store: StatusStore, *, ttl: timedelta) -> None:
        self.identity = identity
        self.trust = trust
        self.store = store
        self.ttl = ttl

    @property
    def lists(self) -> tuple[str, ...]:
        """The ids of the lists this exporter keeps current."""
        return tuple(list_id(purpose, GENERATION) for purpose in EXPORTER_PURPOSES)

    # --- RecordIssuer's StatusAllocator ------------------------------------------------------------

    def entries(self, credential_id: str, record_type: str, at: datetime) -> list[dict[str, str]]:
        """``credentialStatus`` of a record about to be signed, its index allocated (and kept) now."""
        allocation = self.store.allocate(credential_id, record_type, at)
        return self._entries(allocation)

    def _entries(self, allocation: Allocation) -> list[dict[str, str]]:
        purposes = purposes_for(allocation.record_type)
        return status_entries(self.identity.node_id, allocation.index, purposes, generation=GENERATION)

    # --- signing -----------------------------------------------------------------------------------

    def signer(self, name: str, now: datetime) -> SignVersion:
        """Signs versions of list ``name`` as of ``now`` (key and trust list resolved once, outside any transaction)."""
        trust = self.trust.current()  # 503 TRUST_LIST_STALE without a usable trust list
        try:
            key = self.identity.key_for("assertion", trust, now)
        except VerificationError as exc:
            raise StatusSigningError(exc) from exc
        purpose = purpose_of_list(name)
        if purpose is None:
            raise ValueError(f"{name!r} is not one of this exporter's lists")
        signed_at = now.replace(microsecond=0)
        valid_until = signed_at + VALIDITY
        issuer_name = self.identity.name(trust)
        node_id = self.identity.node_id

        def sign(sequence: int, indexes: Any) -> SignedVersion:
            credential = status_list_credential(
                issuer_id=node_id,
                issuer_name=issuer_name,
                list_name=name,
                purpose=purpose,
                sequence=sequence,
                set_indexes=indexes,
                valid_from=signed_at,
                valid_until=valid_until,
                ttl=self.ttl,
            )
            signed = secure(credential, key.private_key, key.verification_method, created=signed_at)
            return SignedVersion(signed, credential_digest(signed), valid_until)

        return sign

    def ensure_current(self, now: datetime) -> list[ListVersion]:
        """Sign version 1 of a list that has none, and a new version of one close to its ``validUntil``."""
        signed: list[ListVersion] = []
        for name in self.lists:
            latest = self.store.latest(name)
            if latest is None:
                first = self.store.ensure_first(name, self.signer(name, now), now)
                signed += [first] if first is not None else []
            elif latest.valid_until - now <= RENEW_WITHIN:
                signed.append(self.store.sign_next(name, self.signer(name, now), now))
        return signed

    def sign_above(self, name: str, registry_sequence: int, now: datetime) -> ListVersion:
        """A new version of ``name`` numbered above ``registry_sequence`` (the registry holds a higher one)."""
        return self.store.sign_next(name, self.signer(name, now), now, above=registry_sequence)

    # --- changes -----------------------------------------------------------------------------------

    def allocation(self, credential_id: str) -> Allocation:
        """The allocation of one of this exporter's records; 404 ``NOT_FOUND`` for any other id."""
        found = self.store.allocation(credential_id)
        if found is None:
            raise NotFoundError(f"{self.identity.node_id} issued no credential with this id")
        return found

    def change(self, credential_id: str, action: Action, now: datetime) -> StatusChange:
        """Revoke, suspend or reinstate one record: set or clear its bit and sign the next version at once.

        A bit already as asked signs nothing (``changed`` False). ``reinstate`` clears a suspension only;
        a record without a ``suspension`` entry cannot be suspended or reinstated (422 ``REQUEST_INVALID``).
        """
        allocation = self.allocation(credential_id)
        purpose = _PURPOSE_OF[action]
        if purpose not in purposes_for(allocation.record_type):
            raise ExporterError(
                Code.REQUEST_INVALID,
                f"a {allocation.record_type} carries a revocation entry only (it is superseded, not suspended): "
                f"it cannot be {'reinstated' if action == 'reinstate' else 'suspended'}; revoke it instead",
                status=422,
            )
        name = list_id(purpose, GENERATION)
        sign = self.signer(name, now)
        version = self.store.change_bit(
            name, allocation.index, credential_id, set_it=action != "reinstate", sign=sign, now=now
        )
        changed = version is not None
        if version is None:
            version = self.store.latest(name) or self.store.ensure_first(name, sign, now) or self.store.latest(name)
        assert version is not None
        return StatusChange(credential_id, purpose, changed, version, self.status_now(allocation))

    # --- reading -----------------------------------------------------------------------------------

    def status_now(self, allocation: Allocation) -> dict[str, bool]:
        """``{purpose: bit set}`` for every entry of the record, as the database holds it now."""
        return {
            purpose: allocation.index in self.store.set_indexes(list_id(purpose, GENERATION))
            for purpose in purposes_for(allocation.record_type)
        }

    def describe(self, credential_id: str) -> dict[str, Any]:
        """A record's entries, its status now, and the bit in every version of its lists held here."""
        allocation = self.allocation(credential_id)
        history = []
        for purpose in purposes_for(allocation.record_type):
            name = list_id(purpose, GENERATION)
            for version in self.store.versions(name):
                history.append(
                    {
                        "list": status_list_url(self.identity.node_id, name),
                        "purpose": purpose,
                        "sequence": version.sequence,
                        "signedAt": format_time(version.signed_at),
                        "publishedAt": format_time(version.published_at) if version.published_at else None,
                        "refused": version.refused_code,
                        "set": _bit_in(version, allocation.index),
                    }
                )
        return {
            "credential": credential_id,
            "recordType": allocation.record_type,
            "issuedAt": format_time(allocation.issued_at),
            "index": allocation.index,
            "entries": self._entries(allocation),
            "status": self.status_now(allocation),
            "history": history,
        }


def _bit_in(version: ListVersion, index: int) -> bool:
    """The bit at ``index`` in a version this node signed (its own bytes: decoded without verifying)."""
    bits = decode_bitstring(str(version.credential["credentialSubject"]["encodedList"]))
    return bit_is_set(bits, index)
