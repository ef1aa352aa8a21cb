"""Each signature by its own person (issue 15.9): the 整備主任者 signs a record only with their own
login or their own PIN (set by themself, stored hashed), never as whoever is logged in."""
import pytest
from sqlalchemy import select

from app.models.audit import AuditLog
from app.models.record import Record
from app.models.tenancy import ChiefMechanic
from app.services import records as svc
from tests.conftest import PASSWORD, Browser
from tests.tenant_seeds.signers import SIGNING_PIN
from tests.test_record_services import build_beppyo6, tenant_for, user_of


def _record_and_people(app, tenants):
    from app.extensions import db

    with app.test_request_context():
        record_id = build_beppyo6(db, tenants).id
        db.session.commit()
    return record_id, tenants.ids["a"]["ChiefMechanic"]


def _chief(app, chief_id):
    from app.extensions import db

    with app.app_context():
        chief = db.session.get(ChiefMechanic, chief_id)
        return {"pin_hash": chief.pin_hash, "pin_failures": chief.pin_failures}


def _signed(app, record_id):
    from app.extensions import db

    with app.app_context():
        return db.session.get(Record, record_id).chief_mechanic_signed_at is not None


def _sign(client, record_id, chief_id, pin=None):
    form = {"signature": "chief_mechanic", "signer_id": str(chief_id)}
    if pin is not None:
        form["pin"] = pin
    return client.post(f"/records/{record_id}/sign", form, follow_redirects=True).get_data(as_text=True)


def test_the_logged_in_manager_cannot_sign_as_the_chief_mechanic(app, tenants):
    record_id, chief_id = _record_and_people(app, tenants)
    manager = Browser(app)
    manager.login("a-manager")
    page = _sign(manager, record_id, chief_id)
    assert "整備主任者の署名は主任 次郎さん本人だけができます" in page
    assert "主任 次郎さんの暗証番号を入力してください" in page
    assert not _signed(app, record_id)


def test_a_wrong_pin_is_refused_counted_and_locks_after_five(app, tenants):
    record_id, chief_id = _record_and_people(app, tenants)
    manager = Browser(app)
    manager.login("a-manager")
    for attempt in range(1, svc.PIN_TRIES + 1):
        page = _sign(manager, record_id, chief_id, pin="0000")
        assert "暗証番号が違います。主任 次郎さん本人の暗証番号を入力してください。" in page
        assert _chief(app, chief_id)["pin_failures"] == attempt
    locked = _sign(manager, record_id, chief_id, pin=SIGNING_PIN)  # even the right one, now
    assert "暗証番号を続けて5回間違えたため、主任 次郎さんの暗証番号は使えません" in locked
    assert not _signed(app, record_id)
    from app.extensions import db
    with app.app_context():
        refusals = db.session.scalars(select(AuditLog).where(AuditLog.action == "record_sign_pin_refused")).all()
        assert len(refusals) == svc.PIN_TRIES

    # The chief sets a new PIN (with their password): the count starts again.
    chief = Browser(app)
    chief.login("a-inspector")
    assert chief.post("/records/signing-pin", {"password": PASSWORD, "pin": "97531", "pin_again": "97531"}
                      ).status_code == 302
    assert _chief(app, chief_id)["pin_failures"] == 0
    assert "署名しました" in _sign(manager, record_id, chief_id, pin="97531")
    assert _signed(app, record_id)


def test_the_right_pin_signs_at_another_login_and_is_audited(app, tenants):
    record_id, chief_id = _record_and_people(app, tenants)
    manager = Browser(app)
    manager.login("a-manager")
    assert "署名しました" in _sign(manager, record_id, chief_id, pin=SIGNING_PIN)
    assert _signed(app, record_id)
    from app.extensions import db
    with app.app_context():
        detail = db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "record_signed"))
        assert detail == "整備主任者: 主任 次郎(本人の暗証番号)"


def test_the_chief_signs_with_their_own_login_without_a_pin(app, tenants):
    record_id, chief_id = _record_and_people(app, tenants)
    chief = Browser(app)
    chief.login("a-inspector")
    page = chief.get(f"/records/{record_id}").get_data(as_text=True)
    assert "主任 次郎(あなた)" in page and "本人の暗証番号" in page
    assert "署名しました" in _sign(chief, record_id, chief_id)
    from app.extensions import db
    with app.app_context():
        detail = db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "record_signed"))
        assert detail == "整備主任者: 主任 次郎(本人のログイン)"


def test_without_a_pin_set_the_message_says_how_to_set_one(app, tenants):
    from app.extensions import db

    record_id, chief_id = _record_and_people(app, tenants)
    with app.test_request_context():
        db.session.get(ChiefMechanic, chief_id).pin_hash = None
        db.session.commit()
        with pytest.raises(svc.RecordError, match="署名用暗証番号が設定されていません"):
            svc.sign_record(db.session, tenant_for(db, tenants), user_of(db, tenants, "manager"), record_id,
                            signature="chief_mechanic", signer_id=chief_id, pin="1234")


def test_setting_a_pin_needs_the_linked_login_the_password_and_a_good_pin(app, tenants):
    record_id, chief_id = _record_and_people(app, tenants)
    manager = Browser(app)
    manager.login("a-manager")  # not linked to any 整備主任者
    refused = manager.post("/records/signing-pin", {"password": PASSWORD, "pin": "1234", "pin_again": "1234"})
    assert refused.status_code == 422
    assert "あなたのログインは整備主任者として登録されていません" in refused.get_data(as_text=True)

    chief = Browser(app)
    chief.login("a-inspector")
    before = _chief(app, chief_id)["pin_hash"]
    for form, message in (
            ({"password": "wrong", "pin": "1234", "pin_again": "1234"}, "パスワードが正しくありません"),
            ({"password": PASSWORD, "pin": "12a4", "pin_again": "12a4"}, "暗証番号は4〜8桁の数字で入力してください"),
            ({"password": PASSWORD, "pin": "123", "pin_again": "123"}, "暗証番号は4〜8桁の数字で入力してください"),
            ({"password": PASSWORD, "pin": "1234", "pin_again": "4321"}, "確認のために入力した暗証番号が一致しません")):
        response = chief.post("/records/signing-pin", form)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
        assert _chief(app, chief_id)["pin_hash"] == before
    assert chief.post("/records/signing-pin", {"password": PASSWORD, "pin": "4455", "pin_again": "4455"}
                      ).status_code == 302
    stored = _chief(app, chief_id)["pin_hash"]
    assert stored != before and "4455" not in stored  # a hash, never the PIN
    from app.extensions import db
    with app.app_context():
        logged = db.session.scalars(select(AuditLog).where(AuditLog.entity_type == "ChiefMechanic")).all()
        assert logged and all("pin_hash" not in (a.after or {}) and "pin_hash" not in (a.before or {})
                              for a in logged)
        assert any(a.action == "signing_pin_set" for a in logged)


def test_the_manager_links_the_chief_mechanic_to_a_login_of_their_own_business(app, tenants):
    manager = Browser(app)
    manager.login("a-manager")
    form = manager.get(f"/shop/chief-mechanics/edit/{tenants.ids['a']['ChiefMechanic']}").get_data(as_text=True)
    assert "本人のログイン" in form
    assert f'value="{tenants.ids["a"]["users"]["inspector"]}"' in form
    assert f'value="{tenants.ids["b"]["users"]["inspector"]}"' not in form


def test_a_login_of_another_business_cannot_be_linked(app, tenants):
    a, b = tenants.ids["a"], tenants.ids["b"]
    manager = Browser(app)
    manager.login("a-manager")
    form = {"site": str(a["Site"]), "name": "主任 次郎", "name_kana": "", "active": "y"}
    manager.post(f"/shop/chief-mechanics/edit/{a['ChiefMechanic']}", {**form, "user": str(b["users"]["inspector"])})
    from app.extensions import db
    with app.app_context():
        assert db.session.get(ChiefMechanic, a["ChiefMechanic"]).user_id == a["users"]["inspector"]
    manager.post(f"/shop/chief-mechanics/edit/{a['ChiefMechanic']}", {**form, "user": str(a["users"]["clerk"])})
    with app.app_context():
        assert db.session.get(ChiefMechanic, a["ChiefMechanic"]).user_id == a["users"]["clerk"]
