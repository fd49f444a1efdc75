"""Evidence documents: the content must be what the extension says (checked on real small files of
each accepted type), several bad files are named at once, and the stored name is never a hidden
dot-file nor too long for the attachment's path."""

import datetime as dt
import io
import os
import re
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from approvals.models import RequestAttachment, StageRequest, TransitionRefused
from approvals.stages import workflow
from approvals.stages.evidence import NAME_MAX, check_attachments, stored_name
from approvals.stages.models import attachment_path

SIGN = {"agreement_date": dt.date(2025, 4, 7)}


# --- real small samples ----------------------------------------------------------------------

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _png() -> bytes:
    """A 1×1 grey PNG: signature, IHDR, one compressed scanline, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


PNG = _png()
# A 1×1 grey baseline JPEG: quantisation table, frame, one-code Huffman tables (DC 0, AC EOB),
# the scan (two 0 bits padded with 1s) and the end marker.
JPEG = (
    b"\xff\xd8"
    + b"\xff\xdb\x00\x43\x00"
    + b"\x01" * 64
    + b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00"
    + b"\xff\xc4\x00\x14\x00\x01"
    + b"\x00" * 16
    + b"\xff\xc4\x00\x14\x10\x01"
    + b"\x00" * 16
    + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    + b"\x3f"
    + b"\xff\xd9"
)
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def _zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?><x/>')
    return buffer.getvalue()


DOCX = _zipped("[Content_Types].xml", "_rels/.rels", "word/document.xml")
# The same parts in another order: filetype then says only "zip", the archive is looked into.
DOCX_LATE = _zipped(
    "[Content_Types].xml",
    "_rels/.rels",
    "docProps/app.xml",
    "docProps/core.xml",
    "customXml/item1.xml",
    "word/document.xml",
)
XLSX = _zipped("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")
OFD = _zipped("OFD.xml", "Doc_0/Document.xml")
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)  # the header of a compound file
HTML = b"<!DOCTYPE html><html><head><title>login</title></head><body></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(56)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture(autouse=True)
def english():
    # The messages are asserted in their English source, whatever the catalogue says.
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def refusals(*uploads) -> list[str]:
    with pytest.raises(TransitionRefused) as refused:
        check_attachments(uploads)
    return refused.value.reasons


# --- check_attachments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content",
    [
        ("投资协议.pdf", PDF),
        ("现场照片.png", PNG),
        ("现场照片.jpg", JPEG),
        ("现场照片.JPEG", JPEG),
        ("投资协议.docx", DOCX),
        ("投资协议.docx", DOCX_LATE),
        ("投资台账.xlsx", XLSX),
        ("电子发票.ofd", OFD),
        ("投资协议.doc", OLE2),
        ("投资台账.xls", OLE2),
    ],
    ids=["pdf", "png", "jpg", "JPEG", "docx", "docx-other-order", "xlsx", "ofd", "doc", "xls"],
)
def test_a_document_whose_content_matches_its_extension_is_accepted(name, content):
    document = upload(name, content)
    assert check_attachments([document]) == [document]


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("协议.pdf", HTML, "“协议.pdf”: the content does not match the .pdf extension."),
        ("协议.pdf", EXE, "(it is a .exe file)"),
        ("现场照片.jpg", EXE, "(it is a .exe file)"),
        ("协议.docx", b"just some text\n", "the content does not match the .docx extension."),
        ("协议.pdf", PNG, "(it is a .png file)"),
        ("台账.xlsx", DOCX, "(it is a .docx file)"),
        ("协议.docx", _zipped("notes.txt"), "(it is a .zip file)"),
        ("协议.docx", EXE + DOCX, "(it is a .exe file)"),  # a ZIP appended to a program
        ("协议.docx", OLE2, "the content does not match the .docx extension"),
        ("协议.doc", DOCX, "the content does not match the .doc extension"),
        ("发票.ofd", DOCX, "the content does not match the .ofd extension"),
        ("空白.pdf", b"", "“空白.pdf”: the file is empty."),
    ],
    ids=[
        "html-as-pdf",
        "exe-as-pdf",
        "exe-as-jpg",
        "text-as-docx",
        "png-as-pdf",
        "docx-as-xlsx",
        "zip-as-docx",
        "exe-with-zip-as-docx",
        "ole2-as-docx",
        "docx-as-doc",
        "docx-as-ofd",
        "empty",
    ],
)
def test_a_document_whose_content_is_not_what_its_name_says_is_refused(name, content, says):
    [reason] = refusals(upload(name, content))
    assert reason.startswith(f"“{name}”: ") and says in reason


def test_every_bad_file_is_named_at_once_and_the_good_ones_are_not(settings):
    settings.EVIDENCE_FILE_MAX_MB = 1
    reasons = refusals(
        upload("协议.pdf", PDF),
        upload("登录页.pdf", HTML),
        upload("照片.jpg", EXE),
        upload("run.exe", EXE),
        upload("大图.png", PNG + bytes(1024 * 1024)),
        upload("空白.xlsx", b""),
    )
    assert [r.split("”")[0].lstrip("“") for r in reasons] == [
        "登录页.pdf",
        "照片.jpg",
        "run.exe",
        "大图.png",
        "空白.xlsx",
    ]
    assert "file type not accepted" in reasons[2] and "larger than 1 MB" in reasons[3]


def test_a_type_added_in_the_settings_is_checked_by_the_library_s_own_name(settings):
    settings.EVIDENCE_FILE_TYPES = [*settings.EVIDENCE_FILE_TYPES, "gif"]
    assert check_attachments([upload("现场.gif", GIF)])
    assert "(it is a .gif file)" in refusals(upload("现场.png", GIF))[0]


@pytest.mark.parametrize("name, content", [("协议.pdf", PDF), ("协议.docx", DOCX)])
def test_the_file_can_still_be_read_whole_after_the_check(name, content):
    document = upload(name, content)
    document.read(3)  # wherever it was left, the check starts from the beginning
    check_attachments([document])
    assert document.tell() == 0 and document.read() == content


def test_the_saved_file_is_the_uploaded_one(alice, project, media):
    documents = [upload("投资协议.docx", DOCX), upload("现场照片.jpg", JPEG)]
    stage_request = workflow.request_transition(
        project, "sign", by=alice, attachments=check_attachments(documents), **SIGN
    )
    saved = {a.name: a.file.read() for a in stage_request.attachments.all()}
    assert saved == {"投资协议.docx": DOCX, "现场照片.jpg": JPEG}


# --- stored_name ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["😀😀.pdf", "….pdf", ".pdf", "   .pdf", "...pdf", "😀 😀.pdf"])
def test_a_name_with_nothing_readable_gets_a_generated_one(name):
    assert re.fullmatch(r"evidence-[0-9a-f]{8}\.pdf", stored_name(name))


def test_generated_names_differ():
    assert stored_name("😀.jpg") != stored_name("😀.jpg")


@pytest.mark.parametrize(
    "name, stored",
    [
        ("投资协议.pdf", "投资协议.pdf"),
        ("投资协议（盖章版）.PDF", "投资协议盖章版.pdf"),
        ("现场 照片.JPG", "现场_照片.jpg"),
        ("..隐藏.docx", "隐藏.docx"),
        ("../../etc/passwd.pdf", "etcpasswd.pdf"),
        ("README", "README"),
        ("报告.😀", "报告"),
    ],
)
def test_a_readable_name_keeps_its_letters_of_any_script(name, stored):
    assert stored_name(name) == stored


def test_a_long_name_is_cut_before_its_extension():
    stored = stored_name("晋中开发区大恒能源项目投资协议" * 20 + ".XLSX")
    assert len(stored) == NAME_MAX and stored.startswith("晋中开发区") and stored.endswith(".xlsx")
    assert len(stored.encode()) <= 255  # what a file system allows in one name


@pytest.mark.parametrize(
    "name", ["协" * 300 + ".xlsx", "😀" * 300 + ".docx", "a" * 300, "x." + "y" * 300]
)
def test_the_storage_path_fits_the_file_field_even_with_storage_s_suffix(name):
    path = attachment_path(None, stored_name(name))
    suffix = len("_abcdefg")  # what storage appends when the name is already taken
    assert len(path) + suffix <= RequestAttachment._meta.get_field("file").max_length


@pytest.mark.parametrize(
    "name", ["投资协议（盖章版）.PDF", "..x.pdf", "协" * 300 + ".pdf", "😀.pdf"]
)
def test_a_stored_name_stays_as_it_is_when_stored_again(name):
    once = stored_name(name)
    assert stored_name(once) == once and not once.startswith(".")


# --- through the service and the admin page ----------------------------------------------------


# needs the wiring into workflow/stage_request
def test_the_service_refuses_an_html_page_named_pdf_and_asks_nothing(alice, project, media):
    with pytest.raises(TransitionRefused, match="“协议.pdf”: the content does not match"):
        workflow.request_transition(
            project, "sign", by=alice, attachments=[upload("协议.pdf", HTML)], **SIGN
        )
    assert not StageRequest.objects.exists()


# needs the wiring into workflow/stage_request
def test_an_emoji_named_document_is_stored_under_a_generated_name(as_user, alice, project, media):
    as_user(alice).post(
        reverse("admin:approvals_project_request", args=[project.pk, "sign"]),
        {"sign-agreement_date": "2025-04-07", "sign-attachments": upload("😀😀.pdf", PDF)},
    )
    attachment = project.stage_requests.get().attachments.get()
    stored = os.path.basename(attachment.file.name)
    assert attachment.name == "😀😀.pdf"  # the officer's name is what the page shows
    assert re.fullmatch(r"evidence-[0-9a-f]{8}\.pdf", stored), stored
    assert attachment.file.read() == PDF
