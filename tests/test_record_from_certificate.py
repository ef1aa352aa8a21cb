"""A record from a 保適証 (issue 15.8): chosen from the site's recent certificates or found by the
交付番号 on its label, it takes plate, 車台番号, 使用者 (name, address), 型式, 初度登録, odometer and the
保適証番号, so that it can be signed without typing vehicle data. Another site's or another
business's 交付番号 is not found (tenancy through app/tenancy.py), with a Japanese message."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.domain.inspection_forms import applicable_checks
from app.models.certificate import Certificate
from app.models.record import Record
from app.models.tenancy import Site
from app.services import record_from_certificate as from_certificate
from app.services import records as svc
from app.services.certificates import common, sender
from app.timeutil import JST
from tests.test_certificate_helpers import TODAY, confirmed_certificate, sandbox_config, site_a_ready
from tests.test_record_services import tenant_for, user_of

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)


@pytest.fixture
def issued_ids(app, tenants):
    """A linked certificate of tenant A's first site, with its 交付番号 from the sandbox; records
    on every site of A. The app context is not held afterwards (a browser test posts forms)."""
    from app.extensions import db

    with app.app_context():
        ids, tenant = site_a_ready(tenants, db.session)
        for site_id in ids["sites"]:
            db.session.get(Site, site_id).records_enabled = True
        db.session.commit()
        with sandbox_config(app):
            certificate_id = confirmed_certificate(db.session, ids, tenant, "RFC10-0000001", NOW)
            sender.send_now(db.session, certificate_id, common.clients_from_config(), NOW)
        certificate = db.session.get(Certificate, certificate_id)
        assert certificate.status == "linked" and certificate.issue_number
        return ids, certificate_id, certificate.issue_number


@pytest.fixture
def issued(issued_ids, db_session):
    ids, certificate_id, _ = issued_ids
    return ids, db_session.get(Certificate, certificate_id)


def _new(db, tenant, site_id, **choice):
    return svc.create_record(db.session, tenant, site_id=site_id, kind="designated", form="beppyo6",
                             interval_months="24", inspection_date="2026-12-01", registration_number="",
                             chassis_number="", customer_name="", customer_address="", **choice)


def test_a_record_by_issue_number_takes_the_vehicle_data_and_is_signed_without_typing(app, tenants, issued):
    from app.extensions import db

    ids, certificate = issued
    tenant = tenant_for(db, tenants, "inspector")
    typed = " ".join([certificate.issue_number[:6], certificate.issue_number[6:]])  # as read off the label
    record = _new(db, tenant, ids["Site"], issue_number=typed.translate(str.maketrans("0123456789", "０１２３４５６７８９")))
    db.session.commit()
    assert record.certificate_id == certificate.id
    assert (record.registration_number, record.chassis_number, record.model_code, record.first_registration) == \
        ("品川 330 さ 123", "RFC10-0000001", "3BA-XYZ10", "2019-04")
    assert (record.customer_name, record.customer_address) == ("試験 花子", "東京都品川区1-2-3")
    assert record.odometer_km == 45678 and record.certificate_number == certificate.issue_number
    assert record.inspection_date == TODAY  # the 完成検査's day, not the form's default

    for device in {c.id.split(".")[0] for c in applicable_checks("beppyo6", 24, record.inspection_date)}:
        svc.mark_device_good(db.session, tenant, record.id, device)
    svc.update_details(db.session, tenant, record.id, {"completion_date": "2026-11-26"})  # not vehicle data
    svc.sign_record(db.session, tenant, user_of(db, tenants, "inspector"), record.id, signature="inspector",
                    signer_id=ids["Inspector"])
    db.session.commit()
    assert record.inspector_signed_at is not None  # no vehicle field was typed


def test_the_recent_certificates_of_the_site_are_offered_and_one_can_be_chosen(app, tenants, issued):
    from app.extensions import db

    ids, certificate = issued
    tenant = tenant_for(db, tenants, "manager")
    recent = from_certificate.recent_certificates(db.session, tenant, ids["Site"], TODAY)
    assert [c.id for c in recent] == [certificate.id]
    assert from_certificate.recent_certificates(db.session, tenant, ids["sites"][1], TODAY) == []
    assert from_certificate.recent_certificates(db.session, tenant, ids["Site"], TODAY + dt.timedelta(days=90)) == []
    record = _new(db, tenant, ids["Site"], certificate_id=str(certificate.id), model_code="3BA-TYPED")
    assert record.chassis_number == "RFC10-0000001" and record.model_code == "3BA-TYPED"  # typed wins


def test_another_sites_or_businesss_issue_number_is_not_found(app, tenants, issued):
    from app.extensions import db

    ids, certificate = issued
    manager = tenant_for(db, tenants, "manager")
    with pytest.raises(svc.RecordError) as refused:
        _new(db, manager, ids["sites"][1], issue_number=certificate.issue_number)  # A's other site
    assert str(refused.value) == (f"交付番号「{certificate.issue_number}」の保適証は、この事業場に見つかりません。"
                                  "保適証のラベルの交付番号を確かめてください。ほかの事業場の保適証からは作成できません。")
    with pytest.raises(svc.RecordError) as chosen:
        _new(db, manager, ids["sites"][1], certificate_id=str(certificate.id))
    assert str(chosen.value) == "選んだ保適証がこの事業場に見つかりません。一覧から選び直してください。"

    other = db.session.get(Certificate, tenants.ids["b"]["Certificate"])
    other.issue_number = "990000260000001"
    db.session.commit()
    with pytest.raises(svc.RecordError) as foreign:
        _new(db, manager, ids["Site"], issue_number="990000260000001")  # business B's
    assert "この事業場に見つかりません" in str(foreign.value)
    outsider = tenant_for(db, tenants, "manager", key="b")
    with pytest.raises(Exception):  # B cannot even name A's site
        _new(db, outsider, ids["Site"], issue_number=certificate.issue_number)
    db.session.rollback()
    assert db.session.scalar(select(Record.id).where(Record.certificate_id == certificate.id)) is None


def test_a_certificate_not_yet_issued_is_refused(app, tenants, issued):
    from app.extensions import db

    ids, certificate = issued
    tenant = tenant_for(db, tenants, "manager")
    waiting = db.session.get(Certificate, confirmed_certificate(db.session, ids, tenant, "RFC20-0000002", NOW))
    assert waiting.issue_number is None
    with pytest.raises(svc.RecordError) as refused:
        _new(db, tenant, ids["Site"], certificate_id=str(waiting.id))
    assert str(refused.value) == "この保適証にはまだ交付番号がありません(AIRASへの送信待ち)。連携済になってから作成してください。"


def test_the_new_record_page_offers_the_sites_certificates(app, tenants, issued_ids, browser):
    ids, certificate_id, issue_number = issued_ids
    browser.login("a-inspector")
    page = browser.get("/records/new").get_data(as_text=True)
    assert "保適証から作成" in page and "交付番号" in page
    assert f'<option value="{certificate_id}"' in page and "令和8年11月26日" in page and issue_number in page
    answer = browser.post("/records/new", {
        "site_id": ids["Site"], "kind": "designated", "form": "beppyo6", "interval_months": "24",
        "inspection_date": "2026-12-01", "certificate_id": "", "issue_number": "123",
        "registration_number": "", "chassis_number": "", "customer_name": "", "customer_address": ""})
    assert "交付番号「123」の保適証は、この事業場に見つかりません。" in answer.get_data(as_text=True)
    made = browser.post("/records/new", {
        "site_id": ids["Site"], "kind": "designated", "form": "beppyo6", "interval_months": "24",
        "inspection_date": "2026-12-01", "certificate_id": str(certificate_id), "issue_number": "",
        "registration_number": "", "chassis_number": "", "customer_name": "", "customer_address": ""})
    assert made.status_code == 302
    shown = browser.get(made.headers["Location"]).get_data(as_text=True)
    assert "RFC10-0000001" in shown and "試験 花子" in shown
