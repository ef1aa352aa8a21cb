"""Account use cases: create, notify, change and reset passwords, unlock.

Each function changes state inside the caller's transaction; the audit log is written by
the session events (row changes) and by ``audit.record`` (mails, password events).
"""
from flask import current_app
from werkzeug.security import generate_password_hash

from app import audit
from app.public_urls import public_url
from app.security.passwords import generate_initial_password
from app.services.mail import send_mail
from app.timeutil import today, utcnow_naive


def _hash(password):
    cfg = current_app.config
    return generate_password_hash(
        password,
        method=cfg.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=cfg.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )


def issue_initial_password(user) -> str:
    """Give ``user`` a fresh initial password; the change is forced at the next login."""
    password = generate_initial_password()
    user.password = _hash(password)
    user.initial_password_hash = user.password
    user.must_change_password = True
    user.locked_until = None
    user.fail_login_count = 0
    return password


def change_password(session, user, new_password):
    user.password = _hash(new_password)
    user.must_change_password = False
    user.password_changed_at = utcnow_naive()
    audit.record(session, "password_changed", entity=user)


def login_url():
    return public_url("KeizokuAuthDBView.login")


def notice_context(user, password):
    cfg = current_app.config
    return {
        "association_name": cfg["ASSOCIATION_NAME"],
        "association_contact": cfg["ASSOCIATION_CONTACT"],
        "business_name": user.business.name if user.business else cfg["ASSOCIATION_NAME"],
        "user_name": user.display_name,
        "sites": [s.name for s in user.sites],
        "username": user.username,
        "password": password,
        "login_url": login_url(),
        "issued_on": today(),
        "service_name": cfg["SERVICE_NAME"],
    }


NOTICE_SUBJECT = "【{service_name}】利用登録通知書"
NOTICE_BODY = """{business_name}
{user_name} 様

{service_name} の利用登録が完了しましたのでお知らせします。

■ ログインURL
{login_url}

■ ユーザーID
{username}

■ 初期パスワード
{password}

初回ログイン時にパスワードの変更をお願いします。変更するまで他の画面はご利用いただけません。
ご利用時間: 1:00〜24:00(0:00〜1:00はメンテナンス、12月29日〜1月3日は休止)

このメールにお心当たりがない場合は、お手数ですが下記までご連絡ください。
{association_name}
{association_contact}
"""


def send_registration_notice(session, user, password):
    """Mail the 利用登録通知書 (login URL, user ID, initial password)."""
    ctx = notice_context(user, password)
    send_mail(user.email, NOTICE_SUBJECT.format(**ctx), NOTICE_BODY.format(**ctx))
    audit.record(session, "registration_notice_mailed", entity=user)
