"""The sandbox: every participant's keys, the signed trust list and the pinned anchor, from one seed.

``initialise`` (what ``pilot init`` and ``pilot up`` run) writes it into a data directory; with the
default seed it is exactly the sandbox of the published vectors (docs/design.md §§9 and 11), so everything
here is deterministic: keys derive from the seed, times are fixed, and files are written in canonical or
PEM form.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pilot.fixture_status import FIXTURE_GENERATION, ISSUERS, SET_IN_FIXTURES
from pilot.participants import (
    EXPORTER_IDS,
    EXPORTERS,
    OTHERS,
    PORT_IDS,
    PORTS,
    LocalNames,
    language_values,
    plant_names,
)
from schemas.identifiers import did_of
from schemas.issue import secure
from schemas.keyring import KEY_AGREEMENT, AgreementKeyEntry, KeyEntry, dump_keyring
from schemas.keys import key_from_seed, x25519_key_from_seed
from schemas.multikey import encode_multikey, encode_x25519_multikey
from schemas.status_list import DEFAULT_TTL, list_id, purposes_kept_by, status_list_credential
from schemas.time import format_time
from schemas.trust import TrustRegistry, sign_trust_list

DEFAULT_SEED = "agri-export-pilot-2026"

# Fixed times of the sandbox world (docs/design.md §11: valid until at least 2036).
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
KEYS_VALID_UNTIL = datetime(2037, 1, 1, tzinfo=UTC)
NEXT_UPDATE = datetime(2037, 1, 1, tzinfo=UTC)
# The revoked and the expired sandbox keys, used by invalid vectors and the demo's fault cases.
REVOKED_AT = datetime(2026, 6, 1, tzinfo=UTC)
EXPIRED_KEY_UNTIL = datetime(2026, 6, 30, tzinfo=UTC)

#: Where a data directory keeps the signed status lists of the issuers that are not nodes (and the
#: generation-0 lists of every issuer): ``<data dir>/status-lists/<issuer>/<list>.json``.
STATUS_LISTS_DIR = "status-lists"

#: How long cn-port-03 keeps a retired keyAgreement key to open what was sealed to it.
SEALED_RETENTION_DAYS = 365
#: The label of every port's current keyAgreement key, and of cn-port-03's retired one (invalid vectors).
AGREEMENT_KEY_LABEL = "key-4"
RETIRED_AGREEMENT_KEY_LABEL = "key-5"

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://pilot.example/ns/trust-list/v1"]
ALL_CATEGORIES = ["public", "commercial", "personal", "precise_location", "animal_health", "laboratory"]

#: Each port's inspection policy (docs/design.md §5). cn-port-01 has no sampling: the vectors target it.
PORT_POLICIES: dict[str, dict[str, Any]] = {
    "cn-port-01": {
        "permittedHsCodes": ["0202", "0203", "0207", "0402", "1201", "1512"],
        "permittedDataCategories": [c for c in ALL_CATEGORIES if c != "personal"],
        "inspection": {"samplingRate": 0.0, "holdHsCodes": []},
    },
    "cn-port-02": {
        "permittedHsCodes": ["0202", "0203", "0207", "0402", "1201", "1512"],
        "permittedDataCategories": [c for c in ALL_CATEGORIES if c not in ("personal", "laboratory")],
        "inspection": {"samplingRate": 0.0, "holdHsCodes": ["0202"]},
    },
    # Laboratory results only sealed to cn-port-03's keyAgreement key (docs/design.md §8, docs/keys.md).
    "cn-port-03": {
        "permittedHsCodes": ["0202", "0203", "0207", "0402", "1201", "1512"],
        "permittedDataCategories": [c for c in ALL_CATEGORIES if c not in ("personal", "laboratory")],
        "sealedDataCategories": ["laboratory"],
        "sealedRetentionDays": SEALED_RETENTION_DAYS,
        "inspection": {"samplingRate": 0.2, "holdHsCodes": []},
    },
}


@dataclass(frozen=True)
class Sandbox:
    """Everything ``pilot init`` writes: keyrings per participant, the signed trust list, the anchor."""

    seed: str
    keyrings: dict[str, list[KeyEntry]]
    #: Each port's X25519 keyAgreement keys (written into the same keyring file).
    agreement_keys: dict[str, list[AgreementKeyEntry]]
    trust_list: dict[str, Any]
    anchor: dict[str, Any]

    def keyring(self, short_id: str) -> list[KeyEntry | AgreementKeyEntry]:
        """Every key of a participant's keyring file: its signing keys, then its keyAgreement keys."""
        return [*self.keyrings[short_id], *self.agreement_keys.get(short_id, [])]


def plant_number(exporter_id: str) -> str:
    """The establishment number of an exporter's approved processing plant."""
    item = next(e for e in EXPORTERS if e.short_id == exporter_id)
    return f"{item.plant_region}-{int(exporter_id[-2:]):02d}01"


#: An establishment that exists but is not on the importer-side register (fault cases).
UNAPPROVED_ESTABLISHMENT = "RU-TAM-0399"


def _key(seed: str, short_id: str, label: str) -> Any:
    return key_from_seed(f"{seed}/{short_id}/{label}".encode())


def _participant_keys(seed: str, short_id: str, role: str) -> list[tuple[str, tuple[str, ...], dict[str, Any]]]:
    """(label, purposes, extra trust-list fields) of each key a participant gets in the sandbox."""
    valid = {"validFrom": format_time(EPOCH), "validUntil": format_time(KEYS_VALID_UNTIL)}
    keys: list[tuple[str, tuple[str, ...], dict[str, Any]]] = []
    if role == "trust_list_operator":
        keys.append(("key-1", ("assertion",), valid))
    elif role == "port_authority":
        keys.append(("key-1", ("assertion", "authentication"), valid))
        keys.append(("key-2", ("log",), valid))
        keys.append(("key-3", ("witness",), valid))
        keys.append((AGREEMENT_KEY_LABEL, (KEY_AGREEMENT,), valid))
        if short_id == "cn-port-03":
            retired = {"validFrom": format_time(EPOCH), "validUntil": format_time(EXPIRED_KEY_UNTIL)}
            keys.append((RETIRED_AGREEMENT_KEY_LABEL, (KEY_AGREEMENT,), retired))
    else:
        keys.append(("key-1", ("assertion", "authentication"), valid))
    if short_id == "ru-exp-02":
        keys.append(("key-0", ("assertion", "authentication"), {**valid, "revokedAt": format_time(REVOKED_AT)}))
    if short_id == "cert-02":
        keys.append(
            (
                "key-0",
                ("assertion",),
                {"validFrom": format_time(EPOCH), "validUntil": format_time(EXPIRED_KEY_UNTIL)},
            )
        )
    return keys


def build_sandbox(seed: str = DEFAULT_SEED, *, sequence: int = 1) -> Sandbox:
    """The whole sandbox for ``seed``; the same seed always gives the same bytes."""
    roles: list[tuple[str, str, LocalNames, str]] = [(e.short_id, "exporter", e.names, "RU") for e in EXPORTERS]
    roles += [(p.short_id, "port_authority", p.names, "CN") for p in PORTS]
    roles += [(sid, other.role, other.names, other.country) for sid, other in OTHERS.items()]

    keyrings: dict[str, list[KeyEntry]] = {}
    agreement_keys: dict[str, list[AgreementKeyEntry]] = {}
    participants: list[dict[str, Any]] = []
    for short_id, role, names, country in roles:
        did = did_of(short_id)
        entries: list[KeyEntry] = []
        published: list[dict[str, Any]] = []
        for label, purposes, extra in _participant_keys(seed, short_id, role):
            vm = f"{did}#{label}"
            if purposes == (KEY_AGREEMENT,):
                agreement = x25519_key_from_seed(f"{seed}/{short_id}/{label}".encode())
                agreement_keys.setdefault(short_id, []).append(AgreementKeyEntry(vm, agreement))
                multibase = encode_x25519_multikey(agreement.public_key())
            else:
                private = _key(seed, short_id, label)
                entries.append(KeyEntry(vm, purposes, private))
                multibase = encode_multikey(private.public_key())
            published.append(
                {"id": vm, "type": "Multikey", "publicKeyMultibase": multibase, "purposes": list(purposes), **extra}
            )
        keyrings[short_id] = entries
        participants.append(
            {
                "id": short_id,
                "did": did,
                "role": role,
                "name": names[0][1],
                "names": language_values(names),
                "country": country,
                "keys": published,
            }
        )

    establishments = [
        {
            "establishmentNumber": plant_number(e.short_id),
            "name": plant_names(e)[0][1],
            "names": language_values(plant_names(e)),
            "exporter": e.short_id,
            "region": e.plant_region,
            "categories": [e.hs_code[:4]],
            "recommendedBy": did_of("ru-vet"),
            "approvedFrom": format_time(EPOCH),
            "approvedUntil": format_time(KEYS_VALID_UNTIL),
        }
        for e in EXPORTERS
    ]
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "PilotTrustList",
        "id": f"urn:pilot:trust-list:{sequence}",
        "issuer": did_of("pilot-gov"),
        "sequence": sequence,
        "issued": format_time(EPOCH),
        "nextUpdate": format_time(NEXT_UPDATE),
        "participants": participants,
        "establishments": establishments,
        "policies": PORT_POLICIES,
    }
    gov = keyrings["pilot-gov"][0]
    signed = sign_trust_list(document, gov.private_key, gov.verification_method, EPOCH)
    anchor = {
        "trustListOperator": did_of("pilot-gov"),
        "keys": [
            {
                "id": gov.verification_method,
                "publicKeyMultibase": encode_multikey(gov.private_key.public_key()),
            }
        ],
    }
    return Sandbox(seed=seed, keyrings=keyrings, agreement_keys=agreement_keys, trust_list=signed, anchor=anchor)


def fixture_status_lists(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """``{"<issuer>/<list>.json": signed list}``: every issuer's generation-0 status lists (docs/design.md §12).

    Signed by each issuer's ``key-1`` at the sandbox's fixed times, with the bits of ``SET_IN_FIXTURES``.
    """
    trust = TrustRegistry.from_document(sandbox.trust_list)
    lists: dict[str, dict[str, Any]] = {}
    for issuer_id in ISSUERS:
        participant = trust.participant(issuer_id)
        if participant is None:
            continue
        key = sandbox.keyrings[issuer_id][0]
        for purpose in purposes_kept_by(participant.role):
            name = list_id(purpose, FIXTURE_GENERATION)
            credential = status_list_credential(
                issuer_id=issuer_id,
                issuer_name=participant.name,
                list_name=name,
                purpose=purpose,
                sequence=1,
                set_indexes=SET_IN_FIXTURES.get((issuer_id, purpose), ()),
                valid_from=EPOCH,
                valid_until=NEXT_UPDATE,
                ttl=DEFAULT_TTL,
            )
            lists[f"{issuer_id}/{name}.json"] = secure(
                credential, key.private_key, key.verification_method, created=EPOCH
            )
    return lists


def pretty_json(value: Any) -> bytes:
    """Readable, deterministic JSON for files people open (sorted keys, 2-space indent, final newline)."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def write_sandbox(sandbox: Sandbox, data_dir: Path, *, passphrase: bytes | None = None) -> None:
    """Write keys, trust list and anchor into ``data_dir`` (tokens are made by the nodes' own module)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for short_id in sandbox.keyrings:
        write_private(data_dir / "keys" / f"{short_id}.pem", dump_keyring(sandbox.keyring(short_id), passphrase))
    (data_dir / "trust-list.json").write_bytes(pretty_json(sandbox.trust_list))
    (data_dir / "trust-anchor.json").write_bytes(pretty_json(sandbox.anchor))
    for name, credential in fixture_status_lists(sandbox).items():
        path = data_dir / STATUS_LISTS_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pretty_json(credential))
    (data_dir / "tokens").mkdir(exist_ok=True)


def initialise(target: Path, seed: str = DEFAULT_SEED) -> None:
    """Write the sandbox for ``seed`` into ``target`` and an operator token for each node.

    Keys are encrypted at rest with ``PILOT_KEY_PASSPHRASE`` when it is set. Then the issuers that are not
    nodes get their state and version 1 of their generation-1 status lists (``pilot.issuer_state``); those
    are signed now, so they are not part of the deterministic sandbox (nor of the vectors).
    """
    # Imported here: the token module loads the web framework, which building a sandbox in memory
    # (vectors, demo, tests) does not need; the issuer state imports this module.
    from node_core.auth import ensure_token
    from pilot.issuer_state import refresh_lists

    passphrase = os.environ.get("PILOT_KEY_PASSPHRASE")
    write_sandbox(build_sandbox(seed), target, passphrase=passphrase.encode() if passphrase else None)
    for node_id in (*EXPORTER_IDS, *PORT_IDS):
        ensure_token(target / "tokens", node_id)
    refresh_lists(target)


__all__ = [
    "DEFAULT_SEED",
    "STATUS_LISTS_DIR",
    "Sandbox",
    "build_sandbox",
    "fixture_status_lists",
    "initialise",
    "write_sandbox",
]
