"""Who is in the pilot network (docs/design.md §2): the fixed cast the sandbox, demo and vectors share.

Every participant has its name in its own script first (Cyrillic for the Russian participants, Hanzi for the
Chinese ones), then its other forms: a Latin transliteration (``ru-Latn``; pinyin, ``zh-Latn-pinyin``) and an
English name. The form in the language's usual script carries the bare language tag (``ru``, ``zh``: a reader
asking for ``ru-RU`` or ``zh-CN`` finds it by RFC 4647 lookup, ``schemas.names``); another script says so.
The first is the plain ``name`` of the trust list and of the records; all of them travel as ``names``, VC 2.0
language value objects (:func:`language_values`, docs/records.md). All are fictional.
"""

from __future__ import annotations

from dataclasses import dataclass

#: A name's forms, (BCP 47 tag, text), the one in the participant's own script first.
LocalNames = tuple[tuple[str, str], ...]


def language_values(names: LocalNames) -> list[dict[str, str]]:
    """``names`` as VC 2.0 language value objects (``{"@value", "@language"}``), in order."""
    return [{"@value": text, "@language": tag} for tag, text in names]


@dataclass(frozen=True)
class Exporter:
    """One fictional exporter: what it ships and where its farms and plant are."""

    short_id: str
    names: LocalNames
    product: str  # human name
    hs_code: str  # 6-digit HS code of the export lots
    species: str | None  # for veterinary attestations; None for plant products
    farm_regions: tuple[str, ...]
    plant_region: str
    unit: str  # Rec 20 unit the lots are weighed in

    @property
    def name(self) -> str:
        """The name in the exporter's own script (Cyrillic)."""
        return self.names[0][1]


@dataclass(frozen=True)
class Port:
    """One fictional port authority and how goods reach it."""

    short_id: str
    names: LocalNames
    transport_mode: str

    @property
    def name(self) -> str:
        """The name in the port's own script (Hanzi)."""
        return self.names[0][1]


EXPORTERS: tuple[Exporter, ...] = (
    Exporter(
        "ru-exp-01",
        (
            ("ru", "ООО «Белгородский бройлер-экспорт»"),
            ("ru-Latn", "OOO Belgorodskiy Broyler-Eksport"),
            ("en", "Belgorod Broiler Export LLC"),
        ),
        "frozen broiler chicken cuts",
        "020714",
        "Gallus gallus domesticus",
        ("RU-BEL", "RU-KRS"),
        "RU-BEL",
        "KGM",
    ),
    Exporter(
        "ru-exp-02",
        (
            ("ru", "АО «Алтайская говядина»"),
            ("ru-Latn", "AO Altayskaya Govyadina"),
            ("en", "Altai Beef Trading JSC"),
        ),
        "frozen boneless beef",
        "020230",
        "Bos taurus",
        ("RU-ALT", "RU-ORE"),
        "RU-ALT",
        "KGM",
    ),
    Exporter(
        "ru-exp-03",
        (
            ("ru", "ООО «Курский свиноэкспорт»"),
            ("ru-Latn", "OOO Kurskiy Svinoeksport"),
            ("en", "Kursk Pork Export LLC"),
        ),
        "frozen pork cuts",
        "020329",
        "Sus scrofa domesticus",
        ("RU-KRS", "RU-TAM"),
        "RU-KRS",
        "KGM",
    ),
    Exporter(
        "ru-exp-04",
        (
            ("ru", "АО «Сибмолпродукт»"),
            ("ru-Latn", "AO Sibmolprodukt"),
            ("en", "Siberian Dairy Powder JSC"),
        ),
        "skimmed milk powder",
        "040210",
        "Bos taurus",
        ("RU-ALT", "RU-NVS"),
        "RU-NVS",
        "KGM",
    ),
    Exporter(
        "ru-exp-05",
        (
            ("ru", "ООО «Амурсоя-Экспорт»"),
            ("ru-Latn", "OOO Amursoya-Eksport"),
            ("en", "Amur Soy Export LLC"),
        ),
        "soybeans",
        "120190",
        None,
        ("RU-AMU", "RU-PRI"),
        "RU-AMU",
        "TNE",
    ),
    Exporter(
        "ru-exp-06",
        (
            ("ru", "АО «Донское подсолнечное масло»"),
            ("ru-Latn", "AO Donskoye Podsolnechnoye Maslo"),
            ("en", "Don Sunflower Oil JSC"),
        ),
        "crude sunflower oil",
        "151211",
        None,
        ("RU-ROS", "RU-KDA"),
        "RU-ROS",
        "TNE",
    ),
)

PORTS: tuple[Port, ...] = (
    Port(
        "cn-port-01",
        (
            ("zh", "满洲里铁路口岸管理局（虚构）"),
            ("zh-Latn-pinyin", "Mǎnzhōulǐ Tiělù Kǒu'àn Guǎnlǐjú (xūgòu)"),
            ("en", "Manzhouli Rail Crossing Port Authority (fictional)"),
        ),
        "rail",
    ),
    Port(
        "cn-port-02",
        (
            ("zh", "绥芬河公路口岸管理局（虚构）"),
            ("zh-Latn-pinyin", "Suífēnhé Gōnglù Kǒu'àn Guǎnlǐjú (xūgòu)"),
            ("en", "Suifenhe Road Crossing Port Authority (fictional)"),
        ),
        "road",
    ),
    Port(
        "cn-port-03",
        (
            ("zh", "大连海港口岸管理局（虚构）"),
            ("zh-Latn-pinyin", "Dàlián Hǎigǎng Kǒu'àn Guǎnlǐjú (xūgòu)"),
            ("en", "Dalian Sea Port Authority (fictional)"),
        ),
        "sea",
    ),
)


@dataclass(frozen=True)
class OtherParticipant:
    """A participant that is neither exporter nor port: the veterinary authority, certifiers, the operator."""

    role: str
    names: LocalNames
    country: str

    @property
    def name(self) -> str:
        """The name in the participant's own script."""
        return self.names[0][1]


OTHERS: dict[str, OtherParticipant] = {
    "ru-vet": OtherParticipant(
        "competent_authority",
        (
            ("ru", "Федеральная ветеринарная служба (песочница пилота)"),
            ("en", "Federal Veterinary Service (pilot sandbox)"),
        ),
        "RU",
    ),
    "cert-01": OtherParticipant(
        "certifier",
        (
            ("ru", "АНО «Поволжская сертификация устойчивости» (вымышленная)"),
            ("en", "Volga Sustainability Certification (fictional)"),
        ),
        "RU",
    ),
    "cert-02": OtherParticipant(
        "certifier",
        (
            ("ru", "ООО «Евразийский агроаудит» (вымышленное)"),
            ("en", "Eurasian Agri Audit (fictional)"),
        ),
        "RU",
    ),
    "pilot-gov": OtherParticipant(
        "trust_list_operator",
        (
            ("zh", "试点信任列表运营方"),
            ("zh-Latn-pinyin", "Shìdiǎn Xìnrèn Lièbiǎo Yùnyíngfāng"),
            ("en", "Pilot trust-list operator"),
        ),
        "CN",
    ),
}

EXPORTER_IDS = tuple(e.short_id for e in EXPORTERS)
PORT_IDS = tuple(p.short_id for p in PORTS)


def exporter(short_id: str) -> Exporter:
    """The exporter with this short id; KeyError when there is none."""
    for item in EXPORTERS:
        if item.short_id == short_id:
            return item
    raise KeyError(short_id)


def participant_names(short_id: str) -> LocalNames:
    """Every form of a participant's name, its own script first; empty for an id not in the cast."""
    for item in EXPORTERS:
        if item.short_id == short_id:
            return item.names
    for port in PORTS:
        if port.short_id == short_id:
            return port.names
    if short_id in OTHERS:
        return OTHERS[short_id].names
    return ()


def plant_names(item: Exporter) -> LocalNames:
    """The names of an exporter's processing plant, in the exporter's languages."""
    forms = {
        "ru": f"Перерабатывающий завод {item.names[0][1]}",
        "ru-Latn": f"Pererabatyvayushchiy zavod {dict(item.names)['ru-Latn']}",
        "en": f"{dict(item.names)['en']} processing plant",
    }
    return tuple((tag, forms[tag]) for tag, _ in item.names)
