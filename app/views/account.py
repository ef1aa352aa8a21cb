"""The user's own password change; forced at first login (see app/gates.py)."""
from flask import flash, g, redirect, request, session
from flask_appbuilder import BaseView, expose
from flask_login import logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from app.extensions import appbuilder, db
from app.security.passwords import complexity_problem
from app.security.sessions import stamp
from app.services.accounts import change_password


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "現在のパスワード", validators=[DataRequired("現在のパスワードを入力してください。")]
    )
    new_password = PasswordField(
        "新しいパスワード", validators=[DataRequired("新しいパスワードを入力してください。")]
    )
    confirm_password = PasswordField(
        "新しいパスワード(確認)",
        validators=[
            DataRequired("確認のため、新しいパスワードをもう一度入力してください。"),
            EqualTo("new_password", "確認用のパスワードが一致しません。"),
        ],
    )

    wrong_current_password = False

    def validate_current_password(self, field):
        if not check_password_hash(g.user.password or "", field.data or ""):
            self.wrong_current_password = True  # counts toward the lockout (the view)
            raise ValidationError("現在のパスワードが正しくありません。")

    def validate_new_password(self, field):
        problem = complexity_problem(field.data or "")
        if problem:
            raise ValidationError(problem)
        user = g.user
        if user.initial_password_hash and check_password_hash(user.initial_password_hash, field.data):
            raise ValidationError("初期パスワードは使えません。別のパスワードを設定してください。")
        if check_password_hash(user.password or "", field.data or ""):
            raise ValidationError("現在と同じパスワードは使えません。")


class PasswordChangeView(BaseView):
    route_base = "/account"
    default_view = "password"

    @expose("/password", methods=["GET", "POST"])
    def password(self):
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(appbuilder.get_url_for_login)
        form = PasswordChangeForm()
        if request.method == "POST":
            valid = form.validate()
            sm = appbuilder.sm
            if form.wrong_current_password and sm.count_wrong_password(user):
                # Guessing the password from an open session ends it, as the lockout would.
                sm.end_sessions(user)
                logout_user()
                session.clear()
                flash(sm.refused(), "warning")
                return redirect(appbuilder.get_url_for_login)
            if valid:
                change_password(db.session, user, form.new_password.data)  # ends other sessions
                db.session.commit()
                stamp(user)  # this session carries on
                flash("パスワードを変更しました。", "success")
                return redirect(appbuilder.get_url_for_index)
        return self.render_template(
            "keizoku/password_change.html", form=form, forced=user.must_change_password,
            title="パスワードの変更",
        )
