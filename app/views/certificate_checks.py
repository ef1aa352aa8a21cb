"""Screens of the checks around a 保適証 (services/certificates/prechecks.py): the 放置違反金 query
from the wizard, the police's answer and the 同意書兼照会書 on a confirmed certificate, and the
summary block (holds, OBD result, error 127 explained) on the certificate page. Thin views."""
from flask import Response, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access

from app.extensions import db
from app.models.certificate import Certificate, CertificateDraft
from app.models.certificate_checks import PARKING_ANSWERS
from app.reports.parking_fine_pdf import consent_pdf
from app.services.certificates import common, jibai, obd, parking_fines, prechecks, sender
from app.tenancy import current_tenant, get_owned_or_404
from app.timeutil import now, today

E127_CODES = ("E127", "JIBAI-NOT-REG")


def precheck_summary(certificate):
    """What the certificate page shows of the checks (a template global)."""
    return {
        "parking": parking_fines.check_for(db.session, certificate.id),
        "obd": obd.printable(obd.result_for_certificate(db.session, certificate.id)),
        "e127": jibai.e127_explanation() if certificate.reason_code in E127_CODES else None,
        "answers": PARKING_ANSWERS,
    }


class ParkingFineQueryView(BaseView):
    """The 放置違反金 query for a wizard draft (any shop role that prepares certificates)."""

    route_base = "/certificates/wizard"
    tenant_model = CertificateDraft

    @expose("/<int:pk>/parking-fine", methods=["POST"])
    @has_access
    def query(self, pk):
        draft = get_owned_or_404(db.session, CertificateDraft, pk, current_tenant())
        try:
            values = parking_fines.query_for_draft(db.session, draft, parking_fines.client_from_config(), g.user, now())
            db.session.commit()
        except common.CertificateInputError as exc:
            db.session.rollback()
            flash(" ".join(exc.messages), "danger")
            return redirect(url_for("CertificateWizardView.checks", pk=pk))
        if values["possibility"] == "有":
            flash("放置違反金の照会結果は「有」です。確定後、同意書兼照会書を警察にFAXし、回答を記録するまで送信を保留します。",
                  "warning")
        else:
            flash("放置違反金の照会結果は「無」です。", "success")
        return redirect(url_for("CertificateWizardView.checks", pk=pk))


class ParkingFineView(BaseView):
    """The police's answer to a 有 query, and the 同意書兼照会書 PDF, for a confirmed certificate."""

    route_base = "/certificates"
    tenant_model = Certificate

    @expose("/<int:pk>/parking-fine", methods=["GET", "POST"])
    @has_access
    def answer(self, pk):
        certificate = get_owned_or_404(db.session, Certificate, pk, current_tenant())
        errors = []
        if request.method == "POST":
            try:
                check = parking_fines.record_answer(db.session, certificate, request.form, g.user, now(), today())
                db.session.commit()
            except common.CertificateInputError as exc:
                db.session.rollback()
                errors = exc.messages
                certificate = get_owned_or_404(db.session, Certificate, pk, current_tenant())
            else:
                if check.answer in parking_fines.RELEASING:
                    sender.send_now(db.session, certificate.id, common.clients_from_config(), now())
                    flash("回答を記録しました。保留を解除して送信しました。", "success")
                else:
                    flash("回答を記録しました。未納があるため、送信の保留を続けます。", "warning")
                return redirect(url_for("CertificateView.show", pk=pk))
        check = parking_fines.check_for(db.session, certificate.id)
        return self.render_template("certificates/parking_fine.html", certificate=certificate, check=check,
                                    answers=PARKING_ANSWERS, errors=errors, form=request.form,
                                    today_iso=today().isoformat(), as_jst=common.as_jst), (422 if errors else 200)

    @expose("/<int:pk>/parking-fine.pdf")
    @has_access
    def consent(self, pk):
        certificate = get_owned_or_404(db.session, Certificate, pk, current_tenant())
        check = parking_fines.check_for(db.session, certificate.id)
        if check is None or check.possibility != "有":
            # The certificate is the user's own: say why there is nothing to print (a 404
            # would read as "not yours", which the tenancy layer alone answers).
            flash("同意書兼照会書は、放置違反金の照会結果が「有」の保適証だけ印刷できます。", "warning")
            return redirect(url_for("CertificateView.show", pk=certificate.id))
        pdf = consent_pdf(parking_fines.consent_values(certificate, check, certificate.site, today()))
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f"inline; filename=parking-fine-consent-{certificate.id}.pdf"})


SHOP_ROLES = ("site_manager", "inspector", "clerk")
ROLE_PERMISSIONS = {role: {"ParkingFineQueryView": ("can_query",), "ParkingFineView": ("can_answer", "can_consent")}
                    for role in SHOP_ROLES}


def register(appbuilder):
    appbuilder.add_view_no_menu(ParkingFineQueryView)
    appbuilder.add_view_no_menu(ParkingFineView)
    current_app.jinja_env.globals["precheck_summary"] = precheck_summary
    current_app.jinja_env.globals["precheck_blockers"] = prechecks.confirmation_problems
