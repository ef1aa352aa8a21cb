"""`flask roles sync`: permissions and roles from app/security/roles.py, once per deploy."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.security.roles import all_role_permissions

roles_cli = AppGroup("roles", help="利用者の権限(ロール)を管理します。")


def sync_roles():
    """Create every view's permissions and give each role exactly its defined set."""
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    role_permissions, role_menus = all_role_permissions()
    for role_name in role_permissions:  # FAB adds new permissions to the admin role
        sm.find_role(role_name) or sm.add_role(role_name)
    appbuilder.add_permissions(update_perms=True)
    session = sm.session
    for role_name, views in role_permissions.items():
        role = sm.find_role(role_name)
        wanted = []
        for view_name, permissions in views.items():
            for permission in permissions:
                pv = sm.find_permission_view_menu(permission, view_name)
                if pv is None:
                    raise click.ClickException(f"unknown permission {permission} on {view_name}")
                wanted.append(pv)
        for menu_name in role_menus.get(role_name, ()):
            pv = sm.find_permission_view_menu("menu_access", menu_name)
            if pv is not None:
                wanted.append(pv)
        role.permissions = wanted
    session.commit()
    return {name: len(views) for name, views in role_permissions.items()}


@roles_cli.command("sync")
def sync_command():
    """権限定義をデータベースに反映します。"""
    result = sync_roles()
    for name, count in result.items():
        click.echo(f"{name}: {count} views")


