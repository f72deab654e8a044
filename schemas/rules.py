"""The port's rules on a submission, one small named class each, run in order by ``assess_submission``.

docs/design.md §§5 to 8. Every credential has already been verified (``schemas.verify``) when the rules
run: a rule reads the ``RuleContext`` (the validated submission, the credential reports, the trust
registry, the port's typed policy, who submitted, when) and yields the reasons it finds. ``codes`` lists
every reason code a rule can give; ``PORT_RULES`` is the evaluation order, which is the order of the
reasons in a receipt. ``EachLot`` runs the lot rules lot by lot, so a lot's reasons come together.

Rules tied to the parties, so that no exporter ships under another's records or establishments; the
submitter is the authenticated exporter (``exporter_id``).

- the manifest is issued by the submitter and its ``exporter`` is the submitter's DID
  (``ManifestIssuerIsSender``, ``ManifestExporterIsIssuer``: ``MANIFEST_EXPORTER_MISMATCH``);
- records an exporter issues (facility records, traceability events) are issued by the submitter
  (``RecordsIssuedBySubmitter``: ``ISSUER_NOT_SUBMITTER``);
- each lot's establishment is on the register, approved for the lot's HS heading at receive time
  (``EstablishmentApproved``) and bound there to the submitter (``EstablishmentBoundToExporter``);
- each lot's HS code is the one recorded by the traceability events that produce the lot (a
  TransformationEvent listing it in ``outputEPCList``, an ObjectEvent with action ``add`` listing it in
  ``epcList``) (``HsCodeTraced``: ``HS_CODE_MISMATCH``).

Without a submitter (``exporter_id=None``: ``pilot conformance validate``, offline) the manifest's
issuer stands in for it (``RuleContext.party``): a file whose records and register entries all belong
to the exporter that signed its manifest passes these rules, and only "who sent it" is left unchecked.

Data categories (docs/design.md §8) are checked on every credential that validates against its record
model, whatever its verification outcome (``DataCategoriesPermitted``): each field's category is one the
port's policy permits, or one it takes only sealed in a credential that arrived sealed
(``CredentialReport.sealed_to``); and a credential that arrived sealed holds a field of such a category
(``SealingExpected``).

``InspectionHold`` is not a reason rule: it decides, for a submission without errors, between
``held_for_inspection`` and ``accepted`` (a lot under ``holdHsCodes``, or the sampling rule).

A new rule is one class here (listed in ``PORT_RULES``, or in ``EachLot`` for a rule on one lot), one
``Code`` in ``RECEIPT_REASON_CODES``, one vector, and one row in ``tests/port_node/test_reason_codes.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar, Protocol

from schemas.codes import Code
from schemas.errors import Reason
from schemas.models.conformity import DigitalConformityCredential
from schemas.models.event import DigitalTraceabilityEvent
from schemas.models.facility import DigitalFacilityRecord
from schemas.models.manifest import ConsignmentManifest, Lot
from schemas.models.submission import Submission
from schemas.models.trust_list import Establishment, PortPolicy
from schemas.models.untp import secure_link_digest
from schemas.phrase import Phrase
from schemas.sampling import is_sampled
from schemas.trust import TrustRegistry
from schemas.verify import CredentialReport

__all__ = [
    "EXPORTER_RECORD_TYPES",
    "MANIFEST_TYPE",
    "PORT_RULES",
    "TRACEABILITY_TYPE",
    "ConsignmentIsSubmission",
    "DataCategoriesPermitted",
    "DestinationIsThisPort",
    "EachLot",
    "EstablishmentApproved",
    "EstablishmentBoundToExporter",
    "HsCodePermitted",
    "HsCodeTraced",
    "Inspection",
    "InspectionHold",
    "LotContext",
    "LotRule",
    "ManifestExporterIsIssuer",
    "ManifestIsConsignmentManifest",
    "ManifestIssuerIsSender",
    "PinnedCredentialsPresent",
    "PortPublishesPolicy",
    "PortRule",
    "RecordsIssuedBySubmitter",
    "RuleContext",
    "SealingExpected",
]

MANIFEST_TYPE = "ConsignmentManifest"
#: Record types only an exporter issues, about its own facilities and goods: the submitter must be the issuer.
EXPORTER_RECORD_TYPES = frozenset({"DigitalFacilityRecord", "DigitalTraceabilityEvent", MANIFEST_TYPE})
TRACEABILITY_TYPE = "DigitalTraceabilityEvent"

_LOTS = "/manifest/credentialSubject/lots"
# The messages of a pin that fails; the mismatch templates are filled with the found credential's path and digest.
_MISSING_REFERENCE = Phrase("the manifest references a credential the submission does not carry").template
_MISMATCHED_REFERENCE = Phrase("the manifest pins another digest than that of {path} ({digest})").template
_MISSING_EVIDENCE = Phrase("the evidence this credential links to is not in the submission").template
_MISMATCHED_EVIDENCE = Phrase("the linked evidence hashes to {digest}, not to the pinned hashDigest").template


@dataclass(frozen=True)
class _Event:
    """A lot-producing traceability event: where it is, the HS code it records, the lots it produces."""

    path: str
    hs_code: str
    produces: frozenset[str]


@dataclass(frozen=True)
class RuleContext:
    """What the rules read about one submission; built once by ``assess_submission``."""

    submission: Submission
    manifest: CredentialReport
    credentials: tuple[CredentialReport, ...]
    trust: TrustRegistry
    #: The destination port's policy from the trust list; None when it publishes none.
    policy: PortPolicy | None
    port_id: str
    #: The authenticated submitter; None offline.
    exporter_id: str | None
    at: datetime
    submission_digest: str
    #: The port's sampling key for the UTC day of ``at``; None offline or at an exporter's pre-check.
    sampling_key: bytes | None

    @cached_property
    def party(self) -> str | None:
        """Whom the business rules bind to: the submitter, else (offline) the manifest's verified issuer."""
        if self.exporter_id is not None:
            return self.exporter_id
        manifest = self.manifest
        if manifest.signature_verified and manifest.key is not None and manifest.record_type == MANIFEST_TYPE:
            return manifest.key.participant_id
        return None

    @cached_property
    def signed_manifest_subject(self) -> Mapping[str, Any] | None:
        """The subject of a manifest whose signature verified, even one that fails its schema; else None.

        The manifest's header rules hold on what its issuer signed, so they run on a manifest that does
        not validate too, and read the signed payload rather than the (absent) model.
        """
        manifest = self.manifest
        if not manifest.signature_verified or manifest.record_type != MANIFEST_TYPE:
            return None
        subject = (manifest.payload or {}).get("credentialSubject")
        return subject if isinstance(subject, Mapping) else {}

    @cached_property
    def consignment(self) -> ConsignmentManifest | None:
        """The verified manifest's model; None unless the manifest is a verified ConsignmentManifest."""
        model = self.manifest.model
        return model if self.manifest.verified and isinstance(model, ConsignmentManifest) else None

    @cached_property
    def register(self) -> dict[str, Establishment]:
        """The establishment register, by establishment number."""
        return {e.establishmentNumber: e for e in self.trust.establishments}

    @cached_property
    def lot_events(self) -> list[_Event] | None:
        """The lot-producing events of the party's verified traceability credentials; None if one did not verify.

        A lot is produced by a TransformationEvent that lists it in ``outputEPCList`` and by an ObjectEvent
        with action ``add`` (commissioning) that lists it in ``epcList``; a shipping ObjectEvent
        (``observe``) only moves lots, and its ``hsCode`` is that of the consignment's first lot, so it is
        not compared.
        """
        events: list[_Event] = []
        for report in self.credentials:
            if report.record_type != TRACEABILITY_TYPE:
                continue
            if not report.verified or not isinstance(report.model, DigitalTraceabilityEvent):
                return None  # its own problems reject the submission; do not guess at what it held
            if self.party is not None and report.key is not None and report.key.participant_id != self.party:
                continue  # another exporter's events trace nothing for this one (ISSUER_NOT_SUBMITTER)
            for index, event in enumerate(report.model.credentialSubject):
                if "TransformationEvent" in event.type:
                    produced = event.outputEPCList
                elif "ObjectEvent" in event.type and event.action == "add":
                    produced = event.epcList
                else:
                    continue
                items = frozenset(item.id for item in produced or [])
                events.append(_Event(f"{report.path}/credentialSubject/{index}", event.hsCode, items))
        return events


class PortRule(Protocol):
    """One rule of the port on a whole submission."""

    @property
    def codes(self) -> tuple[Code, ...]:
        """Every reason code the rule can give."""
        ...

    def check(self, ctx: RuleContext) -> Iterable[Reason]:
        """The reasons the rule finds in ``ctx``'s submission (none when it holds)."""
        ...


@dataclass(frozen=True)
class LotContext:
    """One lot of the verified manifest, for the lot rules."""

    ctx: RuleContext
    policy: PortPolicy
    index: int
    lot: Lot

    @property
    def where(self) -> str:
        """The lot's JSON pointer in the submission."""
        return f"{_LOTS}/{self.index}"


class LotRule(Protocol):
    """One rule of the port on one lot of a verified manifest (run by ``EachLot``)."""

    @property
    def codes(self) -> tuple[Code, ...]:
        """Every reason code the rule can give."""
        ...

    def check(self, lot: LotContext) -> Iterable[Reason]:
        """The reasons the rule finds for ``lot`` (none when it holds)."""
        ...


def _permitted(code: str, prefixes: Iterable[str]) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


# -- the manifest ------------------------------------------------------------------------------------


class ManifestIsConsignmentManifest:
    """A signed manifest is a ConsignmentManifest credential."""

    codes: ClassVar[tuple[Code, ...]] = (Code.SCHEMA_INVALID,)

    def check(self, ctx: RuleContext) -> Iterator[Reason]:
        if ctx.manifest.signature_verified and ctx.manifest.record_type != MANIFEST_TYPE:
            yield Reason.of(
                Code.SCHEMA_INVALID,
                "/manifest/type",
                Phrase("the manifest must be a {type} credential", type=MANIFEST_TYPE),
            )


class ManifestIssuerIsSender:
    """The manifest is issued by the exporter that submitted it."""

    codes: ClassVar[tuple[Code, ...]] = (Code.MANIFEST_EXPORTER_MISMATCH,)

    def check(self, ctx: RuleContext) -> Iterator[Reason]:
        issuer = ctx.manifest.key
        if ctx.signed_manifest_subject is None or ctx.exporter_id is None or issuer is None:
            return
        if issuer.participant_id != ctx.exporter_id:
            yield Reason.of(
                Code.MANIFEST_EXPORTER_MISMATCH,
                "/manifest/issuer",
                Phrase(
                    "the manifest is issued by {issuer}, but {submitter} submitted it",
                    issuer=issuer.participant_id,
                    submitter=ctx.exporter_id,
                ),
            )


class _ManifestMemberIs:
    """A rule that one member of the signed manifest's subject has the value the context gives it."""

    codes: ClassVar[tuple[Code, ...]]
    #: The subject member compared.
    member: ClassVar[str]

    def expected(self, ctx: RuleContext) -> tuple[Any, Phrase] | None:
        """The value the member must have and the message when it has another; None: nothing to compare."""
        raise NotImplementedError

    def check(self, ctx: RuleContext) -> Iterator[Reason]:
        subject = ctx.signed_manifest_subject
        if subject is None:
            return
        expected = self.expected(ctx)
        if expected is not None and subject.get(self.member) != expected[0]:
            yield Reason.of(self.codes[0], f"/manifest/credentialSubject/{self.member}", expected[1])


class ManifestExporterIsIssuer(_ManifestMemberIs):
    """The manifest's ``exporter`` is the party that signed it (and so, at a port, the submitter)."""

    codes: ClassVar[tuple[Code, ...]] = (Code.MANIFEST_EXPORTER_MISMATCH,)
    member = "exporter"

    def expected(self, ctx: RuleContext) -> tuple[Any, Phrase] | None:
        issuer = ctx.manifest.key
        if issuer is None:
            return None
        return issuer.did, Phrase(
            "the manifest names another exporter than its issuer {issuer}", issuer=issuer.participant_id
        )


class ConsignmentIsSubmission(_ManifestMemberIs):
    """The manifest's ``consignmentId`` is the submission's ``submissionId``."""

    codes: ClassVar[tuple[Code, ...]] = (Code.SCHEMA_INVALID,)
    member = "consignmentId"

    def expected(self, ctx: RuleContext) -> tuple[Any, Phrase] | None:
        return ctx.submission.submissionId, Phrase("the manifest's consignmentId differs from the submissionId")


class DestinationIsThisPort(_ManifestMemberIs):
    """The manifest is addressed to the port that judges it."""

    codes: ClassVar[tuple[Code, ...]] = (Code.DESTINATION_MISMATCH,)
    member = "destination"

    def expected(self, ctx: RuleContext) -> tuple[Any, Phrase] | None:
        return ctx.port_id, Phrase("the manifest is addressed to another port, not {port}", port=ctx.port_id)


# -- the credentials ---------------------------------------------------------------------------------


class RecordsIssuedBySubmitter:
    """Records only an exporter issues (facilities, events) are issued by the submitter."""

    codes: ClassVar[tuple[Code, ...]] = (Code.ISSUER_NOT_SUBMITTER,)

    def check(self, ctx: RuleContext) -> Iterator[Reason]:
        party = ctx.party
        if party is None:
            return
        for report in ctx.credentials:
            if report.record_type not in EXPORTER_RECORD_TYPES or not report.signature_verified or report.key is None:
                continue
            if report.key.participant_id != party:
                yield Reason.of(
                    Code.ISSUER_NOT_SUBMITTER,
                    f"{report.path}/issuer",
                    Phrase(
                        "a {type} issued by {issuer}, but the consignment is {exporter}'s: an exporter sends only "
                        "records it issued itself",
                        type=report.record_type,
                        issuer=report.key.participant_id,
                        exporter=party,
                    ),
                )


@dataclass(frozen=True)
class _Pin:
    """A credential pinned by id and digest: the manifest's reference, or a UNTP SecureLink."""

    where: str
    target: str
    digest: str
    #: Whether the pinned credential must travel with the submission (else it is checked when present).
    required: bool
    target_member: str
    digest_member: str
    missing: str
    #: A template filled with the found credential's ``path`` and ``digest``.
    mismatch: str


def _pins(ctx: RuleContext) -> Iterator[_Pin]:
    """Every pin of the submission: the manifest's references, then each verified credential's links.

    A conformity credential's ``auditableEvidence`` (the assessed facility's record) must travel with it;
    a facility record's claim evidence is checked when the linked credential is in the submission.
    """
    if ctx.consignment is not None:
        for i, ref in enumerate(ctx.consignment.credentialSubject.credentials):
            yield _Pin(
                f"/manifest/credentialSubject/credentials/{i}",
                ref.id,
                ref.digest,
                True,
                "id",
                "digest",
                _MISSING_REFERENCE,
                _MISMATCHED_REFERENCE,
            )
    evidence_missing = _MISSING_EVIDENCE
    evidence_mismatch = _MISMATCHED_EVIDENCE
    for report in ctx.credentials:
        if not report.verified:
            continue
        model = report.model
        if isinstance(model, DigitalConformityCredential):
            link = model.credentialSubject.auditableEvidence
            where = f"{report.path}/credentialSubject/auditableEvidence"
            digest = secure_link_digest(link)
            yield _Pin(where, link.linkURL, digest, True, "linkURL", "hashDigest", evidence_missing, evidence_mismatch)
        elif isinstance(model, DigitalFacilityRecord):
            for i, claim in enumerate(model.credentialSubject.conformityClaim or []):
                if claim.conformityEvidence is None:
                    continue
                link = claim.conformityEvidence
                where = f"{report.path}/credentialSubject/conformityClaim/{i}/conformityEvidence"
                digest = secure_link_digest(link)
                yield _Pin(
                    where, link.linkURL, digest, False, "linkURL", "hashDigest", evidence_missing, evidence_mismatch
                )


class PinnedCredentialsPresent:
    """Every credential pinned by id and digest (manifest reference, SecureLink) is present where required,
    and hashes to the pinned digest. Checked once the manifest verified.

    A sealed credential is matched by the credential inside (the manifest pins its plaintext digest). While
    one could not be opened, a pinned credential not found may be that one: it is not called missing (the
    sealed credential's own reason already rejects the submission).
    """

    codes: ClassVar[tuple[Code, ...]] = (Code.REFERENCED_CREDENTIAL_MISSING, Code.EVIDENCE_DIGEST_MISMATCH)

    def check(self, ctx: RuleContext) -> Iterator[Reason]:
        if not ctx.manifest.verified:
            return
        by_id = {c.credential_id: c for c in ctx.credentials if c.credential_id}
        unknown_content = any(c.unopened for c in ctx.credentials)
        for pin in _pins(ctx):
            found = by_id.get(pin.target)
            if found is None:
                if pin.required and not unknown_content:
                    yield Reason.of(
                        Code.REFERENCED_CREDENTIAL_MISSING, f"{pin.where}/{pin.target_member}", Phrase(pin.missing)
                    )
            elif found.digest != pin.digest:
                yield Reason.of(
                    Code.EVIDENCE_DIGEST_MISMATCH,
                    f"{pin.where}/{pin.digest_member}",
                    Phrase(pin.mismatch, path=found.path, digest=found.digest),
                )


# -- the port's policy -------------------------------------------------------------------------------


class PortPublishesPolicy:
    """The port judging the submission publishes a policy in the trust list."""

    codes: ClassVar[tuple[Code, ...]] = (Code.DESTINATION_MISMATCH,)

    def check(self, ctx: RuleContext) -> Iterator[Reason]:
        if ctx.policy is None:
            yield Reason.of(
                Code.DESTINATION_MISMATCH, "/manifest", Phrase("{port} publishes no policy", port=ctx.port_id)
            )


class DataCategoriesPermitted:
    """No field of any classified credential is in a data category the port may not receive as it came
    (docs/design.md §8): a category the policy neither permits nor seals is refused
    (``DATA_CATEGORY_NOT_PERMITTED``); one it takes only sealed (``sealedDataCategories``) is refused in a
    credential that did not arrive sealed (``DATA_CATEGORY_SEALING_REQUIRED``).

    Whatever the verification outcome: a tampered or unsigned credential is classified all the same. A
    refused object is reported once, not again for each field inside it.
    """

    codes: ClassVar[tuple[Code, ...]] = (Code.DATA_CATEGORY_NOT_PERMITTED, Code.DATA_CATEGORY_SEALING_REQUIRED)

    def check(self, ctx: RuleContext) -> Iterator[Reason]:
        if ctx.policy is None:
            return
        permitted = {str(c) for c in ctx.policy.permittedDataCategories}
        sealed = {str(c) for c in ctx.policy.sealedDataCategories or []}
        for report in (ctx.manifest, *ctx.credentials):
            refused: list[str] = []
            for pointer, category in report.categories or []:
                if category in permitted:  # a DataCategory is the str of its value: no str() per field
                    continue
                if refused and any(pointer.startswith(parent + "/") for parent in refused):
                    continue  # already reported as part of the refused object that holds it
                value = str(category)
                if value in sealed and report.sealed_to is not None:
                    continue
                refused.append(pointer)
                if value in sealed:
                    yield Reason.of(
                        Code.DATA_CATEGORY_SEALING_REQUIRED,
                        report.path + pointer,
                        Phrase(
                            "field in data category {category}, which this port takes only in a credential sealed "
                            "to its keyAgreement key",
                            category=value,
                        ),
                    )
                else:
                    yield Reason.of(
                        Code.DATA_CATEGORY_NOT_PERMITTED,
                        report.path + pointer,
                        Phrase("field in data category {category}, which this port may not receive", category=value),
                    )


class SealingExpected:
    """A credential that arrived sealed holds a field of a category the port takes only sealed.

    Anything else comes in clear text, so that the port keeps no content it cannot show without opening
    it (docs/design.md §8). Judged on a sealed credential that opened and could be classified.
    """

    codes: ClassVar[tuple[Code, ...]] = (Code.SEALING_NOT_EXPECTED,)

    def check(self, ctx: RuleContext) -> Iterator[Reason]:
        if ctx.policy is None:
            return
        sealed = {str(c) for c in ctx.policy.sealedDataCategories or []}
        for report in ctx.credentials:
            if report.sealed_to is None or report.categories is None:
                continue
            if not any(str(category) in sealed for _, category in report.categories):
                yield Reason.of(
                    Code.SEALING_NOT_EXPECTED,
                    report.path,
                    Phrase(
                        "a sealed credential holds no field of a category this port takes only sealed "
                        "(sealedDataCategories): send it in clear text"
                    ),
                )


class HsCodePermitted:
    """The lot's HS code is under one of the port's ``permittedHsCodes``."""

    codes: ClassVar[tuple[Code, ...]] = (Code.HS_CODE_NOT_PERMITTED,)

    def check(self, lot: LotContext) -> Iterator[Reason]:
        permitted = lot.policy.permittedHsCodes
        if not _permitted(lot.lot.hsCode, permitted):
            yield Reason.of(
                Code.HS_CODE_NOT_PERMITTED,
                f"{lot.where}/hsCode",
                Phrase(
                    "the lot's HS code is not among this port's permitted codes ({codes})", codes=", ".join(permitted)
                ),
            )


class EstablishmentApproved:
    """The lot's establishment is on the register, approved for the lot's HS heading at the judged time."""

    codes: ClassVar[tuple[Code, ...]] = (Code.ESTABLISHMENT_NOT_APPROVED,)

    def check(self, lot: LotContext) -> Iterator[Reason]:
        path = f"{lot.where}/establishmentNumber"
        entry = lot.ctx.register.get(lot.lot.establishmentNumber)
        if entry is None:
            yield Reason.of(
                Code.ESTABLISHMENT_NOT_APPROVED, path, Phrase("the establishment is not on the importer-side register")
            )
            return
        at = lot.ctx.at
        in_window = entry.approvedFrom <= at and (entry.approvedUntil is None or at <= entry.approvedUntil)
        if lot.lot.hsCode[:4] not in entry.categories or not in_window:
            yield Reason.of(
                Code.ESTABLISHMENT_NOT_APPROVED,
                path,
                Phrase(
                    "the establishment is approved for HS {headings} only, or not at this time",
                    headings=", ".join(entry.categories),
                ),
            )


class EstablishmentBoundToExporter:
    """The register binds the lot's establishment to the party (the submitter)."""

    codes: ClassVar[tuple[Code, ...]] = (Code.ESTABLISHMENT_NOT_BOUND_TO_EXPORTER,)

    def check(self, lot: LotContext) -> Iterator[Reason]:
        entry = lot.ctx.register.get(lot.lot.establishmentNumber)
        party = lot.ctx.party
        if entry is not None and party is not None and entry.exporter != party:
            yield Reason.of(
                Code.ESTABLISHMENT_NOT_BOUND_TO_EXPORTER,
                f"{lot.where}/establishmentNumber",
                Phrase(
                    "the register binds this establishment to {bound}, not to {exporter}",
                    bound=entry.exporter,
                    exporter=party,
                ),
            )


class HsCodeTraced:
    """The lot's HS code is the one every event producing the lot records.

    A lot no event of the submission produces is not compared (a submission need not carry its
    traceability events); one that some event produces must agree with each of them. Not checked when
    a traceability credential did not verify (its own problems reject the submission).
    """

    codes: ClassVar[tuple[Code, ...]] = (Code.HS_CODE_MISMATCH,)

    def check(self, lot: LotContext) -> Iterator[Reason]:
        for event in lot.ctx.lot_events or []:
            if lot.lot.lotId in event.produces and event.hs_code != lot.lot.hsCode:
                yield Reason.of(
                    Code.HS_CODE_MISMATCH,
                    f"{lot.where}/hsCode",
                    Phrase(
                        "the lot's HS code differs from the one the event at {event} records for it", event=event.path
                    ),
                )


class EachLot:
    """The lot rules, run lot by lot on a verified manifest of a port with a policy.

    A lot's reasons come together, in the order of ``rules``.
    """

    def __init__(self, *rules: LotRule) -> None:
        self.rules = rules
        self.codes: tuple[Code, ...] = tuple(dict.fromkeys(code for rule in rules for code in rule.codes))

    def check(self, ctx: RuleContext) -> Iterator[Reason]:
        if ctx.policy is None or ctx.consignment is None:
            return
        for index, lot in enumerate(ctx.consignment.credentialSubject.lots):
            where = LotContext(ctx, ctx.policy, index, lot)
            for rule in self.rules:
                yield from rule.check(where)


#: The port's rules, in evaluation order (the order of the reasons they give).
PORT_RULES: tuple[PortRule, ...] = (
    ManifestIsConsignmentManifest(),
    ManifestIssuerIsSender(),
    ManifestExporterIsIssuer(),
    ConsignmentIsSubmission(),
    DestinationIsThisPort(),
    RecordsIssuedBySubmitter(),
    PinnedCredentialsPresent(),
    PortPublishesPolicy(),
    DataCategoriesPermitted(),
    SealingExpected(),
    EachLot(HsCodePermitted(), EstablishmentApproved(), EstablishmentBoundToExporter(), HsCodeTraced()),
)


# -- inspection --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """The inspection rules' outcome for a submission without errors."""

    #: A lot is under one of the policy's ``holdHsCodes``.
    held_by_rule: bool
    #: The sampling rule's outcome: True (selected), False (not selected), None (not applied: the policy
    #: samples nothing, or no sampling key was given).
    sampled: bool | None

    @property
    def held(self) -> bool:
        """Whether the submission is held for inspection."""
        return self.held_by_rule or bool(self.sampled)


class InspectionHold:
    """The port's inspection rules, for a submission with no error: held_for_inspection or accepted.

    The public rule holds a lot under one of the policy's ``holdHsCodes``; ``samplingRate`` applies to an
    HMAC of the submission digest under the port's day key (``schemas.sampling``), which only the port
    knows until the day is over. Without a sampling key the sampling rule cannot be applied.
    """

    def check(self, ctx: RuleContext) -> Inspection:
        """The inspection outcome; ``ctx`` has a policy and a verified manifest (else it has errors)."""
        if ctx.policy is None:
            return Inspection(False, None)
        hold = ctx.policy.inspection.holdHsCodes
        lots = ctx.consignment.credentialSubject.lots if ctx.consignment is not None else []
        held_by_rule = any(_permitted(lot.hsCode, hold) for lot in lots)
        rate = float(ctx.policy.inspection.samplingRate)
        if rate <= 0 or ctx.sampling_key is None:
            return Inspection(held_by_rule, None)
        return Inspection(held_by_rule, is_sampled(ctx.sampling_key, ctx.submission_digest, rate))
