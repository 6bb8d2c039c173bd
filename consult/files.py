"""Uploaded files: checked by content, kept in the database, served safely.

Files live in the database (table ``stored_files``) rather than on a local disk, so every app
server behind a load balancer sees every file and a database backup holds all of them. The
size limit (``MAX_UPLOAD_BYTES``) keeps that sensible: agendas, minutes and logos are small.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app, make_response
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, deferred, mapped_column

from consult.db import created_at_column
from consult.extensions import db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StoredFile(db.Model):
    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(255))  # cleaned, for Content-Disposition
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    created_at: Mapped[datetime] = created_at_column()


def delete_unreferenced() -> int:
    """Delete the uploads nothing holds any more (a removed document's or logo's), in the
    current transaction; returns how many.

    A file is held by every foreign key to it, except one that lets go when the file goes
    (ON DELETE SET NULL: a mail attachment waiting to be sent).
    """
    table = StoredFile.__table__
    holders = [
        sa.select(fk.parent).where(fk.parent.is_not(None))
        for other in db.metadata.tables.values()
        for fk in other.foreign_keys
        if fk.column is table.c.id
        and (fk.ondelete or "").upper() not in ("SET NULL", "SET DEFAULT")
    ]
    return db.session.execute(
        sa.delete(table).where(table.c.id.not_in(sa.union_all(*holders)))).rowcount


class UploadRejected(ValueError):
    pass


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str


# what each allowed file must look like inside, whatever its name says
DOCUMENT_KINDS = {
    "pdf": Kind("pdf", "application/pdf"),
    "docx": Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": Kind("xlsx", XLSX),
    "pptx": Kind(
        "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
    "odt": Kind("odt", "application/vnd.oasis.opendocument.text"),
    "ods": Kind("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    "png": Kind("png", "image/png"),
    "jpg": Kind("jpg", "image/jpeg"),
}
IMAGE_KINDS = {key: DOCUMENT_KINDS[key] for key in ("png", "jpg")}


def sniff(data: bytes) -> str | None:
    """The kind of file ``data`` really is, from its bytes."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "mimetype" in names:
                    with archive.open("mimetype") as entry:  # never unpack more than a line
                        mimetype = entry.read(100).decode("ascii", "replace").strip()
                    return {
                        "application/vnd.oasis.opendocument.text": "odt",
                        "application/vnd.oasis.opendocument.spreadsheet": "ods",
                    }.get(mimetype)
                if "[Content_Types].xml" in names:
                    for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
                        if any(name.startswith(prefix) for name in names):
                            return kind
        except zipfile.BadZipFile:
            return None
    return None


def clean_filename(name: str, extension: str) -> str:
    """A display name without paths or control characters, ending in the real extension."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>:|?*]+", "", name).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem[:150] or "document"
    return f"{stem}.{extension}"


def store_upload(upload, kinds=DOCUMENT_KINDS) -> StoredFile:
    """Check an uploaded file (werkzeug FileStorage) and add it to the session."""
    data = upload.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
    if not data:
        raise UploadRejected(_l("The file is empty."))
    if len(data) > current_app.config["MAX_UPLOAD_BYTES"]:
        raise UploadRejected(
            _l("The file is larger than %(mb)s MB.",
               mb=current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024))
        )
    kind_name = sniff(data)
    if kind_name not in kinds:
        raise UploadRejected(
            _l("This type of file is not accepted. Accepted: %(kinds)s.",
               kinds=", ".join(k.upper() for k in kinds))
        )
    kind = kinds[kind_name]
    stored = StoredFile(
        filename=clean_filename(upload.filename, kind.extension),
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    db.session.add(stored)
    return stored


_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f"\\]')


def content_disposition(filename: str, inline: bool = False) -> str:
    """RFC 6266: an ASCII fallback, and the real (e.g. Cyrillic) name percent-encoded."""
    disposition = "inline" if inline else "attachment"
    ascii_name = _UNSAFE_IN_NAME.sub("", filename.encode("ascii", "ignore").decode()).strip() \
        or "document"
    if ascii_name.startswith("."):
        ascii_name = "document" + ascii_name
    return (f'{disposition}; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}")


def download(body, content_type: str, filename: str, inline: bool = False,
             cache: str | None = "no-store"):
    """A file the application makes (export, PDF, calendar): its type, its name, and
    whether it may be cached (exports of personal data never are; None: no rule)."""
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = content_disposition(filename, inline)
    if cache:
        response.headers["Cache-Control"] = cache
    return response


def file_response(stored: StoredFile, inline: bool = False):
    """An uploaded file: served so that a browser can never run it as a page."""
    response = download(stored.data, stored.content_type, stored.filename, inline,
                        cache="private, max-age=300")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
