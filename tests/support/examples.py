"""Valid, unsigned example documents of every wire type, for the tests (one consignment, described once).

Every builder returns a fresh dict (callers may mutate it) describing the same fictional consignment:
``ru-exp-01`` ships frozen broiler cuts from a Belgorod farm to ``cn-port-01``. Digests are placeholders
(SHA-256 of a label), not digests of the other examples.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Callable
from typing import Any

import base58

__all__ = [
    "CREDENTIAL_EXAMPLES",
    "EXAMPLES",
    "conformity_credential",
    "consignment_manifest",
    "did",
    "facility_record",
    "log_entry",
    "submission",
    "submission_receipt",
    "traceability_event",
    "trust_anchor",
    "trust_list",
    "veterinary_attestation",
]

Doc = dict[str, Any]

VALID_FROM = "2025-01-15T00:00:00Z"
VALID_UNTIL = "2037-01-01T00:00:00Z"
FARM_ID = "urn:pilot:facility:ru-exp-01:farm-001"
PLANT_ID = "urn:pilot:facility:ru-exp-01:plant-001"
VC = "https://www.w3.org/ns/credentials/v2"
PILOT = "https://pilot.example/ns/agri-export/v1"
UNTP = "https://test.uncefact.org/vocabulary/untp/{}/0.6.1/"
UNTP_SHORT = {"DigitalFacilityRecord": "dfr", "DigitalTraceabilityEvent": "dte", "DigitalConformityCredential": "dcc"}
EXPORTER_NAME = "Belgorod Poultry Export (fictional)"


def did(short_id: str) -> str:
    """The pilot DID of a participant: ``did:web:pilot.example:<short id>``."""
    return f"did:web:pilot.example:{short_id}"


def _digest(label: str) -> str:
    return "sha-256:" + hashlib.sha256(label.encode()).hexdigest()


def _b64(label: str) -> str:
    return base64.b64encode(hashlib.sha256(label.encode()).digest()).decode("ascii")


def _multikey(label: str) -> str:
    """A well-formed Ed25519 Multikey (not a real key pair): z + base58btc(0xed 0x01 || 32 bytes)."""
    return "z" + str(base58.b58encode(b"\xed\x01" + hashlib.sha256(label.encode()).digest()).decode("ascii"))


def _envelope(record_type: str, credential_id: str, issuer: str, issuer_name: str, subject: Any) -> Doc:
    untp = UNTP_SHORT.get(record_type)
    return {
        "@context": [VC, UNTP.format(untp), PILOT] if untp else [VC, PILOT],
        "id": credential_id,
        "type": [record_type, "VerifiableCredential"] if untp else ["VerifiableCredential", record_type],
        "issuer": ({"type": ["CredentialIssuer"]} if untp else {}) | {"id": did(issuer), "name": issuer_name},
        "validFrom": VALID_FROM,
        "validUntil": VALID_UNTIL,
        "credentialSubject": subject,
    }


def facility_record() -> Doc:
    """A broiler farm in Belgorod oblast (RU-BEL), with its boundary polygon and contact."""
    return _envelope(
        "DigitalFacilityRecord",
        "urn:uuid:3f1c2a9e-5b7d-4e21-9a0c-000000000001",
        "ru-exp-01",
        EXPORTER_NAME,
        {
            "type": ["FacilityRecord"],
            "facility": {
                "type": ["Facility", "AgriFacility"],
                "id": FARM_ID,
                "name": "Farm No. 1, Belgorod",
                "countryOfOperation": "RU",
                "processCategory": [
                    {
                        "type": ["Classification"],
                        "id": "https://pilot.example/codes/hs2022/010594",
                        "code": "010594",
                        "name": "Live fowls of the species Gallus domesticus, over 185 g",
                        "schemeID": "https://pilot.example/codes/hs2022/",
                        "schemeName": "Harmonized System 2022 (WCO)",
                    }
                ],
                "operatedByParty": {"id": did("ru-exp-01"), "name": EXPORTER_NAME},
                "locationInformation": {
                    "geoBoundary": {
                        "type": "Polygon",
                        "coordinates": [[[36.6, 50.7], [36.62, 50.7], [36.62, 50.71], [36.6, 50.71], [36.6, 50.7]]],
                    }
                },
                "facilityType": "farm",
                "region": "RU-BEL",
                "establishmentNumber": "RU-BEL-0001",
                "areaHectares": 150.5,
                "herdSize": 120000,
                "productionPeriod": {"start": "2025-01-01", "end": "2025-12-31"},
                "operatorContact": {"name": "Ivan Petrov", "phone": "+7 4722 000000"},
            },
            "conformityClaim": [
                {
                    "type": ["Claim", "Declaration"],
                    "id": "urn:pilot:claim:ru-exp-01:farm-001:deforestation-free",
                    "description": "No forest land converted for the farm since 2020",
                    "conformance": True,
                    "conformityTopic": "environment.deforestation",
                    "agriTopic": "deforestation_free",
                }
            ],
        },
    )


def traceability_event() -> Doc:
    """A TransformationEvent: live birds from the farm slaughtered into a lot of frozen cuts."""
    return _envelope(
        "DigitalTraceabilityEvent",
        "urn:uuid:3f1c2a9e-5b7d-4e21-9a0c-000000000002",
        "ru-exp-01",
        EXPORTER_NAME,
        [
            {
                "type": ["TransformationEvent", "Event"],
                "id": "urn:uuid:7d0e5c1a-0000-4000-8000-000000000001",
                "processType": "Slaughter and cutting",
                "eventTime": "2025-03-01T08:00:00Z",
                "eventTimeZoneOffset": "+03:00",
                "bizStep": "killing",
                "disposition": "active",
                "readPoint": {"id": PLANT_ID},
                "bizLocation": PLANT_ID,
                "inputEPCList": [
                    {"id": "urn:pilot:lot:ru-exp-01:farm-001-2025-02", "name": "Live broilers, farm 1, February"}
                ],
                "outputEPCList": [{"id": "urn:pilot:lot:ru-exp-01:export-000123", "name": "Frozen broiler cuts"}],
                "outputQuantityList": [
                    {
                        "productId": "urn:pilot:class:ru-exp-01:broiler-cuts",
                        "productName": "Frozen broiler cuts",
                        "quantity": 20000.0,
                        "uom": "KGM",
                    }
                ],
                "hsCode": "020714",
                "sourceFacility": FARM_ID,
            }
        ],
    )


def conformity_credential() -> Doc:
    """A passed antibiotic-use assessment of the farm by ``cert-01``, with its revocation and suspension
    status entries (index 5 of cert-01's generation-1 lists)."""
    credential = _envelope(
        "DigitalConformityCredential",
        "urn:uuid:3f1c2a9e-5b7d-4e21-9a0c-000000000003",
        "cert-01",
        "Certification Body One (fictional)",
        {
            "type": ["ConformityAttestation", "Attestation"],
            "id": "urn:pilot:assessment:cert-01:000042",
            "name": "Responsible Antibiotic Use certificate",
            "assessorLevel": "3rdParty",
            "assessmentLevel": "Accredited",
            "attestationType": "certification",
            "issuedToParty": {"id": did("ru-exp-01"), "name": EXPORTER_NAME},
            "scope": {
                "type": ["ConformityScheme"],
                "id": "https://pilot.example/schemes/antibiotic-use/v1",
                "name": "Responsible Antibiotic Use",
                "description": "Antibiotic use in livestock limited to veterinary prescription",
                "version": "1.0",
                "validFrom": "2024-01-01",
                "owner": {"id": did("cert-01"), "name": "Certification Body One (fictional)"},
            },
            "assessment": [
                {
                    "type": ["ConformityAssessment", "Declaration", "AgriConformityAssessment"],
                    "id": "urn:pilot:assessment:cert-01:000042:1",
                    "assessmentDate": "2025-01-10",
                    "conformance": True,
                    "conformityTopic": "social.safety",
                    "agriTopic": "antibiotic_use",
                    "assessedFacility": [
                        {
                            "facility": {"id": FARM_ID, "name": "Farm No. 1, Belgorod"},
                            "IDverifiedByCAB": True,
                        }
                    ],
                    "declaredValue": [
                        {"metricName": "antibiotic-treated flocks", "metricValue": {"value": 0.0, "unit": "P1"}}
                    ],
                    "laboratoryResults": [{"test": "tetracycline residue", "result": "not detected"}],
                }
            ],
            "auditableEvidence": {
                "linkURL": "urn:uuid:3f1c2a9e-5b7d-4e21-9a0c-000000000001",
                "linkName": "the assessed farm's facility record",
                "linkType": "DigitalFacilityRecord",
                "hashDigest": _digest("facility record").removeprefix("sha-256:"),
                "hashMethod": "SHA-256",
            },
        },
    )
    registry = "https://registry.pilot.example/v1/status/cert-01/"
    credential["credentialStatus"] = [
        {
            "id": f"{registry}{purpose}-1#5",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": "5",
            "statusListCredential": f"{registry}{purpose}-1",
        }
        for purpose in ("revocation", "suspension")
    ]
    return credential


def veterinary_attestation() -> Doc:
    """``ru-vet``'s attestation of the establishment's flock health, recommending it for the register."""
    return _envelope(
        "VeterinaryAttestation",
        "urn:uuid:3f1c2a9e-5b7d-4e21-9a0c-000000000004",
        "ru-vet",
        "Veterinary Service (fictional)",
        {
            "id": "urn:pilot:vet-attestation:ru-vet:000007",
            "establishmentNumber": "RU-BEL-0001",
            "species": "Gallus gallus domesticus",
            "hsCode": "020714",
            "inspectionDate": "2025-01-12",
            "healthStatus": {
                "diseaseFree": ["highly pathogenic avian influenza", "Newcastle disease"],
                "vaccinations": ["Newcastle disease", "infectious bronchitis"],
            },
            "laboratoryResults": [{"test": "Salmonella enteritidis", "result": "negative"}],
            "veterinarian": {"name": "Anna Smirnova"},
            "recommendedForRegister": True,
        },
    )


def consignment_manifest() -> Doc:
    """The manifest of consignment ``ru-exp-01-c000123`` to ``cn-port-01`` by rail."""
    references = [
        ("urn:uuid:3f1c2a9e-5b7d-4e21-9a0c-000000000001", "DigitalFacilityRecord"),
        ("urn:uuid:3f1c2a9e-5b7d-4e21-9a0c-000000000002", "DigitalTraceabilityEvent"),
        ("urn:uuid:3f1c2a9e-5b7d-4e21-9a0c-000000000003", "DigitalConformityCredential"),
        ("urn:uuid:3f1c2a9e-5b7d-4e21-9a0c-000000000004", "VeterinaryAttestation"),
    ]
    return _envelope(
        "ConsignmentManifest",
        "urn:uuid:3f1c2a9e-5b7d-4e21-9a0c-000000000005",
        "ru-exp-01",
        "Belgorod Poultry Export (fictional)",
        {
            "consignmentId": "ru-exp-01-c000123",
            "exporter": did("ru-exp-01"),
            "destination": "cn-port-01",
            "shipmentDate": "2025-03-05",
            "transportMode": "rail",
            "lots": [
                {
                    "lotId": "urn:pilot:lot:ru-exp-01:export-000123",
                    "hsCode": "020714",
                    "description": "Frozen broiler cuts",
                    "netWeight": {"value": 20000.0, "unit": "KGM"},
                    "establishmentNumber": "RU-BEL-0001",
                    "originFacilities": [FARM_ID],
                }
            ],
            "credentials": [
                {"id": credential_id, "type": record_type, "digest": _digest(record_type)}
                for credential_id, record_type in references
            ],
        },
    )


def submission_receipt() -> Doc:
    """``cn-port-01``'s receipt accepting the consignment, with its log position and inclusion proof."""
    checkpoint = (
        "cn-port-01.pilot.example/log\n2\n"
        + _b64("root")
        + "\n\n\u2014 cn-port-01.pilot.example/log "
        + base64.b64encode(b"\x01\x02\x03\x04" + bytes(64)).decode("ascii")
        + "\n"
    )
    receipt = _envelope(
        "SubmissionReceipt",
        "urn:uuid:3f1c2a9e-5b7d-4e21-9a0c-000000000006",
        "cn-port-01",
        "Port Authority One (fictional)",
        {
            "submissionId": "ru-exp-01-c000123",
            "submissionDigest": _digest("submission"),
            "exporter": did("ru-exp-01"),
            "decision": "accepted",
            "reasons": [
                {
                    "code": "CREDENTIAL_EXPIRING_SOON",
                    "severity": "warning",
                    "path": "/credentials/3/validUntil",
                    "message": "the credential expires within 30 days of receipt",
                }
            ],
            "receivedAt": "2025-03-05T10:00:00Z",
            "statusLists": [
                {
                    "id": "https://registry.pilot.example/v1/status/cert-01/revocation-1",
                    "sequence": 3,
                    "digest": _digest("status list"),
                }
            ],
            "log": {
                "origin": "cn-port-01.pilot.example/log",
                "index": 1,
                "leafHash": _b64("leaf"),
                "checkpoint": checkpoint,
                "inclusionProof": [_b64("sibling")],
            },
        },
    )
    del receipt["validUntil"]
    receipt["validFrom"] = "2025-03-05T10:00:00Z"
    return receipt


def status_list_credential() -> Doc:
    """``cert-01``'s revocation list, version 3, with the bit at index 5 set (unsigned)."""
    url = "https://registry.pilot.example/v1/status/cert-01/revocation-1"
    bits = bytearray(131_072 // 8)
    bits[0] = 0x04  # index 5: bit 5 counted from the most significant bit of the first byte
    encoded = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode("ascii").rstrip("=")
    credential = _envelope(
        "BitstringStatusListCredential",
        url,
        "cert-01",
        "Certification Body One (fictional)",
        {
            "id": url + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
            "ttl": 300000,
        },
    )
    credential["sequence"] = 3
    return credential


def submission() -> Doc:
    """The submission that carries the manifest and its four credentials (unsigned)."""
    return {
        "submissionId": "ru-exp-01-c000123",
        "manifest": consignment_manifest(),
        "credentials": [
            facility_record(),
            traceability_event(),
            conformity_credential(),
            veterinary_attestation(),
        ],
    }


def log_entry() -> Doc:
    """The public log entry of the accepted submission."""
    return {
        "v": 1,
        "exporter": "ru-exp-01",
        "submissionId": "ru-exp-01-c000123",
        "submissionDigest": _digest("submission"),
        "decision": "accepted",
        "reasonCodes": ["CREDENTIAL_EXPIRING_SOON"],
        "receivedAt": "2025-03-05T10:00:00Z",
    }


def _key(short_id: str, number: int, purposes: list[str]) -> Doc:
    return {
        "id": f"{did(short_id)}#key-{number}",
        "type": "Multikey",
        "publicKeyMultibase": _multikey(f"{short_id}#key-{number}"),
        "purposes": purposes,
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2037-01-01T00:00:00Z",
    }


def _participant(short_id: str, role: str, name: str, country: str, keys: list[Doc]) -> Doc:
    return {
        "id": short_id,
        "did": did(short_id),
        "role": role,
        "name": name,
        "country": country,
        "keys": keys,
    }


def trust_list() -> Doc:
    """A small trust list: operator, one exporter, one port (own log and witness keys), ru-vet, cert-01."""
    signing = ["assertion", "authentication"]
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://pilot.example/ns/trust-list/v1"],
        "type": "PilotTrustList",
        "id": "urn:pilot:trust-list:1",
        "issuer": did("pilot-gov"),
        "sequence": 1,
        "issued": "2025-01-01T00:00:00Z",
        "nextUpdate": "2037-01-01T00:00:00Z",
        "participants": [
            _participant(
                "pilot-gov",
                "trust_list_operator",
                "Pilot Governance (fictional)",
                "RU",
                [
                    _key("pilot-gov", 1, ["assertion"]),
                ],
            ),
            _participant(
                "ru-exp-01",
                "exporter",
                "Belgorod Poultry Export (fictional)",
                "RU",
                [
                    _key("ru-exp-01", 1, signing),
                ],
            ),
            _participant(
                "cn-port-01",
                "port_authority",
                "Port Authority One (fictional)",
                "CN",
                [
                    _key("cn-port-01", 1, signing),
                    _key("cn-port-01", 2, ["log"]),
                    _key("cn-port-01", 3, ["witness"]),
                ],
            ),
            _participant(
                "ru-vet",
                "competent_authority",
                "Veterinary Service (fictional)",
                "RU",
                [
                    _key("ru-vet", 1, signing),
                ],
            ),
            _participant(
                "cert-01",
                "certifier",
                "Certification Body One (fictional)",
                "RU",
                [
                    _key("cert-01", 1, signing),
                ],
            ),
        ],
        "establishments": [
            {
                "establishmentNumber": "RU-BEL-0001",
                "name": "Belgorod broiler plant No. 1",
                "exporter": "ru-exp-01",
                "region": "RU-BEL",
                "categories": ["0207"],
                "recommendedBy": did("ru-vet"),
                "approvedFrom": "2025-01-01T00:00:00Z",
            }
        ],
        "policies": {
            "cn-port-01": {
                "permittedHsCodes": ["0202", "0203", "0207", "0402", "1201", "1512"],
                "permittedDataCategories": [
                    "public",
                    "commercial",
                    "precise_location",
                    "animal_health",
                    "laboratory",
                ],
                "inspection": {"samplingRate": 0.0, "holdHsCodes": []},
            }
        },
    }


def trust_anchor() -> Doc:
    """The pinned anchor for :func:`trust_list`: pilot-gov's DID and key."""
    return {
        "trustListOperator": did("pilot-gov"),
        "keys": [{"id": f"{did('pilot-gov')}#key-1", "publicKeyMultibase": _multikey("pilot-gov#key-1")}],
    }


#: Schema name -> builder of a valid example of it.
#: An example of each credential type, by type name.
CREDENTIAL_EXAMPLES: dict[str, Callable[[], Doc]] = {
    "DigitalFacilityRecord": facility_record,
    "DigitalTraceabilityEvent": traceability_event,
    "DigitalConformityCredential": conformity_credential,
    "VeterinaryAttestation": veterinary_attestation,
    "ConsignmentManifest": consignment_manifest,
    "SubmissionReceipt": submission_receipt,
    "BitstringStatusListCredential": status_list_credential,
}
#: An example of every wire type (the credentials, then the other documents), by type name.
EXAMPLES: dict[str, Callable[[], Doc]] = {
    **CREDENTIAL_EXAMPLES,
    "Submission": submission,
    "LogEntry": log_entry,
    "TrustList": trust_list,
    "TrustAnchor": trust_anchor,
}
