"""No internals shown to the shop (issue 14.6): when AIRAS, AINAS or a weight-tax inquiry times
out, answers 5xx, is in maintenance or refuses the connection, what the shop sees (the certificate
page, its history, the token API's JSON, the wizard's weight-tax step, a 削除 refusal) is a Japanese
reason and what to do; the exception text with hosts and URLs goes to the log only."""
import datetime as dt
import json
import logging
import re

import pytest
import requests

from app.integrations import (
    OutsideConnectionError,
    OutsideProtocolError,
    OutsideServerError,
    OutsideTimeoutError,
    shop_reason,
)
from app.models.certificate import Certificate
from app.services.certificates import common, sender
from app.timeutil import JST
from tests.api_helpers import ApiClient, issue_token
from tests.conftest import free_port
from tests.test_certificate_helpers import confirmed_certificate, sandbox_config, site_a_ready

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)
INTERNALS = re.compile(r"http|127\.0\.0\.1|localhost|exception|traceback|pool|errno|refused|:\d{4,5}\b",
                       re.IGNORECASE)


def visible_text(html):
    """What a person reads on a page: no scripts, styles or markup."""
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def assert_no_internals(text, where):
    found = INTERNALS.search(text)
    assert found is None, f"{where} shows {found.group(0)!r}: ...{text[max(0, found.start() - 80):found.end() + 80]}..."


@pytest.fixture
def ctx(app, tenants, db_session):
    return site_a_ready(tenants, db_session)


FAULTS = {
    "timeout": {"timeout_rate": 1.0, "timeout_seconds": 0.9},
    "server_error": {"error_rate": 1.0},
    "maintenance": {"maintenance": {"airas": 3600}},
    "refused": None,  # AIRAS's base URL points at a closed port
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_send_shows_the_shop_japanese_words_only(app, ctx, db_session, browser, caplog, fault):
    ids, tenant = ctx
    app.config["CERTIFICATE_MAX_ATTEMPTS"] = 2
    try:
        with sandbox_config(app) as server:
            app.config["OUTSIDE_TIMEOUT_SECONDS"] = (0.5, 0.6)
            if FAULTS[fault] is None:
                app.config["AIRAS_BASE_URL"] = f"http://127.0.0.1:{free_port()}/airas"
            else:
                requests.post(f"{server.base_url}/_control/faults", json=FAULTS[fault], timeout=5)
            certificate_id = confirmed_certificate(db_session, ids, tenant, f"FLT10-00000{len(fault):02d}", NOW)
            clients = common.clients_from_config()
            with caplog.at_level(logging.WARNING, logger="app.services.certificates.sender"):
                sender.send_now(db_session, certificate_id, clients, NOW)
                sender.send_due(db_session, NOW + dt.timedelta(hours=1), clients)
            db_session.expire_all()
            certificate = db_session.get(Certificate, certificate_id)
            assert certificate.reason and certificate.advice
            assert certificate.status in ("queued", "failed")
    finally:
        app.config.pop("CERTIFICATE_MAX_ATTEMPTS", None)
    # The log has the technical detail, with ids.
    if fault in ("timeout", "refused"):
        assert any(f"certificate {certificate_id}: airas submit failed" in r.getMessage()
                   and "127.0.0.1" in r.getMessage() for r in caplog.records)
    expected = {"timeout": "時間内に応答がありませんでした", "server_error": "システムエラー",
                "maintenance": "メンテナンス中", "refused": "接続できませんでした"}[fault]
    assert expected in certificate.reason

    browser.login("a-manager")
    page = visible_text(browser.get(f"/certificates/{certificate_id}").get_data(as_text=True))
    assert expected in page and "保適証サービス(AIRAS)" in page
    assert_no_internals(page, "the certificate page")
    assert_no_internals(visible_text(browser.get("/certificates/list/").get_data(as_text=True)), "the list")

    _, token = issue_token(app, "a-manager")
    answer = ApiClient(app, token).get(f"/api/v1/certificates/{certificate_id}")
    assert answer.status_code == 200
    assert_no_internals(json.dumps(answer.get_json(), ensure_ascii=False), "the API")


def test_the_weight_tax_step_says_the_inquiry_is_unreachable_in_japanese(app, ctx, db_session, browser):
    from app.services.certificates import drafts
    from tests.test_certificate_helpers import filled_draft

    ids, tenant = ctx
    with sandbox_config(app):
        app.config["MLIT_BASE_URL"] = f"http://127.0.0.1:{free_port()}/mlit"
        draft = filled_draft(db_session, tenant, ids["Site"], ids["users"]["inspector"], "WTX10-0000001")
        db_session.commit()
        browser.login("a-inspector")
        page = visible_text(browser.get(f"/certificates/wizard/{draft.id}/checks").get_data(as_text=True))
        assert "次回自動車重量税額照会サービスに接続できませんでした" in page
        assert_no_internals(page, "the weight-tax step")
        assert drafts  # the step is the service's weight_tax_comparison


def test_a_refused_delete_says_why_in_japanese(app, tenants, browser):
    from app.extensions import db

    with sandbox_config(app):
        with app.app_context():  # not held while the browser posts (Flask would share its g)
            ids, tenant = site_a_ready(tenants, db.session)
            certificate_id = confirmed_certificate(db.session, ids, tenant, "DEL10-0000001", NOW)
            sender.send_now(db.session, certificate_id, common.clients_from_config(), NOW)
            assert db.session.get(Certificate, certificate_id).status == "linked"
        app.config["AIRAS_BASE_URL"] = f"http://127.0.0.1:{free_port()}/airas"
        browser.login("a-inspector")
        form = browser.get(f"/certificates/{certificate_id}/delete").get_data(as_text=True)
        assert "削除すると元に戻せません" in form
        answer = browser.post(f"/certificates/{certificate_id}/delete", follow_redirects=True)
        page = visible_text(answer.get_data(as_text=True))
        assert "保適証サービス(AIRAS)に接続できませんでした" in page
        assert_no_internals(page, "the 削除 page")
        history = visible_text(browser.get(f"/certificates/{certificate_id}").get_data(as_text=True))
        assert "接続できませんでした" in history
        assert_no_internals(history, "the certificate history")


@pytest.mark.parametrize("error", [
    OutsideTimeoutError("airas", "…", internal="POST http://airas.example:8443/v1/certificates: Read timed out"),
    OutsideConnectionError("ainas", "…", internal="HTTPConnectionPool(host='10.0.0.5', port=80)"),
    OutsideServerError("airas", "…", reason="java.lang.NullPointerException at Foo.java:12"),
    OutsideProtocolError("mlit", "…", reason="<html><body>502 Bad Gateway</body></html>"),
    OutsideServerError("airas", "…", reason="Traceback (most recent call last): File ..."),
])
def test_the_one_mapping_never_passes_technical_text(error):
    words = shop_reason(error)
    assert_no_internals(words, "shop_reason")
    assert re.search(r"[ぁ-んァ-ン一-龥]", words)
    assert error.reason is None and (error.internal or "") in str(error)


def test_the_outside_systems_own_words_are_kept():
    error = OutsideServerError("airas", "…", reason="システムエラーが発生しました。しばらくしてから再度お試しください。")
    assert shop_reason(error) == "システムエラーが発生しました。しばらくしてから再度お試しください。"


def test_reasons_stored_before_the_fix_are_replaced_by_plain_words(app, ctx, db_session):
    """Migration 0012_cfollow_plain_reasons: exception text stored earlier leaves the pages too."""
    import importlib.util

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from app.extensions import db

    ids, tenant = ctx
    leaked = db_session.get(Certificate, confirmed_certificate(db_session, ids, tenant, "OLD10-0000001", NOW))
    plain = db_session.get(Certificate, confirmed_certificate(db_session, ids, tenant, "OLD20-0000002", NOW))
    leaked.reason = ("HTTPConnectionPool(host='127.0.0.1', port=8765): Max retries exceeded with url: "
                     "/airas/v1/certificates (Caused by NewConnectionError: [Errno 111] Connection refused)")
    plain.reason = "同一車台番号の保適証が既に登録されています。"
    db_session.commit()
    spec = importlib.util.spec_from_file_location("plain_reasons", "migrations/versions/0012_cfollow_plain_reasons.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with db.engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        migration.upgrade()
    db_session.expire_all()
    assert db_session.get(Certificate, leaked.id).reason == "外部システムとの通信に失敗しました。"
    assert db_session.get(Certificate, plain.id).reason == "同一車台番号の保適証が既に登録されています。"


def test_a_webhook_that_cannot_be_reached_is_logged_with_the_detail_and_shown_in_japanese(caplog):
    from app.integrations.webhooks import WebhookClient

    client = WebhookClient(allow_private=True, timeout=(0.5, 0.5))
    with caplog.at_level(logging.WARNING, logger="app.integrations.webhooks"):
        result = client.deliver(f"http://127.0.0.1:{free_port()}/hook", "whsec_test", b"{}", "ev-1", 0)
    assert not result.ok and result.error == "接続できませんでした。送信先のサーバーの状態を確認してください。"
    assert_no_internals(result.error, "the webhook log")
    assert any("webhook to 127.0.0.1 failed" in r.getMessage() for r in caplog.records)
