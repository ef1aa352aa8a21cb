"""The support desk: the association edits the Q&A and notices, keeps the inquiry log and
imports web applications; shops send inquiries and see their own.

Association views are not tenant-scoped on purpose (only association roles hold their
permissions); the shop's view derives from TenantModelView.
"""
from datetime import timezone

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from markupsafe import Markup, escape
from wtforms import SelectField
from wtforms.validators import DataRequired, ValidationError

from app.extensions import db
from app.integrations.base import SYSTEM_NAMES
from app.models.support import (
    INQUIRY_CHANNELS,
    INQUIRY_STATUSES,
    INQUIRY_TOPICS,
    NOTICE_KINDS,
    SUBMISSION_STATUSES,
    ApplicationFormSubmission,
    FaqEntry,
    Inquiry,
    Notice,
)
from app.models.tenancy import Business, Site
from app.security.models import ASSOCIATION_ROLES, KeizokuUser
from app.services import inquiry_threads, support
from app.tenancy import current_tenant
from app.timeutil import JST
from app.views.base import JapanTimeInterface, KeizokuModelView
from app.views.tenant_view import TenantModelView

READ = ("can_list", "can_show")
CRUD = READ + ("can_add", "can_edit", "can_delete")


def choice_field(label, choices, default=None):
    return SelectField(label, choices=list(choices.items()), default=default)


def labelled(choices):
    return lambda value: choices.get(value, value)


# --- Q&A and notices ----------------------------------------------------------------------------

class FaqEntryAdminView(KeizokuModelView):
    datamodel = SQLAInterface(FaqEntry)
    route_base = "/support/faq"
    list_title = show_title = "よくあるご質問"
    add_title = "質問の追加"
    edit_title = "質問の編集"
    list_columns = ["sort_order", "category", "title", "published"]
    add_columns = edit_columns = ["category", "title", "body", "sort_order", "published", "slug"]
    show_columns = add_columns + ["updated_at"]
    search_columns = ["category", "title", "body", "published"]
    label_columns = {
        "sort_order": "表示順", "category": "分類", "title": "質問", "body": "回答",
        "published": "公開", "slug": "リンク用の番号", "updated_at": "更新日時",
    }
    description_columns = {
        "slug": "画面のヘルプから参照する番号(例: q13)。ガイドの質問は変更しないでください。",
        "sort_order": "小さい順に表示します。分類はその最初の質問の順に並びます。",
    }
    base_order = ("sort_order", "asc")
    base_permissions = list(CRUD)


def _to_utc_naive(value):
    # The association types Japan time; the database keeps UTC (app/models/base.py).
    if value is None:
        return None
    return value.replace(tzinfo=JST).astimezone(timezone.utc).replace(tzinfo=None)


def _to_jst_naive(value):
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(JST).replace(tzinfo=None)


def shown_until_after_from(form, field):
    if field.data and form.shown_from.data and field.data <= form.shown_from.data:
        raise ValidationError("掲載終了は掲載開始より後の日時にしてください。")


class NoticeAdminView(KeizokuModelView):
    datamodel = JapanTimeInterface(Notice)
    route_base = "/support/notices"
    list_title = show_title = "お知らせ"
    add_title = "お知らせの登録"
    edit_title = "お知らせの編集"
    list_columns = ["shown_from", "kind", "title", "published", "on_dashboard", "on_public",
                    "shown_until", "outside_system"]
    add_columns = edit_columns = ["title", "body", "kind", "shown_from", "shown_until",
                                  "published", "on_dashboard", "on_public"]
    show_columns = add_columns + ["outside_system"]
    search_columns = ["title", "kind", "published", "shown_from"]
    label_columns = {
        "title": "件名", "body": "本文", "kind": "種類", "shown_from": "掲載開始",
        "shown_until": "掲載終了", "published": "公開", "on_dashboard": "事業場の画面に表示",
        "on_public": "ご利用ガイドに表示", "outside_system": "停止中の外部システム",
    }
    description_columns = {
        "shown_from": "日本時間で入力してください(例: 2026-12-01 09:00:00)",
        "shown_until": "空欄の場合は取り下げるまで掲載します",
        "kind": "「メンテナンス」は全事業場の画面上部に帯で表示します",
    }
    validators_columns = {"shown_until": [shown_until_after_from]}
    formatters_columns = {"kind": labelled(NOTICE_KINDS), "outside_system": labelled(SYSTEM_NAMES)}
    add_form_extra_fields = {"kind": choice_field("種類", NOTICE_KINDS, "other")}
    edit_form_extra_fields = {"kind": choice_field("種類", NOTICE_KINDS)}
    base_order = ("shown_from", "desc")
    base_permissions = list(CRUD)

    def process_form(self, form, is_created):
        for name in ("shown_from", "shown_until"):
            getattr(form, name).data = _to_utc_naive(getattr(form, name).data)

    def prefill_form(self, form, pk):
        for name in ("shown_from", "shown_until"):
            getattr(form, name).data = _to_jst_naive(getattr(form, name).data)


# --- Inquiries ----------------------------------------------------------------------------------

def association_users():
    role = current_app.appbuilder.sm.role_model
    return (db.session.query(KeizokuUser)
            .filter(KeizokuUser.roles.any(role.name.in_(ASSOCIATION_ROLES)))
            .order_by(KeizokuUser.id))


def handled_by_field():
    return QuerySelectField(
        "対応者", query_func=association_users, get_pk_func=lambda u: u.id,
        get_label=lambda u: u.display_name or u.username, allow_blank=True,
        blank_text="(未定)", widget=Select2Widget(),
    )


def site_field():
    # Site names repeat across businesses ("本社工場"): show whose site it is.
    return QuerySelectField(
        "事業場", query_func=lambda: db.session.query(Site).join(Site.business)
        .order_by(Business.name_kana, Site.id),
        get_pk_func=lambda s: s.id, get_label=lambda s: f"{s.business.name} {s.name}",
        widget=Select2Widget(), validators=[DataRequired(), site_of_business],
    )


def site_of_business(form, field):
    site, business = field.data, form.business.data
    if site is not None and business is not None and site.business_id != business.id:
        raise ValidationError("選択した事業者の事業場を選んでください。")


INQUIRY_LABELS = {
    "created_at": "受付日時", "business": "事業者", "site": "事業場", "channel": "受付方法",
    "topic": "種類", "subject": "件名", "body": "内容", "status": "対応状況",
    "handled_by": "対応者", "notes": "対応メモ(協会のみ)", "follow_up_on": "フォローアップ予定日",
    "created_by": "登録者", "mailed_at": "協会へのメール送信",
}
INQUIRY_FORMATTERS = {
    "channel": labelled(INQUIRY_CHANNELS), "topic": labelled(INQUIRY_TOPICS),
    "status": labelled(INQUIRY_STATUSES),
}


def inquiry_choice_fields(with_defaults):
    return {
        "channel": choice_field("受付方法", INQUIRY_CHANNELS, "phone" if with_defaults else None),
        "topic": choice_field("種類", INQUIRY_TOPICS, "other" if with_defaults else None),
        "status": choice_field("対応状況", INQUIRY_STATUSES, "open" if with_defaults else None),
        "handled_by": handled_by_field(),
        "site": site_field(),
    }


class InquiryAdminView(KeizokuModelView):
    """The inquiry log of every business and site, searchable by business, site and topic."""

    datamodel = JapanTimeInterface(Inquiry)
    route_base = "/support/inquiries"
    list_title = show_title = "問い合わせ記録"
    add_title = "問い合わせの記録"
    edit_title = "問い合わせ記録の編集"
    list_columns = ["created_at", "business", "site", "channel", "topic", "subject", "status",
                    "handled_by", "follow_up_on"]
    add_columns = edit_columns = ["business", "site", "channel", "topic", "subject", "body",
                                  "status", "handled_by", "notes", "follow_up_on"]
    show_columns = ["created_at", "business", "site", "channel", "topic", "subject", "body",
                    "status", "handled_by", "notes", "follow_up_on", "created_by", "mailed_at"]
    search_columns = ["business", "site", "topic", "status", "channel", "subject", "body",
                      "handled_by", "follow_up_on", "created_at"]
    label_columns = INQUIRY_LABELS
    formatters_columns = INQUIRY_FORMATTERS
    add_form_extra_fields = inquiry_choice_fields(True)
    edit_form_extra_fields = inquiry_choice_fields(False)
    base_order = ("created_at", "desc")
    base_permissions = list(CRUD) + ["can_reply", "can_memo"]
    show_template = "support/inquiry_admin_show.html"

    def pre_add(self, item):
        item.created_by_id = g.user.id
        support.check_inquiry(db.session, item)

    def pre_update(self, item):
        support.check_inquiry(db.session, item)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        inquiry = self.datamodel.get(pk)
        g.inquiry_thread = inquiry.messages if inquiry else []
        g.inquiry_memos = inquiry.memos if inquiry else []
        return super().show(pk)

    def _inquiry(self, pk):
        inquiry = self.datamodel.get(pk)
        if inquiry is None:
            abort(404)
        return inquiry

    def _back(self, pk):
        return redirect(url_for("InquiryAdminView.show", pk=pk))

    @expose("/reply/<int:pk>", methods=["POST"])
    @has_access
    def reply(self, pk):
        """The association's answer: into the thread the shop sees, and mailed to the shop."""
        inquiry = self._inquiry(pk)
        try:
            message = inquiry_threads.reply(db.session, inquiry, g.user, request.form.get("body"))
        except inquiry_threads.ThreadError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self._back(pk)
        db.session.commit()
        if inquiry_threads.mail_reply(db.session, message):
            flash("回答を事業場の画面に表示し、メールでお知らせしました。", "success")
        else:
            flash("回答は事業場の画面に表示しましたが、メールを送れませんでした"
                  "(送付先のメールアドレスがないか、メールサーバーに届きません)。"
                  "必要ならお電話でお知らせください。", "warning")
        db.session.commit()
        return self._back(pk)

    @expose("/memo/<int:pk>", methods=["POST"])
    @has_access
    def memo(self, pk):
        """A staff-only memo, never shown to the shop."""
        inquiry = self._inquiry(pk)
        try:
            inquiry_threads.add_memo(db.session, inquiry, g.user, request.form.get("body"))
        except inquiry_threads.ThreadError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self._back(pk)
        db.session.commit()
        flash("対応メモを保存しました(協会のみ表示)。", "success")
        return self._back(pk)


class OpenFollowUpFilter(BaseFilter):
    name = "フォローアップ予定"

    def apply(self, query, value):
        return query.filter(Inquiry.status != "closed", Inquiry.follow_up_on.isnot(None))


class OpenFollowUpView(InquiryAdminView):
    """Inquiries not closed that have a follow-up date, the earliest first."""

    route_base = "/support/follow-ups"
    list_title = show_title = "フォローアップ予定"
    list_columns = ["follow_up_on", "business", "site", "topic", "subject", "status",
                    "handled_by"]
    base_filters = [["id", OpenFollowUpFilter, lambda: None]]
    base_order = ("follow_up_on", "asc")
    base_permissions = ["can_list", "can_show", "can_edit"]


class ShopInquiryView(TenantModelView):
    """A shop sends an inquiry to the association and follows its own inquiries."""

    datamodel = SQLAInterface(Inquiry)
    route_base = "/shop/inquiries"
    tenant_rel_fields = ("site",)
    list_title = show_title = "お問い合わせ"
    add_title = "協会へのお問い合わせ"
    list_columns = ["created_at", "site", "topic", "subject", "status"]
    show_columns = ["created_at", "site", "topic", "subject", "body", "status"]
    add_columns = ["site", "topic", "subject", "body"]
    search_columns = ["site", "topic", "status", "subject"]
    label_columns = dict(INQUIRY_LABELS, created_at="送信日時", body="お問い合わせ内容")
    formatters_columns = INQUIRY_FORMATTERS
    description_columns = {
        "body": "画面の名前、操作した内容、表示されたメッセージ、車台番号などをご記入ください。",
    }
    add_form_extra_fields = {"topic": choice_field("種類", INQUIRY_TOPICS, "other")}
    base_order = ("created_at", "desc")
    base_permissions = ["can_list", "can_show", "can_add", "can_reply"]
    show_template = "support/inquiry_shop_show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        # Only the thread's messages, through the tenant; the association's memos never come here.
        g.inquiry_thread = inquiry_threads.shop_thread(db.session, pk, current_tenant())
        return super().show(pk)

    @expose("/reply/<int:pk>", methods=["POST"])
    @has_access
    def reply(self, pk):
        """The shop adds to its own inquiry; the association gets a mail."""
        back = redirect(url_for("ShopInquiryView.show", pk=pk))
        try:
            message = inquiry_threads.follow_up(db.session, pk, current_tenant(), g.user,
                                                request.form.get("body"))
        except inquiry_threads.ThreadError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return back
        db.session.commit()
        inquiry_threads.mail_follow_up(db.session, message)
        db.session.commit()
        flash("追記を協会に送信しました。", "success")
        return back

    def pre_add(self, item):
        super().pre_add(item)
        support.prepare_shop_inquiry(item, current_tenant(), g.user)

    def post_add(self, item):
        if item.id is None:
            return
        if support.mail_inquiry(db.session, item):
            flash("お問い合わせを協会に送信しました。協会から折り返しご連絡します。", "success")
        else:
            flash("お問い合わせは受け付けましたが、協会へのメール通知に失敗しました。"
                  "お急ぎの場合はお電話でご連絡ください: "
                  + current_app.config.get("ASSOCIATION_CONTACT", ""), "warning")
        db.session.commit()


# --- Web applications ---------------------------------------------------------------------------

def application_table(data):
    """The submitted form as a readable table for the association's show page."""
    business = (data or {}).get("business") or {}
    rows = [(f.label, support._display(f, business.get(f.key))) for f in support.BUSINESS_FIELDS]
    for index, site in enumerate((data or {}).get("sites") or [], start=1):
        rows.extend((f"事業場{index} {f.label}", support._display(f, site.get(f.key)))
                    for f in support.SITE_FIELDS)
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return Markup(f'<table class="table table-condensed">{body}</table>')


class ApplicationSubmissionAdminView(KeizokuModelView):
    datamodel = JapanTimeInterface(ApplicationFormSubmission)
    route_base = "/support/applications"
    list_title = show_title = "オンライン申込データ"
    edit_title = "オンライン申込データの状態"
    list_columns = ["created_at", "reference", "business_name", "status", "imported_business"]
    show_columns = ["created_at", "reference", "business_name", "status", "imported_business",
                    "imported_at", "imported_by", "data"]
    edit_columns = ["status"]
    search_columns = ["reference", "business_name", "status", "created_at"]
    label_columns = {
        "created_at": "受付日時", "reference": "受付番号", "business_name": "事業者名",
        "status": "状態", "imported_business": "登録した事業者", "imported_at": "取込日時",
        "imported_by": "取込者", "data": "申込内容",
    }
    formatters_columns = {"status": labelled(SUBMISSION_STATUSES), "data": application_table}
    edit_form_extra_fields = {"status": choice_field("状態", SUBMISSION_STATUSES)}
    base_order = ("created_at", "desc")
    show_template = "support/application_show.html"
    base_permissions = ["can_list", "can_show", "can_edit", "can_delete",
                        "can_import_submission", "can_pdf"]

    def _load(self, pk):
        submission = self.datamodel.get(pk)
        if submission is None:
            abort(404)
        return submission

    @expose("/import/<int:pk>", methods=["POST"])
    @has_access
    def import_submission(self, pk):
        """Create the business and its sites from the submission (the association checks it)."""
        submission = self._load(pk)
        try:
            business = support.import_submission(db.session, submission, g.user)
        except support.ApplicationImportError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "danger")
            flash("取り込めませんでした。内容を申込者に確認し、事業者の登録画面から入力してください。",
                  "warning")
            return redirect(url_for(f"{self.__class__.__name__}.show", pk=pk))
        db.session.commit()
        flash(f"事業者「{business.name}」と事業場{len(business.sites)}か所を登録しました。"
              "利用者アカウントを発行してください。", "success")
        return redirect(url_for("BusinessAdminView.show", pk=business.id))

    @expose("/pdf/<int:pk>", methods=["GET"])
    @has_access
    def pdf(self, pk):
        submission = self._load(pk)
        content = support.render_application_pdf(submission.data, submission.reference)
        return Response(content, mimetype="application/pdf", headers={
            "Content-Disposition":
                f'attachment; filename="keizoku-moushikomisho-{submission.reference}.pdf"',
            "Cache-Control": "no-store",
        })


# --- Registration -------------------------------------------------------------------------------

MENU = dict(category="Support", category_label="サポート", category_icon="fa-life-ring")


def register(appbuilder):
    from app.views.base import display_value

    current_app.jinja_env.filters["japan_time"] = display_value
    appbuilder.add_view(InquiryAdminView, "Inquiries", label="問い合わせ記録",
                        icon="fa-headset", **MENU)
    appbuilder.add_view(OpenFollowUpView, "FollowUps", label="フォローアップ予定",
                        icon="fa-calendar-check", **MENU)
    appbuilder.add_view(ApplicationSubmissionAdminView, "Applications", label="オンライン申込データ",
                        icon="fa-file-import", **MENU)
    appbuilder.add_view(FaqEntryAdminView, "FaqEntries", label="よくあるご質問の編集",
                        icon="fa-circle-question", **MENU)
    appbuilder.add_view(NoticeAdminView, "Notices", label="お知らせの編集", icon="fa-bullhorn",
                        **MENU)
    appbuilder.add_view(ShopInquiryView, "ShopInquiries", label="協会へのお問い合わせ",
                        icon="fa-envelope", **MENU)
    appbuilder.add_link("PublicGuide", href="/guide/", label="ご利用ガイド・よくあるご質問",
                        icon="fa-book", **MENU)


SHOP_SUPPORT = {"ShopInquiryView": ("can_list", "can_show", "can_add", "can_reply")}
SHOP_MENUS = ("ShopInquiries", "PublicGuide", "Support")

ROLE_PERMISSIONS = {
    "association_admin": {
        "InquiryAdminView": CRUD + ("can_reply", "can_memo"),
        "OpenFollowUpView": ("can_list", "can_show", "can_edit"),
        "ApplicationSubmissionAdminView": READ + ("can_edit", "can_delete",
                                                  "can_import_submission", "can_pdf"),
        "FaqEntryAdminView": CRUD,
        "NoticeAdminView": CRUD,
    },
    "association_staff": {
        "InquiryAdminView": READ + ("can_add", "can_edit", "can_reply", "can_memo"),
        "OpenFollowUpView": ("can_list", "can_show", "can_edit"),
        "ApplicationSubmissionAdminView": READ + ("can_pdf",),
        "FaqEntryAdminView": READ,
        "NoticeAdminView": READ,
    },
    "site_manager": SHOP_SUPPORT,
    "inspector": SHOP_SUPPORT,
    "clerk": SHOP_SUPPORT,
}
ASSOCIATION_MENUS = ("Inquiries", "FollowUps", "Applications", "FaqEntries", "Notices",
                     "PublicGuide", "Support")
ROLE_MENUS = {
    "association_admin": ASSOCIATION_MENUS,
    "association_staff": ASSOCIATION_MENUS,
    "site_manager": SHOP_MENUS,
    "inspector": SHOP_MENUS,
    "clerk": SHOP_MENUS,
}
