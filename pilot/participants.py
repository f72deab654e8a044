"""Who is in the pilot network (docs/design.md §2): the fixed cast the sandbox, demo and vectors share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exporter:
    """One fictional exporter: what it ships and where its farms and plant are."""

    short_id: str
    name: str
    product: str  # human name
    hs_code: str  # 6-digit HS code of the export lots
    species: str | None  # for veterinary attestations; None for plant products
    farm_regions: tuple[str, ...]
    plant_region: str
    unit: str  # Rec 20 unit the lots are weighed in


@dataclass(frozen=True)
class Port:
    """One fictional port authority and how goods reach it."""

    short_id: str
    name: str
    transport_mode: str


EXPORTERS: tuple[Exporter, ...] = (
    Exporter(
        "ru-exp-01",
        "Belgorod Broiler Export LLC",
        "frozen broiler chicken cuts",
        "020714",
        "Gallus gallus domesticus",
        ("RU-BEL", "RU-KRS"),
        "RU-BEL",
        "KGM",
    ),
    Exporter(
        "ru-exp-02",
        "Altai Beef Trading JSC",
        "frozen boneless beef",
        "020230",
        "Bos taurus",
        ("RU-ALT", "RU-ORE"),
        "RU-ALT",
        "KGM",
    ),
    Exporter(
        "ru-exp-03",
        "Kursk Pork Export LLC",
        "frozen pork cuts",
        "020329",
        "Sus scrofa domesticus",
        ("RU-KRS", "RU-TAM"),
        "RU-KRS",
        "KGM",
    ),
    Exporter(
        "ru-exp-04",
        "Siberian Dairy Powder JSC",
        "skimmed milk powder",
        "040210",
        "Bos taurus",
        ("RU-ALT", "RU-NVS"),
        "RU-NVS",
        "KGM",
    ),
    Exporter("ru-exp-05", "Amur Soy Export LLC", "soybeans", "120190", None, ("RU-AMU", "RU-PRI"), "RU-AMU", "TNE"),
    Exporter(
        "ru-exp-06",
        "Don Sunflower Oil JSC",
        "crude sunflower oil",
        "151211",
        None,
        ("RU-ROS", "RU-KDA"),
        "RU-ROS",
        "TNE",
    ),
)

PORTS: tuple[Port, ...] = (
    Port("cn-port-01", "Manzhouli Rail Crossing Port Authority (fictional)", "rail"),
    Port("cn-port-02", "Suifenhe Road Crossing Port Authority (fictional)", "road"),
    Port("cn-port-03", "Dalian Sea Port Authority (fictional)", "sea"),
)

OTHERS: dict[str, tuple[str, str, str]] = {
    # short id: (role, name, country)
    "ru-vet": ("competent_authority", "Federal Veterinary Service (pilot sandbox)", "RU"),
    "cert-01": ("certifier", "Volga Sustainability Certification (fictional)", "RU"),
    "cert-02": ("certifier", "Eurasian Agri Audit (fictional)", "RU"),
    "pilot-gov": ("trust_list_operator", "Pilot trust-list operator", "CN"),
}

EXPORTER_IDS = tuple(e.short_id for e in EXPORTERS)
PORT_IDS = tuple(p.short_id for p in PORTS)


def exporter(short_id: str) -> Exporter:
    """The exporter with this short id; KeyError when there is none."""
    for item in EXPORTERS:
        if item.short_id == short_id:
            return item
    raise KeyError(short_id)
