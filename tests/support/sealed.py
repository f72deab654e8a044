"""Submissions with sealed credentials (docs/design.md §§4, 8), built from the sandbox as an exporter would.

``lab_submission`` signs a consignment whose conformity credential carries laboratory results holding
``LAB_VALUE`` (the plaintext a byte search looks for); ``sealed_at`` seals one of its credentials, untouched,
to a port's ``keyAgreement`` key from the trust list (or, for the faults, encrypts to one key while naming
another). The private keys that open them are the sandbox's (``port_agreement_keys``).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pilot.sandbox import DEFAULT_SEED, Sandbox, build_sandbox
from pilot.synthetic import Signer, build_world, plan_consignment, record_type_of, sign_consignment
from schemas.identifiers import did_of
from schemas.jose import b64url, b64url_decode
from schemas.sealing import read_sealed, seal, sealed_credential
from schemas.trust import TrustRegistry

__all__ = [
    "LAB_VALUE",
    "agreement_kid",
    "credential_index",
    "lab_submission",
    "port_agreement_keys",
    "rewrite_sealed",
    "sealed_at",
]

#: A laboratory result no other data holds: found in bytes only where the plaintext rests.
LAB_VALUE = "nitrofuran metabolite AOZ 0.07 ug/kg, sample SEALTEST-4471"


@functools.cache
def _sandbox() -> Sandbox:
    return build_sandbox()


@functools.cache
def _trust() -> TrustRegistry:
    return TrustRegistry.from_document(_sandbox().trust_list)


def agreement_kid(port_id: str, label: str = "key-4") -> str:
    """The id of a port's ``keyAgreement`` key (``key-4``: the current one; cn-port-03's ``key-5``: retired)."""
    return f"{did_of(port_id)}#{label}"


def port_agreement_keys(port_id: str) -> dict[str, X25519PrivateKey]:
    """Every ``keyAgreement`` private key the sandbox gives ``port_id``, by key id."""
    return {entry.verification_method: entry.private_key for entry in _sandbox().agreement_keys[port_id]}


def credential_index(document: dict[str, Any], record_type: str) -> int:
    """The index of the first credential of ``record_type`` in a clear submission."""
    return next(i for i, c in enumerate(document["credentials"]) if record_type_of(c) == record_type)


def lab_submission(exporter: str, name: str, port_id: str, *, laboratory: bool = True) -> dict[str, Any]:
    """A signed consignment of ``exporter`` to ``port_id``, its conformity credential with laboratory results."""
    parts = plan_consignment(DEFAULT_SEED, build_world(DEFAULT_SEED, exporter), f"t-{exporter}-{name}", port_id, "sea")
    if laboratory:
        assessment = parts.certificate["assessment"][0]
        assessment["laboratoryResults"] = [
            {"test": "nitrofuran metabolites (AOZ), LC-MS/MS", "result": LAB_VALUE},
            {"test": "chloramphenicol, LC-MS/MS", "result": "not detected, sample SEALTEST-4471"},
        ]
    submission: dict[str, Any] = sign_consignment(DEFAULT_SEED, parts, Signer(_sandbox().keyrings)).submission
    return submission


def sealed_at(
    document: dict[str, Any],
    index: int,
    port_id: str,
    *,
    label: str = "key-4",
    encrypt_to: str | None = None,
) -> dict[str, Any]:
    """A copy of ``document`` with credential ``index`` sealed to ``port_id``'s ``keyAgreement`` key ``label``.

    ``encrypt_to``: the id of another key to encrypt to while the header still names ``label``'s (a fault).
    """
    kid = agreement_kid(port_id, label)
    recipient = _trust().agreement_keys[encrypt_to or kid].public_key
    sealed = copy.deepcopy(document)
    sealed["credentials"][index] = sealed_credential(seal(document["credentials"][index], recipient, kid))
    return sealed


def rewrite_sealed(document: dict[str, Any], index: int, part: int, edit: Any) -> dict[str, Any]:
    """A copy of ``document`` whose sealed credential ``index`` has JWE part ``part`` (0..4) replaced by
    ``edit(decoded bytes)`` (re-encoded), as a tamperer would."""
    changed = copy.deepcopy(document)
    parts = read_sealed(changed["credentials"][index]).split(".")
    parts[part] = b64url(edit(b64url_decode(parts[part])))
    changed["credentials"][index] = sealed_credential(".".join(parts))
    return changed
