"""Registers every view with its menu entry.

The foundation's views come first; then every module of this package that defines
``register(appbuilder)`` (certificates, records, billing, ...) in name order.
"""
from app.plugins import modules_of


def register_views(appbuilder):
    from app.views.account import PasswordChangeView
    from app.views.association import (
        AccountAdminView,
        AuditLogView,
        BusinessAdminView,
        SiteAdminView,
    )
    from app.views.shop import ChiefMechanicView, InspectorView, SiteUserView, SiteView

    shop = dict(category="ShopSettings", category_label="事業場の設定", category_icon="fa-wrench")
    appbuilder.add_view(SiteView, "Sites", label="事業場", icon="fa-building", **shop)
    appbuilder.add_view(InspectorView, "Inspectors", label="検査員", icon="fa-user-check", **shop)
    appbuilder.add_view(ChiefMechanicView, "ChiefMechanics", label="整備主任者",
                        icon="fa-user-gear", **shop)
    appbuilder.add_view(SiteUserView, "SiteUsers", label="利用者", icon="fa-users", **shop)

    assoc = dict(category="Association", category_label="協会管理", category_icon="fa-landmark")
    appbuilder.add_view(BusinessAdminView, "Businesses", label="事業者", icon="fa-briefcase",
                        **assoc)
    appbuilder.add_view(SiteAdminView, "AllSites", label="事業場", icon="fa-building", **assoc)
    appbuilder.add_view(AccountAdminView, "Accounts", label="利用者アカウント", icon="fa-id-card",
                        **assoc)
    appbuilder.add_view(AuditLogView, "AuditLog", label="監査ログ", icon="fa-clipboard-list",
                        **assoc)
    appbuilder.add_view_no_menu(PasswordChangeView)

    for module in modules_of(__name__):
        register = getattr(module, "register", None)
        if callable(register):
            register(appbuilder)
