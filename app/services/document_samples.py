"""Every document Keizoku produces, written from sample data (`flask documents samples`).

For the association to preview its forms and calibrate printers, and for anyone reviewing the
documents. The sample data lives in a temporary SQLite database made for the run (the same
models, the same closing and debit-file code as production), so nothing touches the real
database and a fresh clone needs none. The records are the unsaved samples of
`app.services.record_samples`.

``samples.json`` lists each file with the values it shows, so that a reviewer (or a test) can
look for them, and the sample inspector names; one of them is a spreadsheet formula, to prove
the CSV guard (app/reports/csv_export.py).
"""
from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from types import SimpleNamespace

from flask import current_app
from flask_appbuilder import Model
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.domain.inspection_forms import FORMS, load_form
from app.models.billing import BillableEvent
from app.models.certificate import Certificate, Vehicle
from app.models.invoice import Invoice
from app.models.tenancy import Business, Inspector, Site
from app.reports import form_layouts, hybrid
from app.reports.notice import render_registration_notice
from app.services import accounts, billing, fees, record_samples, records, support
from app.timeutil import JST

__all__ = ["INSPECTOR_NAMES", "write_samples"]

INSPECTOR_NAMES = ("検査 一郎", '=HYPERLINK("http://example.invalid","x")', "-検査 三郎")
COPIES = ("shop", "customer")
SAMPLE_MONTH = (2026, 10)
_CLOSED_AT = dt.datetime(2026, 11, 2, 9, 0, tzinfo=JST)

APPLICATION_FORM = {
    "business-name": "株式会社みどり自動車", "business-name_kana": "かぶしきがいしゃみどりじどうしゃ",
    "business-corporate_number": "", "business-postal_code": "150-0001",
    "business-address": "東京都渋谷区神宮前1-2-3", "business-phone": "03-1234-5678",
    "business-contact_name": "緑川 花子", "business-contact_email": "office@midori.example.jp",
    "business-bank_code": "0001", "business-branch_code": "001", "business-account_type": "1",
    "business-account_number": "123456", "business-account_holder_kana": "カ)ミドリジドウシャ",
    "sites-0-name": "本社工場", "sites-0-postal_code": "150-0001", "sites-0-address": "東京都渋谷区神宮前1-2-3",
    "sites-0-phone": "03-1234-5678",
    "sites-0-certification_number": "東認第1234号", "sites-0-designation_number": "5678",
    "sites-0-district_code": "30", "sites-0-airas_registered": "1",
    "sites-0-ainas_status": "registered", "sites-0-records_enabled": "1",
    "sites-0-billed_separately": "0",
}


def _record_files():
    """(file name, record, copy) for every form, interval and copy, plus the truck and trailer."""
    number = 0
    for form in FORMS:
        for interval in load_form(form, record_samples.SAMPLE_DATE).intervals:
            number += 1
            record = record_samples.sample_record(form, interval, number=number)
            for copy in COPIES:
                yield f"record-{form}-{interval}-{copy}.pdf", record, copy
    truck = record_samples.sample_record("beppyo3", 12, "truck")
    for copy in COPIES:
        yield f"record-beppyo3-12-truck-{copy}.pdf", truck, copy
    yield "record-beppyo4-12-trailer-customer.pdf", record_samples.sample_record("beppyo4", 12, "trailer"), "customer"


def _business(session):
    business = Business(name="株式会社サンプル自動車", name_kana="サンプルジドウシャ",
                        postal_code="140-0002", address="東京都品川区東品川4-5-6", phone="03-0000-0000",
                        contact_name="見本 花子", bank_code="0001", branch_code="001", account_type="1",
                        account_number="1234567", account_holder_kana="ｶ)ｻﾝﾌﾟﾙｼﾞﾄﾞｳｼﾔ")
    site = Site(business=business, name="品川工場", postal_code="140-0002", address="東京都品川区東品川4-5-6",
                phone="03-0000-0001", certification_number="関認第1234号", designation_number="567",
                district_code="30", airas_registered=True, records_enabled=True)
    session.add_all([business, site])
    session.flush()
    inspectors = [Inspector(site=site, business_id=business.id, name=name, inspector_code=f"{1001 + i:08d}")
                  for i, name in enumerate(INSPECTOR_NAMES)]
    session.add_all(inspectors)
    session.flush()
    return business, site, inspectors


# (vehicle kind, application type, chassis, plate parts, model, odometer, validity, weight tax)
_CERTIFICATES = (
    ("registered", "hybrid", "ZVW50-8012345", ("品川", "330", "あ", "1234"), "DAA-ZVW50", 45678, 2, 24600),
    ("kei", "hybrid", "JF3-1234567", ("尾張小牧", "580", "ゆ", "5678"), "5BA-JF3", 23456, 2, 6600),
    ("registered", "oss", "NHP10-2345678", ("練馬", "500", "さ", "9012"), "DAA-NHP10", 61234, 2, 16400),
)


def _certificates(session, site, inspectors):
    made = []
    for number, (kind, application, chassis, plate, model, odometer, years, tax) in enumerate(_CERTIFICATES):
        area, klass, kana, serial = plate
        registration = f"{area} {klass} {kana} {serial[:2]}-{serial[2:]}"
        vehicle = Vehicle(business_id=site.business_id, site_id=site.id, chassis_number=chassis,
                          vehicle_kind=kind, registration_number=registration, model=model,
                          first_registration="2019-04")
        session.add(vehicle)
        session.flush()
        inspection_date = dt.date(2026, 10, 5 + number)
        certificate = Certificate(
            business_id=site.business_id, site_id=site.id, vehicle_id=vehicle.id,
            inspector_id=inspectors[number % len(inspectors)].id, status="linked",
            application_type=application, vehicle_kind=kind, chassis_number=chassis,
            registration_number=registration, model=model, inspection_date=inspection_date,
            issue_date=inspection_date, odometer_km=odometer, validity_years=years,
            new_expiry_date=dt.date(2028, 10, 20), certificate_valid_until=inspection_date + dt.timedelta(days=15),
            last_application_date=inspection_date + dt.timedelta(days=15), weight_tax_yen=tax,
            inspection_fee_yen=1600 if kind == "registered" else 1400,
            issue_number=f"{site.district_code}{number + 1:07d}", idempotency_key=f"sample-{number}",
            payload={"registration_number": {"plate_area": area, "plate_class": klass,
                                             "plate_kana": kana, "plate_serial": serial},
                     "user_of_vehicle": {"name": "山田 太郎", "address": "東京都品川区北品川1-2-3"}},
            details={"inspection": {"body": "passenger", "use": "private", "vehicle_weight_kg": 1200,
                                    "gross_weight_kg": 1475, "eco": ""},
                     "insurance": {"policies": [{"insurer_name": "見本損保", "certificate_number": "ABC-1234 5678",
                                                 "start_date": "2026-10-01", "end_date": "2028-11-01"}]}},
        )
        session.add(certificate)
        session.flush()
        made.append(certificate)
    return made


def _close_sample_month(session, business, site, certificates):
    """Bill the certificates and 40 records in the sample month through the real closing."""
    year, month = SAMPLE_MONTH
    for certificate in certificates:
        session.add(BillableEvent(kind="certificate", object_id=certificate.id, business_id=business.id,
                                  site_id=site.id, occurred_at=dt.datetime(year, month, 10, 1, 0)))
    for number in range(40):
        session.add(BillableEvent(kind="record", object_id=1000 + number, business_id=business.id,
                                  site_id=site.id, occurred_at=dt.datetime(year, month, 12, 1, 0)))
    session.commit()
    billing.close_month(session, year, month, now=_CLOSED_AT)
    debit = billing.produce_debit_file(session, year, month, now=_CLOSED_AT)
    invoice = session.scalars(select(Invoice)).one()
    return invoice, debit.debit_file.content


def _notice_user(business, site):
    return SimpleNamespace(business=business, display_name="見本 花子", sites=[site], username="sample-manager")


def _write(out: Path, name: str, content: bytes, manifest: dict, values: dict) -> None:
    (out / name).write_bytes(content)
    manifest[name] = values


def write_samples(out: Path) -> dict:
    """Write every document into ``out`` (created if needed); returns samples.json's content."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict] = {}
    for name, record, copy in _record_files():
        _write(out, name, records.record_pdf(record, copy), files, {
            "form": record.form, "interval_months": record.interval_months, "copy": copy,
            "chassis_number": record.chassis_number, "registration_number": record.registration_number,
            "customer_name": record.customer_name})
    with tempfile.TemporaryDirectory(prefix="keizoku-samples-") as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'samples.db'}")
        Model.metadata.create_all(engine)
        try:
            with Session(engine) as session:
                _write_database_documents(session, out, files)
        finally:
            engine.dispose()
    manifest = {"generated_by": "flask documents samples", "inspector_names": list(INSPECTOR_NAMES),
                "files": files}
    (out / "samples.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_database_documents(session, out: Path, files: dict) -> None:
    fees.seed_shipped_data(session)  # the prices and fees a fresh database starts with
    business, site, inspectors = _business(session)
    registered, kei, oss = _certificates(session, site, inspectors)
    for suffix, certificate in (("registered", registered), ("kei", kei)):
        values = {"chassis_number": certificate.chassis_number,
                  "registration_number": certificate.registration_number,
                  "vehicle_kind": certificate.vehicle_kind}
        # 定期点検 comes from the records: the registered car has one, the kei car not.
        _write(out, f"ocr-{suffix}.pdf", hybrid.ocr_sheet_pdf(certificate, site, periodic_inspection=suffix == "registered"),
               files, dict(values, periodic_inspection=suffix == "registered", title=hybrid.form_title("ocr", certificate)))
        _write(out, f"weight-tax-{suffix}.pdf", hybrid.weight_tax_slip_pdf(certificate, site), files,
               dict(values, title=hybrid.form_title("weight-tax", certificate)))
    for key in form_layouts.FORM_IDS:  # a page per form to lay over it and measure the printer's shift
        _write(out, f"calibration-{key}.pdf", hybrid.calibration_pdf(key, site.name), files,
               {"title": form_layouts.shipped_layout(key)["title"]})
    _write(out, "confirmation-registered.pdf", hybrid.confirmation_pdf(registered, site), files,
           {"chassis_number": registered.chassis_number, "registration_number": registered.registration_number})
    certificates = [registered, kei, oss]
    register_values = {"chassis_numbers": [c.chassis_number for c in certificates],
                       "registration_numbers": [c.registration_number for c in certificates],
                       "inspector_names": list(INSPECTOR_NAMES)}
    _write(out, "register.pdf", hybrid.register_pdf(certificates, dt.date(*SAMPLE_MONTH, 1), site), files,
           register_values)
    _write(out, "register.csv", hybrid.register_csv(certificates), files, register_values)

    invoice, debit = _close_sample_month(session, business, site, certificates)
    invoice_values = {"invoice_number": invoice.number, "registration_number": billing.registration_number(),
                      "recipient_name": invoice.recipient_name, "total_yen": invoice.total_yen}
    _write(out, "invoice.pdf", billing.invoice_pdf(invoice), files, invoice_values)
    _write(out, "invoice.csv", billing.invoice_csv(invoice), files, invoice_values)
    _write(out, "invoice-cp932.csv", billing.invoice_csv(invoice, "cp932"), files, invoice_values)
    _write(out, "debit.txt", debit, files, {"total_yen": invoice.total_yen,
                                            "account_holder_kana": business.account_holder_kana})

    user = _notice_user(business, site)
    _write(out, "registration-notice.pdf",
           render_registration_notice(accounts.notice_context(user, "Sample-Pass-2026")), files,
           {"business_name": business.name, "user_name": user.display_name, "username": user.username})
    _write(out, "application-blank.pdf", support.render_application_pdf(), files, {})
    data, errors = support.validate_application(support.application_from_form(APPLICATION_FORM))
    if errors:
        raise ValueError(f"the sample application form does not validate: {errors}")
    _write(out, "application-filled.pdf", support.render_application_pdf(data, "SAMPLE-0001"), files,
           {"business_name": data["business"]["name"], "reference": "SAMPLE-0001"})
