"""Prices and inspection fees as the association keeps them (``models/fees.py``).

Billing and the guide price events through ``price_table(session)``; the wizard asks
``fees_for``. A price change never reaches a closed month: closed invoices keep the amounts
written on their lines, and a price may neither start in a month already closed nor be changed
or removed once a closed month used it (``check_price_change``). Every change is audited by the
session events (the models are ``__audited__``).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import func, insert, select

from app.domain.fees import DEFAULT_ASK, ROW_FIELDS, fee_seed_rows, inspection_fees
from app.domain.prices import Price, PriceTable, price_seed_rows
from app.models.fees import InspectionFee, UnitPrice
from app.models.invoice import BillingMonth


class FeeChangeRefused(ValueError):
    """A price or fee change the rules refuse; the message is Japanese, for the association."""


def price_table(session) -> PriceTable:
    rows = session.scalars(select(UnitPrice)).all()
    return PriceTable([Price(r.kind, r.amount_yen, r.tax_included, Decimal(r.tax_rate),
                             r.effective_from, r.source) for r in rows])


def stored_fee_rows(session) -> list[dict]:
    def plain(value):
        return value.isoformat() if isinstance(value, dt.date) else value

    return [{f: plain(getattr(r, f)) for f in ROW_FIELDS}
            for r in session.scalars(select(InspectionFee).order_by(InspectionFee.id))]


def support_contact() -> str:
    contact = current_app.config.get("ASSOCIATION_CONTACT") if has_app_context() else None
    return f"協会の{contact}" if contact else DEFAULT_ASK


def fees_for(session, *, vehicle_kind, application_type, on_date):
    """The wizard's fees: the association's rows; with no confirmed amount, its support desk."""
    return inspection_fees(vehicle_kind=vehicle_kind, application_type=application_type,
                           on_date=on_date, rows=stored_fee_rows(session), ask=support_contact())


# --- the closed-month rule --------------------------------------------------------------------


def closed_through(session) -> dt.date | None:
    """The last day of the latest closed month (closed or its debit file made), or None."""
    label = session.scalar(select(func.max(BillingMonth.year_month)).where(BillingMonth.state != "open"))
    if label is None:
        return None
    year, month = int(label[:4]), int(label[5:7])
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def check_price_change(session, *, old_from: dt.date | None, new_from: dt.date | None) -> None:
    """Refuse a price that would start in a closed month, or a change to one a closed month used."""
    through = closed_through(session)
    if through is None:
        return
    shown = f"{through.year}年{through.month}月"
    if old_from is not None and old_from <= through:
        raise FeeChangeRefused(
            f"{shown}までの請求は締め済みのため、その月に使った単価は変更・削除できません。"
            f"新しい単価は{shown}より後の適用開始日で追加してください。")
    if new_from is not None and new_from <= through:
        raise FeeChangeRefused(
            f"適用開始日は締め済みの{shown}より後の日にしてください。"
            "締めた月の請求金額は変わりません。")


def check_fee(fee: InspectionFee) -> None:
    """A confirmed fee states its amount; a period ends on or after it starts."""
    if fee.status == "confirmed" and fee.amount_yen is None:
        raise FeeChangeRefused("確定した手数料には金額を入力してください。改正案の段階なら状態を「改正案」にしてください。")
    if fee.status == "proposed" and fee.amount_yen is not None:
        raise FeeChangeRefused("改正案の段階の手数料には金額を入れず、案の金額は「改正案の金額」に入力してください。")
    if fee.effective_from and fee.effective_until and fee.effective_until < fee.effective_from:
        raise FeeChangeRefused("適用終了日は適用開始日以降の日にしてください。")
    if fee.part == "inspection_fee" and fee.fee_as is None:
        raise FeeChangeRefused("検査手数料には申請の区分(窓口・OSS)を選んでください。")


# --- seeding -----------------------------------------------------------------------------------


def seed_shipped_data(session) -> None:
    """The shipped data files into empty tables, as migration 0012 does (the tests reset the
    tables with it). Plain inserts: a seed is no one's change, so it leaves no audit rows."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for model, rows in ((UnitPrice, price_seed_rows), (InspectionFee, fee_seed_rows)):
        if session.scalar(select(func.count()).select_from(model)) == 0:
            session.execute(insert(model), [{**row, "created_at": now, "updated_at": now}
                                            for row in rows()])
