"""Importing the bank's 振替結果データ for a month: each debited invoice gets the bank's result
(振替済, or 振替不能 with the code and its reason).

The file must answer the debit file produced for that month exactly: the same 委託者 and 引落日,
every 顧客番号 once, each 引落金額 equal to the request and to the invoice. Anything else
refuses the whole file and nothing changes. Importing the same results again changes nothing;
a result that differs from one already imported is refused (a correction is a matter for the
bank and a person, not for a second upload). Invoice changes are audited row by row by
app/audit.py; the import itself is recorded once for the month.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import select

from app import audit
from app.models.invoice import BillingMonth, DebitFile
from app.reports.zengin_result import (
    ResultFileError,
    read_result_file,
    result_reason,
    sent_debits,
)
from app.services.billing import BillingError, customer_number, month_label
from app.timeutil import now as jst_now

log = logging.getLogger(__name__)

audit.ACTION_LABELS.update({"debit_result_imported": "振替結果の取込み"})

# 1,400 debits make 171 KB; anything far larger is not a result file of ours.
MAX_RESULT_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ImportResult:
    changed: int  # invoices whose result was recorded now (0 on a repeated import)
    paid_count: int
    paid_yen: int
    unpaid_count: int
    unpaid_yen: int
    unknown_codes: list  # codes the bank sent that §1.5 does not name


@dataclass(frozen=True)
class UnpaidInvoice:
    invoice: object
    business_name: str
    amount_yen: int
    code: str
    reason: str


@dataclass(frozen=True)
class ResultSummary:
    paid_count: int
    paid_yen: int
    unpaid_count: int
    unpaid_yen: int
    unpaid: list  # [UnpaidInvoice], in invoice-number order


def outcome_label(invoice) -> str:
    """振替済 / 振替不能（reason） for lists; "" before the result is imported."""
    code = invoice.debit_result_code
    if code is None:
        return ""
    return "振替済" if code == "0" else f"振替不能（{result_reason(code)}）"


def result_summary(invoices) -> ResultSummary:
    """振替済 and 振替不能 counts and amounts of the month's imported results."""
    paid = [i for i in invoices if i.debit_result_code == "0"]
    unpaid = [i for i in invoices if i.debit_result_code not in (None, "0")]
    return ResultSummary(
        paid_count=len(paid), paid_yen=sum(i.total_yen for i in paid),
        unpaid_count=len(unpaid), unpaid_yen=sum(i.total_yen for i in unpaid),
        unpaid=[UnpaidInvoice(i, i.business.name, i.total_yen, i.debit_result_code,
                              result_reason(i.debit_result_code)) for i in unpaid],
    )


def _mismatches(parsed, sent, invoices_by_customer) -> list[str]:
    """Why the results do not answer the request file sent for this month, in Japanese."""
    problems = []
    for result in parsed.results:
        who = f"{result.record_number}件目のデータ・レコード（顧客番号 {result.customer_label}）: "
        invoice = invoices_by_customer.get(result.customer_number)
        if result.customer_number not in sent or invoice is None:
            problems.append(who + "この月の口座振替データにない顧客番号です。")
            continue
        if result.amount_yen != sent[result.customer_number] or result.amount_yen != invoice.total_yen:
            problems.append(who + f"引落金額 {result.amount_yen:,}円が請求書 {invoice.number} の"
                                  f"金額 {invoice.total_yen:,}円と一致しません。")
        elif invoice.debit_result_code not in (None, result.code):
            problems.append(who + f"請求書 {invoice.number} には取込み済みの結果"
                                  f"「{result_reason(invoice.debit_result_code)}」があり、"
                                  f"異なる結果「{result.reason}」は取り込めません。銀行に確認してください。")
    missing = len(set(sent) - {r.customer_number for r in parsed.results})
    if missing or len(parsed.results) != len(sent):
        problems.append(f"件数が口座振替データの {len(sent)}件と一致しません（結果 {len(parsed.results)}件、"
                        f"結果のない請求 {missing}件）。")
    return problems


def import_debit_results(session, year, month, content: bytes, *, now=None) -> ImportResult:
    """Record the bank's results of ``year``-``month``'s debit file; all or nothing."""
    label = month_label(year, month)
    now = now or jst_now()
    if len(content) > MAX_RESULT_FILE_BYTES:
        raise BillingError("ファイルが大きすぎます。銀行から受け取った振替結果データを選んでください。")
    try:
        billing_month = session.scalars(select(BillingMonth).where(
            BillingMonth.year_month == label).with_for_update()).first()
        debit_file = billing_month and session.scalars(select(DebitFile).where(
            DebitFile.billing_month_id == billing_month.id)).first()
        if debit_file is None:
            raise BillingError(f"{label} の口座振替データはまだ作成されていません。"
                               "作成して銀行に送信した月の結果だけを取り込めます。")
        consignor_code, sent = sent_debits(debit_file.content)
        try:
            parsed = read_result_file(content, consignor_code=consignor_code,
                                      debit_date=debit_file.debit_date)
        except ResultFileError as error:
            raise BillingError(str(error)) from error
        invoices = {customer_number(i).zfill(20): i for i in billing_month.invoices}
        problems = _mismatches(parsed, sent, invoices)
        if problems:
            raise BillingError(f"{label} の振替結果データを取り込めませんでした。何も変更していません。\n"
                               + "\n".join(problems))
        imported_at = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
        changed = 0
        for result in parsed.results:
            invoice = invoices[result.customer_number]
            if invoice.debit_result_code is None:
                invoice.debit_result_code = result.code
                invoice.debit_result_imported_at = imported_at
                changed += 1
        paid, unpaid = parsed.paid, parsed.unpaid
        outcome = ImportResult(changed, len(paid), sum(r.amount_yen for r in paid),
                               len(unpaid), sum(r.amount_yen for r in unpaid), parsed.unknown_codes)
        if changed:
            sha256 = hashlib.sha256(content).hexdigest()
            debit_file.result_content = content
            debit_file.result_sha256 = sha256
            debit_file.result_imported_at = imported_at
            audit.record(session, "debit_result_imported", entity=billing_month,
                         detail=f"{label}: 結果 {changed}件、振替済 {outcome.paid_count}件 "
                                f"{outcome.paid_yen:,}円、振替不能 {outcome.unpaid_count}件 "
                                f"{outcome.unpaid_yen:,}円、sha256 {sha256}")
        session.commit()
    except BillingError as error:
        session.rollback()
        # Nothing changed, so nothing is audited; operators still see who tried what.
        log.warning("debit results %s refused (%d bytes, sha256 %s): %s", label, len(content),
                    hashlib.sha256(content).hexdigest(), str(error).replace("\n", " / "))
        raise
    except BaseException:
        session.rollback()
        raise
    if outcome.unknown_codes:
        log.warning("debit results %s: unknown result codes %s", label, outcome.unknown_codes)
    return outcome
