"""`flask support ...`: the guide's Q&A seed and outside-system banners for operators."""
import click
from flask.cli import AppGroup

from app.extensions import db
from app.services import support
from app.timeutil import now

support_cli = AppGroup("support", help="ご利用ガイドとサポートデスクのデータを管理します。")


@support_cli.command("seed-faq")
def seed_faq_command():
    """ご利用ガイドのQ&A(42問)のうち、未登録のものを登録します(何度実行しても同じ結果)。"""
    added, kept = support.seed_faq(db.session)
    db.session.commit()
    click.echo(f"FAQ: {added} added, {kept} already present")


@support_cli.command("outside-down")
@click.argument("system", type=click.Choice(["airas", "ainas", "mlit", "kei"]))
@click.option("--detail", default="", help="利用者に表示する説明")
def outside_down_command(system, detail):
    """外部システムの停止を全事業場の画面に表示します。"""
    notice = support.report_outside_system_down(db.session, system, now(), detail=detail)
    db.session.commit()
    click.echo(f"notice {notice.id}: {system} reported down")


@support_cli.command("outside-up")
@click.argument("system", type=click.Choice(["airas", "ainas", "mlit", "kei"]))
def outside_up_command(system):
    """外部システムの停止表示を終了します。"""
    ended = support.report_outside_system_up(db.session, system, now())
    db.session.commit()
    click.echo(f"{system}: {ended} notice(s) ended")
