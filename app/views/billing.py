"""Billing screens. Thin: every rule lives in app/services/billing.py.

The association's screens (months, closing, reopening, the debit file, invoices, per-business
history) are a separate view that only association roles may use. The shop's screens show
their own invoices (PDF, CSV) and this month's usage; every row is loaded through the tenancy
layer (``get_owned_or_404`` / ``scope`` with ``current_tenant()``).
"""
from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import func, select

from app import audit
from app.domain.prices import KIND_LABELS
from app.extensions import db
from app.models.invoice import BillingMonth, DebitFile, Invoice
from app.models.tenancy import Business
from app.reports import csv_export
from app.reports.csv_export import CsvEncodingError
from app.services import billing, debit_results
from app.tenancy import current_tenant, get_owned_or_404, scope
from app.timeutil import today as today_jst
from app.views.base import display_value

CSV_ENCODINGS = {"utf8": "utf-8-sig", "sjis": "cp932"}


def _yen(value):
    return f"{value:,}"


def _download(content, filename, content_type):
    # content_type as given: ``mimetype=`` would add a second charset to "text/csv; charset=...".
    return Response(content, content_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _invoice_pdf_response(invoice):
    return _download(billing.invoice_pdf(invoice), billing.invoice_file_name(invoice, "pdf"),
                     "application/pdf")


def _invoice_csv_response(invoice, back_endpoint):
    """The detail CSV in the encoding asked for (?encoding=sjis for Shift_JIS); a character
    Shift_JIS cannot hold sends the user back with the message that names it."""
    encoding = CSV_ENCODINGS.get(request.args.get("encoding", "utf8"), CSV_ENCODINGS["utf8"])
    try:
        content = billing.invoice_csv(invoice, encoding)
    except CsvEncodingError as error:
        flash(str(error), "danger")
        return redirect(url_for(back_endpoint, pk=invoice.id))
    suffix = "-sjis" if encoding == "cp932" else ""
    return _download(content, billing.invoice_file_name(invoice, "csv").replace(
        ".csv", f"{suffix}.csv"), csv_export.content_type(encoding))


def _month_or_404(label):
    try:
        billing.parse_month(label)
    except billing.BillingError:
        abort(404)
    month = db.session.scalars(select(BillingMonth).where(BillingMonth.year_month == label)).first()
    if month is None:
        abort(404)
    return month


class BillingViewMixin:
    template_helpers = {"yen": _yen, "show": display_value, "kind_labels": KIND_LABELS,
                        "debit_outcome": debit_results.outcome_label}

    def render(self, template, **context):
        return self.render_template(template, **self.template_helpers, **context)


class BillingAdminView(BillingViewMixin, BaseView):
    """The association: months and their state, closing, reopening, the debit file."""

    route_base = "/billing/admin"
    default_view = "months"
    tenant_model = Invoice
    method_permission_name = {
        "months": "read", "month": "read", "invoice": "read", "businesses": "read",
        "business_history": "read", "invoice_pdf": "download", "invoice_csv": "download",
        "debit_file": "download", "close": "close", "reopen": "reopen",
        "produce_debit_file": "produce", "import_debit_result": "import_result",
    }

    @expose("/months/")
    @has_access
    def months(self):
        totals = dict((row[0], row[1:]) for row in db.session.execute(
            select(Invoice.billing_month_id, func.count(Invoice.id), func.sum(Invoice.total_yen))
            .group_by(Invoice.billing_month_id)))
        months = db.session.scalars(select(BillingMonth).order_by(BillingMonth.year_month.desc())).all()
        today = today_jst()
        suggested = billing.month_label(*billing.previous_month(today.year, today.month))
        return self.render("billing/months.html", months=months, totals=totals,
                           suggested=suggested, title="請求月の一覧")

    @expose("/months/close", methods=["POST"])
    @has_access
    def close(self):
        label = request.form.get("month", "")
        try:
            result = billing.close_month(db.session, *billing.parse_month(label))
        except billing.BillingError as error:
            flash(str(error), "danger")
            return redirect(url_for(".months"))
        if result.closed_now:
            flash(f"{label} を締めました（請求書 {result.invoice_count}件、合計 {_yen(result.total_yen)}円）。"
                  "内容を確認してから口座振替データを作成してください。", "success")
        else:
            flash(f"{label} は締め済みです。内容は変わっていません。", "info")
        return redirect(url_for(".month", month=label))

    @expose("/months/<month>/")
    @has_access
    def month(self, month):
        row = _month_or_404(month)
        debit_file = db.session.scalars(select(DebitFile).where(
            DebitFile.billing_month_id == row.id)).first()
        summary = None
        if debit_file is not None and debit_file.result_imported_at is not None:
            summary = debit_results.result_summary(row.invoices)
        can_import = self.appbuilder.sm.has_access("can_import_result", self.class_permission_name)
        return self.render("billing/month.html", month=row, invoices=row.invoices,
                           debit_file=debit_file, summary=summary, can_import=can_import,
                           title=f"{row.year_month} の請求")

    @expose("/months/<month>/reopen", methods=["POST"])
    @has_access
    def reopen(self, month):
        row = _month_or_404(month)
        reason = request.form.get("reason", "").strip()
        if not reason:
            flash("締めを取り消す理由を入力してください。", "danger")
            return redirect(url_for(".month", month=row.year_month))
        try:
            billing.reopen_month(db.session, *billing.parse_month(row.year_month), reason=reason)
            flash(f"{row.year_month} の締めを取り消しました。修正後にもう一度締めてください。", "success")
        except billing.BillingError as error:
            flash(str(error), "danger")
        return redirect(url_for(".month", month=month))

    @expose("/months/<month>/debit-file", methods=["POST"])
    @has_access
    def produce_debit_file(self, month):
        row = _month_or_404(month)
        try:
            result = billing.produce_debit_file(db.session, *billing.parse_month(row.year_month))
        except billing.BillingError as error:
            flash(str(error), "danger")
            return redirect(url_for(".month", month=month))
        if result.debit_file is None:
            flash("口座振替できる請求がないため、データを作成しませんでした。"
                  "事業者の口座情報を登録してから、もう一度作成してください。", "danger")
        elif result.problems:
            flash(f"口座振替データを作成しました。口座情報に問題がある {len(result.problems)}件は"
                  "含めていません。一覧を確認し、別の方法で請求してください。", "warning")
        else:
            flash("口座振替データを作成しました。ダウンロードして銀行に送信してください。", "success")
        return redirect(url_for(".month", month=month))

    @expose("/months/<month>/debit-result", methods=["POST"])
    @has_access
    def import_debit_result(self, month):
        row = _month_or_404(month)
        upload = request.files.get("result_file")
        if upload is None or not upload.filename:
            flash("銀行から受け取った振替結果データのファイルを選んでください。", "danger")
            return redirect(url_for(".month", month=month))
        content = upload.read(debit_results.MAX_RESULT_FILE_BYTES + 1)
        try:
            result = debit_results.import_debit_results(
                db.session, *billing.parse_month(row.year_month), content)
        except billing.BillingError as error:
            flash(str(error), "danger")
            return redirect(url_for(".month", month=month))
        totals = (f"振替済 {result.paid_count}件 {_yen(result.paid_yen)}円、"
                  f"振替不能 {result.unpaid_count}件 {_yen(result.unpaid_yen)}円")
        if result.changed:
            flash(f"振替結果を取り込みました（{totals}）。振替不能の請求は一覧で確認してください。", "success")
        else:
            flash(f"この振替結果は取込み済みです。内容は変わっていません（{totals}）。", "info")
        if result.unknown_codes:
            codes = "・".join(result.unknown_codes)
            flash(f"意味の登録されていない振替結果コード（{codes}）があります。"
                  "「その他」として取り込みました。銀行に意味を確認してください。", "warning")
        return redirect(url_for(".month", month=month))

    @expose("/months/<month>/debit-file", methods=["GET"])
    @has_access
    def debit_file(self, month):
        row = _month_or_404(month)
        debit_file = db.session.scalars(select(DebitFile).where(
            DebitFile.billing_month_id == row.id)).first()
        if debit_file is None:
            abort(404)
        audit.record(db.session, "debit_file_downloaded", entity=row,
                     detail=f"sha256 {debit_file.sha256}")
        db.session.commit()
        return _download(debit_file.content, billing.debit_file_name(debit_file),
                         "text/plain; charset=shift_jis")  # JIS8 bytes: the cp932 kana

    @expose("/invoices/<int:pk>")
    @has_access
    def invoice(self, pk):
        invoice = db.session.get(Invoice, pk) or abort(404)
        return self.render("billing/invoice.html", invoice=invoice, association=True,
                           title=f"請求書 {invoice.number}")

    @expose("/invoices/<int:pk>/pdf")
    @has_access
    def invoice_pdf(self, pk):
        return _invoice_pdf_response(db.session.get(Invoice, pk) or abort(404))

    @expose("/invoices/<int:pk>/csv")
    @has_access
    def invoice_csv(self, pk):
        return _invoice_csv_response(db.session.get(Invoice, pk) or abort(404),
                                     "BillingAdminView.invoice")

    @expose("/businesses/")
    @has_access
    def businesses(self):
        rows = db.session.execute(
            select(Business.id, Business.name, func.count(Invoice.id), func.sum(Invoice.total_yen))
            .outerjoin(Invoice, Invoice.business_id == Business.id)
            .group_by(Business.id, Business.name).order_by(Business.name_kana, Business.id)).all()
        return self.render("billing/businesses.html", rows=rows, title="事業者別の請求履歴")

    @expose("/businesses/<int:business_id>")
    @has_access
    def business_history(self, business_id):
        business = db.session.get(Business, business_id) or abort(404)
        invoices = billing.business_history(db.session, business.id)
        return self.render("billing/business_history.html", business=business,
                           invoices=invoices, problem=billing.bank_account_problem(business),
                           title=f"{business.name} の請求履歴")


class ShopBillingView(BillingViewMixin, BaseView):
    """A shop: this month's usage per site, and its own invoices with PDF and CSV."""

    route_base = "/billing"
    default_view = "usage"
    tenant_model = Invoice
    method_permission_name = {"usage": "usage", "invoices": "invoices", "invoice": "invoices",
                              "invoice_pdf": "invoices", "invoice_csv": "invoices"}

    @expose("/usage/")
    @has_access
    def usage(self):
        tenant = current_tenant()
        rows = []
        if not tenant.is_empty:
            rows = billing.usage_this_month(db.session, tenant.business_id,
                                            site_ids=tenant.site_ids)
        today = today_jst()
        return self.render("billing/usage.html", rows=rows, year=today.year, month=today.month,
                           total=sum(r.amount_yen for r in rows), title="今月のご利用状況")

    @expose("/invoices/")
    @has_access
    def invoices(self):
        query = scope(select(Invoice), Invoice, current_tenant())
        invoices = db.session.scalars(query.order_by(Invoice.period_start.desc(),
                                                     Invoice.number)).all()
        return self.render("billing/shop_invoices.html", invoices=invoices, title="請求書")

    @expose("/invoices/<int:pk>")
    @has_access
    def invoice(self, pk):
        invoice = get_owned_or_404(db.session, Invoice, pk, current_tenant())
        return self.render("billing/invoice.html", invoice=invoice, association=False,
                           title=f"請求書 {invoice.number}")

    @expose("/invoices/<int:pk>/pdf")
    @has_access
    def invoice_pdf(self, pk):
        return _invoice_pdf_response(get_owned_or_404(db.session, Invoice, pk, current_tenant()))

    @expose("/invoices/<int:pk>/csv")
    @has_access
    def invoice_csv(self, pk):
        return _invoice_csv_response(get_owned_or_404(db.session, Invoice, pk, current_tenant()),
                                     "ShopBillingView.invoice")


ADMIN = ("can_read", "can_download", "can_close", "can_reopen", "can_produce", "can_import_result")
ROLE_PERMISSIONS = {
    "association_admin": {"BillingAdminView": ADMIN},
    "association_staff": {"BillingAdminView": ("can_read", "can_download")},
    "site_manager": {"ShopBillingView": ("can_usage", "can_invoices")},
    "inspector": {"ShopBillingView": ("can_usage",)},
    "clerk": {"ShopBillingView": ("can_usage", "can_invoices")},
}
ROLE_MENUS = {
    "association_admin": ("BillingMonths", "BillingBusinesses", "Billing"),
    "association_staff": ("BillingMonths", "BillingBusinesses", "Billing"),
    "site_manager": ("BillingUsage", "BillingInvoices", "ShopBilling"),
    "inspector": ("BillingUsage", "ShopBilling"),
    "clerk": ("BillingUsage", "BillingInvoices", "ShopBilling"),
}


def register(appbuilder):
    assoc = dict(category="Billing", category_label="請求", category_icon="fa-yen-sign")
    appbuilder.add_view(BillingAdminView, "BillingMonths", label="請求月", icon="fa-calendar",
                        **assoc)
    appbuilder.add_link("BillingBusinesses", href="/billing/admin/businesses/",
                        label="事業者別の請求履歴", icon="fa-briefcase", **assoc)
    shop = dict(category="ShopBilling", category_label="ご利用と請求", category_icon="fa-yen-sign")
    appbuilder.add_view(ShopBillingView, "BillingUsage", label="今月のご利用状況",
                        icon="fa-chart-bar", **shop)
    appbuilder.add_link("BillingInvoices", href="/billing/invoices/", label="請求書",
                        icon="fa-file-invoice", **shop)
