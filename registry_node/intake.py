"""What the registry does with a posted status list version: strict parse, verify, check it is the issuer's, keep it.

docs/design.md §12. The body (already authenticated as sent by ``issuer``) must be strict JSON
(400 ``JSON_MALFORMED``) and a status list credential that ``schemas.status_list.verify_status_list``
accepts at the registry's receive time as the list at ``status_list_url(issuer, list_id)``: a proof by its
issuer's ``assertion`` key, a well-formed bitstring, inside its validity window. Its issuer must be the
list's (``did_of(issuer)``: a list another participant signed is refused even when its proof verifies),
and its ``statusPurpose`` the one its list id names (``<purpose>-<generation>``). Any of these failing is
422 ``STATUS_LIST_INVALID``, whose detail names codes and JSON paths only, never a value from the input.
The store then applies the ordering rules (``registry_node.store``).
"""

from __future__ import annotations

from datetime import datetime

from node_core.body import parse_json_body
from node_core.problems import ProblemError
from node_core.trust_holder import TrustHolder
from registry_node.store import Accepted, StatusListStore
from schemas.codes import Code
from schemas.errors import Reason, VerificationError
from schemas.identifiers import did_of
from schemas.status_list import StatusList, purpose_of_list, status_list_url, verify_status_list

__all__ = ["MAX_REPORTED", "accept_version", "verified_version"]

#: Problems named in a refusal's detail and ``problems`` member, at most.
MAX_REPORTED = 10


def _invalid(detail: str, problems: list[Reason] | None = None) -> ProblemError:
    named = [{"code": str(p.code), "path": p.path or "/"} for p in (problems or [])[:MAX_REPORTED]]
    if named:
        detail += ": " + "; ".join(f"{p['code']} at {p['path']}" for p in named)
    return ProblemError(Code.STATUS_LIST_INVALID, detail, extra={"problems": named} if named else None)


def verified_version(trust: TrustHolder, issuer: str, list_id: str, body: bytes, at: datetime) -> StatusList:
    """The posted version verified as ``issuer``'s list ``list_id`` at ``at``; 400 or 422 otherwise."""
    document = parse_json_body(body)
    try:
        verified = verify_status_list(document, trust.current(), at, url=status_list_url(issuer, list_id))
    except VerificationError as exc:
        raise _invalid("the status list credential does not verify", exc.problems) from exc
    if verified.issuer_did != did_of(issuer):
        raise _invalid("the status list credential was issued by another participant than the list's issuer")
    if verified.purpose != purpose_of_list(list_id):
        raise _invalid("the status list credential's statusPurpose is not the purpose its list id names")
    return verified


def accept_version(
    store: StatusListStore, trust: TrustHolder, issuer: str, list_id: str, body: bytes, at: datetime
) -> Accepted:
    """Verify the posted version at ``at`` (its receive time) and keep it: ``Accepted``, or a ``ProblemError``."""
    verified = verified_version(trust, issuer, list_id, body, at)
    return store.add(issuer, list_id, verified, body)
