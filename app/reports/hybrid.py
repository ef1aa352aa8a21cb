"""Printing for the hybrid (窓口申請) filing, the confirmation sheet and the 発行管理簿.

The OCR sheet (専用第3号様式) and the 自動車重量税納付書 put each value at a position read from
``data/ocr_positions.json`` (mm), shifted by the site's printer offset, so that correcting a
position after measuring the current form is a data change, not a code change.
"""
from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

from app.domain.wareki import format_wareki
from app.reports.csv_export import render_csv
from app.reports.pdf import render_pdf
from app.timeutil import today

POSITIONS_FILE = Path(__file__).resolve().parent / "data" / "ocr_positions.json"

REGISTER_HEADER = ("交付年月日", "交付番号", "登録番号", "車台番号", "検査年月日", "有効期限",
                   "自動車検査員", "申請方法", "状態")


@lru_cache(maxsize=1)
def positions():
    return json.loads(POSITIONS_FILE.read_text(encoding="utf-8"))


def _labels():
    from app.services.certificates.labels import (  # the one place the status words live
        AIRAS_APPLICATION_TYPE_LABELS,
        BODY_LABELS,
        STATUS_LABELS,
        USE_LABELS,
    )

    return AIRAS_APPLICATION_TYPE_LABELS, BODY_LABELS, STATUS_LABELS, USE_LABELS


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


def ocr_sheet_values(certificate, site):
    form = positions()["ocr_sheet"]
    plate, user = _plate(certificate), _user(certificate)
    # Only the serial part, at most the last 7 characters (outside-systems.md §3.3 item 3).
    serial = certificate.chassis_number.split("-")[-1][-form["chassis_digits"]:]
    return {
        "validity_1y": "○" if certificate.validity_years == 1 else "",
        "validity_2y": "○" if certificate.validity_years == 2 else "",
        "plate_area": plate.get("plate_area"), "plate_class": plate.get("plate_class"),
        "plate_kana": plate.get("plate_kana"), "plate_serial": plate.get("plate_serial"),
        "chassis_last7": serial,
        "periodic_inspection": "○",
        # Guides say to drop everything below 100 km; the unit is data (ocr_positions.json).
        "odometer": str(certificate.odometer_km // form["odometer_unit_km"]),
        "applicant_name": user.get("name"), "applicant_address": user.get("address"),
        "examinee_name": site.name, "examinee_address": site.address,
    }


def ocr_sheet_pdf(certificate, site, offset=None):
    form = positions()["ocr_sheet"]
    return render_pdf("ocr_sheet.html", {
        "page_size": form["page_size"], "page_margin": "0mm",
        "fields": _placed(form, ocr_sheet_values(certificate, site), offset),
        "note": f"{form['form']} 保適証 {certificate.issue_number or ''}",
    })


def weight_tax_slip_values(certificate):
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
        "weight": f"{bodies.get(inspection.get('body'), '')} {weight:,} ｋｇ" if weight else "",
        "use": uses.get(inspection.get("use"), ""),
        "years": f"{certificate.validity_years}年",
        "amount": f"{certificate.weight_tax_yen:,}円" if certificate.weight_tax_yen is not None else "",
        "basis": {"standard_rate": "エコカー(本則税率)", "exempt": "エコカー(免税)"}.get(eco, ""),
        "date": format_wareki(today()),
        "taxpayer_name": user.get("name"), "taxpayer_address": user.get("address"),
    }


def weight_tax_slip_pdf(certificate, site, offset=None):
    form = positions()["weight_tax_slip"]
    return render_pdf("weight_tax_slip.html", {
        "page_size": form["page_size"], "page_margin": "0mm",
        "fields": _placed(form, weight_tax_slip_values(certificate), offset),
        "note": form["form"],
    })


def confirmation_pdf(certificate, site, offset=None):
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
        "page_size": "a4 landscape", "header": REGISTER_HEADER, "rows": register_rows(certificates),
        "month_label": format_wareki(first_day, "month"),
        "site_label": site.name if site else "すべての事業場",
    })

