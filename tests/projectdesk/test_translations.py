"""Chinese is the default: every source string has a zh_Hans translation, compiled as committed."""

from pathlib import Path

import polib
import pytest
from django.conf import settings

PO = Path(settings.BASE_DIR) / "projectdesk/locale/zh_Hans/LC_MESSAGES/django.po"
#: django-unfold's strings, kept by hand (the theme ships no Chinese; makemessages reads only
#: our sources and would mark them obsolete).
THEME_PO = Path(settings.BASE_DIR) / "projectdesk/locale_theme/zh_Hans/LC_MESSAGES/django.po"
CATALOGUES = pytest.mark.parametrize("catalogue", [PO, THEME_PO], ids=["ours", "theme"])


@CATALOGUES
def test_every_message_is_translated(catalogue):
    po = polib.pofile(str(catalogue))
    untranslated = [e.msgid for e in po.untranslated_entries()] + [
        e.msgid for e in po.fuzzy_entries()
    ]
    untranslated += [e.msgid for e in po if e.msgid_plural and not all(e.msgstr_plural.values())]
    assert untranslated == []


@CATALOGUES
def test_the_compiled_catalogue_matches_the_source(catalogue):
    def key(entry) -> tuple:
        return (entry.msgctxt, entry.msgid)

    compiled = {
        key(e): e.msgstr for e in polib.mofile(str(catalogue.with_suffix(".mo"))) if e.msgid
    }
    source = {key(e): e.msgstr for e in polib.pofile(str(catalogue)) if e.translated()}
    assert compiled == source, "run: msgfmt -o django.mo django.po (see README)"


@CATALOGUES
def test_placeholders_survive_translation(catalogue):
    import re

    def placeholders(text: str) -> list[str]:
        return sorted(re.findall(r"%\((\w+)\)[sd]", text))

    for entry in polib.pofile(str(catalogue)):
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            assert placeholders(translation) == placeholders(entry.msgid), entry.msgid
