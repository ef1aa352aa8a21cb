"""承諾書: take a consent on the tablet (a finger on the canvas) or from a scan, list them, and
print each as a PDF. Thin: app/services/certificates/consents.py decides; rows are loaded
through app/tenancy.py with ``current_tenant()``.
"""
from flask import Response, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.domain.wareki import format_wareki
from app.extensions import db
from app.models.consent import Consent, ConsentVehicle
from app.models.tenancy import Site
from app.reports.consent_pdf import render_consent_pdf
from app.services.certificates import common, consents
from app.tenancy import current_tenant, get_owned_or_404, scope
from app.timeutil import today
from app.views import paging


class ConsentView(BaseView):
    route_base = "/consents"
    default_view = "list"
    tenant_model = Consent

    @expose("/")
    @has_access
    def list(self):
        tenant = current_tenant()
        query = scope(select(Consent), Consent, tenant).options(selectinload(Consent.vehicles))
        words = consents.normalize_chassis(request.args.get("chassis", ""))
        if words:
            query = query.where(Consent.id.in_(scope(select(ConsentVehicle.consent_id), ConsentVehicle, tenant)
                                               .where(ConsentVehicle.chassis_number.contains(words))))
        page = paging.newest_first(db.session, query, Consent.signed_on, Consent.id, request.args)
        return self.render_template("consents/list.html", rows=page.rows, page=page, args=request.args,
                                    chassis=request.args.get("chassis", ""),
                                    today=today(), methods=consents.METHOD_LABELS, wareki=format_wareki,
                                    title="承諾書")

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self):
        tenant = current_tenant()
        sites = db.session.scalars(scope(select(Site), Site, tenant).order_by(Site.id)).all()
        errors = []
        if request.method == "POST":
            upload = request.files.get("scan")
            limit = int(current_app.config.get("CONSENT_MAX_UPLOAD_BYTES", 5 * 1024 * 1024))
            scan = (upload.read(limit + 1), upload.filename) if upload and upload.filename else None
            try:
                consent = consents.take_consent(db.session, tenant, g.user, request.form,
                                                signature=request.form.get("signature"), scan=scan, today=today())
                db.session.commit()
            except common.CertificateInputError as exc:
                db.session.rollback()
                errors = exc.messages
            else:
                flash(f"承諾書を登録しました(対象 {len(consent.vehicles)}台)。", "success")
                return redirect(url_for("ConsentView.show", pk=consent.id))
        values = request.form if request.method == "POST" else {
            "chassis_numbers": request.args.get("chassis", ""), "validity_months": "3"}
        return self.render_template("consents/new.html", sites=sites, errors=errors, values=values,
                                    validity=consents.VALIDITY_MONTHS, title="承諾書の受け取り"), (422 if errors else 200)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        consent = get_owned_or_404(db.session, Consent, pk, current_tenant())
        return self.render_template("consents/show.html", consent=consent, methods=consents.METHOD_LABELS,
                                    today=today(), wareki=format_wareki, title="承諾書")

    @expose("/<int:pk>/pdf")
    @has_access
    def pdf(self, pk):
        consent = get_owned_or_404(db.session, Consent, pk, current_tenant())
        body = render_consent_pdf(consent, consent.site.name)
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": f"inline; filename=consent-{consent.id}.pdf"})


CONSENT_USE = ("can_list", "can_add", "can_show", "can_pdf")
ROLE_PERMISSIONS = {role: {"ConsentView": CONSENT_USE} for role in ("site_manager", "inspector", "clerk")}
ROLE_MENUS = {role: ("Consents",) for role in ("site_manager", "inspector", "clerk")}


def register(appbuilder):
    appbuilder.add_view(ConsentView, "Consents", label="承諾書", icon="fa-signature", category="Certificates",
                        category_label="保適証", category_icon="fa-file-signature")
