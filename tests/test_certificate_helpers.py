"""Shared builders for the certificate tests (no tests here): a site ready for AIRAS, a draft
filled through the service's own steps, and a sandbox-backed app configuration."""
import contextlib
import datetime as dt

from app.integrations.sandbox.server import start_sandbox_in_thread
from app.models.consent import Consent, ConsentVehicle
from app.models.tenancy import Inspector, Site
from app.services.certificates import drafts

TODAY = dt.date(2026, 11, 26)


def ready_site(session, site_id, district_code="11"):
    site = session.get(Site, site_id)
    site.district_code = district_code
    site.airas_registered = True
    site.ainas_status = "registered"
    session.flush()
    return site


def vehicle_form(chassis, kind="registered", expiry="2026-12-20"):
    return {"vehicle_kind": kind, "chassis_number": chassis, "plate_area": "品川",
            "plate_class": "330", "plate_kana": "さ", "plate_serial": "123", "model": "3BA-XYZ10",
            "first_registration": "2019-04", "expiry_date": expiry, "owner_name": "試験 花子",
            "owner_address": "東京都品川区1-2-3"}


def inspection_form(inspector_id, application_type="oss", odometer="45678", kind="registered"):
    return {"inspection_date": TODAY.isoformat(), "application_date": "", "inspector_id": str(inspector_id),
            "odometer_km": odometer, "validity_years": "2" if kind == "registered" else "2",
            "use": "private", "body": "passenger", "eco": "", "vehicle_weight_kg": "1200",
            "gross_weight_kg": "1475", "application_type": application_type,
            "application_agent": "jaspa"}


def insurance_form(end="2029-01-20", electronic=True):
    form = {"policy1_certificate_number": "ABC-1234 5678", "policy1_insurer_name": "東京海上日動",
            "policy1_start_date": "2026-11-20", "policy1_end_date": end}
    if electronic:
        form["policy1_electronic"] = "y"
    return form


# A 1×1 transparent PNG with one drawn pixel: a stored signature (the service checks real ones).
SIGNATURE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63606060f80f0001040100a1f3b5b80000000049454e44ae426082")


def consent_for(session, site_id, *chassis_numbers, signed_on=TODAY, months=3):
    """A valid 承諾書 for these 車台番号 (OSS needs one; the wizard finds it by 車台番号)."""
    site = session.get(Site, site_id)
    consent = Consent(business_id=site.business_id, site_id=site_id, customer_name="試験 花子", is_company=False,
                      signer_name="試験 花子", method="signature", document=SIGNATURE_PNG,
                      document_type="image/png", signed_on=signed_on,
                      valid_until=signed_on + dt.timedelta(days=30 * months))
    consent.vehicles = [ConsentVehicle(business_id=site.business_id, site_id=site_id, chassis_number=n)
                        for n in chassis_numbers]
    session.add(consent)
    session.flush()
    return consent


def with_consent(app, draft_id, chassis):
    """``consent_for`` the site of a draft, committed (for tests that go through HTTP)."""
    from app.extensions import db
    from app.models.certificate import CertificateDraft

    with app.app_context():
        consent_for(db.session, db.session.get(CertificateDraft, draft_id).site_id, chassis)
        db.session.commit()


def inspector_of(session, site_id):
    return session.query(Inspector).filter_by(site_id=site_id).first()


def filled_draft(session, tenant, site_id, user_id, chassis, *, kind="registered",
                 application_type="oss", weight_tax="24600", fee="1600"):
    """A draft taken through every wizard step by the service functions."""
    draft = drafts.start_draft(session, tenant, site_id, user_id)
    drafts.save_vehicle(session, draft, vehicle_form(chassis, kind))
    consent_for(session, site_id, chassis)
    drafts.save_inspection(session, draft, inspection_form(inspector_of(session, site_id).id,
                                                        application_type, kind=kind), TODAY)
    drafts.save_insurance(session, draft, insurance_form())
    drafts.save_checks(session, draft, {"weight_tax_yen": weight_tax, "inspection_fee_yen": fee})
    return draft


@contextlib.contextmanager
def sandbox_config(app, **settings):
    """A real sandbox server, with the app's base URLs pointed at it for the duration."""
    base_url, server = start_sandbox_in_thread(port=0, **settings)
    keys = ("AIRAS_BASE_URL", "AINAS_BASE_URL", "MLIT_BASE_URL", "MLIT_KEI_BASE_URL",
            "OUTSIDE_TIMEOUT_SECONDS", "JIBAI_BASE_URL", "PARKING_FINES_BASE_URL")
    previous = {k: app.config.get(k) for k in keys}
    app.config.update(AIRAS_BASE_URL=server.url("airas"), AINAS_BASE_URL=server.url("ainas"),
                      MLIT_BASE_URL=server.url("mlit"), MLIT_KEI_BASE_URL=server.url("kei"),
                      JIBAI_BASE_URL=server.url("jibai"), PARKING_FINES_BASE_URL=server.url("parking"))
    try:
        yield server
    finally:
        for key, value in previous.items():
            if value is None:
                app.config.pop(key, None)
            else:
                app.config[key] = value
        server.stop()


def site_a_ready(tenants, session):
    """Tenant A's ids and its Tenant, with its first site ready for AIRAS."""
    from app.tenancy import Tenant

    ids = tenants.ids["a"]
    ready_site(session, ids["Site"])
    session.commit()
    return ids, Tenant(ids["Business"], frozenset(ids["sites"]))


def confirmed_certificate(session, ids, tenant, chassis, now, **kwargs):
    """The id of a certificate confirmed by tenant A's inspector from a filled draft."""
    from app.services.certificates import confirmation

    draft = filled_draft(session, tenant, ids["Site"], ids["users"]["inspector"], chassis, **kwargs)
    certificate = confirmation.confirm(session, draft, ids["users"]["inspector"],
                                       set(confirmation.PREFLIGHT_ITEMS), now)
    session.commit()
    return certificate.id
