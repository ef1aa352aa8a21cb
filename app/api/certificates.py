"""Certificate drafts and certificates over the token API: the wizard's steps, then the status.

Each step calls the same service function as the wizard's screen (app/services/certificates/
drafts.py, confirmation.py) with the request's JSON as that screen's form, under the screen's
permission, and answers its Japanese messages as a 422. Rows are loaded only through the tenancy
layer (``get_owned_or_404`` with ``current_tenant()``): another business's id is a 404.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

from flask import g, jsonify, request
from sqlalchemy import and_, or_, select

from app.api import ApiError, form_of, json_body, require, route
from app.extensions import db
from app.models.certificate import Certificate, CertificateDraft, CertificateEvent
from app.models.tenancy import Site
from app.services.certificates import common, confirmation, drafts, jibai, labels, sender, signoff
from app.tenancy import current_tenant, get_owned_or_404, scope
from app.timeutil import JST, now, today

WIZARD = "CertificateWizardView"
CERTIFICATES = "CertificateView"
NEXT_STEP = {"scan": "vehicle", "vehicle": "vehicle", "inspection": "inspection", "insurance": "insurance",
             "checks": "checks", "confirm": "confirm", "done": None}
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def _stamp(value):
    """A stored UTC moment as ISO 8601 in Japan time (None stays None)."""
    return common.as_jst(value).isoformat() if value else None


def _day(value):
    return value.isoformat() if value else None


def _input_error(exc, code="validation"):
    return ApiError(422, code, " ".join(exc.messages), messages=exc.messages)


# --- drafts ------------------------------------------------------------------------------------


def _draft(pk):
    return get_owned_or_404(db.session, CertificateDraft, pk, current_tenant())


def _open_draft(pk):
    draft = _draft(pk)
    if draft.certificate_id is not None:
        raise ApiError(409, "already_confirmed", "この下書きはすでに確定しています。保適証の状態を確認してください。",
                       certificate_id=draft.certificate_id)
    return draft


def draft_json(draft):
    data = draft.data or {}
    return {
        "id": draft.id, "site_id": draft.site_id, "step": draft.step, "next_step": NEXT_STEP.get(draft.step),
        "certificate_id": draft.certificate_id,
        "vehicle": data.get("vehicle"), "inspection": data.get("inspection"),
        "insurance": data.get("insurance"), "checks": data.get("checks"),
        "inspectors": [{"id": i.id, "name": i.name, "inspector_code": i.inspector_code}
                       for i in drafts.site_inspectors(db.session, draft)],
        "updated_at": _stamp(draft.updated_at),
    }


@route("/certificate-drafts", methods=("POST",))
def draft_create():
    """Start a draft from a car's scans (or a 閲覧アプリ file): the scan step of the wizard."""
    body = json_body()
    site_id = body.get("site_id")
    if isinstance(site_id, bool) or not isinstance(site_id, int):
        raise ApiError(400, "invalid_field", "site_id に事業場のID(数値)を指定してください。")
    scans, cert_file = body.get("scans", []), body.get("cert_file")
    if not (isinstance(scans, str) or (isinstance(scans, list) and all(isinstance(s, str) for s in scans))):
        raise ApiError(400, "invalid_field", "scans は読み取った文字列の配列で送ってください。")
    if cert_file is not None and not isinstance(cert_file, (str, dict)):
        raise ApiError(400, "invalid_field", "cert_file には車検証閲覧アプリのファイルの内容(JSON)をそのまま入れてください。")
    site = get_owned_or_404(db.session, Site, site_id, current_tenant())
    require("can_start", WIZARD)
    require("can_scan", WIZARD)
    warnings, vehicle_fields = [], None
    if drafts.has_reads(scans) or not cert_file:
        parsed = drafts.parse_reads(scans, today())
        if not parsed["ok"]:
            raise ApiError(422, parsed["error"]["code"], parsed["error"]["message"])
        warnings, vehicle_fields = parsed["warnings"], {"vehicle_kind": parsed["vehicle_kind"], **parsed["fields"]}
    try:
        draft = drafts.start_draft(db.session, current_tenant(), site.id, g.user.id)
        saved = drafts.save_scan(db.session, draft, scans, today(), cert_file)
        db.session.commit()
    except common.CertificateInputError as exc:
        raise _input_error(exc) from None
    if vehicle_fields is None:  # a 閲覧アプリ file alone: its fields are the draft's vehicle
        vehicle_fields = {k: v for k, v in saved.items() if k not in ("warnings", "cert_file_warnings")}
    warnings += [{"code": "CERT_FILE", "message": m} for m in saved.get("cert_file_warnings", [])]
    return jsonify(id=draft.id, site_id=draft.site_id, next_step="vehicle", vehicle=vehicle_fields,
                   warnings=warnings), 201


@route("/certificate-drafts/<int:pk>", tenant_model=CertificateDraft)
def draft_get(pk):
    draft = _draft(pk)
    require("can_index", WIZARD)
    return jsonify(draft_json(draft))


def _step(pk, permission, save):
    draft = _open_draft(pk)
    require(permission, WIZARD)
    form = form_of(json_body())
    try:
        save(draft, form)
        db.session.commit()
    except common.CertificateInputError as exc:
        raise _input_error(exc) from None
    return jsonify(draft_json(draft))


@route("/certificate-drafts/<int:pk>/vehicle", methods=("POST",), tenant_model=CertificateDraft)
def draft_vehicle(pk):
    return _step(pk, "can_vehicle", lambda d, form: drafts.save_vehicle(db.session, d, form))


@route("/certificate-drafts/<int:pk>/inspection", methods=("POST",), tenant_model=CertificateDraft)
def draft_inspection(pk):
    return _step(pk, "can_inspection", lambda d, form: drafts.save_inspection(db.session, d, form, today()))


@route("/certificate-drafts/<int:pk>/insurance", methods=("POST",), tenant_model=CertificateDraft)
def draft_insurance(pk):
    return _step(pk, "can_insurance", lambda d, form: drafts.save_insurance(
        db.session, d, form, jibai_client=jibai.client_from_config()))


def _checks_context(draft):
    """What the checks screen shows: the renewal dates and warnings, the weight tax both ways, the fee."""
    try:
        assessment = drafts.assess(db.session, draft)
    except common.CertificateInputError as exc:
        raise _input_error(exc) from None
    inspection = draft.data["inspection"]
    tax = drafts.weight_tax_comparison(draft, common.clients_from_config().weight_tax,
                                       dt.date.fromisoformat(inspection["application_date"]))
    return {"assessment": assessment, "weight_tax": tax, "inspection_fee": drafts.fee_for(draft)}


@route("/certificate-drafts/<int:pk>/checks", tenant_model=CertificateDraft)
def draft_checks_get(pk):
    draft = _open_draft(pk)
    require("can_checks", WIZARD)
    return jsonify(_checks_context(draft))


@route("/certificate-drafts/<int:pk>/checks", methods=("POST",), tenant_model=CertificateDraft)
def draft_checks(pk):
    def save(draft, form):
        # The comparison is ours, as on the screen: a caller cannot skip acknowledging a difference.
        tax = _checks_context(draft)["weight_tax"]
        form.setlist("weight_tax_differs", ["1" if tax["differs"] else "0"])
        for key, value in (("weight_tax_local_yen", tax["local"]["amount_yen"]),
                           ("weight_tax_inquiry_yen", tax["inquiry"]["amount_yen"])):
            form.setlist(key, ["" if value is None else str(value)])
        drafts.save_checks(db.session, draft, form)

    return _step(pk, "can_checks", save)


@route("/certificate-drafts/<int:pk>/confirm", tenant_model=CertificateDraft)
def draft_preflight(pk):
    """The items AIRAS cannot correct, to be checked against the 車検証 before confirming."""
    draft = _open_draft(pk)
    require("can_preflight", WIZARD)
    try:
        items = confirmation.preflight(db.session, draft, today())
    except common.CertificateInputError as exc:
        raise _input_error(exc) from None
    return jsonify(items=items)


@route("/certificate-drafts/<int:pk>/confirm", methods=("POST",), tenant_model=CertificateDraft)
def draft_confirm(pk):
    """確定 (the inspector's act) and the first send to AIRAS/AINAS, as the screen does."""
    draft = _open_draft(pk)
    require("can_certify", WIZARD)
    form = form_of(json_body())
    moment = now()
    try:
        signoff.check_confirmer(db.session, draft, g.user, form.get("password"))  # two-step sites only
        certificate = confirmation.confirm(db.session, draft, g.user.id, set(form.getlist("confirmed")), moment)
        db.session.commit()
    except common.CertificateInputError as exc:
        raise _input_error(exc) from None
    certificate_id = certificate.id
    sender.send_now(db.session, certificate_id, common.clients_from_config(), moment)
    certificate = get_owned_or_404(db.session, Certificate, certificate_id, current_tenant())
    return jsonify(certificate_json(certificate, history=True)), 201


# --- certificates ------------------------------------------------------------------------------


def certificate_json(certificate, history=False):
    oss = certificate.oss_request
    result = {
        "id": certificate.id, "site_id": certificate.site_id, "status": certificate.status,
        "approval_status": certificate.approval_status,  # two-step sign-off: pending, approved, returned
        "status_label": labels.STATUS_LABELS.get(certificate.status, certificate.status),
        "application_type": certificate.application_type, "vehicle_kind": certificate.vehicle_kind,
        "chassis_number": certificate.chassis_number, "registration_number": certificate.registration_number,
        "model": certificate.model, "inspection_date": _day(certificate.inspection_date),
        "issue_date": _day(certificate.issue_date), "issue_number": certificate.issue_number,
        "new_expiry_date": _day(certificate.new_expiry_date),
        "certificate_valid_until": _day(certificate.certificate_valid_until),
        "last_application_date": _day(certificate.last_application_date),
        "airas": {"id": certificate.airas_id, "status": certificate.airas_status,
                  "report_status": certificate.report_status},
        "oss_request": None if oss is None else {
            "status": oss.status, "status_label": labels.OSS_STATUS_LABELS.get(oss.status, oss.status),
            "request_id": oss.request_id, "ainas_status": oss.ainas_status, "reason_code": oss.reason_code,
            "reason": oss.reason, "advice": oss.advice},
        "reason_code": certificate.reason_code, "reason": certificate.reason, "advice": certificate.advice,
        "sent_at": _stamp(certificate.sent_at), "linked_at": _stamp(certificate.linked_at),
        "updated_at": _stamp(certificate.updated_at),
    }
    if history:
        events = db.session.scalars(select(CertificateEvent).where(
            CertificateEvent.certificate_id == certificate.id).order_by(CertificateEvent.occurred_at,
                                                                       CertificateEvent.id)).all()
        result["history"] = [{"occurred_at": _stamp(e.occurred_at), "system": e.system, "action": e.action,
                              "status_before": e.status_before, "status_after": e.status_after, "code": e.code,
                              "message": e.message, "success": e.success} for e in events]
    return result


def _limit_arg():
    text = request.args.get("limit", str(DEFAULT_LIMIT))
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise ApiError(400, "invalid_parameter", f"limit は1から{MAX_LIMIT}までの整数で指定してください。")
    return int(text)


def _since_arg():
    text = request.args.get("updated_since")
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "invalid_parameter",
                       "updated_since は 2026-11-26T10:00:00+09:00 の形(ISO 8601)で指定してください。") from None
    return common.utc_naive(moment if moment.tzinfo else moment.replace(tzinfo=JST))


def _cursor_arg():
    text = request.args.get("cursor")
    if not text:
        return None
    try:
        stamp, pk = json.loads(base64.urlsafe_b64decode(text.encode("ascii") + b"==").decode("utf-8"))
        return dt.datetime.fromisoformat(stamp), int(pk)
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise ApiError(400, "invalid_parameter",
                       "cursor には前の応答の next_cursor をそのまま指定してください。") from None


def _cursor(certificate):
    raw = json.dumps([certificate.updated_at.isoformat(), certificate.id]).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@route("/certificates")
def certificate_list():
    """Certificates updated since a moment, oldest change first, a page at a time (keyset cursor)."""
    require("can_list", CERTIFICATES)
    tenant = current_tenant()
    limit, since, cursor = _limit_arg(), _since_arg(), _cursor_arg()
    query = scope(select(Certificate), Certificate, tenant)
    site_id = request.args.get("site_id")
    if site_id is not None:
        query = query.where(Certificate.site_id == get_owned_or_404(db.session, Site, site_id, tenant).id)
    if since is not None:
        query = query.where(Certificate.updated_at >= since)
    if cursor is not None:
        stamp, pk = cursor
        query = query.where(or_(Certificate.updated_at > stamp,
                                and_(Certificate.updated_at == stamp, Certificate.id > pk)))
    rows = db.session.scalars(query.order_by(Certificate.updated_at, Certificate.id).limit(limit + 1)).all()
    page = rows[:limit]
    return jsonify(items=[certificate_json(c) for c in page],
                   next_cursor=_cursor(page[-1]) if len(rows) > limit else None)


@route("/certificates/<int:pk>", tenant_model=Certificate)
def certificate_get(pk):
    certificate = get_owned_or_404(db.session, Certificate, pk, current_tenant())
    require("can_show", CERTIFICATES)
    return jsonify(certificate_json(certificate, history=True))
