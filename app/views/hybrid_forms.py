"""ハイブリッド申請の様式: the association uploads the official blank forms once and corrects the
positions of the values; every shop's OCR sheet and 重量税納付書 then print on them.
Thin: the rules live in app/services/hybrid_forms.py and app/reports/form_layouts.py."""
from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access

from app.extensions import db
from app.services import hybrid_forms


def _form_or_404(form):
    """``form``: a form's name (ocr-registered, ...), not a row id: the forms are the same for all."""
    if form not in hybrid_forms.FORM_IDS:
        abort(404)
    return form


class HybridFormView(BaseView):
    route_base = "/association/hybrid-forms"
    default_view = "list"
    method_permission_name = {"list": "read", "positions": "read", "calibration": "read",
                              "upload": "write", "remove": "write"}

    @expose("/")
    @has_access
    def list(self):
        return self.render_template("hybrid_forms/list.html", forms=hybrid_forms.form_statuses(),
                                    title="ハイブリッド申請の様式")

    @expose("/<form>/positions.json")
    @has_access
    def positions(self, form):
        return Response(hybrid_forms.layout_file(_form_or_404(form)),
                        content_type="application/json; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{form}.json"'})

    @expose("/<form>/calibration.pdf")
    @has_access
    def calibration(self, form):
        pdf = hybrid_forms.association_preview_pdf(_form_or_404(form))
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{form}-calibration.pdf"'})

    @expose("/<form>/upload", methods=["POST"])
    @has_access
    def upload(self, form):
        _form_or_404(form)
        kind = request.form.get("kind")
        upload = request.files.get("file")
        content = upload.read(hybrid_forms.MAX_UPLOAD_BYTES + 1) if upload else b""
        try:
            if kind == "blank":
                hybrid_forms.upload_blank_form(db.session, form, content)
                message = "様式のPDFを登録しました。次の印刷から、この様式に値を重ねて印刷します。"
            elif kind == "layout":
                hybrid_forms.upload_layout(db.session, form, content)
                message = "印字位置のファイルを登録しました。次の印刷から、この位置で印刷します。"
            else:
                abort(400)
            db.session.commit()
            flash(message, "success")
        except hybrid_forms.FormFileError as error:
            db.session.rollback()
            flash(str(error), "danger")
        return redirect(url_for("HybridFormView.list"))

    @expose("/<form>/remove", methods=["POST"])
    @has_access
    def remove(self, form):
        kind = request.form.get("kind")
        if kind not in hybrid_forms.KINDS:
            abort(400)
        if hybrid_forms.remove_upload(db.session, _form_or_404(form), kind):
            db.session.commit()
            flash("登録を取り消しました。" + ("様式のない印刷(値だけ)に戻ります。" if kind == "blank"
                                        else "出荷時の印字位置(推定値)に戻ります。"), "success")
        return redirect(url_for("HybridFormView.list"))


ROLE_PERMISSIONS = {"association_admin": {"HybridFormView": ("can_read", "can_write")},
                    "association_staff": {"HybridFormView": ("can_read",)}}
ROLE_MENUS = {"association_admin": ("HybridForms",), "association_staff": ("HybridForms",)}


def register(appbuilder):
    appbuilder.add_view(HybridFormView, "HybridForms", label="ハイブリッド申請の様式",
                        icon="fa-print", category="Association")
