"""記録等事務代行の設定: each site's 委託番号 as 記録等事務代行者 (issue 15.7), which a kei OSS
filing with 記録事務代行 carries. Site managers set it; inspectors and clerks read it."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.extensions import db
from app.models.tenancy import Site
from app.services.certificates import common, delegation
from app.tenancy import current_tenant, scope


class RecordingAgentView(BaseView):
    route_base = "/certificates/recording-agent"
    default_view = "show"
    tenant_model = Site

    @expose("/", methods=["GET"])
    @has_access
    def show(self):
        return self._page([])

    def _page(self, errors, status=200):
        sites = db.session.scalars(scope(select(Site), Site, current_tenant()).order_by(Site.id)).all()
        can_edit = self.appbuilder.sm.has_access("can_save", self.class_permission_name)
        return self.render_template("certificates/recording_agent.html", sites=sites, errors=errors,
                                    can_edit=can_edit, labels=delegation.UPDATE_BY_LABELS,
                                    title="記録等事務代行の設定"), status

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        site_id = request.form.get("site_id", "")
        try:
            delegation.set_recording_agent_number(db.session, current_tenant(),
                                                  int(site_id) if site_id.isdigit() else 0,
                                                  request.form.get("recording_agent_number", ""))
            db.session.commit()
        except common.CertificateInputError as exc:
            db.session.rollback()
            return self._page(exc.messages, 422)
        flash("委託番号を保存しました。", "success")
        return redirect(url_for("RecordingAgentView.show"))


ROLE_PERMISSIONS = {
    "site_manager": {"RecordingAgentView": ("can_show", "can_save")},
    "inspector": {"RecordingAgentView": ("can_show",)},
    "clerk": {"RecordingAgentView": ("can_show",)},
}
ROLE_MENUS = {role: ("RecordingAgent",) for role in ROLE_PERMISSIONS}


def register(appbuilder):
    appbuilder.add_view(RecordingAgentView, "RecordingAgent", label="記録等事務代行の設定", icon="fa-id-card",
                        category="Certificates", category_label="保適証", category_icon="fa-file-signature")
