"""15.6 放置違反金: the plate query's answer (有/無, when, who) recorded per certificate; on 有 the
同意書兼照会書 PDF and the certificate held until the police's answer is recorded; audited."""
import datetime as dt
import io

import pytest
import requests
from pypdf import PdfReader
from sqlalchemy import select

from app.models.audit import AuditLog
from app.models.certificate import Certificate
from app.models.certificate_checks import ParkingFineCheck
from app.security.models import KeizokuUser
from app.services.certificates import common, followup, parking_fines, sender
from app.services.certificates.common import CertificateInputError
from app.tenancy import Tenant
from tests.prechecks_helpers import NOW, confirm, ctx, draft_until_checks, http_site, in_db  # noqa: F401
from tests.test_certificate_helpers import TODAY, sandbox_config

HELD = "放置違反金の照会結果が「有」のため、送信を保留しています。"


@pytest.fixture
def server(app):
    with sandbox_config(app) as running:
        yield running


def _queried(session, ids, tenant, chassis, vehicle=None):
    draft = draft_until_checks(session, ids, tenant, chassis, vehicle=vehicle)
    user = session.get(KeizokuUser, ids["users"]["clerk"])
    values = parking_fines.query_for_draft(session, draft, parking_fines.client_from_config(), user, NOW)
    return draft, values


def test_a_draft_without_a_plate_cannot_be_queried(app, ctx, db_session, server):
    ids, tenant = ctx
    with pytest.raises(CertificateInputError) as error:
        _queried(db_session, ids, tenant, "PKF10-0000001", vehicle={"plate_serial": ""})
    assert error.value.messages == ["登録番号(地名・かな・一連番号)がないため照会できません。"
                                    "車両の確認の手順で登録番号を入力してください。"]
    db_session.rollback()


def test_a_query_fault_saves_nothing(app, ctx, db_session, server):
    ids, tenant = ctx
    requests.post(f"{server.base_url}/_control/faults", json={"error_rate": 1.0, "fault_systems": ["parking"]},
                  timeout=5)
    draft = draft_until_checks(db_session, ids, tenant, "PKF10-0000002")
    user = db_session.get(KeizokuUser, ids["users"]["clerk"])
    with pytest.raises(CertificateInputError) as error:
        parking_fines.query_for_draft(db_session, draft, parking_fines.client_from_config(), user, NOW)
    assert error.value.messages == ["放置違反金の照会ができませんでした。時間をおいてもう一度「登録番号で照会する」を押してください"
                                    "(照会結果は何も保存していません)。"]
    assert "parking_fine" not in draft.data
    db_session.rollback()


def test_a_none_answer_is_recorded_and_the_certificate_is_sent(app, ctx, db_session, server):
    ids, tenant = ctx
    draft, values = _queried(db_session, ids, tenant, "PKF10-0000003")
    assert values["possibility"] == "無" and values["queried_by"] == "a-clerk"
    certificate = confirm(db_session, draft, ids)
    check = parking_fines.check_for(db_session, certificate.id)
    assert (check.possibility, check.queried_by_id, check.query_id) == ("無", ids["users"]["clerk"], values["query_id"])
    assert certificate.reason_code is None
    sender.send_now(db_session, certificate.id, common.clients_from_config(), NOW)
    db_session.expire_all()
    assert db_session.get(Certificate, certificate.id).status == "linked"


def test_a_yes_answer_holds_the_certificate_until_the_police_answer(app, ctx, db_session, server):
    ids, tenant = ctx
    draft, values = _queried(db_session, ids, tenant, "PKF10-9000110")
    assert values["possibility"] == "有"
    certificate = confirm(db_session, draft, ids)
    assert certificate.status == "queued" and certificate.next_attempt_at is None
    assert certificate.reason.startswith(HELD)
    clients = common.clients_from_config()
    sender.send_now(db_session, certificate.id, clients, NOW)
    assert sender.send_due(db_session, NOW + dt.timedelta(days=1), clients) == 0
    # 再送 does not get past the hold.
    followup.request_resend(db_session, db_session.get(Certificate, certificate.id), NOW)
    db_session.commit()
    sender.send_now(db_session, certificate.id, clients, NOW)
    db_session.expire_all()
    held = db_session.get(Certificate, certificate.id)
    assert held.status == "queued" and held.next_attempt_at is None and held.reason.startswith(HELD)
    assert not [c for c in requests.get(f"{server.base_url}/_control/calls", timeout=5).json()
                if c["system"] == "airas"]

    user = db_session.get(KeizokuUser, ids["users"]["clerk"])
    with pytest.raises(CertificateInputError) as error:
        parking_fines.record_answer(db_session, held, {"answered_on": ""}, user, NOW, TODAY)
    assert error.value.messages == ["警察からの回答(未納なし・納付を確認・未納あり)を選んでください。", "回答日を入力してください。"]
    with pytest.raises(CertificateInputError) as error:
        parking_fines.record_answer(db_session, held, {"answer": "none", "answered_on": "2026-11-25"}, user, NOW, TODAY)
    assert error.value.messages == ["回答日は照会した日(令和8年11月26日)から今日までの日付にしてください。"]
    db_session.rollback()

    held = db_session.get(Certificate, certificate.id)
    parking_fines.record_answer(db_session, held, {"answer": "unpaid", "answered_on": "2026-11-26"}, user, NOW, TODAY)
    db_session.commit()
    assert held.next_attempt_at is None and "未納あり" in held.reason

    parking_fines.record_answer(db_session, held, {"answer": "paid", "answered_on": "令和8年11月26日",
                                                   "answer_note": "品川署 田中様"}, user, NOW, TODAY)
    db_session.commit()
    check = parking_fines.check_for(db_session, certificate.id)
    assert (check.answer, check.answered_on, check.answer_recorded_by_id) == ("paid", TODAY, ids["users"]["clerk"])
    assert held.reason is None and held.next_attempt_at is not None
    sender.send_now(db_session, certificate.id, clients, NOW)
    db_session.expire_all()
    assert db_session.get(Certificate, certificate.id).status == "linked"
    actions = [a for (a,) in db_session.execute(select(AuditLog.action).where(
        AuditLog.action.in_(("parking_fine_query", "parking_fine_answer"))))]
    assert actions.count("parking_fine_query") == 1 and actions.count("parking_fine_answer") == 2
    assert db_session.scalar(select(AuditLog.id).where(AuditLog.entity_type == "ParkingFineCheck")) is not None

    with pytest.raises(CertificateInputError) as error:
        parking_fines.record_answer(db_session, db_session.get(Certificate, certificate.id),
                                    {"answer": "none", "answered_on": "2026-11-26"}, user, NOW, TODAY)
    assert error.value.messages == ["この保適証はすでに送信しています。回答は送信前の保適証にだけ記録できます。"]
    db_session.rollback()


def test_no_yes_query_means_no_answer_to_record(app, ctx, db_session, server):
    ids, tenant = ctx
    certificate = confirm(db_session, draft_until_checks(db_session, ids, tenant, "PKF10-0000004"), ids)
    user = db_session.get(KeizokuUser, ids["users"]["clerk"])
    with pytest.raises(CertificateInputError) as error:
        parking_fines.record_answer(db_session, certificate, {"answer": "none", "answered_on": "2026-11-26"},
                                    user, NOW, TODAY)
    assert error.value.messages == ["この保適証には照会結果「有」の放置違反金の照会がありません。回答を記録する必要はありません。"]
    db_session.rollback()


def test_the_screens_query_print_and_release(app, http_site, server, browser):
    ids = http_site
    tenant = Tenant(ids["Business"], frozenset(ids["sites"]))
    draft_id = in_db(app, lambda s: (draft_until_checks(s, ids, tenant, "PKF10-9000110").id, s.commit())[0])
    browser.login("a-clerk")
    base = f"/certificates/wizard/{draft_id}"
    queried = browser.post(f"{base}/parking-fine")
    assert queried.status_code == 302 and queried.headers["Location"].endswith(f"{base}/checks")
    checks = browser.get(f"{base}/checks").get_data(as_text=True)
    assert "可能性 <strong>有</strong>" in checks and "a-clerk" in checks
    assert browser.post(f"{base}/checks", {"weight_tax_yen": "24600", "inspection_fee_yen": "1600"}).status_code == 302
    inspector = type(browser)(app)
    inspector.login("a-inspector")
    every = {"confirmed": ["chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector"]}
    done = inspector.post(f"{base}/certify", every)
    assert done.status_code == 302
    certificate_id = in_db(app, lambda s: s.scalar(select(Certificate.id).where(
        Certificate.chassis_number == "PKF10-9000110")))
    page = browser.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    assert HELD in page and "同意書兼照会書(PDF)" in page
    pdf = browser.get(f"/certificates/{certificate_id}/parking-fine.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "同意書兼照会書" in text and "PKF10-9000110" in text
    refused = browser.post(f"/certificates/{certificate_id}/parking-fine", {"answer": "", "answered_on": "2026-11-26"})
    assert refused.status_code == 422
    assert "警察からの回答(未納なし・納付を確認・未納あり)を選んでください。" in refused.get_data(as_text=True)
    today = in_db(app, lambda s: __import__("app.timeutil", fromlist=["today"]).today().isoformat())
    released = browser.post(f"/certificates/{certificate_id}/parking-fine", {"answer": "none", "answered_on": today})
    assert released.status_code == 302
    assert in_db(app, lambda s: s.get(Certificate, certificate_id).status) == "linked"


def test_the_consent_pdf_is_only_for_a_yes_query(app, http_site, server, browser):
    ids = http_site
    tenant = Tenant(ids["Business"], frozenset(ids["sites"]))
    certificate_id = in_db(app, lambda s: confirm(s, draft_until_checks(s, ids, tenant, "PKF10-0000005"), ids).id)
    browser.login("a-clerk")
    response = browser.get(f"/certificates/{certificate_id}/parking-fine.pdf")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/certificates/{certificate_id}")
    page = browser.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    assert "同意書兼照会書は、放置違反金の照会結果が「有」の保適証だけ印刷できます。" in page
