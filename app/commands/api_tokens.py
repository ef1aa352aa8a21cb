"""`flask api-token create USERNAME [--label TEXT] [--site ID] [--days N]`: a token for a shop
system from the shell (the same service as the site manager's screen); the token alone is the
last line printed, so a script can take it with `tail -n 1`."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models.tenancy import Site
from app.security.models import KeizokuUser
from app.services import api_tokens
from app.tenancy import tenant_of
from app.timeutil import now

api_token_cli = AppGroup("api-token", help="業務システム用のAPIトークンを管理します。")


@api_token_cli.command("create")
@click.argument("username")
@click.option("--label", default="コマンドで発行", help="トークンの名前(どのシステムで使うか)")
@click.option("--site", "site_id", type=int, help="事業場のID(省略時は利用者の最初の事業場)")
@click.option("--days", type=int, default=api_tokens.DEFAULT_DAYS, show_default=True, help="有効期間(日)")
def create_command(username, label, site_id, days):
    """利用者 USERNAME として動くトークンを発行し、最後の行にトークンだけを出力します。"""
    user = db.session.scalar(select(KeizokuUser).where(KeizokuUser.username == username))
    if user is None:
        raise click.ClickException(f"利用者「{username}」が見つかりません。")
    tenant = tenant_of(user)
    if site_id is None:
        site_id = min(tenant.site_ids) if not tenant.is_empty else None
    site = db.session.get(Site, site_id) if site_id is not None else None
    if site is None:
        raise click.ClickException(f"利用者「{username}」が担当する事業場がありません。--site で指定してください。")
    try:
        row, plain = api_tokens.issue(db.session, site=site, user=user, label=label, days=days,
                                      created_by=None, now=now())
        db.session.commit()
    except api_tokens.ApiTokenError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"トークン {row.id}「{row.label}」を発行しました(事業場 {site.name}、利用者 {user.username}、"
               f"有効期限 {row.expires_at:%Y-%m-%d} UTC)。このトークンは再表示できません。")
    click.echo(plain)
