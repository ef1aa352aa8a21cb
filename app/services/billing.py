"""Month-end billing: closing a month into invoices, reopening it, the bank debit file, the
invoice documents, and this month's usage as it grows.

An event belongs to the month of its billable moment in Japan time (``occurred_at`` is naive
UTC). Counting happens in SQL (one GROUP BY over the month's events), so a month of 700,000
events closes in seconds; Python only prices the few thousand (site, kind) groups.

Closing, reopening and producing the debit file each own their transaction: they commit when
done and roll back on any error, so an interrupted closing leaves the month exactly as it was,
and the rerun writes the same rows. Invoice numbers come from the month and the billing unit
(``202610-B00000012``), never from a sequence, so every run numbers alike.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from flask import current_app, g, has_app_context
from sqlalchemy import case, delete, func, insert, literal, select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.domain.business_days import debit_date_for_month
from app.domain.invoice_tax import invoice_totals
from app.domain.prices import BILLABLE_KINDS, PriceTable, unit_price
from app.services import fees
from app.models.billing import BillableEvent
from app.models.invoice import BillingMonth, DebitFile, Invoice, InvoiceLine
from app.models.tenancy import Business, Site
from app.reports import zengin
from app.reports.billing_csv import InvoiceSummary, render_invoice_csv
from app.reports.invoice_pdf import InvoiceDetailLine, InvoiceDocument, render_invoice_pdf
from app.settings import DEBIT_SETTINGS, settings_problems
from app.timeutil import JST, now as jst_now

log = logging.getLogger(__name__)

audit.ACTION_LABELS.update({
    "billing_month_closed": "請求月の締め",
    "billing_month_reopened": "締めの取消し",
    "debit_file_produced": "口座振替データ作成",
    "debit_file_downloaded": "口座振替データのダウンロード",
})

KIND_ORDER = {kind: i for i, kind in enumerate(BILLABLE_KINDS)}
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")


class BillingError(Exception):
    """A billing operation refused; the message is a Japanese sentence for the association."""


# --- Months -------------------------------------------------------------------------------


def parse_month(text: str) -> tuple[int, int]:
    """"2026-10" → (2026, 10); a Japanese error for anything else."""
    match = _MONTH_RE.fullmatch((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise BillingError("年月は「2026-10」のように西暦4桁-月2桁で指定してください。")
    return int(match.group(1)), int(match.group(2))


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def month_days(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last day of the month."""
    first = dt.date(year, month, 1)
    following = dt.date(*next_month(year, month), 1)
    return first, following - dt.timedelta(days=1)


def jst_midnight_as_utc(day: dt.date) -> dt.datetime:
    """0:00 Japan time on ``day`` as the naive UTC value the DateTime columns store."""
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=JST)
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def month_bounds_utc(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the Japan-time month in naive UTC."""
    return (jst_midnight_as_utc(dt.date(year, month, 1)),
            jst_midnight_as_utc(dt.date(*next_month(year, month), 1)))


# --- Counting ------------------------------------------------------------------------------


def _price_periods(year, month, table):
    """The days of the month on which some kind's price changes (the month's first day first),
    each with the price of every kind from that day on."""
    first, last = month_days(year, month)
    periods = []
    day = first
    while day <= last:
        prices = {kind: unit_price(kind, day, table) for kind in BILLABLE_KINDS}
        if not periods or periods[-1][1] != prices:
            periods.append((day, prices))
        day += dt.timedelta(days=1)
    return periods


@dataclass(frozen=True)
class MonthCounts:
    counts: dict  # (business_id, site_id, kind, Price) -> number of events
    sites: dict  # site_id -> (site name, billed_separately)
    business_names: dict  # business_id -> name


def month_counts(session, year, month, *, price_table: PriceTable | None = None,
                 business_id=None, site_ids=None) -> MonthCounts:
    """The month's events counted per business, site, kind and price.

    One aggregate in SQL; a mid-month price change only adds a CASE that tells which price
    period each event falls in, so the database still returns one row per group. The groups
    come back joined to their site and business, which the invoices need.
    """
    start, end = month_bounds_utc(year, month)
    periods = _price_periods(year, month, price_table or fees.price_table(session))
    if len(periods) == 1:
        period = literal(0)
    else:
        period = case(
            *[(BillableEvent.occurred_at >= jst_midnight_as_utc(day), i)
              for i, (day, _) in reversed(list(enumerate(periods))) if i > 0],
            else_=0,
        )
    inner = select(
        BillableEvent.business_id, BillableEvent.site_id, BillableEvent.kind,
        period.label("period"),
    ).where(BillableEvent.occurred_at >= start, BillableEvent.occurred_at < end)
    if business_id is not None:
        inner = inner.where(BillableEvent.business_id == business_id)
    if site_ids is not None:
        inner = inner.where(BillableEvent.site_id.in_(sorted(site_ids)))
    # Grouping over a subquery: PostgreSQL cannot match a CASE with bound parameters in the
    # select list to the same CASE in GROUP BY.
    sub = inner.subquery()
    grouped = select(sub.c.business_id, sub.c.site_id, sub.c.kind, sub.c.period,
                     func.count().label("events")).group_by(
        sub.c.business_id, sub.c.site_id, sub.c.kind, sub.c.period).subquery()
    stmt = (select(grouped, Site.name, Site.billed_separately, Business.name)
            .join(Site, Site.id == grouped.c.site_id)
            .join(Business, Business.id == grouped.c.business_id))
    counts, sites, names = defaultdict(int), {}, {}
    for business, site, kind, index, count, site_name, alone, business_name in session.execute(stmt):
        counts[(business, site, kind, periods[index][1][kind])] += count
        sites[site] = (site_name, alone)
        names[business] = business_name
    return MonthCounts(dict(counts), sites, names)


# --- Closing -------------------------------------------------------------------------------


@dataclass
class BillingUnit:
    key: str  # "B00000012" (a business) or "S00000034" (a site billed separately)
    business_id: int
    site_id: int | None
    recipient_name: str
    lines: list = field(default_factory=list)  # (site_id, kind, quantity, Price)


@dataclass(frozen=True)
class CloseResult:
    month: BillingMonth
    closed_now: bool  # False when the month was already closed (nothing changed)
    invoice_count: int
    total_yen: int


def _billing_units(month):
    units = {}
    for (business, site_id, kind, price), quantity in month.counts.items():
        site_name, alone = month.sites[site_id]
        name = month.business_names[business]
        if alone:
            key, unit_site, recipient = f"S{site_id:08d}", site_id, f"{name} {site_name}"
        else:
            key, unit_site, recipient = f"B{business:08d}", None, name
        unit = units.setdefault(key, BillingUnit(key, business, unit_site, recipient))
        unit.lines.append((site_id, kind, quantity, price))
    for unit in units.values():
        unit.lines.sort(key=lambda l: (l[0], KIND_ORDER[l[1]], l[3].amount_yen,
                                       str(l[3].tax_rate), l[3].tax_included))
    return [units[key] for key in sorted(units)]


def _merge_lines(lines):
    """Lines of one site and kind at the same price (two price periods, same amount) merge."""
    merged = {}
    for site_id, kind, quantity, price in lines:
        key = (site_id, kind, price.amount_yen, str(price.tax_rate), price.tax_included)
        merged[key] = merged.get(key, 0) + quantity
    return [(site_id, kind, quantity, amount, rate, included)
            for (site_id, kind, amount, rate, included), quantity in merged.items()]


# Invoices are written in batches of this many (each with its lines): a month of 1,400
# invoices takes three round trips, and a test can set 1 to interrupt between invoices.
INSERT_BATCH = 500


def _invoice_row(billing_month_id, unit, year, month):
    """One billing unit's invoice row and its merged lines (the test injects a failure here)."""
    lines = _merge_lines(unit.lines)
    totals = invoice_totals((kind, quantity, amount, Decimal(rate), included)
                            for _, kind, quantity, amount, rate, included in lines)
    first, last = month_days(year, month)
    row = dict(
        billing_month_id=billing_month_id, business_id=unit.business_id, site_id=unit.site_id,
        billing_unit=unit.key, number=f"{year:04d}{month:02d}-{unit.key}",
        recipient_name=unit.recipient_name, issue_date=dt.date(*next_month(year, month), 1),
        period_start=first, period_end=last, debit_date=debit_date_for_month(year, month),
        net_yen=totals.net_yen, tax_yen=totals.tax_yen, total_yen=totals.total_yen,
        rate_totals=[{
            "tax_rate": str(rate.tax_rate), "tax_included": rate.tax_included,
            "subtotal_yen": rate.subtotal_yen, "net_yen": rate.net_yen,
            "tax_yen": rate.tax_yen, "gross_yen": rate.gross_yen,
        } for rate in totals.by_rate],
    )
    return row, lines


def _write_invoices(session, batch):
    """Insert a batch of invoices, then their lines, with two multi-row statements.

    Invoices and lines are written in bulk, not through the ORM: the closing is audited once
    for the month (count, total, number range), and a month of 1,400 invoices and 10,000
    lines would otherwise cost as much as the counting itself.
    """
    table = Invoice.__table__
    # Plain executemany, then one SELECT for the ids: RETURNING in parameter order costs
    # several times more on PostgreSQL.
    session.execute(insert(table), [row for row, _ in batch])
    units = [row["billing_unit"] for row, _ in batch]
    ids_by_unit = dict(session.execute(select(table.c.billing_unit, table.c.id).where(
        table.c.billing_month_id == batch[0][0]["billing_month_id"],
        table.c.billing_unit.in_(units))).all())
    ids = [ids_by_unit[unit] for unit in units]
    line_rows = [
        dict(invoice_id=invoice_id, business_id=row["business_id"], site_id=site_id, kind=kind,
             quantity=quantity, unit_price_yen=amount, tax_rate=rate, tax_included=included,
             amount_yen=quantity * amount)
        for invoice_id, (row, lines) in zip(ids, batch)
        for site_id, kind, quantity, amount, rate, included in lines
    ]
    if line_rows:
        _insert_many(session, InvoiceLine.__table__, line_rows)
    return len(batch), sum(row["total_yen"] for row, _ in batch)


def _insert_many(session, table, rows):
    """Multi-row insert in the session's transaction; COPY on PostgreSQL, where a month's
    ten thousand lines otherwise cost more than counting the events."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def _month_row_for_update(session, label):
    query = select(BillingMonth).where(BillingMonth.year_month == label).with_for_update()
    row = session.scalars(query).first()
    if row is not None:
        return row
    savepoint = session.begin_nested()
    try:
        row = BillingMonth(year_month=label, state="open", reopen_count=0)
        session.add(row)
        session.flush()
        savepoint.commit()
        return row
    except IntegrityError:
        # Another closer created it a moment ago; wait for its lock and read its state.
        savepoint.rollback()
        return session.scalars(query).one()


def close_month(session, year, month, *, now=None, price_table: PriceTable | None = None):
    """Close ``year``-``month`` into invoices per billing unit; idempotent, atomic.

    A month already closed is left untouched. A month that has not ended yet (Japan time)
    cannot be closed. ``price_table`` replaces the association's prices (tests, simulations).
    """
    label = month_label(year, month)
    now = now or jst_now()
    if now < dt.datetime(*next_month(year, month), 1, tzinfo=JST):
        raise BillingError(f"{label} はまだ終わっていないため締められません。月が終わってから締めてください。")
    try:
        billing_month = _month_row_for_update(session, label)
        if billing_month.state != "open":
            result = CloseResult(billing_month, False, len(billing_month.invoices),
                                 sum(i.total_yen for i in billing_month.invoices))
            session.commit()
            return result
        counted = month_counts(session, year, month, price_table=price_table)
        count, total, batch, numbers = 0, 0, [], []
        for unit in _billing_units(counted):
            batch.append(_invoice_row(billing_month.id, unit, year, month))
            numbers.append(batch[-1][0]["number"])
            if len(batch) >= INSERT_BATCH:
                written, amount = _write_invoices(session, batch)
                count, total, batch = count + written, total + amount, []
        if batch:
            written, amount = _write_invoices(session, batch)
            count, total = count + written, total + amount
        billing_month.state = "closed"
        billing_month.closed_at = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
        span = f"{numbers[0]}..{numbers[-1]}" if numbers else "none"
        audit.record(session, "billing_month_closed", entity=billing_month,
                     detail=f"{label}: {count} invoices ({span}), {total} yen")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    log.info("closed billing month %s: %s invoices, %s yen", label, count, total)
    return CloseResult(billing_month, True, count, total)


def _actor_name():
    user = g.get("user") if has_app_context() else None
    return getattr(user, "username", None) if getattr(user, "is_authenticated", False) else None


def reopen_month(session, year, month, *, reason=None, now=None):
    """Undo the closing (its invoices are deleted) until the month's debit file exists."""
    label = month_label(year, month)
    now = now or jst_now()
    try:
        billing_month = session.scalars(select(BillingMonth).where(
            BillingMonth.year_month == label).with_for_update()).first()
        if billing_month is None or billing_month.state == "open":
            raise BillingError(f"{label} は締められていないため、取り消す締めがありません。")
        if billing_month.state == "debit_file_produced":
            raise BillingError(f"{label} は口座振替データを作成済みのため、締めを取り消せません。"
                               "請求の訂正は翌月の請求で行ってください。")
        invoice_ids = select(Invoice.id).where(Invoice.billing_month_id == billing_month.id)
        session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id.in_(invoice_ids)))
        count = 0
        for invoice in list(billing_month.invoices):
            session.delete(invoice)  # audited one by one: what was withdrawn stays on record
            count += 1
        billing_month.state = "open"
        billing_month.reopened_at = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
        billing_month.reopened_by = _actor_name()
        billing_month.reopen_count = (billing_month.reopen_count or 0) + 1
        audit.record(session, "billing_month_reopened", entity=billing_month,
                     detail=f"{label}: {count} invoices withdrawn; reason: {reason or '-'}"[:500])
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return billing_month


# --- Debit file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DebitFileResult:
    debit_file: DebitFile | None
    problems: list  # [{"invoice_number", "recipient", "problem"}]
    produced_now: bool


def debit_header(debit_date):
    """The association's side of the file, from the operator settings (app/settings.py)."""
    cfg = current_app.config
    problems = settings_problems(cfg, names=DEBIT_SETTINGS,
                                 production=cfg["REQUIRE_OPERATOR_SETTINGS"])
    if problems:
        raise BillingError("口座振替データを作成できません。協会の設定を直してから、もう一度作成してください。\n"
                           + "\n".join(p.line() for p in problems))
    return zengin.DebitHeader(
        consignor_code=cfg["DEBIT_CONSIGNOR_CODE"], consignor_name=cfg["DEBIT_CONSIGNOR_NAME"],
        debit_date=debit_date, bank_code=cfg["DEBIT_BANK_CODE"],
        branch_code=cfg["DEBIT_BRANCH_CODE"], account_type=int(cfg["DEBIT_ACCOUNT_TYPE"]),
        account_number=cfg["DEBIT_ACCOUNT_NUMBER"],
    )


def customer_number(invoice) -> str:
    """顧客番号: the billing unit, so a payer keeps one number month after month (1 = business,
    2 = site billed separately, then the id)."""
    prefix, unit_id = ("2", invoice.site_id) if invoice.site_id else ("1", invoice.business_id)
    return f"{prefix}{unit_id:010d}"


def bank_account_problem(business) -> str | None:
    """Why ``business`` cannot be debited, in Japanese; None when its account looks complete."""
    def digits(value, length):
        return bool(value) and value.isascii() and value.isdigit() and len(value) <= length

    if not (digits(business.bank_code, 4) and len(business.bank_code) == 4
            and digits(business.branch_code, 3) and len(business.branch_code) == 3):
        return "金融機関コード・支店コードが登録されていません。事業者の口座情報を登録してください。"
    if business.account_type not in ("1", "2"):
        return "預金種目（1: 普通、2: 当座）が登録されていません。"
    if not digits(business.account_number, 7):
        return "口座番号（7桁以内の数字）が登録されていません。"
    if not business.account_holder_kana:
        return "口座名義（半角カナ）が登録されていません。"
    name = zengin.to_zengin_kana(business.account_holder_kana)
    return zengin.name_problem(name, "口座名義")


def _last_accounts(session, label):
    """{顧客番号 (20 digits): account} as each payer was last debited in a month before ``label``."""
    last = {}
    for content in session.scalars(select(DebitFile.content).join(BillingMonth).where(
            BillingMonth.year_month < label).order_by(BillingMonth.year_month)):
        last.update(zengin.debit_accounts(content))
    return last


def new_code(item, last_accounts) -> int:
    """新規コード (billing-formats.md §1.3): 1 on a payer's first debit, 2 on the first debit
    from a changed account, 0 otherwise."""
    previous = last_accounts.get(str(item.customer_number).zfill(20))
    if previous is None:
        return 1
    return 2 if previous != zengin.item_account(item) else 0


def _debit_items(invoices, last_accounts):
    items, problems = {}, []
    for invoice in invoices:
        if invoice.total_yen <= 0:
            continue  # a 0-yen bill is not debited (billing-formats.md §1.3)
        problem = bank_account_problem(invoice.business)
        if problem:
            problems.append({"invoice_number": invoice.number,
                             "recipient": invoice.recipient_name, "problem": problem})
            continue
        business = invoice.business
        item = zengin.DebitItem(
            bank_code=business.bank_code, branch_code=business.branch_code,
            account_type=int(business.account_type), account_number=business.account_number,
            payer_name=business.account_holder_kana, amount_yen=invoice.total_yen,
            customer_number=customer_number(invoice))
        items[customer_number(invoice)] = (invoice, replace(
            item, new_code=new_code(item, last_accounts)))
    return items, problems


def _build_without_bad_records(header, items, problems, directory):
    """Build the file; a data record the builder refuses (e.g. an unknown branch code) is
    moved to the problems and the file rebuilt without it. Header problems are fatal."""
    while items:
        try:
            return zengin.build_debit_file(header, [item for _, item in items.values()],
                                           directory=directory)
        except zengin.DebitFileError as error:
            bad = [p for p in error.record_problems
                   if p.record_name == zengin.RECORD_NAMES["2"] and p.customer_number]
            if not bad:
                raise BillingError(str(error)) from error
            for record_problem in bad:
                key = record_problem.customer_number.zfill(11)
                invoice, _ = items.pop(key)
                problems.append({"invoice_number": invoice.number,
                                 "recipient": invoice.recipient_name,
                                 "problem": " ".join(record_problem.problems)})
    return None


def produce_debit_file(session, year, month, *, now=None, directory=None):
    """The 全銀 口座振替 file of a closed month; once produced, the month cannot be reopened.

    Producing again returns the stored file unchanged. Invoices whose business has no usable
    bank account are listed in ``problems`` and left out of the file.
    """
    label = month_label(year, month)
    now = now or jst_now()
    try:
        billing_month = session.scalars(select(BillingMonth).where(
            BillingMonth.year_month == label).with_for_update()).first()
        if billing_month is None or billing_month.state == "open":
            raise BillingError(f"{label} はまだ締められていません。先に締めてください。")
        existing = session.scalars(select(DebitFile).where(
            DebitFile.billing_month_id == billing_month.id)).first()
        if existing is not None:
            session.commit()
            return DebitFileResult(existing, list(existing.problems), False)
        debit_date = debit_date_for_month(year, month)
        items, problems = _debit_items(billing_month.invoices, _last_accounts(session, label))
        content = _build_without_bad_records(debit_header(debit_date), items, problems,
                                             directory)
        if content is None:
            session.rollback()
            return DebitFileResult(None, problems, False)
        debit_file = DebitFile(
            billing_month=billing_month, content=content,
            sha256=hashlib.sha256(content).hexdigest(), debit_date=debit_date,
            record_count=len(items), total_yen=sum(i.amount_yen for _, i in items.values()),
            problems=problems,
            produced_at=now.astimezone(dt.timezone.utc).replace(tzinfo=None))
        session.add(debit_file)
        billing_month.state = "debit_file_produced"
        audit.record(session, "debit_file_produced", entity=billing_month,
                     detail=f"{label}: {len(items)} debits, {debit_file.total_yen} yen, "
                            f"{len(problems)} left out, sha256 {debit_file.sha256}")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return DebitFileResult(debit_file, problems, True)


def debit_file_name(debit_file) -> str:
    return f"kouzafurikae-{debit_file.billing_month.year_month}.txt"


# --- Invoice documents ----------------------------------------------------------------------


def registration_number() -> str:
    return current_app.config["INVOICE_REGISTRATION_NUMBER"]


def invoice_document(invoice) -> InvoiceDocument:
    lines = tuple(
        InvoiceDetailLine(site_name=line.site.name, kind=line.kind, quantity=line.quantity,
                          unit_price_yen=line.unit_price_yen, tax_rate=Decimal(line.tax_rate),
                          tax_included=line.tax_included)
        for line in invoice.lines
    )
    return InvoiceDocument(
        invoice_number=invoice.number,
        issuer_name=current_app.config["ASSOCIATION_NAME"],
        registration_number=registration_number(),
        recipient_name=invoice.recipient_name,
        issue_date=invoice.issue_date, period_start=invoice.period_start,
        period_end=invoice.period_end, debit_date=invoice.debit_date, lines=lines,
        issuer_address=current_app.config["ASSOCIATION_ADDRESS"] or "",
        issuer_phone=current_app.config["ASSOCIATION_PHONE"] or "",
    )


def invoice_pdf(invoice) -> bytes:
    return render_invoice_pdf(invoice_document(invoice))


def invoice_csv(invoice, encoding="utf-8-sig") -> bytes:
    """The per-site detail; ``encoding`` "utf-8-sig" (UTF-8 with BOM) or "cp932"."""
    rows = [{
        "invoice_number": invoice.number,
        "billing_month": invoice.billing_month.year_month,
        "business_name": invoice.business.name,
        "site_name": line.site.name,
        "designation_number": line.site.designation_number,
        "kind": line.kind,
        "quantity": line.quantity,
        "unit_price_yen": line.unit_price_yen,
        "amount_yen": line.amount_yen,
        "tax_included": line.tax_included,
        "tax_rate": Decimal(line.tax_rate),
    } for line in invoice.lines]
    summary = InvoiceSummary(
        invoice_number=invoice.number, billing_month=invoice.billing_month.year_month,
        business_name=invoice.business.name, issuer_name=current_app.config["ASSOCIATION_NAME"],
        registration_number=registration_number(), rate_totals=invoice.rate_totals, total_yen=invoice.total_yen)
    return render_invoice_csv(rows, encoding, summary)


def invoice_file_name(invoice, extension) -> str:
    return f"seikyusho-{invoice.number}.{extension}"


# --- History and usage ----------------------------------------------------------------------


def business_history(session, business_id):
    """Every invoice of a business (its own and its separately billed sites'), newest first."""
    return session.scalars(
        select(Invoice).where(Invoice.business_id == business_id)
        .order_by(Invoice.period_start.desc(), Invoice.number)).all()


@dataclass(frozen=True)
class SiteUsage:
    site_id: int
    site_name: str
    counts: dict  # kind -> count
    amount_yen: int  # at the prices in force, as the invoice will state them


def usage_this_month(session, business_id, *, site_ids=None, now=None,
                     price_table: PriceTable | None = None):
    """This month's billable events per site of the business so far (Japan time)."""
    today = (now or jst_now()).astimezone(JST).date()
    counts = month_counts(session, today.year, today.month, price_table=price_table,
                          business_id=business_id, site_ids=site_ids)
    query = select(Site.id, Site.name).where(Site.business_id == business_id)
    if site_ids is not None:
        query = query.where(Site.id.in_(sorted(site_ids)))
    usage = []
    for site_id, name in session.execute(query.order_by(Site.id)):
        per_kind = {kind: 0 for kind in BILLABLE_KINDS}
        amount = 0
        for (_, site, kind, price), count in counts.counts.items():
            if site == site_id:
                per_kind[kind] += count
                amount += count * price.amount_yen
        usage.append(SiteUsage(site_id, name, per_kind, amount))
    return usage
