"""Issue 15 in Chromium: a two-step approval (the inspector confirms with their password, the
事業場管理責任者 approves, then it is sent to the sandbox) and a 承諾書 signed with a finger on
the tablet's canvas (mouse and touch strokes), then found by the wizard by 車台番号."""
import io

import pytest
import requests
from PIL import Image
from sqlalchemy import select

from tests.browser.conftest import assert_no_js_errors, login, new_page, screenshot
from tests.conftest import PASSWORD
from tests.test_certificate_helpers import filled_draft, ready_site, sandbox_config, vehicle_form
from tests.prechecks_helpers import in_db


@pytest.fixture
def sandbox(app):
    with sandbox_config(app) as server:
        yield server


def test_a_two_step_approval(app, tenants, chromium, live_server, page, sandbox):
    from app.models.certificate import Certificate
    from app.models.tenancy import Site
    from app.security.models import KeizokuUser
    from app.tenancy import tenant_of

    ids = tenants.ids["a"]

    def prepare(session):
        ready_site(session, ids["Site"]).two_step_signoff = True
        user = session.get(KeizokuUser, ids["users"]["inspector"])
        draft = filled_draft(session, tenant_of(user), ids["Site"], user.id, "SIGN10-0000001")
        session.commit()
        return draft.id

    draft = in_db(app, prepare)
    assert in_db(app, lambda s: s.get(Site, ids["Site"]).two_step_signoff)

    # The inspector ticks the items that cannot be corrected and confirms with their password.
    login(page, "a-inspector", PASSWORD)
    page.goto(f"{live_server}/certificates/wizard/{draft}/confirm")
    for box in page.locator("input[name=confirmed]").all():
        box.check()
    page.fill("#f-password", PASSWORD)
    screenshot(page, "70-signoff-inspector-password")
    with page.expect_navigation():
        page.click("text=保適証を確定して送信する")
    assert page.is_visible("text=事業場管理責任者の承認の後に送信します")
    assert "二段階の確認: 承認待ち" in page.inner_text("#approval")
    certificate = in_db(app, lambda s: s.scalar(select(Certificate).where(
        Certificate.chassis_number == "SIGN10-0000001")).id)
    assert _stats(sandbox) == 0  # nothing sent yet

    # The 事業場管理責任者 approves from the list of certificates waiting for approval.
    manager = new_page(chromium, live_server)
    login(manager, "a-manager", PASSWORD)
    manager.goto(f"{live_server}/certificates/approvals/")
    row = manager.locator(f"tr[data-certificate='{certificate}']")
    assert "SIGN10-0000001" in row.inner_text() and "検査 一郎" in row.inner_text()
    screenshot(manager, "71-signoff-waiting-for-approval")
    with manager.expect_navigation():
        row.get_by_role("button", name="承認して送信する").click()
    assert manager.url.endswith(f"/certificates/{certificate}")
    assert manager.is_visible("text=承認しました。保適証を送信します。")
    assert "二段階の確認: 承認済" in manager.inner_text("#approval")
    status = in_db(app, lambda s: s.get(Certificate, certificate).status)
    assert status in ("sent", "linked") and _stats(sandbox) == 1
    assert ("連携済" if status == "linked" else "送信済") in manager.inner_text("h2")
    timeline = manager.inner_text("table.table-condensed")
    assert "承認待ち" in timeline and "承認" in timeline and "await_approval" not in timeline
    screenshot(manager, "72-signoff-approved-and-sent")
    assert_no_js_errors(manager)
    manager.context.close()


def _stats(sandbox):
    return requests.get(f"{sandbox.base_url}/_control/stats", timeout=5).json().get("airas", {}).get("received", 0)


def _stroke_with_touch(page, points):
    """A finger on the touch screen (Chromium's touch events, turned into pointer events)."""
    cdp = page.context.new_cdp_session(page)
    first, *rest = points
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": first[0], "y": first[1]}]})
    for x, y in rest:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_a_consent_signed_with_a_finger(app, tenants, page, live_server):
    from app.models.consent import Consent
    from app.security.models import KeizokuUser
    from app.services.certificates import drafts
    from app.tenancy import tenant_of

    ids = tenants.ids["a"]
    login(page, "a-clerk", PASSWORD)
    page.goto(f"{live_server}/consents/new?chassis=FING10-0000001")
    assert page.input_value("#chassis_numbers") == "FING10-0000001"
    page.fill("#customer_name", "指田 花子")
    page.select_option("#validity_months", "12")

    # An empty pad is refused with a Japanese message; nothing is saved.
    with page.expect_navigation():
        page.click("#consent-submit")
    assert "署名欄に指で署名してもらうか" in page.inner_text("#consent-errors")

    page.fill("#customer_name", "指田 花子")
    pad = page.locator("#consent-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    left, top = box["x"], box["y"]
    # The family name with the mouse (pointerType "mouse") ...
    page.mouse.move(left + 40, top + 150)
    page.mouse.down()
    for x, y in ((90, 60), (140, 170), (190, 70), (240, 160)):
        page.mouse.move(left + x, top + y, steps=4)
    page.mouse.up()
    # ... and the given name with a finger (pointerType "touch").
    _stroke_with_touch(page, [(left + 330 + dx, top + 80 + dy) for dx, dy in
                              ((0, 0), (40, 60), (80, 10), (120, 80), (170, 20), (220, 90))])
    screenshot(page, "73-consent-signed-with-a-finger")
    with page.expect_navigation():
        page.click("#consent-submit")
    assert "/consents/" in page.url and page.is_visible("text=承諾書を登録しました(対象 1台)")
    assert "タブレットで署名" in page.inner_text("table")

    def stored(session):
        consent = session.scalar(select(Consent).where(Consent.customer_name == "指田 花子"))
        return consent.method, consent.document, [v.chassis_number for v in consent.vehicles]

    method, png, vehicles = in_db(app, stored)
    assert method == "signature" and vehicles == ["FING10-0000001"]
    ink = Image.open(io.BytesIO(png)).convert("RGBA").getchannel("A")
    width = ink.size[0]
    assert ink.crop((0, 0, width // 2 - 60, ink.size[1])).getbbox() is not None  # the mouse stroke
    assert ink.crop((width // 2 - 20, 0, width, ink.size[1])).getbbox() is not None  # the finger's
    pdf = page.request.get(page.url + "/pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"

    # The wizard finds it by 車台番号 on the inspection step: no tick box.
    def draft_for(session):
        user = session.get(KeizokuUser, ids["users"]["clerk"])
        draft = drafts.start_draft(session, tenant_of(user), ids["Site"], user.id)
        drafts.save_vehicle(session, draft, vehicle_form("FING10-0000001"))
        session.commit()
        return draft.id

    draft = in_db(app, draft_for)
    page.goto(f"{live_server}/certificates/wizard/{draft}/inspection")
    status = page.inner_text("#consent-status")
    assert "承諾書あり" in status and "指田 花子" in status and page.locator("input[name=consent]").count() == 0
    page.locator("#consent-status").scroll_into_view_if_needed()
    screenshot(page, "74-consent-found-by-chassis-number")
