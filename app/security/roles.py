"""Roles and what each may do, as data; `flask roles sync` writes it to the database."""

ROLE_LABELS = {
    "association_admin": "協会管理者",
    "association_staff": "協会サポート",
    "site_manager": "事業場管理責任者",
    "inspector": "自動車検査員",
    "clerk": "事務員",
}

READ = ("can_list", "can_show")
CRUD = ("can_list", "can_show", "can_add", "can_edit", "can_delete")

# view class name -> permissions, per role. "menu_access" entries are added for every view.
ROLE_PERMISSIONS = {
    "association_admin": {
        "BusinessAdminView": CRUD,
        "SiteAdminView": CRUD,
        "AccountAdminView": CRUD + ("can_reissue", "can_unlock", "can_notice_pdf"),
        "AuditLogView": READ,
    },
    "association_staff": {
        "BusinessAdminView": READ,
        "SiteAdminView": READ,
        "AccountAdminView": READ,
        "AuditLogView": READ,
    },
    "site_manager": {
        "SiteView": READ,
        "InspectorView": CRUD,
        "ChiefMechanicView": CRUD,
        "SiteUserView": READ,
    },
    "inspector": {
        "SiteView": READ,
        "InspectorView": READ,
        "ChiefMechanicView": READ,
    },
    "clerk": {
        "SiteView": READ,
        "InspectorView": READ,
        "ChiefMechanicView": READ,
    },
}

# Menu entries (names given to appbuilder.add_view) each role sees.
ROLE_MENUS = {
    "association_admin": ("Businesses", "AllSites", "Accounts", "AuditLog", "Association"),
    "association_staff": ("Businesses", "AllSites", "Accounts", "AuditLog", "Association"),
    "site_manager": ("Sites", "Inspectors", "ChiefMechanics", "SiteUsers", "ShopSettings"),
    "inspector": ("Sites", "Inspectors", "ChiefMechanics", "ShopSettings"),
    "clerk": ("Sites", "Inspectors", "ChiefMechanics", "ShopSettings"),
}


def all_role_permissions():
    """The foundation's definitions merged with those of every feature's views module."""
    from app.plugins import modules_of

    permissions = {role: dict(views) for role, views in ROLE_PERMISSIONS.items()}
    menus = {role: list(names) for role, names in ROLE_MENUS.items()}
    for module in modules_of("app.views"):
        for role, views in getattr(module, "ROLE_PERMISSIONS", {}).items():
            permissions.setdefault(role, {}).update(views)
        for role, names in getattr(module, "ROLE_MENUS", {}).items():
            menus.setdefault(role, []).extend(names)
    return permissions, menus


def role_label(name):
    return ROLE_LABELS.get(name, name)
