"""Records (記録簿) screens: the list per site, creation, the tablet/PC entry screen, tester
import, parts patterns, signing, PDF output and batch printing; and the association's
tester-profile screens.

Thin: every change goes through app/services/records.py, every row is loaded through the
tenancy layer. A site without the records menu (``Site.records_enabled``) gets a Japanese
explanation and its record URLs answer 403.
"""
import json

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import or_, select
from wtforms import TextAreaField
from wtforms.validators import ValidationError

from app.domain.inspection_forms import SYMBOL_MEANINGS
from app.domain.tester_import import MAX_EXPORT_BYTES, validate_profile
from app.domain.wheel_positions import AXLE_LAYOUTS, MEASUREMENTS
from app.extensions import db
from app.models.record import (
    PRINT_BATCH_STATUSES,
    RECORD_FORMS,
    RECORD_KINDS,
    RECORD_STATUSES,
    PartsPattern,
    PrintBatch,
    Record,
    TesterProfile,
)
from app.models.tenancy import ChiefMechanic, Inspector, Site
from app.public_urls import public_url
from app.domain.wareki import format_wareki
from app.services import record_from_certificate as from_certificate
from app.services import records as svc
from app.tenancy import current_tenant, get_owned_or_404, scope
from app.timeutil import today
from app.views import paging
from app.views.base import KeizokuModelView, display_value

DISABLED_MESSAGE = ("この事業場では記録簿メニューが開通していません。記録簿(指定整備記録簿・定期点検整備記録簿)を"
                    "ご利用になるには、協会サポートデスクへお申し込みください。開通すると、このメニューから"
                    "記録簿の作成・印刷ができるようになります。")
FORM_CHOICES = [("beppyo6", "別表6(自家用乗用等・12/24か月)"), ("beppyo3", "別表3(事業用等・3/12か月)"),
                ("beppyo5", "別表5(自家用貨物等・6/12か月)"), ("beppyo4", "別表4(被牽引・3/12か月)")]
WORK_CYCLE = ["✓", "×", "A", "C", "T", "L", "△"]
MEASUREMENT_KEYS = {kind.key for kind in MEASUREMENTS}


def _tenant():
    tenant = current_tenant()
    if tenant.is_empty:
        abort(403)
    return tenant


def _sites(tenant):
    return db.session.scalars(scope(select(Site), Site, tenant).order_by(Site.id)).all()


def _records_sites(tenant):
    """The tenant's sites where the association switched the records menu on."""
    return [s for s in _sites(tenant) if s.records_enabled]


def _no_records_sites(view):
    return view.render_template("records/disabled.html", site=None, sites=[],
                                message=DISABLED_MESSAGE)


def _disabled(view, site=None):
    response = make_response(view.render_template("records/disabled.html", site=site,
                                                  message=DISABLED_MESSAGE), 403)
    return response


def _owned_record(view, pk):
    """The tenant's record, or 404; 403 with the explanation when its site has no records."""
    tenant = _tenant()
    record = get_owned_or_404(db.session, Record, pk, tenant)
    if not record.site.records_enabled:
        abort(_disabled(view, record.site))
    return tenant, record


def _owned_in_enabled_site(view, model, pk):
    tenant = _tenant()
    row = get_owned_or_404(db.session, model, pk, tenant)
    if not row.site.records_enabled:
        abort(_disabled(view, row.site))
    return tenant, row


def record_url(record_id):
    return public_url("RecordView.show", pk=record_id)


def _cycle(check):
    cycle = list(WORK_CYCLE)
    if check.skippable:
        if check.skip_symbol:
            cycle.append(check.skip_symbol)
        cycle.append("P")
    cycle.append("/")
    return cycle


def _json_error(message, status=400):
    return jsonify({"ok": False, "error": message}), status


class RecordView(BaseView):
    route_base = "/records"
    default_view = "list"
    tenant_model = Record

    @expose("/")
    @has_access
    def list(self):
        tenant = _tenant()
        sites = _sites(tenant)
        enabled = [s for s in sites if s.records_enabled]
        chosen = request.args.get("site", type=int)
        site = next((s for s in sites if s.id == chosen), None) if chosen else (
            enabled[0] if enabled else None)
        if chosen and site is None:
            abort(404)  # another business's site (or none): as for every other foreign id
        if site is None or not site.records_enabled:
            return self.render_template("records/disabled.html", site=site, sites=enabled,
                                        message=DISABLED_MESSAGE)
        query = scope(select(Record), Record, tenant).where(Record.site_id == site.id,
                                                            Record.is_current.is_(True))
        words = (request.args.get("q") or "").strip()
        if words:
            like = f"%{words}%"
            matches = [Record.chassis_number.like(like), Record.customer_name.like(like)]
            plate = Record.plate_matches(words)
            query = query.where(or_(*matches, *([plate] if plate is not None else [])))
        page = paging.newest_first(db.session, query, Record.inspection_date, Record.id, request.args)
        return self.render_template("records/list.html", site=site, sites=enabled, records=page.rows,
                                    page=page, args=request.args, words=words, kinds=RECORD_KINDS, forms=RECORD_FORMS,
                                    statuses=RECORD_STATUSES, title="記録簿")

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self):
        tenant = _tenant()
        sites = _records_sites(tenant)
        if not sites:
            return _no_records_sites(self)
        values = request.form.to_dict() if request.method == "POST" else {
            "site_id": request.args.get("site", sites[0].id), "kind": "designated",
            "form": "beppyo6", "interval_months": "24",
            "inspection_date": today().isoformat(),
            "certificate_id": request.args.get("certificate", ""), "issue_number": ""}
        chosen_site = next((s for s in sites if str(s.id) == str(values.get("site_id"))), sites[0])
        recent = from_certificate.recent_certificates(db.session, tenant, chosen_site.id, today())
        choices = [(c.id, from_certificate.certificate_choice_label(c, format_wareki)) for c in recent]
        if request.method == "POST":
            data = dict(values)
            data.pop("csrf_token", None)
            try:
                record = svc.create_record(db.session, tenant, **data)
                db.session.commit()
            except svc.RecordError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
            except TypeError:
                db.session.rollback()
                flash("入力項目が足りません。画面を読み込み直してください。", "danger")
            else:
                flash("記録簿を作成しました。点検結果を入力してください。", "success")
                return redirect(url_for("RecordView.show", pk=record.id))
        return self.render_template("records/new.html", sites=sites, values=values,
                                    forms=FORM_CHOICES, title="記録簿の作成", choices=choices,
                                    chosen_site=chosen_site)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        tenant, record = _owned_record(self, pk)
        form = svc.record_form(record)
        applicable = {c.id for c in svc.record_checks(record)}
        results = svc.record_results(record)
        devices = []
        for device in form.devices:
            rows = []
            for part in device.parts:
                for check in part.checks:
                    if check.id in applicable:
                        rows.append({"check": check, "symbols": results.get(check.id, []),
                                     "cycle": _cycle(check)})
            if rows:
                devices.append({"device": device, "rows": rows})
        patterns = db.session.scalars(scope(select(PartsPattern), PartsPattern, tenant).where(
            PartsPattern.site_id == record.site_id).order_by(PartsPattern.position,
                                                             PartsPattern.id)).all()
        inspectors = db.session.scalars(select(Inspector).where(
            Inspector.site_id == record.site_id, Inspector.active.is_(True))).all()
        chiefs = db.session.scalars(select(ChiefMechanic).where(
            ChiefMechanic.site_id == record.site_id, ChiefMechanic.active.is_(True))).all()
        roles = g.user.role_names
        return self.render_template(
            "records/entry.html", record=record, form=form, devices=devices,
            missing=len(svc.missing_checks(record)), patterns=patterns, inspectors=inspectors,
            chiefs=chiefs, own_chief=next((c.id for c in chiefs if c.user_id == g.user.id), None),
            wheel_inputs=svc.wheel_inputs(record), axle_layouts=AXLE_LAYOUTS,
            scalar_measurements=({} if form.towed else svc.SCALAR_MEASUREMENTS),
            legend=SYMBOL_MEANINGS,
            can_sign_inspector="inspector" in roles and record.kind == "designated",
            can_sign_chief=bool(roles & {"inspector", "site_manager"}),
            can_correct=self.appbuilder.sm.has_access("can_correct", "RecordView"),
            copies=svc.COPIES, title="記録簿の入力")

    @expose("/<int:pk>/result", methods=["POST"])
    @has_access
    def result(self, pk):
        tenant, record = _owned_record(self, pk)
        payload = request.get_json(silent=True) or request.form
        check_id = payload.get("check_id")
        symbols = payload.get("symbols")
        if isinstance(symbols, str):
            symbols = list(symbols)
        if not check_id or not isinstance(symbols, list):
            return _json_error("送信内容が不正です。画面を読み込み直してください。")
        try:
            stored = svc.set_result(db.session, tenant, record.id, check_id, symbols)
            db.session.commit()
        except svc.RecordError as exc:
            db.session.rollback()
            return _json_error(str(exc), 409 if record.locked else 400)
        return jsonify({"ok": True, "check_id": check_id, "symbols": stored,
                        "missing": len(svc.missing_checks(record))})

    @expose("/<int:pk>/device-good", methods=["POST"])
    @has_access
    def device_good(self, pk):
        tenant, record = _owned_record(self, pk)
        payload = request.get_json(silent=True) or request.form
        try:
            changed = svc.mark_device_good(db.session, tenant, record.id, payload.get("device"))
            db.session.commit()
        except svc.RecordError as exc:
            db.session.rollback()
            return _json_error(str(exc), 409 if record.locked else 400)
        return jsonify({"ok": True, "changed": changed,
                        "missing": len(svc.missing_checks(record))})

    def _form_action(self, pk, action, success):
        """Run ``action(tenant, record)`` for a form POST; flash and back to the record."""
        tenant, record = _owned_record(self, pk)
        try:
            target = action(tenant, record)
            db.session.commit()
        except svc.RecordError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            target = None
        else:
            flash(success, "success")
        anchor = request.form.get("anchor", "")
        return redirect(url_for("RecordView.show", pk=getattr(target, "id", record.id))
                        + (f"#{anchor}" if anchor.isidentifier() else ""))

    @expose("/<int:pk>/details", methods=["POST"])
    @has_access
    def details(self, pk):
        data = {k: v for k, v in request.form.items() if k not in ("csrf_token", "anchor")}
        measurement_keys = {k for k in data if k.split(".")[0] in MEASUREMENT_KEYS
                            or k in svc.SCALAR_MEASUREMENTS}

        def save(tenant, record):
            svc.update_details(db.session, tenant, record.id,
                               {k: v for k, v in data.items() if k not in measurement_keys})
            if measurement_keys:
                svc.set_measurements(db.session, tenant, record.id,
                                     {k: data[k] for k in measurement_keys})
            return record

        return self._form_action(pk, save, "保存しました。")

    @expose("/<int:pk>/parts", methods=["POST"])
    @has_access
    def parts(self, pk):
        form = request.form

        def change(tenant, record):
            if form.get("pattern"):
                return svc.apply_parts_pattern(db.session, tenant, record.id, form["pattern"])
            if form.get("remove") not in (None, ""):
                return svc.remove_replaced_part(db.session, tenant, record.id, form["remove"])
            parts = svc.parse_parts_lines(form.get("lines", ""))
            if not parts:
                raise svc.RecordError("部品名を入力してください。")
            return svc.add_replaced_parts(db.session, tenant, record.id, parts)

        return self._form_action(pk, change, "交換部品を更新しました。")

    @expose("/<int:pk>/tester", methods=["GET", "POST"])
    @has_access
    def tester(self, pk):
        tenant, record = _owned_record(self, pk)
        profiles = svc.active_tester_profiles(db.session)
        db.session.commit()
        errors = []
        if request.method == "POST":
            upload = request.files.get("file")
            # Read with a cap: one byte over the limit is enough to refuse it.
            content = upload.read(MAX_EXPORT_BYTES + 1) if upload and upload.filename else \
                (request.form.get("text") or "").encode("utf-8")
            if not content.strip():
                errors = ["ファイルを選ぶか、出力内容を貼り付けてください。"]
            else:
                try:
                    svc.import_tester_values(db.session, tenant, record.id, content,
                                             request.form.get("profile") or None)
                    db.session.commit()
                except svc.RecordError as exc:
                    db.session.rollback()
                    errors = str(exc).split("\n")
                else:
                    flash("検査機器の測定値を取り込みました。", "success")
                    return redirect(url_for("RecordView.show", pk=record.id) + "#tester")
        return self.render_template("records/tester.html", record=record, profiles=profiles,
                                    errors=errors, title="検査機器の測定値の取込み")

    @expose("/<int:pk>/sign", methods=["POST"])
    @has_access
    def sign(self, pk):
        signature = request.form.get("signature", "")
        refused = []

        def sign(tenant, record):
            try:
                return svc.sign_record(db.session, tenant, g.user, record.id, signature=signature,
                                       signer_id=request.form.get("signer_id"),
                                       pin=request.form.get("pin") or None)
            except svc.PinRefused as exc:
                refused.append((tenant, exc.signer_id))
                raise

        response = self._form_action(pk, sign, "署名しました。")
        for tenant, signer_id in refused:  # after the rollback: the wrong PIN still counts
            svc.note_pin_refused(db.session, tenant, signer_id)
            db.session.commit()
        return response

    @expose("/signing-pin", methods=["GET", "POST"])
    @has_access
    def signing_pin(self):
        """The 整備主任者 sets their own signing PIN (their password first)."""
        errors = []
        if request.method == "POST":
            try:
                svc.set_signing_pin(db.session, _tenant(), g.user, password=request.form.get("password"),
                                    pin=request.form.get("pin"), pin_again=request.form.get("pin_again"))
                db.session.commit()
                flash("署名用暗証番号を設定しました。記録簿の署名で、ログインしていない端末でもこの暗証番号で署名できます。",
                      "success")
                return redirect(url_for("RecordView.signing_pin"))
            except svc.RecordError as exc:
                db.session.rollback()
                errors = [str(exc)]
        signers = db.session.scalars(scope(select(ChiefMechanic), ChiefMechanic, _tenant()).where(
            ChiefMechanic.user_id == g.user.id)).all()
        return self.render_template("records/signing_pin.html", errors=errors, signers=signers,
                                    title="署名用暗証番号の設定"), (422 if errors else 200)

    @expose("/<int:pk>/correct", methods=["POST"])
    @has_access
    def correct(self, pk):
        return self._form_action(
            pk, lambda tenant, record: svc.correct_record(db.session, tenant, record.id),
            "訂正版(新しい版)を作成しました。訂正して、もう一度署名してください。")

    @expose("/<int:pk>/pdf", methods=["POST"])
    @has_access
    def pdf(self, pk):
        tenant, record = _owned_record(self, pk)
        copy = request.form.get("copy", "shop")
        try:
            pdf, _charged = svc.output_record_pdf(db.session, tenant, record.id, copy,
                                                  record_url(record.id))
        except svc.RecordError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("RecordView.show", pk=record.id))
        response = make_response(pdf)
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = (
            f'attachment; filename="record-{record.id}-v{record.version}-{copy}.pdf"')
        return response


class PartsPatternView(BaseView):
    """Replaced-parts patterns per site: the site manager edits, everyone applies them."""

    route_base = "/records/patterns"
    default_view = "list"
    tenant_model = PartsPattern

    @expose("/")
    @has_access
    def list(self):
        tenant = _tenant()
        sites = _records_sites(tenant)
        if not sites:
            return _no_records_sites(self)
        patterns = db.session.scalars(scope(select(PartsPattern), PartsPattern, tenant).where(
            PartsPattern.site_id.in_([s.id for s in sites])).order_by(
            PartsPattern.site_id, PartsPattern.position, PartsPattern.id)).all()
        return self.render_template(
            "records/patterns.html", patterns=patterns, lines=svc.parts_pattern_lines,
            can_edit=self.appbuilder.sm.has_access("can_edit", "PartsPatternView"),
            title="交換部品のパターン")

    def _save(self, pattern=None):
        tenant = _tenant()
        sites = _records_sites(tenant)
        values = request.form.to_dict() if request.method == "POST" else {
            "site_id": pattern.site_id if pattern else (sites[0].id if sites else ""),
            "name": pattern.name if pattern else "",
            "lines": svc.parts_pattern_lines(pattern) if pattern else ""}
        if request.method == "POST":
            try:
                svc.save_parts_pattern(db.session, tenant, site_id=values.get("site_id"),
                                       name=values.get("name"), lines=values.get("lines"),
                                       pattern_id=pattern.id if pattern else None)
                db.session.commit()
            except svc.RecordError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
            else:
                flash("パターンを保存しました。", "success")
                return redirect(url_for("PartsPatternView.list"))
        return self.render_template("records/pattern_form.html", sites=sites, values=values,
                                    pattern=pattern, title="交換部品のパターン")

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self):
        return self._save()

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        _, pattern = _owned_in_enabled_site(self, PartsPattern, pk)
        return self._save(pattern)

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete(self, pk):
        tenant, pattern = _owned_in_enabled_site(self, PartsPattern, pk)
        svc.delete_parts_pattern(db.session, tenant, pattern.id)
        db.session.commit()
        flash("パターンを削除しました。", "success")
        return redirect(url_for("PartsPatternView.list"))


class PrintBatchView(BaseView):
    """Many signed records printed as one PDF in the background, with visible progress."""

    route_base = "/records/batches"
    default_view = "list"
    tenant_model = PrintBatch

    @expose("/")
    @has_access
    def list(self):
        tenant = _tenant()
        sites = _records_sites(tenant)
        if not sites:
            return _no_records_sites(self)
        chosen = request.args.get("site", type=int)
        site = next((s for s in sites if s.id == chosen), sites[0])
        printable = db.session.scalars(scope(select(Record), Record, tenant).where(
            Record.site_id == site.id, Record.is_current.is_(True),
            Record.status.in_(("signed", "output"))).order_by(
            Record.inspection_date.desc(), Record.id.desc()).limit(500)).all()
        batches = db.session.scalars(scope(select(PrintBatch), PrintBatch, tenant).where(
            PrintBatch.site_id == site.id).order_by(PrintBatch.id.desc()).limit(20)).all()
        return self.render_template("records/batches.html", site=site, sites=sites,
                                    records=printable, batches=batches, copies=svc.COPIES,
                                    statuses=PRINT_BATCH_STATUSES, fmt=display_value,
                                    title="まとめて印刷")

    @expose("/new", methods=["POST"])
    @has_access
    def add(self):
        tenant = _tenant()
        try:
            batch = svc.start_print_batch(
                db.session, tenant, g.user, site_id=request.form.get("site_id"),
                record_ids=request.form.getlist("record"), copy=request.form.get("copy", "shop"))
            db.session.commit()
        except svc.RecordError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("PrintBatchView.list", site=request.form.get("site_id")))
        urls = {record_id: record_url(record_id) for record_id in batch.record_ids}
        svc.launch_print_batch(current_app._get_current_object(), batch.id, urls.get)
        return redirect(url_for("PrintBatchView.show", pk=batch.id))

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        _, batch = _owned_in_enabled_site(self, PrintBatch, pk)
        return self.render_template("records/batch.html", batch=batch, title="まとめて印刷")

    @expose("/<int:pk>/status")
    @has_access
    def status(self, pk):
        _, batch = _owned_in_enabled_site(self, PrintBatch, pk)
        return jsonify({"status": batch.status, "status_label": batch.status_label,
                        "done": batch.done_count, "total": batch.total_count,
                        "error": batch.error,
                        "download": url_for("PrintBatchView.download", pk=batch.id)
                        if batch.status == "done" else None})

    @expose("/<int:pk>/download")
    @has_access
    def download(self, pk):
        _, batch = _owned_in_enabled_site(self, PrintBatch, pk)
        path = svc.batch_file(batch)
        if path is None:
            abort(404)
        return send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=f"records-batch-{batch.id}.pdf")


def _valid_mapping(form, field):
    try:
        mapping = json.loads(field.data or "")
    except ValueError as exc:
        raise ValidationError(f"設定内容の書式が正しくありません({exc.lineno}行目)。") from None
    if isinstance(mapping, dict):
        for key in ("code", "maker", "name"):
            if getattr(form, key, None) is not None and form[key].data:
                mapping[key] = form[key].data
    problems = validate_profile(mapping)
    if problems:
        raise ValidationError(" ".join(problems))


def _mapping_summary(mapping):
    columns = (mapping or {}).get("columns") or []
    return f"{len(columns)}列"


class TesterProfileAdminView(KeizokuModelView):
    """The association's tester profiles (maker formats); shop users have no access."""

    datamodel = SQLAInterface(TesterProfile)
    route_base = "/association/tester-profiles"
    list_title = show_title = "検査機器の設定"
    add_title = "検査機器の設定の追加"
    edit_title = "検査機器の設定の編集"
    list_columns = ["maker", "name", "mapping", "active"]
    show_columns = ["maker", "name", "code", "mapping", "active", "updated_at"]
    add_columns = edit_columns = ["code", "maker", "name", "mapping_text", "active"]
    search_columns = ["maker", "name"]
    label_columns = {"code": "識別名", "maker": "メーカー", "name": "名称", "mapping": "設定",
                     "mapping_text": "設定内容", "active": "使用する", "updated_at": "更新日時"}
    description_columns = {
        "code": "半角英数字の識別名(他の設定と重ならないもの)",
        "mapping_text": "メーカーの出力形式(列の並び・単位・文字コード)。組込みの設定を写して直してください。",
    }
    formatters_columns = {"mapping": _mapping_summary}
    add_form_extra_fields = edit_form_extra_fields = {
        "mapping_text": TextAreaField("設定内容", validators=[_valid_mapping],
                                      render_kw={"rows": 20}),
    }
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]

    @expose("/list/")
    @has_access
    def list(self):
        # The shipped profiles appear the first time the association looks.
        if svc.ensure_builtin_tester_profiles(db.session):
            db.session.commit()
        return super().list()

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        form.mapping_text.data = json.dumps(item.mapping, ensure_ascii=False, indent=1)

    def _apply_mapping(self, item):
        mapping = json.loads(item.mapping_text)
        mapping.update(code=item.code, maker=item.maker, name=item.name)
        item.mapping = mapping

    def pre_add(self, item):
        self._apply_mapping(item)

    def pre_update(self, item):
        self._apply_mapping(item)


def register(appbuilder):
    menu = dict(category="RecordsMenu", category_label="記録簿", category_icon="fa-book")
    appbuilder.add_view(RecordView, "Records", label="記録簿一覧", icon="fa-list", **menu)
    appbuilder.add_link("NewRecord", label="記録簿の作成", href="/records/new",
                        icon="fa-plus", **menu)
    appbuilder.add_view(PartsPatternView, "PartsPatterns", label="交換部品のパターン",
                        icon="fa-boxes-stacked", **menu)
    appbuilder.add_view(PrintBatchView, "PrintBatches", label="まとめて印刷", icon="fa-print",
                        **menu)
    appbuilder.add_link("SigningPin", label="署名用暗証番号の設定", href="/records/signing-pin",
                        icon="fa-key", **menu)
    appbuilder.add_view(TesterProfileAdminView, "TesterProfiles", label="検査機器の設定",
                        icon="fa-gauge", category="Association", category_label="協会管理",
                        category_icon="fa-landmark")


RECORD_USE = ("can_list", "can_add", "can_show", "can_result", "can_device_good",
              "can_details", "can_parts", "can_tester", "can_pdf")
BATCH_USE = ("can_list", "can_add", "can_show", "can_status", "can_download")
RECORD_MENUS = ("Records", "NewRecord", "PartsPatterns", "PrintBatches", "RecordsMenu")
SIGNER_MENUS = RECORD_MENUS + ("SigningPin",)  # 整備主任者 are managers' or inspectors' logins

ROLE_PERMISSIONS = {
    "association_admin": {"TesterProfileAdminView": ("can_list", "can_show", "can_add",
                                                     "can_edit")},
    "association_staff": {"TesterProfileAdminView": ("can_list", "can_show")},
    "site_manager": {
        "RecordView": RECORD_USE + ("can_sign", "can_correct", "can_signing_pin"),
        "PartsPatternView": ("can_list", "can_add", "can_edit", "can_delete"),
        "PrintBatchView": BATCH_USE,
    },
    "inspector": {
        "RecordView": RECORD_USE + ("can_sign", "can_correct", "can_signing_pin"),
        "PartsPatternView": ("can_list",),
        "PrintBatchView": BATCH_USE,
    },
    "clerk": {
        "RecordView": RECORD_USE,  # clerks prepare data; they cannot sign or correct
        "PartsPatternView": ("can_list",),
        "PrintBatchView": BATCH_USE,
    },
}
ROLE_MENUS = {
    "association_admin": ("TesterProfiles",),
    "association_staff": ("TesterProfiles",),
    "site_manager": SIGNER_MENUS,
    "inspector": SIGNER_MENUS,
    "clerk": RECORD_MENUS,
}
