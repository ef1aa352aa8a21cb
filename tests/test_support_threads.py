"""The support desk answers (13.6): each inquiry has a thread the shop sees; every answer of the
association is mailed to the shop with the link to the thread; the shop can write again (the
association gets a mail); the association's memos are kept apart and never reach the shop."""
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from app.tenancy import Tenant, tenant_criteria
from tests.conftest import free_port
from tests.test_support_inquiries import SUPPORT_ADDRESS, _plain_body, support_address  # noqa: F401

MEMO = "内部メモ: 先月の請求で揉めている事業者。回答は課長確認のうえ"


def _subject(message):
    return str(make_header(decode_header(message["Subject"])))


def _thread(app, inquiry_id):
    from app.extensions import db
    from app.models.support import InquiryMemo, InquiryMessage

    with app.app_context():
        messages = db.session.scalars(select(InquiryMessage).where(
            InquiryMessage.inquiry_id == inquiry_id).order_by(InquiryMessage.id)).all()
        memos = db.session.scalars(select(InquiryMemo).where(
            InquiryMemo.inquiry_id == inquiry_id)).all()
        return ([(m.from_association, m.body, m.mailed_at is not None) for m in messages],
                [m.body for m in memos])


def _status(app, inquiry_id):
    from app.extensions import db
    from app.models.support import Inquiry

    with app.app_context():
        return db.session.get(Inquiry, inquiry_id).status


def _staff(app):
    from tests.conftest import Browser

    staff = Browser(app)
    staff.login("assoc-staff")
    return staff


def test_an_answer_reaches_the_shop_in_its_thread_and_by_mail(app, tenants, browser, smtp_server):
    inquiry = tenants.ids["a"]["Inquiry"]  # sent by a-manager
    staff = _staff(app)
    page = staff.post(f"/support/inquiries/reply/{inquiry}",
                      {"body": "AIRASの再送は「再送」ボタンからお願いします。"}, follow_redirects=True)
    assert "回答を事業場の画面に表示し、メールでお知らせしました。" in page.get_data(as_text=True)
    assert _thread(app, inquiry)[0] == [(True, "AIRASの再送は「再送」ボタンからお願いします。", True)]
    assert _status(app, inquiry) == "in_progress"

    [mail] = smtp_server
    assert mail["To"] == "a-manager@example.jp"
    assert _subject(mail) == f"[Keizoku お問い合わせ {inquiry}] 協会からの回答: A社の保適証送信について"
    body = _plain_body(mail)
    assert "「再送」ボタン" in body
    assert f"{app.config['PUBLIC_BASE_URL']}/shop/inquiries/show/{inquiry}" in body

    browser.login("a-manager")
    shown = browser.get(f"/shop/inquiries/show/{inquiry}").get_data(as_text=True)
    assert "AIRASの再送は「再送」ボタンからお願いします。" in shown and "やり取り" in shown


def test_memos_are_kept_apart_and_never_shown_to_the_shop(app, tenants, browser, smtp_server):
    inquiry = tenants.ids["a"]["Inquiry"]
    staff = _staff(app)
    page = staff.post(f"/support/inquiries/memo/{inquiry}", {"body": MEMO}, follow_redirects=True)
    assert "対応メモを保存しました" in page.get_data(as_text=True)
    assert MEMO in staff.get(f"/support/inquiries/show/{inquiry}").get_data(as_text=True)
    staff.post(f"/support/inquiries/reply/{inquiry}", {"body": "確認して折り返します。"})
    messages, memos = _thread(app, inquiry)
    assert memos == [MEMO] and [body for _, body, _ in messages] == ["確認して折り返します。"]
    assert all(MEMO not in _plain_body(m) for m in smtp_server)

    browser.login("a-manager")
    for url in (f"/shop/inquiries/show/{inquiry}", "/shop/inquiries/list/"):
        page = browser.get(url).get_data(as_text=True)
        assert MEMO not in page and "対応メモ" not in page
    assert "確認して折り返します。" in browser.get(f"/shop/inquiries/show/{inquiry}").get_data(as_text=True)


def test_memos_cannot_be_scoped_to_a_shop_at_all(app):
    from app.models.support import InquiryMemo, InquiryMessage

    tenant = Tenant(business_id=1, site_ids=frozenset({1}))
    tenant_criteria(InquiryMessage, tenant)  # messages are the shop's, through its site
    with pytest.raises(TypeError):
        tenant_criteria(InquiryMemo, tenant)


def test_the_shop_writes_again_and_the_association_is_mailed(app, tenants, browser, smtp_server,
                                                              support_address):  # noqa: F811
    from app.extensions import db
    from app.models.support import Inquiry

    inquiry = tenants.ids["a"]["Inquiry"]
    with app.app_context():
        db.session.get(Inquiry, inquiry).status = "closed"
        db.session.commit()
    browser.login("a-clerk")
    page = browser.post(f"/shop/inquiries/reply/{inquiry}", {"body": "まだ送信できません。"},
                        follow_redirects=True)
    assert "追記を協会に送信しました。" in page.get_data(as_text=True)
    assert _thread(app, inquiry)[0] == [(False, "まだ送信できません。", True)]
    assert _status(app, inquiry) == "open"  # a closed inquiry opens again
    [mail] = smtp_server
    assert mail["To"] == SUPPORT_ADDRESS
    assert _subject(mail).startswith(f"[Keizoku 問い合わせ {inquiry}] 事業場からの追記")
    assert f"/support/inquiries/show/{inquiry}" in _plain_body(mail)
    shown = _staff(app).get(f"/support/inquiries/show/{inquiry}").get_data(as_text=True)
    assert "まだ送信できません。" in shown


def test_a_shop_cannot_write_into_another_business_thread(app, tenants, browser, smtp_server):
    foreign = tenants.ids["b"]["Inquiry"]
    browser.login("a-manager")
    assert browser.post(f"/shop/inquiries/reply/{foreign}", {"body": "横から"}).status_code == 404
    assert browser.get(f"/shop/inquiries/show/{foreign}").status_code == 404
    assert _thread(app, foreign) == ([], []) and smtp_server == []
    assert browser.post(f"/support/inquiries/reply/{foreign}", {"body": "x"}).status_code == 403
    assert browser.post(f"/support/inquiries/memo/{foreign}", {"body": "x"}).status_code == 403


def test_an_empty_answer_is_refused_in_japanese(app, tenants, smtp_server):
    inquiry = tenants.ids["a"]["Inquiry"]
    staff = _staff(app)
    page = staff.post(f"/support/inquiries/reply/{inquiry}", {"body": "  "}, follow_redirects=True)
    assert "回答を入力してください。" in page.get_data(as_text=True)
    page = staff.post(f"/support/inquiries/memo/{inquiry}", {"body": ""}, follow_redirects=True)
    assert "メモを入力してください。" in page.get_data(as_text=True)
    assert _thread(app, inquiry) == ([], []) and smtp_server == []


def test_a_phone_inquiry_is_answered_to_the_business_contact(app, tenants, smtp_server):
    from app.extensions import db
    from app.models.support import Inquiry
    from app.models.tenancy import Business

    a = tenants.ids["a"]
    with app.app_context():
        db.session.get(Business, a["Business"]).contact_email = "keiri@a.example.jp"
        call = Inquiry(business_id=a["Business"], site_id=a["Site"], channel="phone",
                       topic="billing", subject="電話: 振替日について", body="", status="open")
        db.session.add(call)
        db.session.commit()
        call_id = call.id
    _staff(app).post(f"/support/inquiries/reply/{call_id}", {"body": "振替日は27日です。"})
    [mail] = smtp_server
    assert mail["To"] == "keiri@a.example.jp"


def test_a_mail_failure_keeps_the_answer_and_says_so(app, tenants):
    inquiry = tenants.ids["a"]["Inquiry"]
    previous = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    try:
        page = _staff(app).post(f"/support/inquiries/reply/{inquiry}", {"body": "回答です。"},
                                follow_redirects=True).get_data(as_text=True)
    finally:
        app.config["MAIL_PORT"] = previous
    assert "メールを送れませんでした" in page
    assert _thread(app, inquiry)[0] == [(True, "回答です。", False)]
