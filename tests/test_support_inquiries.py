"""Inquiries: a shop sends one from inside the app; it lands in the association's log and in
the association's mailbox; shops see only their own; the association keeps the log."""
from datetime import date
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from tests.conftest import free_port

SUPPORT_ADDRESS = "support@kyokai.example.jp"


@pytest.fixture
def support_address(app):
    previous = app.config.get("ASSOCIATION_SUPPORT_EMAIL")
    app.config["ASSOCIATION_SUPPORT_EMAIL"] = SUPPORT_ADDRESS
    yield SUPPORT_ADDRESS
    app.config["ASSOCIATION_SUPPORT_EMAIL"] = previous


def _inquiries(app, **where):
    from app.extensions import db
    from app.models.support import Inquiry

    with app.app_context():
        query = select(Inquiry)
        for key, value in where.items():
            query = query.where(getattr(Inquiry, key) == value)
        return db.session.scalars(query.order_by(Inquiry.id)).all()


def _send(browser, site_id, subject="QRコードが読み取れません"):
    return browser.post("/shop/inquiries/add", {
        "site": str(site_id), "topic": "qr_reader", "subject": subject,
        "body": "車検証の二次元コードを読むと文字化けします。", "follow_up_on": "2026-12-01",
        "notes": "店が書いたメモ",
    }, follow_redirects=True)


def _plain_body(message):
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset())


def test_a_shop_inquiry_lands_in_the_log_and_the_associations_mailbox(
        app, tenants, browser, smtp_server, support_address):
    site_id = tenants.ids["a"]["sites"][1]
    browser.login("a-manager")
    page = _send(browser, site_id).get_data(as_text=True)
    assert "お問い合わせを協会に送信しました" in page
    [inquiry] = _inquiries(app, subject="QRコードが読み取れません")
    assert inquiry.business_id == tenants.ids["a"]["Business"] and inquiry.site_id == site_id
    assert (inquiry.channel, inquiry.status, inquiry.topic) == ("app", "open", "qr_reader")
    assert inquiry.created_by_id == tenants.ids["a"]["users"]["manager"]
    # What only the association sets cannot be set by the shop.
    assert inquiry.notes is None and inquiry.follow_up_on is None
    assert inquiry.mailed_at is not None
    [message] = smtp_server
    assert message["To"] == SUPPORT_ADDRESS
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == f"[Keizoku 問い合わせ {inquiry.id}] QRコードが読み取れません"
    body = _plain_body(message)
    assert "事業者A" in body and "a工場1" in body and "文字化け" in body
    assert f"/support/inquiries/show/{inquiry.id}" in body

    staff = type(browser)(app)
    staff.login("assoc-staff")
    log = staff.get("/support/inquiries/list/").get_data(as_text=True)
    assert "QRコードが読み取れません" in log and "a工場1" in log
    shown = staff.get(f"/support/inquiries/show/{inquiry.id}").get_data(as_text=True)
    assert "QRコードリーダ" in shown and "アプリから" in shown


def test_mail_failure_keeps_the_inquiry_and_says_so(app, tenants, browser, support_address):
    previous = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    try:
        browser.login("a-clerk")
        page = _send(browser, tenants.ids["a"]["Site"], "メールが届かない問い合わせ").get_data(
            as_text=True)
    finally:
        app.config["MAIL_PORT"] = previous
    assert "協会へのメール通知に失敗しました" in page
    [inquiry] = _inquiries(app, subject="メールが届かない問い合わせ")
    assert inquiry.mailed_at is None
    from app.extensions import db
    from app.models.audit import AuditLog

    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action).where(
            AuditLog.entity_type == "Inquiry", AuditLog.entity_id == str(inquiry.id))).all()
    assert "inquiry_mail_failed" in actions


def test_shops_see_only_their_own_inquiries_and_never_the_associations_notes(
        app, tenants, browser):
    from app.extensions import db
    from app.models.support import Inquiry

    own = tenants.ids["a"]["Inquiry"]
    with app.app_context():
        db.session.get(Inquiry, own).notes = "協会内のメモ: 請求の件で要確認"
        db.session.commit()
    browser.login("a-manager")
    listing = browser.get("/shop/inquiries/list/").get_data(as_text=True)
    assert "A社の保適証送信について" in listing and "B社の保適証送信について" not in listing
    shown = browser.get(f"/shop/inquiries/show/{own}").get_data(as_text=True)
    assert "A社の保適証送信について" in shown and "協会内のメモ" not in shown
    assert browser.get(f"/shop/inquiries/show/{tenants.ids['b']['Inquiry']}").status_code == 404
    # A clerk limited to the first site does not see an inquiry of another site of A.
    with app.app_context():
        other = Inquiry(business_id=tenants.ids["a"]["Business"],
                        site_id=tenants.ids["a"]["sites"][2], subject="工場2の問い合わせ", body="",
                        channel="phone", topic="other", status="open")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    clerk = type(browser)(app)
    clerk.login("a-clerk")
    assert "工場2の問い合わせ" not in clerk.get("/shop/inquiries/list/").get_data(as_text=True)
    assert clerk.get(f"/shop/inquiries/show/{other_id}").status_code == 404


def test_a_shop_cannot_send_for_another_business_site(app, tenants, browser, smtp_server):
    browser.login("a-manager")
    _send(browser, tenants.ids["b"]["Site"], "他社の事業場として送信")
    assert _inquiries(app, subject="他社の事業場として送信") == []
    assert smtp_server == []


def test_shops_cannot_open_the_association_log(app, tenants, browser):
    browser.login("a-manager")
    assert browser.get("/support/inquiries/list/").status_code == 403
    assert browser.get("/support/follow-ups/list/").status_code == 403


def test_the_association_logs_a_phone_call_and_its_follow_up(app, tenants, browser):
    a, b = tenants.ids["a"], tenants.ids["b"]
    browser.login("assoc-staff")
    form = {"business": str(a["Business"]), "site": str(a["sites"][2]), "channel": "phone",
            "topic": "transport_bureau", "subject": "運輸支局から書類の差戻し",
            "body": "車検証の提出方法について", "status": "in_progress",
            "notes": "支局に確認済み。明日折り返し", "follow_up_on": "2026-11-27"}
    mismatched = browser.post("/support/inquiries/add", dict(form, site=str(b["Site"])))
    assert "選択した事業者の事業場を選んでください。" in mismatched.get_data(as_text=True)
    assert _inquiries(app, subject="運輸支局から書類の差戻し") == []
    assert browser.post("/support/inquiries/add", form).status_code == 302
    [logged] = _inquiries(app, subject="運輸支局から書類の差戻し")
    assert logged.created_by_id is not None and logged.follow_up_on == date(2026, 11, 27)
    # Searchable by business and site.
    found = browser.get(f"/support/inquiries/list/?_flt_0_site={a['sites'][2]}").get_data(
        as_text=True)
    assert "運輸支局から書類の差戻し" in found and "A社の保適証送信について" not in found
    follow_ups = browser.get("/support/follow-ups/list/").get_data(as_text=True)
    assert "運輸支局から書類の差戻し" in follow_ups
    assert "A社の保適証送信について" not in follow_ups  # no follow-up date
    edit = browser.post(f"/support/inquiries/edit/{logged.id}", dict(form, status="closed"))
    assert edit.status_code == 302
    assert "運輸支局から書類の差戻し" not in browser.get("/support/follow-ups/list/").get_data(
        as_text=True)


def test_open_follow_ups_are_listed_earliest_first(app, tenants):
    from app.extensions import db
    from app.models.support import Inquiry
    from app.services.support import open_follow_ups

    a = tenants.ids["a"]
    with app.app_context():
        for subject, day, status in (("後日", date(2026, 12, 5), "open"),
                                     ("先日", date(2026, 11, 30), "in_progress"),
                                     ("完了済", date(2026, 11, 28), "closed")):
            db.session.add(Inquiry(business_id=a["Business"], site_id=a["Site"], subject=subject,
                                   body="", channel="mail", topic="billing", status=status,
                                   follow_up_on=day))
        db.session.commit()
        assert [i.subject for i in open_follow_ups(db.session)] == ["先日", "後日"]
        assert [i.subject for i in open_follow_ups(db.session, date(2026, 12, 1))] == ["先日"]
