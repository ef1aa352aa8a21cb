"""Shared builders for the certificate tests (no tests here): a site ready for AIRAS, a draft
filled through the service's own steps, and a sandbox-backed app configuration."""
import contextlib
import datetime as dt

from app.integrations.sandbox.server import start_sandbox_in_thread
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
            "application_agent": "jaspa", "consent": "y"}


def insurance_form(end="2029-01-20", electronic=True):
    form = {"policy1_certificate_number": "ABC-1234 5678", "policy1_insurer_name": "東京海上日動",
            "policy1_start_date": "2026-11-20", "policy1_end_date": end}
    if electronic:
        form["policy1_electronic"] = "y"
    return form


def inspector_of(session, site_id):
    return session.query(Inspector).filter_by(site_id=site_id).first()


def filled_draft(session, tenant, site_id, user_id, chassis, *, kind="registered",
                 application_type="oss", weight_tax="24600", fee="1600"):
    """A draft taken through every wizard step by the service functions."""
    draft = drafts.start_draft(session, tenant, site_id, user_id)
    drafts.save_vehicle(session, draft, vehicle_form(chassis, kind))
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
