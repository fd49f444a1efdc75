"""Chinese is the default: every source string has a zh_Hans translation, compiled as committed."""

from pathlib import Path

import polib
from django.conf import settings

PO = Path(settings.BASE_DIR) / "projectdesk/locale/zh_Hans/LC_MESSAGES/django.po"


def test_every_message_is_translated():
    po = polib.pofile(str(PO))
    untranslated = [e.msgid for e in po.untranslated_entries()] + [
        e.msgid for e in po.fuzzy_entries()
    ]
    untranslated += [e.msgid for e in po if e.msgid_plural and not all(e.msgstr_plural.values())]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_source():
    def key(entry) -> tuple:
        return (entry.msgctxt, entry.msgid)

    compiled = {key(e): e.msgstr for e in polib.mofile(str(PO.with_suffix(".mo"))) if e.msgid}
    source = {key(e): e.msgstr for e in polib.pofile(str(PO)) if e.translated()}
    assert compiled == source, "run: msgfmt -o django.mo django.po (see README)"


def test_placeholders_survive_translation():
    import re

    def placeholders(text: str) -> list[str]:
        return sorted(re.findall(r"%\((\w+)\)[sd]", text))

    for entry in polib.pofile(str(PO)):
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            assert placeholders(translation) == placeholders(entry.msgid), entry.msgid
