"""Synthetic pilot data, deterministic from a seed: farms, plants, lots, events, certificates, attestations.

Everything a consignment carries is built here as credential subjects; ``SubmissionBuilder`` signs them
with the sandbox keys into a complete submission (the manifest and the credentials it pins). The
vector generator, the demo, the benchmark and the tests all use it, so one seed gives one world.
Farm polygons are drawn inside authored region bounding boxes (GeoJSON order: longitude, latitude).

Names are in their own script: a farm's ``name`` is Cyrillic and its ``names`` list it with its Latin
transliteration (``ru``, ``ru-Latn``); a party's ``names`` are the participant's (``pilot.participants``).
The first farm of ru-exp-01 (and of ru-exp-04) is «Берёзка», written decomposed (NFD: ``е`` + U+0308
COMBINING DIAERESIS, in both scripts), so that every test and vector that carries it shows that nothing on
the way normalises text.

Laboratory results (data category ``laboratory``, docs/design.md §8) are not in every certificate: a
port may refuse them (cn-port-02) or take them only sealed (cn-port-03). Whoever wants them asks for them
(:func:`laboratory_results`, :func:`with_laboratory_results`, :func:`laboratory_farm`). Each set names a
sample number derived from its key, so the values of one consignment are found by a byte search and by
nothing else.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from pilot.fixture_status import fixture_status
from pilot.participants import Exporter, LocalNames, exporter, language_values, participant_names, plant_names
from pilot.sandbox import EPOCH, KEYS_VALID_UNTIL, plant_number
from schemas.identifiers import did_of
from schemas.issue import Securing, credential_reference, secure, unsigned_credential
from schemas.jose import credential_payload
from schemas.keyring import KeyEntry
from schemas.models.regions import region_bbox
from schemas.records import (
    commissioning_event,
    conformity_attestation,
    facility_record_subject,
    secure_link,
    shipping_event,
    transformation_event,
)
from schemas.records import (
    facility as facility_document,
)

NAMESPACE = uuid.UUID("6f1c2a57-0d1e-4b8e-9a57-5c1d0e7a2b10")
CERT_TOPIC = {
    "0207": "antibiotic_use",
    "0202": "animal_welfare",
    "0203": "antibiotic_use",
    "0402": "animal_welfare",
    "1201": "deforestation_free",
    "1512": "carbon_footprint",
}


#: What a farm is called, by HS heading of what it produces: (Russian, its Latin transliteration).
FARM_KINDS: dict[str, tuple[str, str]] = {
    "0207": ("Птицефабрика", "Ptitsefabrika"),
    "0202": ("Ферма", "Ferma"),
    "0203": ("Свинокомплекс", "Svinokompleks"),
    "0402": ("Молочная ферма", "Molochnaya ferma"),
    "1201": ("Хозяйство", "Khozyaystvo"),
    "1512": ("Агрофирма", "Agrofirma"),
}

#: Farm names, (Russian, Latin transliteration). The first is decomposed on purpose (module doc): "е" and
#: "e" followed by U+0308, where a keyboard would type the precomposed "ё" and "ë".
FARM_PLACES: tuple[tuple[str, str], ...] = (
    ("Бере\u0308зка", "Bere\u0308zka"),
    ("Рассвет", "Rassvet"),
    ("Заря", "Zarya"),
    ("Победа", "Pobeda"),
    ("Родина", "Rodina"),
    ("Искра", "Iskra"),
    ("Колос", "Kolos"),
    ("Нива", "Niva"),
    ("Дружба", "Druzhba"),
    ("Восход", "Voskhod"),
    ("Чайка", "Chayka"),
    ("Светлый путь", "Svetlyy Put"),
)


def farm_names(item: Exporter, number: int) -> LocalNames:
    """The names of farm ``number`` (1-based) of exporter ``item``: Cyrillic, then Latin transliteration."""
    kind, kind_latin = FARM_KINDS[item.hs_code[:4]]
    place, place_latin = FARM_PLACES[((int(item.short_id[-2:]) - 1) * 4 + number - 1) % len(FARM_PLACES)]
    return (("ru", f"{kind} «{place}»"), ("ru-Latn", f"{kind_latin} {place_latin}"))


def sampled_farm_names(item: Exporter, number: int) -> LocalNames:
    """The names of the farm of a laboratory sample ``number`` (:func:`laboratory_farm`)."""
    kind, kind_latin = FARM_KINDS[item.hs_code[:4]]
    return (
        ("ru", f"{kind}, контрольная выборка № {number}"),
        ("ru-Latn", f"{kind_latin}, kontrolnaya vyborka No. {number}"),
    )


def stable_id(seed: str, *parts: object) -> str:
    """A deterministic ``urn:uuid:`` from the seed and a path of parts."""
    return "urn:uuid:" + str(uuid.uuid5(NAMESPACE, "/".join([seed, *map(str, parts)])))


def polygon_in(rng: random.Random, bbox: tuple[float, float, float, float]) -> list[list[list[float]]]:
    """A plausible farm outline: a convex hexagon of 0.6-3 km radius inside ``bbox``."""
    min_lon, min_lat, max_lon, max_lat = bbox
    radius_deg = rng.uniform(0.006, 0.03)
    lon = rng.uniform(min_lon + 2 * radius_deg, max_lon - 2 * radius_deg)
    lat = rng.uniform(min_lat + 2 * radius_deg, max_lat - 2 * radius_deg)
    start = rng.uniform(0, math.pi / 3)
    ring = []
    for k in range(6):
        angle = start + k * math.pi / 3
        r = radius_deg * rng.uniform(0.8, 1.0)
        ring.append(
            [
                round(lon + r * math.cos(angle) / math.cos(math.radians(lat)), 6),
                round(lat + r * math.sin(angle), 6),
            ]
        )
    ring.append(list(ring[0]))
    return [ring]


def _authored_bbox(region: str) -> tuple[float, float, float, float]:
    """The authored bounding box of ``region``; every exporter region has one (``schemas/models/regions.py``)."""
    bbox = region_bbox(region)
    if bbox is None:
        raise KeyError(f"no authored bounding box for region {region}")
    return bbox


@dataclass
class ExporterWorld:
    """One exporter's synthetic holdings: farms (facility subjects) and its processing plant."""

    exporter: Exporter
    farms: list[dict[str, Any]]
    plant: dict[str, Any]


def build_world(seed: str, short_id: str) -> ExporterWorld:
    """The farms and plant of one exporter for ``seed``."""
    item = exporter(short_id)
    rng = random.Random(f"{seed}/{short_id}/world")
    farms = []
    for n, region in enumerate(item.farm_regions * 2, start=1):
        farm = facility(
            item,
            facility_id=f"urn:pilot:facility:{short_id}:farm-{n:03d}",
            names=farm_names(item, n),
            facility_type="farm",
            region=region,
            establishment_number=f"{region}-{int(short_id[-2:]):02d}{n + 10:02d}",
            boundary=polygon_in(rng, _authored_bbox(region)),
        )
        farm["productionPeriod"] = {"start": "2026-01-01", "end": "2026-12-31"}
        if item.species is None:
            farm["areaHectares"] = round(rng.uniform(400, 6000), 1)
        else:
            farm["herdSize"] = rng.randrange(2_000, 60_000, 100)
        farms.append(farm)
    plant = facility(
        item,
        facility_id=f"urn:pilot:facility:{short_id}:plant-01",
        names=plant_names(item),
        facility_type="processing_plant",
        region=item.plant_region,
        establishment_number=plant_number(short_id),
        boundary=polygon_in(rng, _authored_bbox(item.plant_region)),
    )
    return ExporterWorld(item, farms, plant)


def facility(
    item: Exporter,
    *,
    facility_id: str,
    names: LocalNames,
    facility_type: str,
    region: str,
    establishment_number: str,
    boundary: list[list[list[float]]],
) -> dict[str, Any]:
    """A UNTP ``Facility`` (extended as ``AgriFacility``) operated by exporter ``item``.

    ``names``: the facility's name in each language, its own script first (which is ``name``).
    """
    document = facility_document(
        facility_id=facility_id,
        name=names[0][1],
        facility_type=facility_type,
        country="RU",
        region=region,
        establishment_number=establishment_number,
        boundary=boundary,
        operator_did=did_of(item.short_id),
        operator_name=item.name,
        products=[(item.hs_code, item.product)],
    )
    document["names"] = language_values(names)
    document["operatedByParty"]["names"] = language_values(item.names)
    return document


class StatusAllocator(Protocol):
    """Gives a credential about to be signed its ``credentialStatus`` entries (docs/design.md §12)."""

    def entries(self, issuer_id: str, credential_id: str, record_type: str) -> list[dict[str, str]]:
        """The entries for ``credential_id`` of ``record_type`` issued by ``issuer_id``."""
        ...


class FixtureStatus:
    """The sandbox's generation-0 entries (``pilot.fixture_status``): for records fixed by the seed."""

    def entries(self, issuer_id: str, credential_id: str, record_type: str) -> list[dict[str, str]]:
        return fixture_status(issuer_id, credential_id, record_type)


@dataclass
class Signer:
    """Signs credentials as any sandbox participant, with the key label asked for.

    Every credential gets ``credentialStatus`` entries from ``status`` (the fixture lists unless told).
    """

    keyrings: dict[str, list[KeyEntry]]
    securing: Securing = "data-integrity"
    status: StatusAllocator = field(default_factory=FixtureStatus)

    def key(self, short_id: str, label: str = "key-1") -> KeyEntry:
        """A participant's key by label (``key-1`` unless told)."""
        for entry in self.keyrings[short_id]:
            if entry.verification_method.endswith("#" + label):
                return entry
        raise KeyError(f"{short_id}#{label}")

    def issue(
        self,
        short_id: str,
        record_type: str,
        subject: dict[str, Any] | list[Any],
        *,
        credential_id: str,
        valid_from: datetime = EPOCH,
        valid_until: datetime | None = KEYS_VALID_UNTIL,
        key_label: str = "key-1",
        issuer_as: str | None = None,
        securing: Securing | None = None,
        context: list[str] | None = None,
        credential_status: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """A signed credential; ``issuer_as`` names a different claimed issuer, ``context`` replaces the
        ``@context``, ``credential_status`` the status entries (fault cases; ``[]``: none at all)."""
        claimed = issuer_as or short_id
        entry = self.key(short_id, key_label)
        status = (
            credential_status
            if credential_status is not None
            else self.status.entries(claimed, credential_id, record_type)
        )
        credential = unsigned_credential(
            record_type,
            subject,
            credential_id=credential_id,
            issuer_did=did_of(claimed),
            issuer_name=participant_name(claimed),
            valid_from=valid_from,
            valid_until=valid_until,
            credential_status=status,
        )
        if context is not None:
            credential["@context"] = list(context)
        return secure(
            credential,
            entry.private_key,
            entry.verification_method,
            securing=securing or self.securing,
            created=valid_from,
        )


def participant_name(short_id: str) -> str:
    """A participant's name in its own script (its short id when it is not in the cast)."""
    names = participant_names(short_id)
    return names[0][1] if names else short_id


@dataclass
class ConsignmentParts:
    """The subjects of one consignment before signing; fault cases edit them."""

    consignment_id: str
    exporter_id: str
    destination: str
    farms: list[dict[str, Any]]
    plant: dict[str, Any]
    events: list[dict[str, Any]]
    certificate: dict[str, Any]
    attestation: dict[str, Any] | None
    lots: list[dict[str, Any]]
    shipment_date: str
    transport_mode: str
    certifier: str
    extra: dict[str, Any] = field(default_factory=dict)


def plan_consignment(
    seed: str, world: ExporterWorld, consignment_id: str, destination: str, transport_mode: str, n: int = 0
) -> ConsignmentParts:
    """The subjects of one consignment: 2 farms -> farm lots -> the plant -> one export lot."""
    item = world.exporter
    rng = random.Random(f"{seed}/{consignment_id}")
    farms = [world.farms[n % len(world.farms)], world.farms[(n + 1) % len(world.farms)]]
    day = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 300))
    when = datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)
    farm_lots = [f"urn:pilot:lot:{item.short_id}:{consignment_id}:farm-lot-{k}" for k in (1, 2)]
    export_lot = f"urn:pilot:lot:{item.short_id}:{consignment_id}:export-lot"
    weight = round(rng.uniform(5, 24) * (1000 if item.unit == "KGM" else 1), 1)
    events = [
        commissioning_event(
            event_id=stable_id(seed, consignment_id, "event", k),
            farm_id=farm["id"],
            farm_lot=farm_lots[k],
            hs_code=item.hs_code,
            product_name=item.product,
            quantity=round(weight / 2 * 1.25, 1),
            unit=item.unit,
            at=when + timedelta(hours=k),
        )
        for k, farm in enumerate(farms)
    ]
    events.append(
        transformation_event(
            event_id=stable_id(seed, consignment_id, "event", "transform"),
            plant_id=world.plant["id"],
            inputs=farm_lots,
            export_lot=export_lot,
            hs_code=item.hs_code,
            product_name=item.product,
            quantity=weight,
            unit=item.unit,
            at=when + timedelta(days=2),
        )
    )
    certifier = certifier_of(item.short_id)
    certificate = certificate_subject(seed, item, farms[0], consignment_id, day)
    attestation = attestation_subject(seed, item, world.plant, consignment_id, day)
    lots = [
        {
            "lotId": export_lot,
            "hsCode": item.hs_code,
            "description": item.product,
            "netWeight": {"value": weight, "unit": item.unit},
            "establishmentNumber": world.plant["establishmentNumber"],
            "originFacilities": [f["id"] for f in farms],
        }
    ]
    shipment_day = day + timedelta(days=5)
    events.append(
        shipping_event(
            event_id=stable_id(seed, consignment_id, "event", "ship"),
            consignment_urn=f"urn:pilot:consignment:{consignment_id}",
            exporter_did=did_of(item.short_id),
            destination_did=did_of(destination),
            plant_id=world.plant["id"],
            lots=lots,
            certificates=[stable_id(seed, "certificate", certificate["id"])],
            at=datetime(shipment_day.year, shipment_day.month, shipment_day.day, 6, 0, tzinfo=UTC),
        )
    )
    return ConsignmentParts(
        consignment_id=consignment_id,
        exporter_id=item.short_id,
        destination=destination,
        farms=farms,
        plant=world.plant,
        events=events,
        certificate=certificate,
        attestation=attestation,
        lots=lots,
        shipment_date=shipment_day.isoformat(),
        transport_mode=transport_mode,
        certifier=certifier,
    )


#: The residue tests a certifier's laboratory runs on a product, by HS heading (the first four digits).
RESIDUE_TESTS = {
    "0207": ("chloramphenicol", "nitrofuran metabolites (AOZ)"),
    "0202": ("ractopamine", "oxytetracycline"),
    "0203": ("ractopamine", "sulfadimidine"),
    "0402": ("aflatoxin M1", "melamine"),
    "1201": ("glyphosate", "cadmium"),
    "1512": ("benzo[a]pyrene", "erucic acid"),
}


def laboratory_results(seed: str, hs_code: str, key: str) -> list[dict[str, str]]:
    """Residue test results (``LaboratoryResult``) of one sample of a product, all compliant.

    The sample number is derived from ``seed`` and ``key``, so every value names it: a search for the
    values of one consignment finds them and nothing else (the demo's check of what rests in clear).
    ASCII only, so that the bytes searched for are the bytes stored, whatever the JSON encoder escapes.
    """
    rng = random.Random(f"{seed}/{key}/laboratory")
    sample = f"LAB-{rng.randrange(10**8):08d}"
    return [
        {
            "test": f"{name} residue, LC-MS/MS, sample {sample}",
            "result": f"{name}: {rng.choice(('not detected', 'below the limit of detection'))}, sample {sample}",
        }
        for name in RESIDUE_TESTS[hs_code[:4]]
    ]


def laboratory_farm(seed: str, world: ExporterWorld, key: str) -> dict[str, Any]:
    """A farm of ``world`` for one consignment whose certificate carries laboratory results (``key`` names it).

    An exporter gathers into a consignment every certificate about its origin farms. The results of one
    sample belong to one consignment, so they are certified about a farm of their own, which no other
    consignment names as an origin: in the region of the exporter's first farm, with its own id, number
    and outline.
    """
    item = world.exporter
    rng = random.Random(f"{seed}/{key}/laboratory-farm")
    region = world.farms[0]["region"]
    number = rng.randrange(100_000, 1_000_000)
    farm = facility(
        item,
        facility_id=f"urn:pilot:facility:{item.short_id}:lab-{uuid.uuid5(NAMESPACE, f'{seed}/{key}').hex[:12]}",
        names=sampled_farm_names(item, number),
        facility_type="farm",
        region=region,
        establishment_number=f"{region}-{number}",
        boundary=polygon_in(rng, _authored_bbox(region)),
    )
    for member in ("productionPeriod", "herdSize", "areaHectares"):
        if member in world.farms[0]:
            farm[member] = world.farms[0][member]
    return farm


def with_laboratory_results(certificate: dict[str, Any], results: list[dict[str, str]]) -> dict[str, Any]:
    """A conformity attestation subject whose first assessment also carries ``results`` (a copy)."""
    assessments = [dict(a) for a in certificate["assessment"]]
    assessments[0]["laboratoryResults"] = [dict(r) for r in results]
    return {**certificate, "assessment": assessments}


def certifier_of(exporter_id: str) -> str:
    """The certification body that audits an exporter's farms."""
    return "cert-01" if int(exporter_id[-2:]) % 2 else "cert-02"


def certificate_subject(seed: str, item: Exporter, farm: dict[str, Any], key: str, day: date) -> dict[str, Any]:
    """A passed conformity attestation of one farm, on the topic that matters for the product.

    Its ``auditableEvidence`` pins the farm's facility record; ``sign_consignment`` fills in the digest.
    """
    certifier = certifier_of(item.short_id)
    subject = conformity_attestation(
        attestation_id=stable_id(seed, key, "certificate"),
        topic=CERT_TOPIC[item.hs_code[:4]],
        certifier_did=did_of(certifier),
        certifier_name=participant_name(certifier),
        exporter_did=did_of(item.short_id),
        exporter_name=item.name,
        facility_id=farm["id"],
        facility_name=farm["name"],
        assessment_date=(day - timedelta(days=30)).isoformat() if day > date(2026, 2, 1) else "2026-01-02",
        evidence=secure_link(
            facility_credential_id(seed, farm["id"]), "DigitalFacilityRecord", "sha-256:" + "0" * 64, "facility record"
        ),
    )
    subject["issuedToParty"]["names"] = language_values(item.names)
    subject["scope"]["owner"]["names"] = language_values(participant_names(certifier))
    if "names" in farm:
        subject["assessment"][0]["assessedFacility"][0]["facility"]["names"] = list(farm["names"])
    return subject


def facility_credential_id(seed: str, facility_id: str) -> str:
    """The id of the facility record of ``facility_id`` in the synthetic world."""
    return stable_id(seed, "facility", facility_id)


def attestation_subject(seed: str, item: Exporter, plant: dict[str, Any], key: str, day: date) -> dict[str, Any] | None:
    """ru-vet's veterinary attestation of the processing plant (animal products only)."""
    if item.species is None:
        return None
    return {
        "id": stable_id(seed, key, "attestation"),
        "establishmentNumber": plant["establishmentNumber"],
        "species": item.species,
        "hsCode": item.hs_code,
        "inspectionDate": day.isoformat(),
        "healthStatus": {
            "diseaseFree": ["avian influenza" if item.hs_code.startswith("0207") else "FMD"],
            "vaccinations": [],
        },
        "recommendedForRegister": True,
    }


def farm_certificate(
    seed: str,
    signer: Signer,
    world: ExporterWorld,
    farm: dict[str, Any],
    record: tuple[str, str],
    *,
    key: str,
    day: date,
    credential_id: str,
    laboratory: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The certifier's signed conformity credential of one farm of ``world``, for its operator to import.

    Its ``auditableEvidence`` pins ``record`` = (credential id, digest): the farm's facility record as
    the exporter issued it. ``key`` names the subject's ids (``certificate_subject``). ``laboratory``:
    results its assessment carries too (:func:`laboratory_results`).
    """
    subject = certificate_subject(seed, world.exporter, farm, key, day)
    record_id, digest = record
    subject["auditableEvidence"] = secure_link(
        record_id, "DigitalFacilityRecord", digest, "facility record of the assessed farm"
    )
    if laboratory is not None:
        subject = with_laboratory_results(subject, laboratory)
    return signer.issue(
        certifier_of(world.exporter.short_id), "DigitalConformityCredential", subject, credential_id=credential_id
    )


def plant_attestation(
    seed: str, signer: Signer, world: ExporterWorld, *, key: str, day: date, credential_id: str
) -> dict[str, Any] | None:
    """ru-vet's signed veterinary attestation of ``world``'s plant, for its operator to import; None for
    plant products (``attestation_subject``)."""
    subject = attestation_subject(seed, world.exporter, world.plant, key, day)
    if subject is None:
        return None
    return signer.issue("ru-vet", "VeterinaryAttestation", subject, credential_id=credential_id)


@dataclass
class SignedConsignment:
    """The signed credentials of a consignment, in submission order, and the submission itself."""

    credentials: list[dict[str, Any]]
    manifest: dict[str, Any]

    @property
    def submission(self) -> dict[str, Any]:
        """The document POSTed to a port."""
        return {
            "submissionId": self.manifest_subject()["consignmentId"],
            "manifest": self.manifest,
            "credentials": self.credentials,
        }

    def manifest_subject(self) -> dict[str, Any]:
        """The manifest's subject (decoded for an enveloped manifest)."""
        from schemas.jose import is_enveloped, read_enveloped

        if is_enveloped(self.manifest):
            return dict(read_enveloped(self.manifest).payload["credentialSubject"])
        return dict(self.manifest["credentialSubject"])


def record_type_of(credential: dict[str, Any]) -> str:
    """The pilot record type of a signed credential (embedded-proof or enveloped), or ``""``."""
    from schemas.models.registry import credential_type_of

    return credential_type_of(credential_payload(credential)) or ""


def sign_consignment(seed: str, parts: ConsignmentParts, signer: Signer) -> SignedConsignment:
    """Sign every credential of ``parts`` as its rightful issuer and the manifest that pins them."""
    exp = parts.exporter_id
    facility_creds = [
        signer.issue(
            exp,
            "DigitalFacilityRecord",
            facility_record_subject(subject),
            credential_id=facility_credential_id(seed, subject["id"]),
        )
        for subject in (*parts.farms, parts.plant)
    ]
    certificate = dict(parts.certificate)
    evidence = dict(certificate["auditableEvidence"])
    assessed = credential_payload(facility_creds[0])
    if evidence.get("linkURL") == assessed["id"]:  # fault cases may point the evidence elsewhere
        evidence["hashDigest"] = credential_reference(facility_creds[0])["digest"].removeprefix("sha-256:")
    certificate["auditableEvidence"] = evidence
    credentials = list(facility_creds)
    if parts.events:  # one credential holds every event; none when there are none (a DTE needs one)
        credentials.append(
            signer.issue(
                exp,
                "DigitalTraceabilityEvent",
                list(parts.events),
                credential_id=stable_id(seed, "events", parts.consignment_id),
            )
        )
    credentials.append(
        signer.issue(
            parts.certifier,
            "DigitalConformityCredential",
            certificate,
            credential_id=stable_id(seed, "certificate", certificate["id"]),
        )
    )
    if parts.attestation is not None:
        credentials.append(
            signer.issue(
                "ru-vet",
                "VeterinaryAttestation",
                parts.attestation,
                credential_id=stable_id(seed, "attestation", parts.attestation["id"]),
            )
        )
    manifest_subject = {
        "consignmentId": parts.consignment_id,
        "exporter": did_of(exp),
        "destination": parts.destination,
        "shipmentDate": parts.shipment_date,
        "transportMode": parts.transport_mode,
        "lots": parts.lots,
        "credentials": [credential_reference(c, credential_payload(c)) for c in credentials],
    }
    manifest = signer.issue(
        exp,
        "ConsignmentManifest",
        manifest_subject,
        credential_id=stable_id(seed, "manifest", parts.consignment_id),
    )
    return SignedConsignment(credentials, manifest)
