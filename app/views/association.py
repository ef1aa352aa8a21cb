"""The association's back-office: businesses, sites, accounts, the audit log.

These views are not tenant-scoped on purpose: only association roles hold their
permissions (app/security/roles.py), and shop roles are refused by FAB's has_access.
"""
from flask import current_app, flash, g, redirect, request, Response
from flask_appbuilder import expose, has_access
from flask_appbuilder.fields import QuerySelectField, QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import Select2ManyWidget, Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms.validators import ValidationError

from app import audit
from app.extensions import db
from app.models.audit import AuditLog
from app.models.tenancy import Business, Site
from app.security.models import ASSOCIATION_ROLES, KeizokuUser
from app.security.roles import ROLE_LABELS, role_label
from app.services import accounts
from app.services.mail import MailError
from app.views.base import JapanTimeInterface, KeizokuModelView
from app.settings import ACCOUNT_TYPES  # 全銀 預金種目 codes
from app.views.validators import (
    Digits,
    choice_field,
    corporate_number,
    halfwidth_kana,
    katakana,
    phone,
    postal_code,
    username_rule,
)

BUSINESS_LABELS = {
    "name": "事業者名", "name_kana": "事業者名フリガナ", "corporate_number": "法人番号",
    "postal_code": "郵便番号", "address": "所在地", "phone": "電話番号",
    "contact_name": "担当者", "contact_email": "担当者メールアドレス",
    "bank_code": "金融機関コード", "branch_code": "支店コード", "account_type": "預金種目",
    "account_number": "口座番号", "account_holder_kana": "口座名義(半角カナ)",
    "active": "有効", "sites": "事業場", "created_at": "登録日時", "updated_at": "更新日時",
}


class BusinessAdminView(KeizokuModelView):
    datamodel = SQLAInterface(Business)
    route_base = "/association/businesses"
    list_title = show_title = "事業者"
    add_title = "事業者の登録"
    edit_title = "事業者の編集"
    list_columns = ["name", "corporate_number", "phone", "active"]
    add_columns = edit_columns = [
        "name", "name_kana", "corporate_number", "postal_code", "address", "phone",
        "contact_name", "contact_email", "bank_code", "branch_code", "account_type",
        "account_number", "account_holder_kana", "active",
    ]
    show_columns = add_columns + ["sites", "created_at", "updated_at"]
    search_columns = ["name", "name_kana", "corporate_number", "phone"]
    label_columns = BUSINESS_LABELS
    validators_columns = {
        "corporate_number": [corporate_number],
        "name_kana": [katakana],
        "postal_code": [postal_code],
        "phone": [phone],
        "bank_code": [Digits(4, "金融機関コード")],
        "branch_code": [Digits(3, "支店コード")],
        "account_number": [Digits(7, "口座番号")],
        "account_holder_kana": [halfwidth_kana],
    }
    description_columns = {"corporate_number": "13桁。個人事業主の場合は空欄"}
    add_form_extra_fields = edit_form_extra_fields = {
        "account_type": choice_field("預金種目", ACCOUNT_TYPES, blank="(未設定)", default="1")}
    formatters_columns = {"account_type": lambda v: ACCOUNT_TYPES.get(v, v)}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]


def records_need_numbers(form, field):
    if field.data and not (form.certification_number.data and form.designation_number.data):
        raise ValidationError(
            "記録簿メニューは、認証番号と指定番号の両方を登録した事業場でのみ有効にできます。"
        )


SITE_LABELS = {
    "business": "事業者", "name": "事業場名", "postal_code": "郵便番号", "address": "所在地",
    "phone": "電話番号", "certification_number": "認証番号", "designation_number": "指定番号",
    "district_code": "運輸支局コード", "airas_registered": "AIRAS登録済",
    "ainas_status": "AINAS", "billed_separately": "事業場ごとに請求",
    "records_enabled": "記録簿メニュー", "active": "有効",
    "two_step_signoff": "二段階の確認(管理責任者の承認の後に送信)",
}


AINAS_STATUS_LABELS = {"registered": "AINAS登録済", "hybrid_only": "ハイブリッド申請のみ"}


def ainas_status_field():
    from wtforms import SelectField

    return SelectField("AINAS", choices=list(AINAS_STATUS_LABELS.items()),
                       default="registered")


class SiteAdminView(KeizokuModelView):
    datamodel = SQLAInterface(Site)
    route_base = "/association/sites"
    list_title = show_title = "事業場"
    add_title = "事業場の登録"
    edit_title = "事業場の編集"
    list_columns = ["business", "name", "designation_number", "certification_number",
                    "records_enabled", "billed_separately"]
    add_columns = edit_columns = [
        "business", "name", "postal_code", "address", "phone", "certification_number",
        "designation_number", "district_code", "airas_registered", "ainas_status",
        "billed_separately", "records_enabled", "active", "two_step_signoff",
    ]
    show_columns = add_columns
    search_columns = ["business", "name", "designation_number", "certification_number"]
    label_columns = SITE_LABELS
    validators_columns = {
        "records_enabled": [records_need_numbers],
        "district_code": [Digits(2, "運輸支局コード")],
        "postal_code": [postal_code],
        "phone": [phone],
    }
    add_form_extra_fields = {"ainas_status": ainas_status_field()}
    edit_form_extra_fields = {"ainas_status": ainas_status_field()}
    formatters_columns = {"ainas_status": lambda v: AINAS_STATUS_LABELS.get(v, v)}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]


def _our_roles():
    from app.extensions import appbuilder

    role = appbuilder.sm.role_model
    return db.session.query(role).filter(role.name.in_(list(ROLE_LABELS))).order_by(role.id)


def one_role(form, field):
    if not field.data:
        raise ValidationError("権限を選択してください。")
    names = {r.name for r in field.data}
    if names & set(ASSOCIATION_ROLES) and names - set(ASSOCIATION_ROLES):
        raise ValidationError("協会の権限と事業場の権限は同時に設定できません。")


def business_field():
    return QuerySelectField(
        "事業者", query_func=lambda: db.session.query(Business).order_by(Business.name_kana),
        get_pk_func=lambda b: b.id, allow_blank=True, blank_text="(協会の利用者は選択しない)",
        widget=Select2Widget(),
    )


def roles_field():
    return QuerySelectMultipleField(
        "権限", query_func=_our_roles, get_pk_func=lambda r: r.id,
        get_label=lambda r: role_label(r.name),
        widget=Select2ManyWidget(), validators=[one_role],
    )


def sites_match_business(form, field):
    business = form.business.data
    roles = {r.name for r in (form.roles.data or [])}
    is_association = bool(roles & set(ASSOCIATION_ROLES))
    if is_association:
        if business is not None or field.data:
            raise ValidationError("協会の利用者には事業者・事業場を設定しないでください。")
        return
    if business is None:
        raise ValidationError("事業場の利用者には事業者を選択してください。")
    if not field.data:
        raise ValidationError("利用する事業場を1つ以上選択してください。")
    if any(site.business_id != business.id for site in field.data):
        raise ValidationError("選択した事業者の事業場だけを選択してください。")


class AccountAdminView(KeizokuModelView):
    """Accounts are created by the association from the mailed application form."""

    datamodel = SQLAInterface(KeizokuUser)
    route_base = "/association/accounts"
    list_title = show_title = "利用者アカウント"
    add_title = "利用者アカウントの発行"
    edit_title = "利用者アカウントの編集"
    list_columns = ["username", "last_name", "first_name", "business", "roles", "active",
                    "locked_until", "must_change_password"]
    add_columns = ["username", "last_name", "first_name", "email", "business", "sites", "roles"]
    edit_columns = ["last_name", "first_name", "email", "business", "sites", "roles", "active"]
    show_columns = ["username", "last_name", "first_name", "email", "business", "sites", "roles",
                    "active", "must_change_password", "locked_until", "fail_login_count",
                    "last_login", "password_changed_at"]
    search_columns = ["username", "last_name", "email", "business"]
    label_columns = {
        "username": "ユーザーID", "last_name": "姓", "first_name": "名",
        "email": "メールアドレス", "business": "事業者", "sites": "事業場", "roles": "権限",
        "active": "有効", "locked_until": "ロック解除予定", "must_change_password": "初回パスワード変更待ち",
        "fail_login_count": "連続ログイン失敗回数", "last_login": "最終ログイン",
        "password_changed_at": "パスワード変更日時",
    }
    validators_columns = {"sites": [sites_match_business], "username": [username_rule]}
    formatters_columns = {
        "roles": lambda roles: "、".join(role_label(r.name) for r in roles),
    }
    add_form_extra_fields = {"roles": roles_field(), "business": business_field()}
    edit_form_extra_fields = {"roles": roles_field(), "business": business_field()}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_reissue", "can_unlock", "can_notice_pdf"]
    show_template = "keizoku/account_show.html"

    def pre_add(self, item):
        g.initial_password = accounts.issue_initial_password(item)

    def post_add(self, item):
        self._mail_notice(item, g.pop("initial_password", None))

    def _mail_notice(self, user, password):
        try:
            accounts.send_registration_notice(db.session, user, password)
            db.session.commit()
            flash(f"{user.email} に利用登録通知書をメールで送信しました。", "success")
        except MailError:
            db.session.rollback()
            flash(
                "アカウントは作成しましたが、通知メールを送信できませんでした。"
                "「通知書を再発行」から再送するか、PDFを郵送してください。",
                "danger",
            )

    def _load(self, pk):
        user = self.datamodel.get(pk)
        if user is None:
            from flask import abort

            abort(404)
        return user

    @expose("/reissue/<int:pk>", methods=["POST"])
    @has_access
    def reissue(self, pk):
        """New initial password, mailed again; the change is forced at the next login."""
        user = self._load(pk)
        password = accounts.issue_initial_password(user)
        db.session.commit()
        self._mail_notice(user, password)
        return redirect(self._show_url(pk))

    @expose("/notice_pdf/<int:pk>", methods=["POST"])
    @has_access
    def notice_pdf(self, pk):
        """A new initial password on the printable 利用登録通知書, for post."""
        from app.reports.notice import render_registration_notice

        user = self._load(pk)
        password = accounts.issue_initial_password(user)
        pdf = render_registration_notice(accounts.notice_context(user, password))
        audit.record(db.session, "registration_notice_printed", entity=user)
        db.session.commit()
        return Response(
            pdf, mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="notice-{user.id}.pdf"',
                     "Cache-Control": "no-store"},
        )

    @expose("/unlock/<int:pk>", methods=["POST"])
    @has_access
    def unlock(self, pk):
        user = self._load(pk)
        self.appbuilder.sm.unlock(user)
        db.session.commit()
        flash("アカウントのロックを解除しました。", "success")
        return redirect(self._show_url(pk))

    def _show_url(self, pk):
        from flask import url_for

        return url_for(f"{self.__class__.__name__}.show", pk=pk)


def audit_entity_label(class_name):
    """Japanese name of an audited model: each model names itself with ``__label__``."""
    from flask_appbuilder import Model

    for mapper in Model.registry.mappers:
        if mapper.class_.__name__ == class_name:
            return getattr(mapper.class_, "__label__", class_name)
    return class_name


class AuditLogView(KeizokuModelView):
    # Shown in Japan time (display_value), searched in Japan time too.
    datamodel = JapanTimeInterface(AuditLog)
    route_base = "/association/audit"
    list_title = show_title = "監査ログ"
    list_columns = ["occurred_at", "actor_username", "action", "entity_type", "entity_id",
                    "business_id"]
    show_columns = list_columns + ["before", "after", "remote_addr", "detail"]
    search_columns = ["actor_username", "action", "entity_type", "entity_id", "business_id",
                      "occurred_at"]
    label_columns = {
        "occurred_at": "日時(日本時間)", "actor_username": "操作者", "action": "操作",
        "entity_type": "対象", "entity_id": "対象ID", "business_id": "事業者ID",
        "before": "変更前", "after": "変更後", "remote_addr": "接続元", "detail": "詳細",
    }
    base_order = ("occurred_at", "desc")
    formatters_columns = {
        "action": lambda v: audit.ACTION_LABELS.get(v, v),
        "entity_type": audit_entity_label,
    }
    base_permissions = ["can_list", "can_show"]
