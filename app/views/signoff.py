"""承認待ちの保適証: the second check of a two-step site (services/certificates/signoff.py).

The 事業場管理責任者 (or the named 代務者) approves, and the certificate is sent at once; the
confirming inspector or an approver sends it back with a reason. Thin: rows are loaded by the
service through app/tenancy.py with ``current_tenant()``.
"""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.extensions import db
from app.models.certificate import Certificate
from app.models.tenancy import Site
from app.services.certificates import common, sender, signoff
from app.tenancy import current_tenant, scope
from app.timeutil import now


class CertificateApprovalView(BaseView):
    route_base = "/certificates/approvals"
    default_view = "list"
    tenant_model = Certificate

    @expose("/")
    @has_access
    def list(self):
        tenant = current_tenant()
        sites = db.session.scalars(scope(select(Site), Site, tenant).order_by(Site.id)).all()
        managed = [s for s in sites if "site_manager" in g.user.role_names]
        return self.render_template(
            "signoff/approvals.html", rows=signoff.pending_certificates(db.session, tenant),
            may_approve=lambda c: signoff.may_approve(db.session, c.site, g.user) and c.certified_by_id != g.user.id,
            managed=[(s, signoff.deputy_candidates(db.session, tenant, s)) for s in managed],
            as_jst=common.as_jst, title="承認待ちの保適証")

    def _run(self, action, success, back=None):
        try:
            action()
            db.session.commit()
        except common.CertificateInputError as exc:
            db.session.rollback()
            flash(" ".join(exc.messages), "danger")
            return False
        flash(success, "success")
        return True

    @expose("/<int:pk>/approve", methods=["POST"])
    @has_access
    def approve(self, pk):
        moment = now()
        if self._run(lambda: signoff.approve(db.session, current_tenant(), pk, g.user, moment),
                     "承認しました。保適証を送信します。送信の状況はこの画面で確認できます。"):
            sender.send_now(db.session, pk, common.clients_from_config(), moment)
            return redirect(url_for("CertificateView.show", pk=pk))
        return redirect(url_for("CertificateApprovalView.list"))

    @expose("/<int:pk>/send-back", methods=["POST"])
    @has_access
    def send_back(self, pk):
        self._run(lambda: signoff.send_back(db.session, current_tenant(), pk, g.user,
                                            request.form.get("reason", ""), now()),
                  "差し戻しました。保適証は送信していません。検査員が下書きを直して確定し直します。")
        return redirect(request.form.get("back") == "show" and url_for("CertificateView.show", pk=pk)
                        or url_for("CertificateApprovalView.list"))

    @expose("/deputy", methods=["POST"])
    @has_access
    def deputy(self):
        self._run(lambda: signoff.name_deputy(db.session, current_tenant(), request.form.get("site_id"),
                                              g.user, request.form.get("deputy_id") or None),
                  "承認の代務者を保存しました。")
        return redirect(url_for("CertificateApprovalView.list"))


ROLE_PERMISSIONS = {
    "site_manager": {"CertificateApprovalView": ("can_list", "can_approve", "can_send_back", "can_deputy")},
    # An inspector may be named 代務者 (the service checks who may approve) and sends back their own.
    "inspector": {"CertificateApprovalView": ("can_list", "can_approve", "can_send_back")},
}
ROLE_MENUS = {"site_manager": ("CertificateApprovals",), "inspector": ("CertificateApprovals",)}


def register(appbuilder):
    appbuilder.add_view(CertificateApprovalView, "CertificateApprovals", label="承認待ちの保適証",
                        icon="fa-user-check", category="Certificates", category_label="保適証",
                        category_icon="fa-file-signature")
