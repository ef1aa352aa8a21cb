"""The dashboard (index): shop users see their sites, the association its counts."""
from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select

from app.extensions import db
from app.models.tenancy import Business, Site
from app.security.models import KeizokuUser
from app.tenancy import current_tenant, scope


class KeizokuIndexView(IndexView):
    route_base = ""
    default_view = "index"
    index_template = "keizoku/dashboard.html"

    @expose("/")
    def index(self):
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        if user.is_association:
            counts = [
                ("事業者", db.session.scalar(select(func.count(Business.id)))),
                ("事業場", db.session.scalar(select(func.count(Site.id)))),
                ("利用者", db.session.scalar(
                    select(func.count(KeizokuUser.id)).where(KeizokuUser.business_id.isnot(None))
                )),
            ]
            return self.render_template(
                self.index_template, heading="協会 管理メニュー", counts=counts,
                user_is_association=True,
            )
        tenant = current_tenant()
        sites = db.session.scalars(scope(select(Site), Site, tenant).order_by(Site.id)).all()
        business = db.session.get(Business, tenant.business_id) if tenant.business_id else None
        from app.services.support import dashboard_notices
        from app.timeutil import now

        return self.render_template(
            self.index_template, heading="ダッシュボード", sites=sites,
            notices=dashboard_notices(db.session, now()),
            business_name=business.name if business else "", user_is_association=False,
        )


def url_for_index():
    return url_for("KeizokuIndexView.index")
