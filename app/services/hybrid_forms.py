"""The hybrid forms the association provides once for every shop: the official blank form PDFs
and corrected position files (app/reports/form_layouts.py), kept in ``HYBRID_FORMS_DIR``; and
the printouts of one certificate, with 定期点検 taken from its 記録簿.

Files, not rows: every web instance reads the same directory (as with the record PDFs), and a
position file is what the association downloads, corrects and uploads back. Each change is
audited.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import exists, select

from app import audit
from app.models.record import Record
from app.reports import form_layouts, hybrid
from app.reports.form_layouts import FORM_IDS, FormFileError
from app.timeutil import JST

__all__ = ["FormFileError", "FORM_IDS", "forms_dir", "form_statuses", "upload_blank_form", "upload_layout",
           "remove_upload", "certificate_pdf", "record_presented"]

KINDS = {"blank": ".pdf", "layout": ".json"}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def forms_dir() -> Path:
    default = os.path.join(os.path.dirname(current_app.root_path), "instance", "hybrid_forms")
    return Path(current_app.config.get("HYBRID_FORMS_DIR") or default)


def _path(form_id: str, kind: str) -> Path:
    if form_id not in FORM_IDS or kind not in KINDS:
        raise ValueError(f"unknown hybrid form file {form_id!r}/{kind!r}")
    return forms_dir() / f"{form_id}{KINDS[kind]}"


def _uploaded_at(path: Path):
    if not path.is_file():
        return None
    return dt.datetime.fromtimestamp(path.stat().st_mtime, JST)


def form_statuses() -> list[dict]:
    return [{"form_id": form_id, "title": form_layouts.shipped_layout(form_id)["title"],
             "blank_uploaded_at": _uploaded_at(_path(form_id, "blank")),
             "layout_uploaded_at": _uploaded_at(_path(form_id, "layout"))} for form_id in FORM_IDS]


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".part")
    temporary.write_bytes(content)
    os.replace(temporary, path)  # readers see the old file or the new one, never half of it


def _check_size(content: bytes) -> None:
    if not content:
        raise FormFileError("ファイルが選ばれていないか、空です。")
    if len(content) > MAX_UPLOAD_BYTES:
        raise FormFileError("ファイルが大きすぎます(10MBまで)。")


def upload_blank_form(session, form_id: str, content: bytes) -> None:
    _check_size(content)
    form_layouts.check_blank_form(form_id, content)
    _write(_path(form_id, "blank"), content)
    audit.record(session, "hybrid_form_uploaded", entity_type="HybridForm", entity_id=form_id,
                 detail=f"blank form PDF, {len(content)} bytes")


def upload_layout(session, form_id: str, content: bytes) -> None:
    _check_size(content)
    data = form_layouts.parse_layout(form_id, content)
    _write(_path(form_id, "layout"), (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    audit.record(session, "hybrid_form_positions_uploaded", entity_type="HybridForm", entity_id=form_id,
                 detail=f"{len(data['fields'])} fields")


def remove_upload(session, form_id: str, kind: str) -> bool:
    path = _path(form_id, kind)
    if not path.is_file():
        return False
    path.unlink()
    audit.record(session, "hybrid_form_upload_removed", entity_type="HybridForm", entity_id=form_id,
                 detail=kind)
    return True


def layout_file(form_id: str) -> bytes:
    """The positions file now in use, as the association downloads it to correct it."""
    return (json.dumps(form_layouts.layout(form_id, forms_dir()), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def record_presented(session, certificate) -> bool:
    """定期点検: a signed 記録簿 of this certificate's inspection exists (its 点検整備記録簿 is
    presented with the filing)."""
    return bool(session.scalar(select(exists().where(
        Record.certificate_id == certificate.id, Record.business_id == certificate.business_id,
        Record.status != "draft"))))


def certificate_pdf(session, certificate, kind: str, offset=None) -> bytes:
    """``kind`` "ocr", "tax" or "confirmation" of one certificate, on the uploaded forms."""
    if kind == "ocr":
        return hybrid.ocr_sheet_pdf(certificate, certificate.site, offset,
                                    periodic_inspection=record_presented(session, certificate),
                                    forms_dir=forms_dir())
    if kind == "tax":
        return hybrid.weight_tax_slip_pdf(certificate, certificate.site, offset, forms_dir=forms_dir())
    if kind == "confirmation":
        return hybrid.confirmation_pdf(certificate, certificate.site)
    raise ValueError(f"unknown printout {kind!r}")


def calibration_pdf(form_id: str, site, offset=None) -> bytes:
    return hybrid.calibration_pdf(form_id, site.name, offset, forms_dir())


def association_preview_pdf(form_id: str) -> bytes:
    """The boxes of every field drawn on the uploaded blank form (if any): how the positions now
    in use sit on the form, for the association to judge before shops print."""
    pdf = hybrid.calibration_pdf(form_id, "協会の確認用", None, forms_dir())
    blank = form_layouts.blank_form(form_id, forms_dir())
    if blank is None:
        return pdf
    return form_layouts.merge_on_blank(pdf, blank, f"印字位置の確認 {form_layouts.shipped_layout(form_id)['title']}")
