"""`flask billing ...`: month-end from the shell, through the same services as the
association's screens and the scheduler's closing job (app/services/billing.py).

  flask billing close 2026-10                  close the month into invoices
  flask billing debit-file 2026-10 --out PATH  write the month's 全銀 口座振替 file
  flask billing import-result FILE --month 2026-10   the bank's 振替結果データ

Messages are Japanese; a refusal (a month not ended or not closed, a bad month text, settings
the bank file cannot carry) prints why on stderr and exits 1.
"""
import os
import tempfile

import click
from flask.cli import AppGroup

from app import audit
from app.extensions import db
from app.services import billing, debit_results

billing_cli = AppGroup("billing", help="請求と口座振替のデータを扱います。")


def _refuse(message):
    click.echo(message, err=True)
    raise SystemExit(1)


def _yen(amount):
    return f"{amount:,}円"


@billing_cli.command("close")
@click.argument("month")
def close_command(month):
    """請求月 MONTH (例: 2026-10) を締めて請求書を作成します(画面・スケジューラの締めと同じ処理)。"""
    try:
        result = billing.close_month(db.session, *billing.parse_month(month))
    except billing.BillingError as error:
        _refuse(str(error))
    if result.closed_now:
        click.echo(f"{month} を締めました(請求書 {result.invoice_count}件、合計 {_yen(result.total_yen)})。"
                   "内容を確認してから口座振替データを作成してください。")
    else:
        click.echo(f"{month} は締め済みです。内容は変わっていません"
                   f"(請求書 {result.invoice_count}件、合計 {_yen(result.total_yen)})。")


def _write_atomically(path, content):
    """The whole file or none: a half-written bank file must never be sent."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".debit-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


@billing_cli.command("debit-file")
@click.argument("month")
@click.option("--out", "out", required=True, metavar="PATH", help="書き出すファイルのパス")
def debit_file_command(month, out):
    """締めた請求月 MONTH の口座振替データ(全銀協フォーマット)を作成し、PATH に書き出します。"""
    try:
        result = billing.produce_debit_file(db.session, *billing.parse_month(month))
    except billing.BillingError as error:
        _refuse(str(error))
    for problem in result.problems:
        click.echo(f"含めていない請求: {problem['invoice_number']} {problem['recipient']}: "
                   f"{problem['problem']}", err=True)
    debit_file = result.debit_file
    if debit_file is None:
        _refuse("口座振替できる請求がないため、データを作成しませんでした。"
                "事業者の口座情報を登録してから、もう一度作成してください。")
    try:
        _write_atomically(out, debit_file.content)
    except OSError:
        _refuse(f"{out} に書き出せませんでした。フォルダがあり書き込めるかを確かめるか、"
                "書き込める場所を --out に指定してください。")
    audit.record(db.session, "debit_file_downloaded", entity=debit_file.billing_month,
                 detail=f"sha256 {debit_file.sha256}; written by flask billing debit-file")
    db.session.commit()
    what = "口座振替データを作成し、" if result.produced_now else "作成済みの口座振替データを"
    click.echo(f"{month} の{what}{out} に書き出しました(振替 {debit_file.record_count}件、"
               f"合計 {_yen(debit_file.total_yen)}、引落日 {debit_file.debit_date:%Y-%m-%d})。")
    if result.problems:
        click.echo(f"口座情報に問題がある {len(result.problems)}件は含めていません。別の方法で請求してください。",
                   err=True)


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
        _refuse(str(error))
    click.echo(f"{month}: 取込み {result.changed}件、振替済 {result.paid_count}件 {result.paid_yen:,}円、"
               f"振替不能 {result.unpaid_count}件 {result.unpaid_yen:,}円")
    if result.unknown_codes:
        click.echo(f"意味の登録されていない振替結果コード: {'・'.join(result.unknown_codes)}", err=True)
