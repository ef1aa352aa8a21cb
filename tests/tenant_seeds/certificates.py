"""Certificate rows per test tenant: a vehicle, an open draft, a certificate with its OSS
request and timeline, and a printer offset, so every certificate URL has a row to refuse."""
import datetime as dt

from app.models.certificate import (
    Certificate,
    CertificateDraft,
    CertificateEvent,
    OssRequest,
    PrinterOffset,
    Vehicle,
)
from app.models.tenancy import Inspector
from app.timeutil import utcnow_naive


def seed(session, key, ctx):
    business_id, site_id = ctx["business_id"], ctx["site_id"]
    inspector = session.query(Inspector).filter_by(business_id=business_id).first()
    chassis = {"a": "100", "b": "200"}.get(key, "300") + "-0000001"
    vehicle = Vehicle(business_id=business_id, site_id=site_id, chassis_number=chassis,
                      vehicle_kind="registered", registration_number="品川 330 さ 1",
                      last_odometer_km=40000)
    session.add(vehicle)
    session.flush()
    # A draft in progress (past its scan): a failed scan deletes only an untouched draft, so the
    # isolation walk's own-id calls keep it for the steps after.
    draft = CertificateDraft(business_id=business_id, site_id=site_id,
                             created_by_id=ctx["user_ids"]["clerk"], step="vehicle", data={})
    certificate = Certificate(
        business_id=business_id, site_id=site_id, vehicle_id=vehicle.id, inspector_id=inspector.id,
        status="failed", application_type="oss", vehicle_kind="registered", chassis_number=chassis,
        registration_number="品川 330 さ 1", inspection_date=dt.date(2026, 11, 20),
        issue_date=dt.date(2026, 11, 20), odometer_km=41000, validity_years=2,
        certificate_valid_until=dt.date(2026, 12, 4), details={}, payload={},
        idempotency_key=f"seed-{key}-certificate", attempts=12, reason_code="SERVER_ERROR",
        reason="試験用の理由", advice="試験用の対応")
    session.add_all([draft, certificate])
    session.flush()
    session.add_all([
        OssRequest(business_id=business_id, site_id=site_id, certificate_id=certificate.id,
                   status="queued", payload={}, idempotency_key=f"seed-{key}-oss", attempts=0),
        CertificateEvent(business_id=business_id, site_id=site_id, certificate_id=certificate.id,
                         occurred_at=utcnow_naive(), system="airas", action="submit",
                         status_before="queued", status_after="failed", code="SERVER_ERROR",
                         message="試験用の記録", success=False),
        PrinterOffset(business_id=business_id, site_id=site_id, offset_x_mm=0.0, offset_y_mm=0.0),
    ])
    session.flush()
    return {"Certificate": certificate.id, "CertificateDraft": draft.id, "Vehicle": vehicle.id,
            "PrinterOffset": session.query(PrinterOffset).filter_by(site_id=site_id).one().id,
            "_markers": [chassis]}
