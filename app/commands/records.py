"""`flask records ...`: retention purge and the shipped tester profiles."""
import click
from flask.cli import AppGroup

from app.extensions import db
from app.services.records import ensure_builtin_tester_profiles, purge_expired_records
from app.timeutil import today

records_cli = AppGroup("records", help="記録簿の保守(保存期間を過ぎた記録簿の削除など)。")


@records_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="削除せず、削除対象の件数だけを表示します。")
@click.option("--batch-size", default=500, show_default=True, help="1回の削除件数。")
def purge_command(dry_run, batch_size):
    """保存期間(2年)を過ぎた記録簿と印刷ファイルを削除します。請求の記録は残ります。"""
    summary = purge_expired_records(db.session, today(), dry_run=dry_run,
                                    batch_size=batch_size, log=click.echo)
    click.echo(f"対象の基準日: {summary['cutoff']} / 記録簿 {summary['records']} 件 / "
               f"印刷ファイル {summary['print_batches']} 件" + ("(削除していません)" if dry_run else ""))


@records_cli.command("seed-testers")
def seed_testers_command():
    """組込みの検査機器の設定(4メーカー)のうち、未登録のものを登録します。"""
    added = ensure_builtin_tester_profiles(db.session)
    db.session.commit()
    click.echo(f"{added} 件を登録しました。")
