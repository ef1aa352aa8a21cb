"""`flask billing import-result FILE --month YYYY-MM`: the bank's 振替結果データ from the shell,
for a result file that arrives by another channel than the association's screen."""
import click
from flask.cli import AppGroup

from app.extensions import db
from app.services import billing, debit_results

billing_cli = AppGroup("billing", help="請求と口座振替のデータを扱います。")


@billing_cli.command("import-result")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--month", "month", required=True, help="請求月 (例: 2026-10)")
def import_result_command(path, month):
    """銀行の振替結果データを請求月の請求書に取り込みます(全件取り込むか、何も変えないか)。"""
    try:
        year, number = billing.parse_month(month)
        with open(path, "rb") as handle:
            result = debit_results.import_debit_results(
                db.session, year, number, handle.read(debit_results.MAX_RESULT_FILE_BYTES + 1))
    except billing.BillingError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{month}: 取込み {result.changed}件、振替済 {result.paid_count}件 {result.paid_yen:,}円、"
               f"振替不能 {result.unpaid_count}件 {result.unpaid_yen:,}円")
    if result.unknown_codes:
        click.echo(f"意味の登録されていない振替結果コード: {'・'.join(result.unknown_codes)}", err=True)
