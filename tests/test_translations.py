"""Chinese is the default: every source string has a zh_Hans translation, compiled as committed."""

from pathlib import Path

import polib
from django.conf import settings

PO = Path(settings.BASE_DIR) / "projectdesk/locale/zh_Hans/LC_MESSAGES/django.po"


def test_every_message_is_translated():
    po = polib.pofile(str(PO))
    untranslated = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_source():
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(PO.with_suffix(".mo"))) if e.msgid}
    source = {e.msgid: e.msgstr for e in polib.pofile(str(PO)) if e.translated()}
    assert compiled == source, "run: msgfmt -o django.mo django.po (see README)"


def test_placeholders_survive_translation():
    import re

    for entry in polib.pofile(str(PO)):
        names = sorted(re.findall(r"%\((\w+)\)s", entry.msgid))
        assert sorted(re.findall(r"%\((\w+)\)s", entry.msgstr)) == names, entry.msgid
