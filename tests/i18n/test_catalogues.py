"""Every message the pilot writes has a translation in each of the three catalogues (docs/design.md, Languages).

The message ids come from the sources and tables (``node_core.i18n_extract``): a new ``Phrase("...")``,
``tr("...")`` or ``N_("...")``, a new code or hint without a translation in en, ru and zh fails here. A
translation keeps the placeholders of its id (names and format specs) and its square brackets (rich markup,
JSON examples); an entry no longer used is removed.
"""

from __future__ import annotations

import functools
import re
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from node_core.catalogues import CatalogueError, catalogue_path, domains
from node_core.i18n import messages, translate
from node_core.i18n_extract import message_ids, template_catalogue
from node_core.languages import LANGUAGES
from schemas.codes import Code
from schemas.phrase import Phrase, placeholders
from schemas.reason_hints import HINTS

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_HAN = re.compile(r"[\u4E00-\u9FFF]")


@functools.cache
def _ids() -> dict[str, list[str]]:
    return message_ids()


@functools.cache
def _catalogue(language: str) -> Catalog:
    with catalogue_path("pilot", language).open("rb") as file:
        return read_po(file, locale=language)


def _fields(template: str) -> list[tuple[str, str]]:
    """Each placeholder with its format spec, sorted: ``{seconds:.1f}`` -> ``("seconds", ".1f")``."""
    return sorted((name, spec or "") for _, name, spec, _ in Formatter().parse(template) if name is not None)


def test_the_sources_write_messages_and_the_tables_are_included() -> None:
    ids = _ids()
    assert "the establishment is not on the importer-side register" in ids  # a Phrase in schemas/rules.py
    assert "Fault cases" in ids  # a tr() in pilot/demo/summary.py
    assert "record changed after signing" in ids  # an N_() in pilot/demo/faults.py
    assert "attempt {number}:" in ids  # a tr() inside an f-string
    assert "Request signature invalid" in ids  # the title of a code
    assert set(HINTS.values()) <= set(ids)
    assert len(template_catalogue()) == len(ids)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation(language: str) -> None:
    catalogue = _catalogue(language)
    untranslated = []
    for message_id, origins in _ids().items():
        entry = catalogue.get(message_id)
        if entry is None or not entry.string or entry.fuzzy:
            untranslated.append(f"{message_id!r} ({origins[0]})")
    assert untranslated == [], f"{len(untranslated)} messages lack a {language} translation: {untranslated[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_and_brackets(language: str) -> None:
    wrong = []
    for entry in _catalogue(language):
        if not entry.id or not isinstance(entry.id, str) or not isinstance(entry.string, str) or not entry.string:
            continue
        if "{" in entry.id and _fields(entry.id) != _fields(entry.string):
            wrong.append(f"placeholders differ: {entry.id!r} -> {entry.string!r}")
        if (entry.id.count("["), entry.id.count("]")) != (entry.string.count("["), entry.string.count("]")):
            wrong.append(f"brackets differ: {entry.id!r} -> {entry.string!r}")
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_entry_is_left_over(language: str) -> None:
    stale = [entry.id for entry in _catalogue(language) if entry.id and entry.id not in _ids()]
    assert stale == [], f"entries no message uses (remove them): {stale[:10]}"


@pytest.mark.parametrize(("language", "script"), [("ru", _CYRILLIC), ("zh", _HAN)])
def test_translations_are_in_their_own_script(language: str, script: re.Pattern[str]) -> None:
    # Only a message made of names, codes or symbols may stay in Latin letters; none of ours is.
    latin_only = [entry.id for entry in _catalogue(language) if entry.id and not script.search(str(entry.string))]
    assert latin_only == []


def test_english_is_the_message_id() -> None:
    assert all(entry.string == entry.id for entry in _catalogue("en") if entry.id)


def test_a_phrase_is_translated_with_its_values() -> None:
    phrase = Phrase(
        "{exporter} already submitted {submission} with other content", exporter="ru-exp-01", submission="x-1"
    )
    assert translate(phrase, "en") == "ru-exp-01 already submitted x-1 with other content"
    assert translate(phrase, "ru") == "ru-exp-01 уже подал x-1 с другим содержимым"
    assert translate(phrase, "zh") == "ru-exp-01 已经以不同内容提交过 x-1"


def test_an_unknown_message_stays_english() -> None:
    assert translate(Phrase("no such message {n}", n=3), "zh") == "no such message 3"
    assert translate("plain text nobody translated", "ru") == "plain text nobody translated"


def test_placeholders_of_a_template() -> None:
    assert placeholders("{a} and {b:.1f} but not {{c}}") == {"a", "b"}


def test_every_code_has_a_title_in_each_language() -> None:
    from node_core.i18n import code_title, english_title

    for code in Code:
        assert code_title(code, "en") == english_title(code)
        assert code_title(code, "ru") != english_title(code), code
        assert code_title(code, "zh") != english_title(code), code


def test_a_dashboard_gets_a_whole_catalogue_as_a_dictionary() -> None:
    assert domains() == ["pilot"]
    zh = messages("pilot", "zh")
    assert zh["Fault cases"] == "故障用例"
    assert len(zh) == len(_ids())
    zh["Fault cases"] = "changed"  # a copy: the loaded catalogue is not changed
    assert messages("pilot", "zh")["Fault cases"] == "故障用例"


@pytest.mark.parametrize(("domain", "language"), [("pilot", "fr"), ("nosuchdomain", "ru")])
def test_an_unknown_domain_or_language_is_a_clear_error(domain: str, language: str) -> None:
    with pytest.raises(CatalogueError, match=language if language == "fr" else domain):
        messages(domain, language)
