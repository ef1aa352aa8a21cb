"""Shop-facing screens. Every one derives from TenantModelView (app/views/tenant_view.py)."""
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import select
from wtforms.validators import ValidationError

from app.extensions import db
from app.models.tenancy import ChiefMechanic, Inspector, Site
from app.security.models import KeizokuUser
from app.security.roles import role_label
from app.views.association import AINAS_STATUS_LABELS
from app.tenancy import current_tenant, scope
from app.views.tenant_view import TenantModelView
from app.views.validators import Digits, katakana

STAFF_LABELS = {
    "site": "事業場",
    "name": "氏名",
    "name_kana": "フリガナ",
    "inspector_code": "検査員コード",
    "active": "在籍",
}


def unique_inspector_code(form, field):
    """One inspector code per site; a clear message instead of a database error."""
    site = form.site.data if hasattr(form, "site") else None
    code = field.data
    if site is None or not code:
        return
    query = select(Inspector.id).where(Inspector.site_id == site.id,
                                       Inspector.inspector_code == code)
    editing_id = getattr(form, "_id", None)
    if editing_id is not None:
        query = query.where(Inspector.id != int(editing_id))
    if db.session.scalar(query) is not None:
        raise ValidationError("この検査員コードは、この事業場ですでに登録されています。")


INSPECTOR_CODE_VALIDATORS = [Digits(8, "検査員コード"), unique_inspector_code]


class SiteView(TenantModelView):
    datamodel = SQLAInterface(Site)
    route_base = "/shop/sites"
    list_title = show_title = "事業場"
    list_columns = ["name", "designation_number", "certification_number", "records_enabled"]
    show_columns = [
        "name", "address", "phone", "certification_number", "designation_number",
        "district_code", "airas_registered", "ainas_status", "records_enabled", "two_step_signoff",
    ]
    label_columns = {
        "name": "事業場名", "address": "所在地", "phone": "電話番号",
        "certification_number": "認証番号", "designation_number": "指定番号",
        "district_code": "運輸支局コード", "airas_registered": "AIRAS登録",
        "ainas_status": "AINAS", "records_enabled": "記録簿メニュー",
        "two_step_signoff": "二段階の確認(管理責任者の承認の後に送信)",
    }
    search_columns = ["name", "designation_number", "certification_number"]
    formatters_columns = {"ainas_status": lambda v: AINAS_STATUS_LABELS.get(v, v)}
    base_permissions = ["can_list", "can_show"]


class InspectorView(TenantModelView):
    datamodel = SQLAInterface(Inspector)
    route_base = "/shop/inspectors"
    tenant_rel_fields = ("site",)
    list_title = show_title = "検査員"
    add_title = "検査員の登録"
    edit_title = "検査員の編集"
    list_columns = ["site", "name", "inspector_code", "active"]
    show_columns = add_columns = edit_columns = ["site", "name", "name_kana", "inspector_code",
                                                 "active"]
    search_columns = ["site", "name", "inspector_code"]
    label_columns = STAFF_LABELS
    validators_columns = {"inspector_code": INSPECTOR_CODE_VALIDATORS, "name_kana": [katakana]}
    description_columns = {"inspector_code": "8桁(例: 第1-12345 は 00112345)"}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]


def own_login_field():
    """The chief mechanic's own login: a user of the same business (scoped by app/tenancy.py)."""
    return QuerySelectField(
        "本人のログイン", query_func=lambda: scope(db.session.query(KeizokuUser), KeizokuUser, current_tenant())
        .order_by(KeizokuUser.id), get_pk_func=lambda u: u.id,
        get_label=lambda u: f"{u.display_name or u.username}({u.username})", allow_blank=True,
        blank_text="(ログインなし)", widget=Select2Widget())


class ChiefMechanicView(TenantModelView):
    datamodel = SQLAInterface(ChiefMechanic)
    route_base = "/shop/chief-mechanics"
    list_title = show_title = "整備主任者"
    add_title = "整備主任者の登録"
    edit_title = "整備主任者の編集"
    list_columns = ["site", "name", "active"]
    tenant_rel_fields = ("site",)
    show_columns = add_columns = edit_columns = ["site", "name", "name_kana", "user", "active"]
    search_columns = ["site", "name"]
    label_columns = {**STAFF_LABELS, "user": "本人のログイン"}
    add_form_extra_fields = edit_form_extra_fields = {"user": own_login_field()}
    formatters_columns = {"user": lambda u: (u.display_name or u.username) if u else "(なし)"}
    description_columns = {"user": "署名は本人だけができます: このログインで署名するか、本人が「署名用暗証番号の設定」で決めた暗証番号を入力します。"}
    validators_columns = {"name_kana": [katakana]}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]


class SiteUserView(TenantModelView):
    """The site manager's view of the people who log in at their sites (read only)."""

    datamodel = SQLAInterface(KeizokuUser)
    route_base = "/shop/users"
    list_title = show_title = "利用者"
    list_columns = ["username", "last_name", "first_name", "roles", "active"]
    show_columns = ["username", "last_name", "first_name", "email", "sites", "roles", "active",
                    "last_login"]
    label_columns = {
        "username": "ユーザーID", "last_name": "姓", "first_name": "名", "email": "メールアドレス",
        "sites": "事業場", "roles": "権限", "active": "有効", "last_login": "最終ログイン",
    }
    search_columns = ["username", "last_name", "first_name"]
    formatters_columns = {"roles": lambda roles: "、".join(role_label(r.name) for r in roles)}
    base_permissions = ["can_list", "can_show"]
