"""The trust registry: a verified trust list, and the rules for resolving a key at a given time.

docs/design.md §5. Rules, all pure (no I/O but ``load_trust_list``); ``now`` is always the verifier's
clock, never a time the list or its proof claims:

1. A trust list counts only if its ``eddsa-jcs-2022`` proof verifies with a key of the pinned trust
   anchor (``trust-anchor.json``), or with a ``pilot-gov`` key announced in a list that was itself
   accepted (``extra_anchor_keys``). A key taken from the list being verified is never trusted for it.
   Otherwise: ``TRUST_LIST_INVALID``.
2. A list whose ``sequence`` is lower than the highest one accepted is refused: ``TRUST_LIST_STALE``.
3. A list signed by an anchor key (pinned or announced) that a list accepted before revoked
   (``revokedAt``), judged at or after that ``revokedAt``, is refused: ``KEY_REVOKED``. A revocation
   stays once learnt, even if a later list drops it; the earliest ``revokedAt`` seen counts.
4. A list whose ``nextUpdate`` is at or before ``now`` is not adopted: ``TRUST_LIST_STALE``; and a list
   already held stops being usable once its ``nextUpdate`` passes (``TrustRegistry.check_fresh``).
5. A key is looked up by its verificationMethod id. Unknown: ``ISSUER_UNKNOWN``. Without the requested
   purpose, or outside ``[validFrom, validUntil]`` at the judged time: ``KEY_NOT_VALID_AT_RECEIPT``.
   At or after ``revokedAt``: ``KEY_REVOKED``.
6. Time is the verifier's (the port's receive time), never the signer's claimed ``created``.

``TrustState`` is the state machine a node runs over these rules: what it learnt from the lists it
accepted (the highest ``sequence``, the announced ``pilot-gov`` keys, the revocations of anchor keys).
``TrustState.admit`` verifies a candidate list against it and returns the registry with the next state;
the node persists that state (``TrustState.to_json``) so that a restart keeps what a rotation taught it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from pydantic import ValidationError

from schemas.codes import Code
from schemas.data_integrity import read_proof, sign_data_integrity, verify_data_integrity
from schemas.errors import KeyFormatError, PilotSchemaError, VerificationError
from schemas.jsonio import parse_json
from schemas.models.base import Role
from schemas.models.trust_list import (
    KEY_AGREEMENT,
    Establishment,
    Participant,
    PortPolicy,
    TrustAnchor,
    TrustedKey,
    TrustList,
)
from schemas.multikey import decode_multikey, decode_x25519_multikey
from schemas.time import format_time, parse_time


@dataclass(frozen=True)
class ResolvedKey:
    """A public key from the trust list together with who holds it and when it may be used."""

    verification_method: str
    participant_id: str
    did: str
    role: str
    name: str
    public_key: Ed25519PublicKey
    public_key_multibase: str
    purposes: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None

    def check(self, purpose: str, at: datetime) -> None:
        """Raise VerificationError unless this key may be used for ``purpose`` at ``at``."""
        if purpose not in self.purposes:
            raise VerificationError.single(
                Code.KEY_NOT_VALID_AT_RECEIPT,
                "",
                f"key {self.verification_method} is not published for purpose {purpose!r} "
                f"(it has {', '.join(self.purposes)})",
            )
        if self.revoked_at is not None and at >= self.revoked_at:
            raise VerificationError.single(
                Code.KEY_REVOKED,
                "",
                f"key {self.verification_method} was revoked at {format_time(self.revoked_at)}, "
                f"before {format_time(at)}",
            )
        if at < self.valid_from or at > self.valid_until:
            raise VerificationError.single(
                Code.KEY_NOT_VALID_AT_RECEIPT,
                "",
                f"key {self.verification_method} is valid from {format_time(self.valid_from)} to "
                f"{format_time(self.valid_until)}, not at {format_time(at)}",
            )


@dataclass(frozen=True)
class AgreementKey:
    """A port's X25519 ``keyAgreement`` key from the trust list: what exporters seal credentials to.

    Kept apart from the signing keys (``TrustRegistry.keys``), so that no signature is ever checked
    with it and no credential is ever sealed to a signing key (docs/design.md §§5, 8).
    """

    kid: str
    participant_id: str
    public_key: X25519PublicKey
    public_key_multibase: str
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None

    def usable_at(self, at: datetime) -> bool:
        """True when a credential may be sealed to this key, or received sealed to it, at ``at``."""
        if self.revoked_at is not None and at >= self.revoked_at:
            return False
        return self.valid_from <= at <= self.valid_until


@dataclass(frozen=True)
class TrustRegistry:
    """One verified trust list: participants, keys, the establishment register and port policies.

    ``model`` is the validated ``TrustList``: the lookups below return its typed parts, so a misspelt
    member is refused when the list is loaded, never read as absent later. ``document`` is the list as
    signed, for re-serialising it (a node serves it, ``pilot trust show --json`` prints it).
    """

    document: dict[str, Any]
    model: TrustList = field(repr=False)
    sequence: int
    issued: datetime
    next_update: datetime
    participants: dict[str, Participant]
    keys: dict[str, ResolvedKey] = field(repr=False)
    signed_by: str = ""
    #: Ports' X25519 ``keyAgreement`` keys by id (never in ``keys``: they sign nothing).
    agreement_keys: dict[str, AgreementKey] = field(default_factory=dict, repr=False)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> TrustRegistry:
        """Index a trust list that was already verified (or is being built); validates its shape."""
        try:
            model = TrustList.model_validate(document)
        except ValidationError as exc:
            raise VerificationError.single(
                Code.TRUST_LIST_INVALID, "", f"trust list does not match its schema: {exc.errors()[0]['msg']}"
            ) from exc
        participants: dict[str, Participant] = {}
        keys: dict[str, ResolvedKey] = {}
        agreement_keys: dict[str, AgreementKey] = {}
        for participant in model.participants:
            participants[participant.id] = participant
            for key in participant.keys:
                if KEY_AGREEMENT in key.purposes:
                    agreement_keys[key.id] = _agreement_key(participant.id, key)
                    continue
                try:
                    public_key = decode_multikey(key.publicKeyMultibase)
                except KeyFormatError as exc:
                    raise VerificationError.single(Code.TRUST_LIST_INVALID, "", f"key {key.id}: {exc}") from exc
                keys[key.id] = ResolvedKey(
                    verification_method=key.id,
                    participant_id=participant.id,
                    did=participant.did,
                    role=str(participant.role),
                    name=participant.name,
                    public_key=public_key,
                    public_key_multibase=key.publicKeyMultibase,
                    purposes=tuple(key.purposes),
                    valid_from=key.validFrom,
                    valid_until=key.validUntil,
                    revoked_at=key.revokedAt,
                )
        proof = model.proof
        return cls(
            document=dict(document),
            model=model,
            sequence=model.sequence,
            issued=model.issued,
            next_update=model.nextUpdate,
            participants=participants,
            keys=keys,
            signed_by=proof.get("verificationMethod", "") if proof is not None else "",
            agreement_keys=agreement_keys,
        )

    def resolve_key(self, verification_method: str, purpose: str, at: datetime) -> ResolvedKey:
        """The key published under ``verification_method``, checked for ``purpose`` at time ``at``."""
        key = self.keys.get(verification_method)
        if key is None:
            raise VerificationError.single(
                Code.ISSUER_UNKNOWN,
                "",
                f"no participant in trust list {self.sequence} has key {verification_method}",
            )
        key.check(purpose, at)
        return key

    def participant(self, short_id: str) -> Participant | None:
        """The participant with short id ``short_id``, or None."""
        return self.participants.get(short_id)

    def participant_by_did(self, did: str) -> Participant | None:
        """The participant with DID ``did``, or None."""
        for participant in self.participants.values():
            if participant.did == did:
                return participant
        return None

    def keys_of(self, short_id: str, purpose: str) -> list[ResolvedKey]:
        """Every key of a participant that carries ``purpose``, in list order."""
        return [k for k in self.keys.values() if k.participant_id == short_id and purpose in k.purposes]

    def sealing_key(self, port_id: str, at: datetime) -> AgreementKey | None:
        """The port's current ``keyAgreement`` key at ``at`` (the usable one that started last), or None."""
        usable = [k for k in self.agreement_keys.values() if k.participant_id == port_id and k.usable_at(at)]
        return max(usable, key=lambda k: (k.valid_from, k.kid), default=None)

    def policy(self, port_id: str) -> PortPolicy | None:
        """A port's published policy, or None when the list has none for it."""
        return self.model.policies.get(port_id)

    @property
    def establishments(self) -> list[Establishment]:
        """The importer-side register of approved establishments."""
        return list(self.model.establishments)

    def _operator_keys(self) -> list[TrustedKey]:
        gov = [p for p in self.participants.values() if p.role == Role.TRUST_LIST_OPERATOR]
        return [k for p in gov for k in p.keys]

    def announced_anchor_keys(self) -> dict[str, str]:
        """``pilot-gov`` keys this list announces (verificationMethod id -> multibase), for rotation."""
        return {k.id: k.publicKeyMultibase for k in self._operator_keys() if k.revokedAt is None}

    def anchor_revocations(self) -> dict[str, datetime]:
        """``pilot-gov`` keys this list revokes (verificationMethod id -> ``revokedAt``), rule 3."""
        return {k.id: k.revokedAt for k in self._operator_keys() if k.revokedAt is not None}

    def check_fresh(self, now: datetime) -> None:
        """Rule 4: TRUST_LIST_STALE once ``nextUpdate`` is at or before ``now`` (the verifier's clock)."""
        if self.next_update <= now:
            raise VerificationError.single(
                Code.TRUST_LIST_STALE,
                "/nextUpdate",
                f"trust list {self.sequence} was due to be replaced at {format_time(self.next_update)}, "
                f"before {format_time(now)}",
            )


def _agreement_key(participant_id: str, key: TrustedKey) -> AgreementKey:
    try:
        public_key = decode_x25519_multikey(key.publicKeyMultibase)
    except KeyFormatError as exc:
        raise VerificationError.single(Code.TRUST_LIST_INVALID, "", f"key {key.id}: {exc}") from exc
    return AgreementKey(
        kid=key.id,
        participant_id=participant_id,
        public_key=public_key,
        public_key_multibase=key.publicKeyMultibase,
        valid_from=key.validFrom,
        valid_until=key.validUntil,
        revoked_at=key.revokedAt,
    )


def anchor_keys(anchor: Mapping[str, Any]) -> dict[str, str]:
    """The pinned anchor's keys (verificationMethod id -> multibase); TRUST_LIST_INVALID if malformed."""
    try:
        TrustAnchor.model_validate(anchor)
    except ValidationError as exc:
        raise VerificationError.single(Code.TRUST_LIST_INVALID, "", f"trust anchor is malformed: {exc}") from exc
    return {k["id"]: k["publicKeyMultibase"] for k in anchor["keys"]}


def verify_trust_list(
    document: Mapping[str, Any],
    anchor: Mapping[str, Any],
    *,
    min_sequence: int | None = None,
    extra_anchor_keys: Mapping[str, str] | None = None,
    revoked_anchor_keys: Mapping[str, datetime] | None = None,
    now: datetime | None = None,
) -> TrustRegistry:
    """Verify a trust list against the pinned anchor and return its registry (rules 1 to 4).

    Rules 3 and 4 need the verifier's clock: without ``now`` (an offline check of an archived list) a
    list is judged by its signature and sequence only.
    """
    trusted = dict(extra_anchor_keys or {})
    trusted.update(anchor_keys(anchor))  # a pinned key id always means the pinned key
    try:
        proof = read_proof(document)
    except VerificationError as exc:
        raise VerificationError.single(Code.TRUST_LIST_INVALID, "/proof", f"trust list proof: {exc}") from exc
    multibase = trusted.get(proof.verification_method)
    if multibase is None:
        raise VerificationError.single(
            Code.TRUST_LIST_INVALID,
            "/proof/verificationMethod",
            f"trust list is signed by {proof.verification_method}, which is not a pinned trust-anchor key",
        )
    try:
        verify_data_integrity(document, decode_multikey(multibase))
    except VerificationError as exc:
        raise VerificationError.single(
            Code.TRUST_LIST_INVALID,
            "/proof/proofValue",
            "trust list signature does not verify with the anchor key",
        ) from exc
    revoked_at = (revoked_anchor_keys or {}).get(proof.verification_method)
    if now is not None and revoked_at is not None and now >= revoked_at:
        raise VerificationError.single(
            Code.KEY_REVOKED,
            "/proof/verificationMethod",
            f"trust list is signed by {proof.verification_method}, which an accepted trust list revoked at "
            f"{format_time(revoked_at)}, before {format_time(now)}",
        )
    registry = TrustRegistry.from_document(document)
    if min_sequence is not None and registry.sequence < min_sequence:
        raise VerificationError.single(
            Code.TRUST_LIST_STALE,
            "/sequence",
            f"trust list sequence {registry.sequence} is older than the accepted sequence {min_sequence}",
        )
    if now is not None:
        registry.check_fresh(now)
    return registry


@dataclass(frozen=True)
class TrustState:
    """What a node learnt from the trust lists it accepted; ``admit`` is its one transition (rules 1 to 4).

    ``sequence`` is the highest accepted (0: none yet), ``anchor_keys`` the ``pilot-gov`` keys announced
    in accepted lists (verificationMethod id -> multibase), ``revoked`` the anchor keys an accepted list
    revoked (id -> earliest ``revokedAt``). Immutable: every transition returns a new state.
    """

    sequence: int = 0
    anchor_keys: Mapping[str, str] = field(default_factory=dict)
    revoked: Mapping[str, datetime] = field(default_factory=dict)

    def admit(
        self, document: Mapping[str, Any], anchor: Mapping[str, Any], now: datetime
    ) -> tuple[TrustRegistry, TrustState]:
        """Verify ``document`` at ``now`` against the anchor and this state; the registry and the next state."""
        registry = verify_trust_list(
            document,
            anchor,
            min_sequence=self.sequence or None,
            extra_anchor_keys=self.anchor_keys,
            revoked_anchor_keys=self.revoked,
            now=now,
        )
        return registry, self.learn(registry)

    def learn(self, registry: TrustRegistry) -> TrustState:
        """This state after accepting ``registry``: its sequence, announced keys and revocations kept."""
        learnt = TrustState(registry.sequence, registry.announced_anchor_keys(), registry.anchor_revocations())
        return self.merge(learnt)

    def merge(self, other: TrustState) -> TrustState:
        """Both states' knowledge: the higher sequence, every announced key, the earliest revocation of each."""
        keys = {**other.anchor_keys, **self.anchor_keys}  # a key id first learnt keeps its key
        revoked = dict(self.revoked)
        for key_id, at in other.revoked.items():
            revoked[key_id] = min(at, revoked.get(key_id, at))
        return TrustState(max(self.sequence, other.sequence), keys, revoked)

    def to_json(self) -> list[dict[str, Any]]:
        """The anchor keys and revocations as a JSON list, sorted by id, for a node to persist."""
        ids = sorted(set(self.anchor_keys) | set(self.revoked))
        return [
            {
                "id": key_id,
                "publicKeyMultibase": self.anchor_keys.get(key_id),
                "revokedAt": format_time(self.revoked[key_id]) if key_id in self.revoked else None,
            }
            for key_id in ids
        ]

    @classmethod
    def from_json(cls, sequence: int, value: Any) -> TrustState:
        """The state a node persisted with ``to_json``; entries that are not such objects are ignored."""
        keys: dict[str, str] = {}
        revoked: dict[str, datetime] = {}
        for item in value if isinstance(value, list) else []:
            if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
                continue  # earlier versions stored bare key ids, without the key itself
            if isinstance(item.get("publicKeyMultibase"), str):
                keys[item["id"]] = item["publicKeyMultibase"]
            if isinstance(item.get("revokedAt"), str):
                revoked[item["id"]] = parse_time(item["revokedAt"])
        return cls(sequence, keys, revoked)


def sign_trust_list(
    document: Mapping[str, Any], private_key: Ed25519PrivateKey, verification_method: str, created: datetime
) -> dict[str, Any]:
    """The trust list signed by ``pilot-gov`` (any existing proof is replaced)."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    return sign_data_integrity(unsigned, private_key, verification_method, created=format_time(created))


def read_json_file(path: Path) -> Any:
    """A JSON file parsed strictly; VerificationError TRUST_LIST_INVALID when unreadable."""
    try:
        return parse_json(path.read_bytes())
    except OSError as exc:
        raise VerificationError.single(Code.TRUST_LIST_INVALID, "", f"cannot read {path}: {exc}") from exc
    except PilotSchemaError as exc:
        raise VerificationError.single(Code.TRUST_LIST_INVALID, "", f"{path} is not strict JSON: {exc}") from exc


def load_trust_list(
    path: Path,
    anchor_path: Path,
    *,
    min_sequence: int | None = None,
    extra_anchor_keys: Mapping[str, str] | None = None,
) -> TrustRegistry:
    """Read and verify ``trust-list.json`` against ``trust-anchor.json``."""
    return verify_trust_list(
        read_json_file(path),
        read_json_file(anchor_path),
        min_sequence=min_sequence,
        extra_anchor_keys=extra_anchor_keys,
    )


__all__ = [
    "ResolvedKey",
    "TrustRegistry",
    "TrustState",
    "anchor_keys",
    "load_trust_list",
    "sign_trust_list",
    "verify_trust_list",
]
