"""協会の設定: the operator settings as this instance runs with them, read-only.

The values come from the environment (config.py); the association admin sees each one and
whether production would accept it, so a wrong bank code is found before the first debit
file, not by the bank. Judged by app/settings.py, as `flask deploy-check` judges them.
"""
from flask import current_app
from flask_appbuilder import BaseView, expose, has_access

from app.settings import check_settings


class OperatorSettingsView(BaseView):
    route_base = "/association/settings"
    default_view = "show"
    method_permission_name = {"show": "read"}

    @expose("/")
    @has_access
    def show(self):
        production = bool(current_app.config.get("REQUIRE_OPERATOR_SETTINGS"))
        statuses = check_settings(current_app.config, production=production)
        return self.render_template("settings/show.html", statuses=statuses,
                                    production=production, title="協会の設定")


ROLE_PERMISSIONS = {"association_admin": {"OperatorSettingsView": ("can_read",)}}
ROLE_MENUS = {"association_admin": ("OperatorSettings",)}


def register(appbuilder):
    appbuilder.add_view(OperatorSettingsView, "OperatorSettings", label="協会の設定",
                        icon="fa-sliders-h", category="Association")
