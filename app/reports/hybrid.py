"""Printing for the hybrid (窓口申請) filing, the confirmation sheet and the 発行管理簿.

The OCR sheet (専用第3号様式, or 軽専用第2号様式 for a 軽自動車) and the 自動車重量税納付書 (検査自動車,
or 検査対象軽自動車) put each value at the position of the form's data file
(``app/reports/form_layouts.py``), shifted by the site's printer offset, so that correcting a
position after measuring the current form is a data change, not a code change. With the official
blank form uploaded by the association the values are printed on it; without, values only.
Each PDF names its form in its document title.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.domain.submission_offices import submission_office
from app.domain.wareki import format_wareki
from app.reports import form_layouts
from app.reports.csv_export import render_csv
from app.reports.pdf import render_pdf
from app.timeutil import today

REGISTER_HEADER = ("交付年月日", "交付番号", "登録番号", "車台番号", "検査年月日", "有効期限",
                   "自動車検査員", "申請方法", "状態")
# Column widths (%) of the 発行管理簿 PDF: the longest plates (「尾張小牧 330 ゆ 12-34」) and
# 車台番号 fit on one line at 8 pt on A4 landscape; names may wrap.
REGISTER_WIDTHS = (10, 9, 18, 14, 10, 10, 13, 7, 9)
# 受検形態 (outside-systems.md §3.3 item 5): a 指定工場 presents the 保適証 instead of the car, as
# the business acting for the user. What is printed in the box is data of the form (default ○).
EXAMINATION_MODE = "指定(保適証)"


def _labels():
    from app.services.certificates.labels import (  # the one place the status words live
        AIRAS_APPLICATION_TYPE_LABELS,
        BODY_LABELS,
        STATUS_LABELS,
        USE_LABELS,
    )

    return AIRAS_APPLICATION_TYPE_LABELS, BODY_LABELS, STATUS_LABELS, USE_LABELS


def form_id(document: str, vehicle_kind: str) -> str:
    """``document`` "ocr" or "weight-tax"; a 軽自動車 gets the 軽自動車検査協会's forms."""
    return f"{document}-{'kei' if vehicle_kind == 'kei' else 'registered'}"


def form_title(document: str, certificate) -> str:
    return form_layouts.shipped_layout(form_id(document, certificate.vehicle_kind))["title"]


def _offset(offset):
    return (offset.offset_x_mm, offset.offset_y_mm) if offset is not None else (0.0, 0.0)


def _placed(form, values, offset):
    """The fields of ``form`` that have a value, each at its position plus the printer offset."""
    dx, dy = _offset(offset)
    placed = []
    for name, box in form["fields"].items():
        text = values.get(name)
        if text in (None, ""):
            continue
        placed.append({"name": name, "text": str(text), "x": box["x"] + dx, "y": box["y"] + dy,
                       "w": box["w"], "h": box["h"]})
    return placed


def _plate(certificate):
    return (certificate.payload or {}).get("registration_number") or {}


def _user(certificate):
    return (certificate.payload or {}).get("user_of_vehicle") or {}


def office(certificate, site) -> str:
    """The 提出先 of this certificate's hybrid filing."""
    return submission_office(certificate.vehicle_kind, site.address)


def ocr_sheet_values(certificate, site, periodic_inspection, form=None):
    """``periodic_inspection``: a 点検整備記録簿 of this inspection is presented (from the records)."""
    form = form or form_layouts.shipped_layout(form_id("ocr", certificate.vehicle_kind))
    plate, user = _plate(certificate), _user(certificate)
    # Only the serial part, at most the last 7 characters (outside-systems.md §3.3 item 3).
    serial = certificate.chassis_number.split("-")[-1][-form["chassis_digits"]:]
    return {
        "validity_1y": "○" if certificate.validity_years == 1 else "",
        "validity_2y": "○" if certificate.validity_years == 2 else "",
        "examination_mode": form.get("examination_mode_text", EXAMINATION_MODE),
        "plate_area": plate.get("plate_area"), "plate_class": plate.get("plate_class"),
        "plate_kana": plate.get("plate_kana"), "plate_serial": plate.get("plate_serial"),
        "chassis_last7": serial,
        "periodic_inspection": "○" if periodic_inspection else "",
        # Guides say to drop everything below 100 km; the unit is data (the form's file).
        "odometer": str(certificate.odometer_km // form["odometer_unit_km"]),
        "submission_office": office(certificate, site),
        "applicant_name": user.get("name"), "applicant_address": user.get("address"),
        "examinee_name": site.name, "examinee_address": site.address,
    }


def _form_pdf(form_key, values, offset, forms_dir):
    form = form_layouts.layout(form_key, forms_dir)
    pdf = render_pdf("hybrid_form.html", {
        "page_size": form["page_size"], "page_margin": "0mm", "title": form["title"],
        "fields": _placed(form, values, offset),
    })
    blank = form_layouts.blank_form(form_key, forms_dir)
    if blank is not None:
        return form_layouts.merge_on_blank(pdf, blank, form["title"])
    return form_layouts.titled(pdf, form["title"])


def ocr_sheet_pdf(certificate, site, offset=None, *, periodic_inspection=False, forms_dir: Path | None = None):
    key = form_id("ocr", certificate.vehicle_kind)
    values = ocr_sheet_values(certificate, site, periodic_inspection, form_layouts.layout(key, forms_dir))
    return _form_pdf(key, values, offset, forms_dir)


def weight_tax_slip_values(certificate, site):
    _types, bodies, _statuses, uses = _labels()
    inspection = (certificate.details or {}).get("inspection") or {}
    user = _user(certificate)
    weight = inspection.get("vehicle_weight_kg") if inspection.get("body") == "passenger" \
        else inspection.get("gross_weight_kg")
    eco = inspection.get("eco") or ""
    return {
        "registration_number": certificate.registration_number,
        "chassis_number": certificate.chassis_number,
        "inspection_kind": "継続検査",
        # A 軽自動車's tax does not depend on its weight (the kei slip has no weight box).
        "weight": f"{bodies.get(inspection.get('body'), '')} {weight:,} ｋｇ"
        if weight and certificate.vehicle_kind != "kei" else "",
        "use": uses.get(inspection.get("use"), ""),
        "years": f"{certificate.validity_years}年",
        "amount": f"{certificate.weight_tax_yen:,}円" if certificate.weight_tax_yen is not None else "",
        "basis": {"standard_rate": "エコカー(本則税率)", "exempt": "エコカー(免税)"}.get(eco, ""),
        # 納付日 is left blank: the shop writes the day it pays (buys and attaches the 印紙).
        "submission_office": office(certificate, site),
        "taxpayer_name": user.get("name"), "taxpayer_address": user.get("address"),
    }


def weight_tax_slip_pdf(certificate, site, offset=None, *, forms_dir: Path | None = None):
    return _form_pdf(form_id("weight-tax", certificate.vehicle_kind),
                     weight_tax_slip_values(certificate, site), offset, forms_dir)


def calibration_pdf(form_key, site_name, offset=None, forms_dir: Path | None = None) -> bytes:
    """A page to print on plain paper and lay over the form: each field's box, with its label,
    where this site's printer will print it. The shift between a box and the form's box is the
    printer offset to enter (or the position to correct in the form's file)."""
    form = form_layouts.layout(form_key, forms_dir)
    values = {name: box["label"] for name, box in form["fields"].items()}
    fields = _placed(form, values, offset)
    dx, dy = _offset(offset)
    width, height = form["page_mm"]
    fields.append({"name": "instructions", "x": width * 0.35, "y": height * 0.45, "w": width * 0.5, "h": 30.0,
                   "text": f"印字位置の確認: {form['title']} / {site_name} / 補正 横{dx:+.1f}mm 縦{dy:+.1f}mm。"
                           "実寸(拡大・縮小なし)で普通紙に印刷し、様式に重ねて枠のずれを測ってください。"})
    pdf = render_pdf("hybrid_calibration.html", {
        "page_size": form["page_size"], "page_margin": "0mm", "title": form["title"], "fields": fields,
        "boxes": True,
    })
    return form_layouts.titled(pdf, f"印字位置の確認 {form['title']}")


def confirmation_pdf(certificate, site):
    types, _bodies, statuses, _uses = _labels()
    user = _user(certificate)
    policies = ((certificate.details or {}).get("insurance") or {}).get("policies") or []
    rows = [
        ("車台番号", certificate.chassis_number),
        ("自動車登録番号", certificate.registration_number or ""),
        ("型式", certificate.model or ""),
        ("交付番号", certificate.issue_number or "(AIRASの登録待ち)"),
        ("状態", statuses.get(certificate.status, certificate.status)),
        ("申請種別", types[certificate.application_type]),
        ("検査年月日", format_wareki(certificate.inspection_date)),
        ("交付年月日", format_wareki(certificate.issue_date)),
        ("保適証の有効期限", format_wareki(certificate.certificate_valid_until)
         if certificate.certificate_valid_until else ""),
        ("新しい有効期間の満了日", format_wareki(certificate.new_expiry_date) if certificate.new_expiry_date else ""),
        ("最終検査申請日", format_wareki(certificate.last_application_date)
         if certificate.last_application_date else ""),
        ("走行距離計表示値", f"{certificate.odometer_km:,} ｋｍ"),
        ("自動車検査員", certificate.inspector.name if certificate.inspector else ""),
        ("使用者", f"{user.get('name', '')} {user.get('address', '')}"),
        ("自賠責", "、".join(f"{p['insurer_name']} {p['certificate_number']}"
                             f"({format_wareki(_date(p['start_date']))}〜{format_wareki(_date(p['end_date']))})"
                             for p in policies)),
        ("自動車重量税", f"{certificate.weight_tax_yen:,}円" if certificate.weight_tax_yen is not None else ""),
        ("提出先", office(certificate, site) if certificate.application_type == "hybrid" else ""),
    ]
    return render_pdf("certificate_confirmation.html", {
        "rows": rows, "site_name": site.name, "site_code": site.airas_shop_code or "",
        "printed_on": today(),
    })


def _date(text):
    return dt.date.fromisoformat(text)


def register_rows(certificates):
    types, _bodies, statuses, _uses = _labels()
    return [(format_wareki(c.issue_date), c.issue_number or "", c.registration_number or "", c.chassis_number,
             format_wareki(c.inspection_date),
             format_wareki(c.certificate_valid_until) if c.certificate_valid_until else "",
             c.inspector.name if c.inspector else "", types[c.application_type],
             statuses.get(c.status, c.status)) for c in certificates]


def register_csv(certificates) -> bytes:
    """The 発行管理簿 as CSV, UTF-8 with a BOM so that Excel opens it in Japanese."""
    return render_csv(REGISTER_HEADER, register_rows(certificates))


def register_pdf(certificates, first_day, site=None) -> bytes:
    return render_pdf("certificate_register.html", {
        "page_size": "a4 landscape", "header": REGISTER_HEADER, "widths": REGISTER_WIDTHS,
        "rows": register_rows(certificates),
        "month_label": format_wareki(first_day, "month"),
        "site_label": site.name if site else "すべての事業場",
    })

