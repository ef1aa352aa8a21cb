"""単価 and 検査手数料: the association keeps the effective-dated rows (``models/fees.py``).

Association views (not tenant-scoped): the admin edits, the staff reads. The rules live in
``services/fees.py``: a price may not start in, or be changed after, a closed month.
"""
from decimal import Decimal, InvalidOperation

from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import inspect
from wtforms.validators import NumberRange, ValidationError

from app.domain.fees import FEE_AS, VEHICLE_KINDS
from app.domain.prices import KIND_LABELS
from app.extensions import db
from app.models.fees import InspectionFee, UnitPrice
from app.services import fees
from app.views.base import KeizokuModelView
from app.views.validators import choice_field

FEE_PART_LABELS = {"inspection_fee": "検査手数料", "technical_info_fee": "技術情報管理手数料"}
VEHICLE_KIND_LABELS = {"registered": "登録自動車", "kei": "軽自動車", "small_motorcycle": "小型二輪"}
FEE_AS_LABELS = {"window": "窓口申請(ハイブリッド申請を含む)", "oss": "OSS申請"}
FEE_STATUS_LABELS = {"confirmed": "確定", "proposed": "改正案"}


def _previous(item, column):
    """The value ``column`` had before this request's form changed it (None for a new row)."""
    history = inspect(item).attrs[column].history
    if inspect(item).pending or inspect(item).transient:
        return None
    return history.deleted[0] if history.deleted else getattr(item, column)


def refuse_unless(check):
    """Run a service check; a refusal leaves the session clean, and FAB shows its message."""
    try:
        check()
    except fees.FeeChangeRefused:
        db.session.rollback()
        raise


def tax_rate_rule(form, field):
    try:
        rate = Decimal(field.data or "")
    except InvalidOperation:
        rate = None
    if rate is None or not Decimal(0) <= rate < Decimal(1):
        raise ValidationError("消費税率は「0.10」のように0以上1未満の小数で入力してください。")


NOT_NEGATIVE = NumberRange(min=0, message="金額は0円以上の整数で入力してください。")


class UnitPriceAdminView(KeizokuModelView):
    datamodel = SQLAInterface(UnitPrice)
    route_base = "/association/prices"
    list_title = show_title = "単価"
    add_title = "単価の追加"
    edit_title = "単価の変更"
    list_columns = ["kind", "amount_yen", "tax_included", "tax_rate", "effective_from"]
    add_columns = edit_columns = ["kind", "amount_yen", "tax_included", "tax_rate",
                                  "effective_from", "source"]
    show_columns = add_columns + ["created_at", "updated_at"]
    search_columns = ["kind", "effective_from"]
    base_order = ("effective_from", "desc")
    label_columns = {
        "kind": "種類", "amount_yen": "単価(円)", "tax_included": "税込", "tax_rate": "消費税率",
        "effective_from": "適用開始日", "source": "根拠・メモ", "created_at": "登録日時",
        "updated_at": "更新日時",
    }
    description_columns = {
        "effective_from": "この日から次の単価の適用開始日の前日まで適用します。締め済みの月には追加・変更できません。",
        "tax_rate": "「0.10」のように小数で入力(10%)",
    }
    add_form_extra_fields = edit_form_extra_fields = {"kind": choice_field("種類", KIND_LABELS)}
    formatters_columns = {"kind": lambda v: KIND_LABELS.get(v, v)}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]

    validators_columns = {"tax_rate": [tax_rate_rule], "amount_yen": [NOT_NEGATIVE]}

    def pre_add(self, item):
        refuse_unless(lambda: fees.check_price_change(db.session, old_from=None,
                                                      new_from=item.effective_from))

    def pre_update(self, item):
        old_from = _previous(item, "effective_from")
        refuse_unless(lambda: fees.check_price_change(db.session, old_from=old_from,
                                                      new_from=item.effective_from))

    def pre_delete(self, item):
        refuse_unless(lambda: fees.check_price_change(db.session, old_from=item.effective_from,
                                                      new_from=None))


class InspectionFeeAdminView(KeizokuModelView):
    datamodel = SQLAInterface(InspectionFee)
    route_base = "/association/inspection_fees"
    list_title = show_title = "検査手数料"
    add_title = "検査手数料の追加"
    edit_title = "検査手数料の変更"
    list_columns = ["part", "vehicle_kind", "fee_as", "effective_from", "effective_until",
                    "amount_yen", "status"]
    add_columns = edit_columns = ["part", "vehicle_kind", "fee_as", "effective_from",
                                  "effective_until", "amount_yen", "proposed_amount_yen", "payee",
                                  "status", "source"]
    show_columns = add_columns + ["created_at", "updated_at"]
    search_columns = ["part", "vehicle_kind", "status", "effective_from"]
    base_order = ("effective_from", "desc")
    label_columns = {
        "part": "手数料", "vehicle_kind": "車種", "fee_as": "申請の区分",
        "effective_from": "適用開始日", "effective_until": "適用終了日", "amount_yen": "金額(円)",
        "proposed_amount_yen": "改正案の金額(円)", "payee": "納付先", "status": "状態",
        "source": "根拠", "created_at": "登録日時", "updated_at": "更新日時",
    }
    description_columns = {
        "effective_from": "空欄は「以前から」", "effective_until": "この日まで適用。空欄は「現在も」",
        "amount_yen": "確定した金額。改正案の段階なら空欄にし、状態を「改正案」に",
        "fee_as": "技術情報管理手数料では空欄",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "part": choice_field("手数料", FEE_PART_LABELS),
        "vehicle_kind": choice_field("車種", {k: VEHICLE_KIND_LABELS[k] for k in VEHICLE_KINDS}),
        "fee_as": choice_field("申請の区分", {k: FEE_AS_LABELS[k] for k in FEE_AS},
                               blank="(技術情報管理手数料)"),
        "status": choice_field("状態", FEE_STATUS_LABELS),
    }
    formatters_columns = {
        "part": lambda v: FEE_PART_LABELS.get(v, v),
        "vehicle_kind": lambda v: VEHICLE_KIND_LABELS.get(v, v),
        "fee_as": lambda v: FEE_AS_LABELS.get(v, v),
        "status": lambda v: FEE_STATUS_LABELS.get(v, v),
    }
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]

    validators_columns = {"amount_yen": [NOT_NEGATIVE], "proposed_amount_yen": [NOT_NEGATIVE]}

    def pre_add(self, item):
        refuse_unless(lambda: fees.check_fee(item))

    pre_update = pre_add


CRUD = ("can_list", "can_show", "can_add", "can_edit", "can_delete")
ROLE_PERMISSIONS = {
    "association_admin": {"UnitPriceAdminView": CRUD, "InspectionFeeAdminView": CRUD},
    "association_staff": {"UnitPriceAdminView": ("can_list", "can_show"),
                          "InspectionFeeAdminView": ("can_list", "can_show")},
}
ROLE_MENUS = {
    "association_admin": ("UnitPrices", "InspectionFees"),
    "association_staff": ("UnitPrices", "InspectionFees"),
}


def register(appbuilder):
    billing = dict(category="Billing", category_label="請求", category_icon="fa-yen-sign")
    appbuilder.add_view(UnitPriceAdminView, "UnitPrices", label="単価", icon="fa-tags", **billing)
    appbuilder.add_view(InspectionFeeAdminView, "InspectionFees", label="検査手数料",
                        icon="fa-stamp", category="Association", category_label="協会管理",
                        category_icon="fa-landmark")
