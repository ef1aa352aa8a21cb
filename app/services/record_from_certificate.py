"""A record (記録簿) started from a 保適証 (issue 15.8): the site's recent certificates to choose
from, a certificate found by the 交付番号 the label asks for, and the vehicle data the record takes
from it (plate, 車台番号, 使用者 name and address, 型式, 初度登録, odometer, 保適証番号), so the
record can be signed without typing any of it again.

Certificates are read only through app.tenancy, and only those of the record's own site: another
site's 交付番号 is "not found", whether or not it exists.
"""
from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy import select

from app.models.certificate import Certificate
from app.tenancy import scope

RECENT_DAYS = 60
RECENT_LIMIT = 30
# A certificate still being corrected or deleted at AIRAS is not the one the record attests.
NOT_FOR_RECORDS = ("draft", "deleted")

NOT_FOUND = ("交付番号「{number}」の保適証は、この事業場に見つかりません。保適証のラベルの交付番号を"
             "確かめてください。ほかの事業場の保適証からは作成できません。")
CHOSEN_NOT_FOUND = "選んだ保適証がこの事業場に見つかりません。一覧から選び直してください。"
NOT_YET_ISSUED = "この保適証にはまだ交付番号がありません(AIRASへの送信待ち)。連携済になってから作成してください。"


def normalised_issue_number(text):
    """The 交付番号 as typed: full-width digits and spaces or hyphens from a label are forgiven."""
    value = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in value if not ch.isspace() and ch not in "-‐")


def _site_certificates(tenant, site_id):
    return scope(select(Certificate), Certificate, tenant).where(
        Certificate.site_id == site_id, Certificate.status.not_in(NOT_FOR_RECORDS))


def recent_certificates(session, tenant, site_id, today, *, days=RECENT_DAYS, limit=RECENT_LIMIT):
    """The site's certificates of the last ``days`` days that have a 交付番号, newest first."""
    since = today - dt.timedelta(days=days)
    return session.scalars(_site_certificates(tenant, site_id).where(
        Certificate.inspection_date >= since, Certificate.issue_number.is_not(None))
        .order_by(Certificate.inspection_date.desc(), Certificate.id.desc()).limit(limit)).all()


def find_certificate(session, tenant, site_id, *, certificate_id=None, issue_number=None):
    """(certificate, None) or (None, the Japanese reason it was not found)."""
    if issue_number not in (None, ""):
        number = normalised_issue_number(issue_number)
        certificate = session.scalars(_site_certificates(tenant, site_id).where(
            Certificate.issue_number == number).order_by(Certificate.id.desc()).limit(1)).first()
        return (certificate, None) if certificate else (None, NOT_FOUND.format(number=number))
    try:
        pk = int(certificate_id)
    except (TypeError, ValueError):
        return None, CHOSEN_NOT_FOUND
    certificate = session.scalars(_site_certificates(tenant, site_id).where(Certificate.id == pk)).first()
    if certificate is None:
        return None, CHOSEN_NOT_FOUND
    if not certificate.issue_number:
        return None, NOT_YET_ISSUED
    return certificate, None


def record_values(certificate):
    """What the record takes from the certificate (the record's own field names)."""
    details = certificate.details or {}
    vehicle = details.get("vehicle") or {}
    user = (certificate.payload or {}).get("user_of_vehicle") or {}
    first_registration = vehicle.get("first_registration") or getattr(certificate.vehicle, "first_registration",
                                                                       None)
    values = {
        "registration_number": certificate.registration_number,
        "chassis_number": certificate.chassis_number,
        "model_code": certificate.model,
        "first_registration": first_registration,
        "customer_name": vehicle.get("owner_name") or user.get("name"),
        "customer_address": vehicle.get("owner_address") or user.get("address"),
        "odometer_km": certificate.odometer_km,
        "inspection_date": certificate.inspection_date,
        "certificate_number": certificate.issue_number,
    }
    return {key: value for key, value in values.items() if value not in (None, "")}


def certificate_choice_label(certificate, format_date):
    """One line of the choice list: date, plate, 車台番号, 交付番号."""
    return (f"{format_date(certificate.inspection_date)} {certificate.registration_number or '(登録番号なし)'} "
            f"{certificate.chassis_number} 交付番号 {certificate.issue_number}")
