"""The certificate screens: the wizard, the list per site, the 発行管理簿, printing, and the
association's support view. Thin: every rule lives in the app/services/certificates/ package.

Shop rows are loaded only through ``get_owned_or_404``/``scope`` with ``current_tenant()``;
the support view is a separate association-only view.
"""
import datetime as dt
import os

from flask import Response, abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import case, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.domain.wareki import format_wareki
from app.extensions import db
from app.models.certificate import Certificate, CertificateDraft, CertificateEvent, PrinterOffset
from app.models.tenancy import Site
from app.reports import csv_export, hybrid
from app.services import hybrid_forms, scheduler_status
from app.services.certificates import (
    common,
    confirmation,
    consents,
    corrections,
    delegation,
    drafts,
    followup,
    jibai,
    labels,
    responsibility,
    sender,
    signoff,
    used_vehicles,
)
from app.tenancy import current_tenant, get_owned_or_404, scope
from app.timeutil import JST, now, system_clock, today
from app.views import paging
from app.views.tenant_view import TenantModelView

STEPS = (("scan", "読み取り"), ("vehicle", "車両の確認"), ("inspection", "検査"),
         ("insurance", "自賠責"), ("checks", "確認事項"), ("confirm", "確定"))
STEP_ENDPOINTS = {"scan": "scan", "vehicle": "vehicle", "inspection": "inspection",
                  "insurance": "insurance", "checks": "checks", "confirm": "preflight"}
TEMPLATE_GLOBALS = dict(status_labels=labels.STATUS_LABELS, oss_status_labels=labels.OSS_STATUS_LABELS,
                        kind_labels=labels.VEHICLE_KIND_LABELS, type_labels=labels.APPLICATION_TYPE_LABELS,
                        use_labels=labels.USE_LABELS, body_labels=labels.BODY_LABELS, eco_labels=labels.ECO_LABELS,
                        agents=labels.APPLICATION_AGENTS, as_jst=common.as_jst, steps=STEPS,
                        purpose_labels=used_vehicles.PURPOSE_LABELS,
                        update_by_labels=delegation.UPDATE_BY_LABELS, kei_exclusions=delegation.KEI_EXCLUSIONS,
                        wareki=lambda value: format_wareki(
                            dt.date.fromisoformat(value) if isinstance(value, str) else value) if value else "―",
                        wareki_input=lambda value: _wareki_text(value, "long"),
                        wareki_month=lambda value: _wareki_text(value, "month"),
                        wareki_time=lambda stored, seconds=False: _wareki_time(common.as_jst(stored), seconds))


def _wareki_text(value, style):
    """A stored date ("2026-11-26", "2019-04" or a date) as 和暦 for a person; other text as typed."""
    if isinstance(value, dt.date):
        return format_wareki(value, style)
    text = value if isinstance(value, str) else ""
    try:
        return format_wareki(dt.date.fromisoformat(text + ("-01" if style == "month" else "")), style)
    except ValueError:
        return text


def _wareki_time(moment, seconds=False):
    return f"{format_wareki(moment)} {moment:%H:%M:%S}" if seconds and moment else (
        f"{format_wareki(moment)} {moment:%H:%M}" if moment else "")


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date) else ""


def _consent_of(draft):
    """The valid 承諾書 for the draft's 車台番号 (shown on the inspection step), or None."""
    chassis = ((draft.data or {}).get("vehicle") or {}).get("chassis_number")
    return consents.valid_consent_for(db.session, draft.business_id, chassis, today()) if chassis else None


def _cert_file_upload():
    upload = request.files.get("cert_file")
    return upload.read(2 * 1024 * 1024) if upload and upload.filename else None


def _owned_draft(pk):
    draft = get_owned_or_404(db.session, CertificateDraft, pk, current_tenant())
    if draft.certificate_id is not None:
        flash("この下書きはすでに確定しています。", "info")
        abort(redirect(url_for("CertificateView.show", pk=draft.certificate_id)))
    return draft


class CertificateWizardView(BaseView):
    """作成: clerks and inspectors prepare; only ``can_certify`` (inspectors) confirms."""

    route_base = "/certificates/wizard"
    default_view = "index"
    tenant_model = CertificateDraft

    def _page(self, template, draft=None, **context):
        return self.render_template(f"certificates/{template}.html", draft=draft,
                                    data=(draft.data or {}) if draft else {}, **TEMPLATE_GLOBALS,
                                    person=used_vehicles.new_person_label(draft.data if draft else None),
                                    step_endpoints=STEP_ENDPOINTS, **context)

    def _step(self, pk, template, save, next_endpoint, **context):
        """GET shows the step; POST saves it (all or nothing) and goes on."""
        draft = _owned_draft(pk)
        errors = []
        if request.method == "POST":
            try:
                save(draft)
                db.session.commit()
                return redirect(url_for(f"CertificateWizardView.{next_endpoint}", pk=draft.id))
            except common.CertificateInputError as exc:
                db.session.rollback()
                errors = exc.messages
                context = {**context, **getattr(exc, "context", {})}  # e.g. the e-JIBAI answers
                draft = _owned_draft(pk)
        extra = {k: (v(draft) if callable(v) else v) for k, v in context.items()}
        return self._page(template, draft, errors=errors, form=request.form, **extra)

    @expose("/")
    @has_access
    def index(self):
        tenant = current_tenant()
        sites = db.session.scalars(scope(select(Site), Site, tenant).order_by(Site.id)).all()
        open_drafts = drafts.open_drafts(db.session, scope(select(CertificateDraft), CertificateDraft, tenant))
        return self._page("start", sites=sites, drafts=open_drafts, title="保適証の作成")

    @expose("/start", methods=["POST"])
    @has_access
    def start(self):
        """A new draft. With reads (the scan page of a draft a failed scan removed), the draft is
        made only when they parse: a failed scan leaves no draft behind."""
        try:
            site_id = int(request.form.get("site_id", ""))
            if not current_tenant().owns_site(site_id):
                raise ValueError(site_id)
        except ValueError:
            flash("事業場を選んでから開始してください。", "danger")
            return redirect(url_for("CertificateWizardView.index"))
        try:
            purpose = used_vehicles.chosen_purpose(request.form.get("purpose"))
        except common.CertificateInputError as exc:
            flash(" ".join(exc.messages), "danger")
            return redirect(url_for("CertificateWizardView.index"))
        cert_file = _cert_file_upload()
        scanned = drafts.has_reads(request.form.get("reads", "")) or cert_file or request.form.get("from_scan") == "1"
        if request.form.get("manual") != "1" and scanned:
            try:
                draft = drafts.start_with_scan(db.session, current_tenant(), site_id, g.user.id,
                                               request.form.get("reads", ""), today(), cert_file, purpose)
            except common.CertificateInputError as exc:
                db.session.rollback()
                return self._scan_page(None, site_id, exc.messages, purpose)
            db.session.commit()
            return redirect(url_for("CertificateWizardView.vehicle", pk=draft.id))
        draft = drafts.start_draft(db.session, current_tenant(), site_id, g.user.id, purpose)
        db.session.commit()
        if request.form.get("manual") == "1":
            return redirect(url_for("CertificateWizardView.vehicle", pk=draft.id))
        return redirect(url_for("CertificateWizardView.scan", pk=draft.id))

    def _scan_page(self, draft, site_id, errors, purpose=None):
        has_capture = os.path.exists(os.path.join(current_app.static_folder, "js", "qr_capture.js"))
        purpose = used_vehicles.purpose_code(draft.data) if draft else purpose
        return self._page("scan", draft, errors=errors, form=request.form, has_capture=has_capture,
                          site_id=site_id, purpose=purpose,
                          read_instructions=used_vehicles.read_instructions(purpose))

    @expose("/parse", methods=["POST"])
    @has_access
    def parse(self):
        """The capture field's JSON endpoint: the parser's result or {"error": ...}; saves nothing."""
        body = request.get_json(silent=True) or {}
        reads = body.get("reads") if isinstance(body, dict) else None
        if not isinstance(reads, (list, str)) or (isinstance(reads, list)
                                                   and not all(isinstance(r, str) for r in reads)):
            return jsonify(error={"code": "INVALID_INPUT",
                                  "message": "読み取りデータの形式が正しくありません。もう一度読み取ってください。"}), 400
        purpose = request.args.get("purpose")
        parsed = drafts.parse_reads(reads, today(), purpose if purpose in used_vehicles.PURPOSE_LABELS else None)
        ok = parsed.pop("ok")
        return jsonify(parsed), (200 if ok else 422)

    @expose("/<int:pk>/scan", methods=["GET", "POST"])
    @has_access
    def scan(self, pk):
        draft = _owned_draft(pk)
        if request.method != "POST":
            return self._scan_page(draft, draft.site_id, [])
        try:
            drafts.save_scan(db.session, draft, request.form.get("reads", ""), today(), _cert_file_upload())
            db.session.commit()
            return redirect(url_for("CertificateWizardView.vehicle", pk=draft.id))
        except common.CertificateInputError as exc:
            db.session.rollback()
            draft = _owned_draft(pk)
            site_id, purpose = draft.site_id, used_vehicles.purpose_code(draft.data)
            if drafts.discard_if_untouched(db.session, draft):
                db.session.commit()
                draft = None  # the page posts a new try to start(): a draft only when it parses
            return self._scan_page(draft, site_id, exc.messages, purpose)

    @expose("/<int:pk>/vehicle", methods=["GET", "POST"])
    @has_access
    def vehicle(self, pk):
        def known(draft):
            chassis = ((draft.data or {}).get("vehicle") or {}).get("chassis_number")
            return drafts.matched_vehicle(db.session, draft.business_id, chassis)

        return self._step(pk, "vehicle", lambda d: drafts.save_vehicle(db.session, d, request.form),
                          "inspection", known=known)

    @expose("/<int:pk>/inspection", methods=["GET", "POST"])
    @has_access
    def inspection(self, pk):
        return self._step(pk, "inspection",
                          lambda d: drafts.save_inspection(db.session, d, request.form, today()),
                          "insurance", inspectors=lambda d: drafts.site_inspectors(db.session, d),
                          today_iso=today().isoformat(), consent=_consent_of,
                          update_by_default=lambda d: delegation.default_update_by(db.session.get(Site, d.site_id)),
                          recording_agent_number=lambda d: db.session.get(Site, d.site_id).recording_agent_number)

    @expose("/<int:pk>/insurance", methods=["GET", "POST"])
    @has_access
    def insurance(self, pk):
        return self._step(pk, "insurance", lambda d: drafts.save_insurance(
            db.session, d, request.form, jibai_client=jibai.client_from_config()), "checks",
            insurers=jibai.insurer_choices())

    @expose("/<int:pk>/checks", methods=["GET", "POST"])
    @has_access
    def checks(self, pk):
        draft = _owned_draft(pk)
        try:
            assessment = drafts.assess(db.session, draft)
        except common.CertificateInputError as exc:
            flash(" ".join(exc.messages), "danger")
            return redirect(url_for("CertificateWizardView.insurance", pk=pk))
        clients = common.clients_from_config()
        inspection = draft.data["inspection"]
        tax = drafts.weight_tax_comparison(draft, clients.weight_tax, dt.date.fromisoformat(
            inspection["application_date"]))
        fee = drafts.fee_for(draft)
        return self._step(pk, "checks", lambda d: drafts.save_checks(db.session, d, request.form), "preflight",
                          assessment=assessment, tax=tax, fee=fee)

    @expose("/<int:pk>/confirm", methods=["GET"])
    @has_access
    def preflight(self, pk):
        draft = _owned_draft(pk)
        try:
            items = confirmation.preflight(db.session, draft, today())
        except common.CertificateInputError as exc:
            flash(" ".join(exc.messages), "danger")
            return redirect(url_for("CertificateWizardView.scan", pk=pk))
        can_certify = self.appbuilder.sm.has_access("can_certify", self.class_permission_name)
        return self._page("confirm", draft, items=items, errors=[], can_certify=can_certify,
                          acknowledged=set(), two_step=signoff.site_requires(db.session, draft.site_id))

    @expose("/<int:pk>/certify", methods=["POST"])
    @has_access
    def certify(self, pk):
        draft = _owned_draft(pk)
        moment = now()
        acknowledged = set(request.form.getlist("confirmed"))
        try:
            signoff.check_confirmer(db.session, draft, g.user, request.form.get("password"))
            certificate = confirmation.confirm(db.session, draft, g.user.id, acknowledged, moment)
            db.session.commit()
        except common.CertificateInputError as exc:
            db.session.rollback()
            draft = _owned_draft(pk)
            try:
                items = confirmation.preflight(db.session, draft, today())
            except common.CertificateInputError as missing:  # a step is not done yet
                flash(" ".join(missing.messages), "danger")
                return redirect(url_for("CertificateWizardView.scan", pk=pk))
            return self._page("confirm", draft, items=items, errors=exc.messages, can_certify=True,
                              acknowledged=acknowledged,
                              two_step=signoff.site_requires(db.session, draft.site_id)), 422
        certificate_id = certificate.id
        if certificate.approval_status == "pending":
            flash("保適証を確定しました。事業場管理責任者の承認の後に送信します。", "success")
            return redirect(url_for("CertificateView.show", pk=certificate_id))
        sender.send_now(db.session, certificate_id, common.clients_from_config(), moment)
        flash("保適証を確定しました。送信の状況はこの画面で確認できます。", "success")
        return redirect(url_for("CertificateView.show", pk=certificate_id))

    @expose("/<int:pk>/discard", methods=["POST"])
    @has_access
    def discard(self, pk):
        draft = _owned_draft(pk)
        db.session.delete(draft)
        db.session.commit()
        flash("下書きを削除しました。", "info")
        return redirect(url_for("CertificateWizardView.index"))


# ---------------------------------------------------------------------------------------------
# Lists, detail, printing, the register


def _month_arg():
    text = request.args.get("month") or today().strftime("%Y-%m")
    try:
        return dt.date.fromisoformat(drafts.parse_month_input(text, "月") + "-01")
    except (ValueError, common.CertificateInputError):
        abort(Response("月は 令和8年11月 または 2026-11 の形で指定してください。", 400, mimetype="text/plain"))


def _site_arg(tenant):
    site_id = request.args.get("site", type=int)
    if site_id is not None and not tenant.owns_site(site_id):
        abort(404)
    return site_id


def _filters(query, args):
    """Search by plate, 車台番号, inspection date range and status."""
    plate = Certificate.plate_matches(args.get("plate"))
    if plate is not None:
        query = query.where(plate)
    if args.get("chassis"):
        query = query.where(Certificate.chassis_number.contains(drafts.normalise_chassis(args["chassis"])))
    for name, op in (("date_from", "__ge__"), ("date_to", "__le__")):
        if args.get(name):
            try:
                day = drafts.parse_date_input(args[name], "検査年月日")
            except common.CertificateInputError as exc:
                flash(" ".join(exc.messages), "danger")
                continue
            query = query.where(getattr(Certificate.inspection_date, op)(day))
    if args.get("status") in labels.STATUS_LABELS:
        query = query.where(Certificate.status == args["status"])
    return query


def register_rows(session, query, first_day):
    next_month = (first_day + dt.timedelta(days=32)).replace(day=1)
    return session.scalars(query.where(Certificate.issue_date >= first_day, Certificate.issue_date < next_month)
                           .order_by(Certificate.issue_date, Certificate.id)).all()


class CertificateView(BaseView):
    route_base = "/certificates"
    default_view = "list"
    method_permission_name = {"print_calibration": "print_pdf"}
    tenant_model = Certificate

    @expose("/list/")
    @has_access
    def list(self):
        tenant = current_tenant()
        site_id = _site_arg(tenant)
        query = scope(select(Certificate), Certificate, tenant)
        if site_id:
            query = query.where(Certificate.site_id == site_id)
        # The whose-fix flags read each row's OSS request: loaded with the rows, not one by one.
        page = paging.newest_first(db.session, _filters(query, request.args).options(
            selectinload(Certificate.oss_request)), Certificate.inspection_date, Certificate.id, request.args)
        sites = db.session.scalars(scope(select(Site), Site, tenant).order_by(Site.id)).all()
        return self.render_template("certificates/list.html", rows=page.rows, page=page, sites=sites,
                                    args=request.args, flags=responsibility.list_flags(db.session, page.rows, now()),
                                    **TEMPLATE_GLOBALS)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        certificate = get_owned_or_404(db.session, Certificate, pk, current_tenant())
        correction = (corrections.open_correction_draft(db.session, certificate)
                      if certificate.status == "draft" else None)
        return self.render_template(
            "certificates/show.html", certificate=certificate, events=_timeline(certificate.id), support=False,
            can_delete=self._allowed("can_delete_certificate") and not corrections.deletion_problems(certificate),
            can_pull_back=self._allowed("can_pull_back") and not corrections.pull_back_problems(certificate),
            correction_draft=correction, whose_fix=responsibility.for_page(db.session, certificate, now()),
            **TEMPLATE_GLOBALS)

    def _allowed(self, permission):
        return self.appbuilder.sm.has_access(permission, self.class_permission_name)

    def _airas_command(self, pk, template, run, context):
        """GET explains the command; POST runs it (a service call that commits) and redirects,
        or shows the page again with the Japanese reason (422) and nothing changed."""
        certificate = get_owned_or_404(db.session, Certificate, pk, current_tenant())
        errors = []
        if request.method == "POST":
            try:
                return run(certificate)
            except common.CertificateInputError as exc:
                db.session.rollback()
                errors = exc.messages
                certificate = get_owned_or_404(db.session, Certificate, pk, current_tenant())
        return self.render_template(f"certificates/{template}.html", certificate=certificate, errors=errors,
                                    **context(certificate), **TEMPLATE_GLOBALS), (422 if errors else 200)

    @expose("/<int:pk>/delete", methods=["GET", "POST"])
    @has_access
    def delete_certificate(self, pk):
        """削除 at AIRAS (inspectors and site managers): a confirmation page, then the call."""
        def run(certificate):
            corrections.delete_certificate(db.session, certificate, common.clients_from_config(), now(),
                                           window_not_yet=request.form.get("window_not_yet") == "y")
            flash("保適証をAIRASで削除しました。", "success")
            return redirect(url_for("CertificateView.show", pk=pk))

        return self._airas_command(pk, "delete", run, lambda c: dict(
            problems=corrections.deletion_problems(c), reported_hybrid=corrections.is_reported_hybrid(c)))

    @expose("/<int:pk>/pull-back", methods=["GET", "POST"])
    @has_access
    def pull_back(self, pk):
        """引戻し for correction: what can be corrected, then the call and the prefilled wizard draft."""
        def run(certificate):
            draft = corrections.pull_back(db.session, certificate, common.clients_from_config(), now(), g.user.id)
            flash("AIRASで引戻ししました。訂正する項目を直して、最後に自動車検査員が確定してください。", "success")
            return redirect(url_for("CertificateWizardView.vehicle", pk=draft.id))

        return self._airas_command(pk, "pull_back", run, lambda c: dict(
            problems=corrections.pull_back_problems(c), can_delete=not corrections.deletion_problems(c),
            uncorrectable=corrections.UNCORRECTABLE_LABELS, correctable=corrections.CORRECTABLE_LABELS))

    @expose("/<int:pk>/resend", methods=["POST"])
    @has_access
    def resend(self, pk):
        certificate = get_owned_or_404(db.session, Certificate, pk, current_tenant())
        return _resend(certificate, url_for("CertificateView.show", pk=pk))

    @expose("/<int:pk>/print/<kind>")
    @has_access
    def print_pdf(self, pk, kind):
        certificate = get_owned_or_404(db.session, Certificate, pk, current_tenant())
        offset = db.session.scalar(select(PrinterOffset).where(PrinterOffset.site_id == certificate.site_id))
        if kind not in ("ocr", "tax", "confirmation"):
            abort(404)
        if kind != "confirmation" and certificate.application_type != "hybrid":
            abort(Response("OCRシートと重量税納付書はハイブリッド申請の保適証だけ印刷できます。", 404,
                           mimetype="text/plain"))
        pdf = hybrid_forms.certificate_pdf(db.session, certificate, kind, offset)
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f"inline; filename=certificate-{certificate.id}-{kind}.pdf"})

    @expose("/<int:pk>/print/calibration.pdf")
    @has_access
    def print_calibration(self, pk):
        """The calibration page of this certificate's form (?document=ocr or weight-tax), with its
        site's printer offset."""
        certificate = get_owned_or_404(db.session, Certificate, pk, current_tenant())
        kind = request.args.get("document", "ocr")
        if kind not in ("ocr", "weight-tax"):
            abort(404)
        offset = db.session.scalar(select(PrinterOffset).where(PrinterOffset.site_id == certificate.site_id))
        pdf = hybrid_forms.calibration_pdf(hybrid.form_id(kind, certificate.vehicle_kind), certificate.site, offset)
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f"inline; filename=calibration-{certificate.site_id}-{kind}.pdf"})

    @expose("/register/")
    @has_access
    def register(self):
        tenant = current_tenant()
        sites = db.session.scalars(scope(select(Site), Site, tenant).order_by(Site.id)).all()
        first_day = _month_arg()
        site_id = _site_arg(tenant)
        rows = register_rows(db.session, self._register_query(tenant, site_id), first_day)
        return self.render_template("certificates/register.html", rows=rows, sites=sites,
                                    month=first_day.strftime("%Y-%m"), site_id=site_id, **TEMPLATE_GLOBALS)

    def _register_query(self, tenant, site_id):
        query = scope(select(Certificate), Certificate, tenant).where(Certificate.status != "draft")
        return query.where(Certificate.site_id == site_id) if site_id else query

    @expose("/register.csv")
    @has_access
    def register_csv(self):
        tenant = current_tenant()
        first_day = _month_arg()
        rows = register_rows(db.session, self._register_query(tenant, _site_arg(tenant)), first_day)
        body = hybrid.register_csv(rows)
        return Response(body, content_type=csv_export.content_type("utf-8-sig"), headers={
            "Content-Disposition": f"attachment; filename=register-{first_day:%Y-%m}.csv"})

    @expose("/register.pdf")
    @has_access
    def register_pdf(self):
        tenant = current_tenant()
        first_day = _month_arg()
        site_id = _site_arg(tenant)
        rows = register_rows(db.session, self._register_query(tenant, site_id), first_day)
        site = db.session.get(Site, site_id) if site_id else None
        pdf = hybrid.register_pdf(rows, first_day, site)
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f"inline; filename=register-{first_day:%Y-%m}.pdf"})


def _timeline(certificate_id):
    return db.session.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == certificate_id)
                              .order_by(CertificateEvent.occurred_at, CertificateEvent.id)).all()


def _resend(certificate, back):
    try:
        followup.request_resend(db.session, certificate, now())
        db.session.commit()
    except common.CertificateInputError as exc:
        db.session.rollback()
        flash(" ".join(exc.messages), "danger")
        return redirect(back)
    sender.send_now(db.session, certificate.id, common.clients_from_config(), now())
    flash("再送しました。結果はこの画面で確認できます。", "info")
    return redirect(back)


# ---------------------------------------------------------------------------------------------
# The association's support view (every business; association roles only)


FAILURE_ORDER = case((Certificate.status == "failed", 0), (Certificate.status == "rejected", 1),
                     (Certificate.attempts > 0, 2), else_=3)


SUPPORT_ROWS = 300
SEARCH_ARGS = ("plate", "chassis", "date_from", "date_to", "status")
# FAILURE_ORDER's groups one by one, each newest first: the same rows in the same order as
# ORDER BY FAILURE_ORDER, updated_at DESC, but each group walks an index (status, updated_at
# or updated_at) and stops at the page instead of sorting every certificate.
FAILURE_GROUPS = (Certificate.status == "failed", Certificate.status == "rejected",
                  Certificate.status.not_in(("failed", "rejected")) & (Certificate.attempts > 0),
                  Certificate.status.not_in(("failed", "rejected")) & (Certificate.attempts <= 0))


def _by_failure_order(query, problems):
    rows = []
    for group in FAILURE_GROUPS[:3] if problems else FAILURE_GROUPS:
        if len(rows) >= SUPPORT_ROWS:
            break
        rows += db.session.scalars(query.where(group).order_by(Certificate.updated_at.desc())
                                   .limit(SUPPORT_ROWS - len(rows))).unique().all()
    return rows


class CertificateSupportView(BaseView):
    route_base = "/association/certificates"
    default_view = "list"
    tenant_model = Certificate

    @expose("/list/")
    @has_access
    def list(self):
        query = _filters(select(Certificate), request.args).options(
            joinedload(Certificate.site).joinedload(Site.business), selectinload(Certificate.oss_request))
        problems = request.args.get("problems") == "1"
        if problems:
            query = query.where(or_(Certificate.status.in_(("failed", "rejected")), Certificate.attempts > 0))
        if any(request.args.get(name) for name in SEARCH_ARGS):
            rows = db.session.scalars(query.order_by(FAILURE_ORDER, Certificate.updated_at.desc())
                                      .limit(SUPPORT_ROWS)).unique().all()
        else:
            rows = _by_failure_order(query, problems)
        beats = scheduler_status.heartbeats(db.session, system_clock(),
                                            current_app.config["SCHEDULER_STALE_SECONDS"])
        return self.render_template("certificates/support_list.html", rows=rows, args=request.args,
                                    heartbeats=beats, **TEMPLATE_GLOBALS)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        certificate = db.session.get(Certificate, pk) or abort(404)
        return self.render_template("certificates/show.html", certificate=certificate,
                                    events=_timeline(certificate.id), support=True, **TEMPLATE_GLOBALS)

    @expose("/<int:pk>/resend", methods=["POST"])
    @has_access
    def resend(self, pk):
        certificate = db.session.get(Certificate, pk) or abort(404)
        return _resend(certificate, url_for("CertificateSupportView.show", pk=pk))


class PrinterOffsetView(TenantModelView):
    """Each site's printer shift for the OCR sheet and 納付書 (measured once on a test print)."""

    datamodel = SQLAInterface(PrinterOffset)
    route_base = "/certificates/printer-offsets"
    tenant_rel_fields = ("site",)
    list_title = show_title = "印刷位置の補正"
    add_title = "印刷位置の補正の登録"
    edit_title = "印刷位置の補正の編集"
    list_columns = ["site", "offset_x_mm", "offset_y_mm"]
    show_columns = add_columns = edit_columns = ["site", "offset_x_mm", "offset_y_mm"]
    search_columns = ["site"]
    label_columns = {"site": "事業場", "created_at": "登録日時", "updated_at": "更新日時", "offset_x_mm": "横方向のずれ(ｍｍ、右が正)",
                     "offset_y_mm": "縦方向のずれ(ｍｍ、下が正)"}
    description_columns = {"offset_x_mm": "試し印刷で枠より右にずれた分を入力します(左なら負の値)。",
                           "offset_y_mm": "試し印刷で枠より下にずれた分を入力します(上なら負の値)。"}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]


PREPARE = ("can_index", "can_start", "can_parse", "can_scan", "can_vehicle", "can_inspection",
           "can_insurance", "can_checks", "can_preflight", "can_discard")
LIST = ("can_list", "can_show", "can_resend", "can_print_pdf", "can_register", "can_register_csv",
        "can_register_pdf")
CORRECT = ("can_delete_certificate", "can_pull_back")  # 削除 and 引戻し: not for clerks
READ = ("can_list", "can_show")
CRUD = ("can_list", "can_show", "can_add", "can_edit", "can_delete")

ROLE_PERMISSIONS = {
    "association_admin": {"CertificateSupportView": ("can_list", "can_show", "can_resend")},
    "association_staff": {"CertificateSupportView": ("can_list", "can_show", "can_resend")},
    "site_manager": {"CertificateWizardView": PREPARE, "CertificateView": LIST + CORRECT, "PrinterOffsetView": CRUD},
    "inspector": {"CertificateWizardView": PREPARE + ("can_certify",), "CertificateView": LIST + CORRECT,
                  "PrinterOffsetView": READ},
    "clerk": {"CertificateWizardView": PREPARE, "CertificateView": LIST, "PrinterOffsetView": READ},
}
SHOP_MENUS = ("CertificateWizard", "CertificateList", "CertificateRegister", "PrinterOffsets", "Certificates")
ROLE_MENUS = {
    "association_admin": ("CertificateSupport", "Association"),
    "association_staff": ("CertificateSupport", "Association"),
    "site_manager": SHOP_MENUS,
    "inspector": SHOP_MENUS,
    "clerk": SHOP_MENUS,
}


def register(appbuilder):
    menu = dict(category="Certificates", category_label="保適証", category_icon="fa-file-signature")
    appbuilder.add_view(CertificateWizardView, "CertificateWizard", label="保適証の作成", icon="fa-qrcode",
                        **menu)
    appbuilder.add_view(CertificateView, "CertificateList", label="保適証の一覧", icon="fa-list", **menu)
    appbuilder.add_link("CertificateRegister", href="/certificates/register/", label="発行管理簿",
                        icon="fa-book", **menu)
    appbuilder.add_view(PrinterOffsetView, "PrinterOffsets", label="印刷位置の補正", icon="fa-print", **menu)
    appbuilder.add_view(CertificateSupportView, "CertificateSupport", label="保適証の送信状況",
                        icon="fa-satellite-dish", category="Association", category_label="協会管理",
                        category_icon="fa-landmark")
