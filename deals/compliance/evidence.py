"""Evidence files: the type is sniffed from the content, the size capped, the file stored by its SHA-256.

Nothing from the client is trusted: not the file name (kept for display only,
never used as a path), not the declared content type. Files are kept through
Django's default storage as `evidence/<first two hex digits>/<sha256>` (on the
file system: under MEDIA_ROOT, outside the web root) and are served only by the
views that check the deal is visible to the user.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from origination.errors import DomainError

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
CHUNK = 64 * 1024
ACCEPTED_TYPES = gettext_lazy(
    "PDF, PNG, JPEG, GIF, WebP, Word, Excel or PowerPoint (.docx, .xlsx, .pptx, or the older .doc, .xls, .ppt)"
)
# What the browser's file picker offers; the server decides by content regardless.
ACCEPT_ATTRIBUTE = ".pdf,.png,.jpg,.jpeg,.gif,.webp,.docx,.xlsx,.pptx,.doc,.xls,.ppt"


@dataclass(frozen=True)
class FileType:
    """A document type recognised from its content."""

    kind: str
    content_type: str
    extension: str


PDF = FileType("pdf", "application/pdf", "pdf")
PNG = FileType("png", "image/png", "png")
JPEG = FileType("jpeg", "image/jpeg", "jpg")
GIF = FileType("gif", "image/gif", "gif")
WEBP = FileType("webp", "image/webp", "webp")
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
PPTX = FileType("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx")
DOC = FileType("doc", "application/msword", "doc")
XLS = FileType("xls", "application/vnd.ms-excel", "xls")
PPT = FileType("ppt", "application/vnd.ms-powerpoint", "ppt")
# What a download answers with: the sniffed type of the stored file.
EVIDENCE_CONTENT_TYPES = tuple(t.content_type for t in (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, DOC, XLS, PPT))

_OOXML_PARTS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names of the legacy Office formats, as stored (UTF-16LE) in the compound file's directory.
_OLE2_STREAMS = (
    ("WordDocument".encode("utf-16-le"), DOC),
    ("Workbook".encode("utf-16-le"), XLS),
    ("Book".encode("utf-16-le"), XLS),
    ("PowerPoint Document".encode("utf-16-le"), PPT),
)


class EvidenceFileError(DomainError):
    """An evidence file was refused as a whole (size, type, empty); nothing was saved."""

    def __init__(self, detail: str) -> None:
        super().__init__("evidence_file_refused", detail, fields={"file": detail}, status=400)


@dataclass(frozen=True)
class InspectedFile:
    """An upload that passed the checks: its sniffed type, size, SHA-256 and a display name."""

    file_type: FileType
    size: int
    sha256: str
    display_name: str


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def _refuse_type() -> EvidenceFileError:
    return EvidenceFileError(
        _("This file's content is not an accepted document type. Accepted: %(types)s.") % {"types": ACCEPTED_TYPES}
    )


def _sniff_ooxml(fileobj: IO[bytes]) -> FileType:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse_type() from None
    if "[Content_Types].xml" not in names:
        raise _refuse_type()
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise EvidenceFileError(_("Office files with macros are not accepted; save the document without macros."))
    for prefix, file_type in _OOXML_PARTS:
        if any(name.startswith(prefix) for name in names):
            return file_type
    raise _refuse_type()


def _sniff_ole2(fileobj: IO[bytes]) -> FileType:
    # The directory may sit anywhere in the compound file: scan it, keeping an overlap across chunks.
    fileobj.seek(0)
    tail = b""
    longest = max(len(pattern) for pattern, _type in _OLE2_STREAMS)
    while chunk := fileobj.read(CHUNK):
        window = tail + chunk
        for pattern, file_type in _OLE2_STREAMS:
            if pattern in window:
                return file_type
        tail = window[-longest:]
    raise _refuse_type()


def sniff(fileobj: IO[bytes]) -> FileType:
    """The document type from the file's content; EvidenceFileError when it is not an accepted type."""
    fileobj.seek(0)
    head = fileobj.read(16)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _sniff_ooxml(fileobj)
    if head.startswith(_OLE2_MAGIC):
        return _sniff_ole2(fileobj)
    raise _refuse_type()


def display_name(raw: str | None, file_type: FileType) -> str:
    """A safe name to show and to offer on download: no path, no control characters, the sniffed extension."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    stem = os.path.splitext(name)[0].strip()[:150] or _("evidence")
    return f"{stem}.{file_type.extension}"


def _declared_size(uploaded_file: Any) -> int:
    """The upload's size without reading it; counted chunk by chunk (stopping past the limit) if unknown."""
    size = getattr(uploaded_file, "size", None)
    if size is not None:
        return int(size)
    uploaded_file.seek(0)
    total = 0
    while chunk := uploaded_file.read(CHUNK):
        total += len(chunk)
        if total > MAX_EVIDENCE_BYTES:
            break
    return total


def inspect_upload(uploaded_file: Any) -> InspectedFile:
    """Check an uploaded file (size first, then its content type) and hash it; EvidenceFileError if refused."""
    if uploaded_file is None:
        raise EvidenceFileError(_("Choose a file to upload."))
    size = _declared_size(uploaded_file)
    if size > MAX_EVIDENCE_BYTES:
        raise EvidenceFileError(
            _("The file is %(size)s MB; evidence files may be %(limit)s MB at most.")
            % {"size": _megabytes(size), "limit": MAX_EVIDENCE_BYTES // (1024 * 1024)}
        )
    if size == 0:
        raise EvidenceFileError(_("The file is empty."))
    file_type = sniff(uploaded_file)
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    while chunk := uploaded_file.read(CHUNK):
        digest.update(chunk)
    return InspectedFile(
        file_type=file_type,
        size=size,
        sha256=digest.hexdigest(),
        display_name=display_name(getattr(uploaded_file, "name", ""), file_type),
    )


# Where evidence files are kept in the default storage (under MEDIA_ROOT, outside the web root).
EVIDENCE_DIR = "evidence"


def stored_name(sha256: str) -> str:
    """The storage name of the file of a SHA-256 (content-addressed: the same bytes are stored once)."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256 hex digest")
    return f"{EVIDENCE_DIR}/{sha256[:2]}/{sha256}"


def store(uploaded_file: Any, inspected: InspectedFile) -> bool:
    """Save the file under its hash; True when this call stored it, False when it was already there.

    A stored file of another size is what a write cut short left behind: it is stored again. If another
    upload of the same bytes stored it in the meantime, the storage saved this copy under another name,
    which is deleted.
    """
    name = stored_name(inspected.sha256)
    if default_storage.exists(name):
        if default_storage.size(name) == inspected.size:
            return False
        default_storage.delete(name)
    uploaded_file.seek(0)
    saved = default_storage.save(name, uploaded_file)
    if saved != name:
        default_storage.delete(saved)
        return False
    return True


def discard(sha256: str) -> None:
    """Remove a stored file (only when the row that would have pointed at it was never saved)."""
    default_storage.delete(stored_name(sha256))


def open_stored(sha256: str) -> IO[bytes]:
    """Open a stored evidence file for reading; FileNotFoundError if it is missing."""
    name = stored_name(sha256)
    if not default_storage.exists(name):
        raise FileNotFoundError(name)
    return default_storage.open(name, "rb")
