"""Every create/update/delete of tenancy rows and accounts is in the audit log with who,
when, what, before and after; the association can search it; shops cannot."""
from sqlalchemy import select

from app.models.audit import AuditLog


def _entries(app, **where):
    from app.extensions import db

    with app.app_context():
        query = select(AuditLog).order_by(AuditLog.id)
        for key, value in where.items():
            query = query.where(getattr(AuditLog, key) == value)
        rows = db.session.scalars(query).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_inspector_create_update_delete_are_logged_with_actor(app, tenants, browser):
    browser.login("a-manager")
    site = tenants.ids["a"]["Site"]
    response = browser.post("/shop/inspectors/add", {
        "site": str(site), "name": "監査 太郎", "inspector_code": "00123456", "active": "y"})
    assert response.status_code == 302
    created = [e for e in _entries(app, entity_type="Inspector", action="create")
               if e.after.get("name") == "監査 太郎"]
    assert len(created) == 1
    entry = created[0]
    assert entry.actor_username == "a-manager"
    assert entry.business_id == tenants.ids["a"]["Business"]
    assert entry.after["inspector_code"] == "00123456" and entry.before is None
    pk = entry.entity_id

    browser.post(f"/shop/inspectors/edit/{pk}", {
        "site": str(site), "name": "監査 次郎", "inspector_code": "00123456", "active": "y"})
    updates = _entries(app, entity_type="Inspector", action="update", entity_id=pk)
    assert updates and updates[-1].before == {"name": "監査 太郎"}
    assert updates[-1].after == {"name": "監査 次郎"}

    browser.post(f"/shop/inspectors/delete/{pk}")
    deletes = _entries(app, entity_type="Inspector", action="delete", entity_id=pk)
    assert len(deletes) == 1 and deletes[0].before["name"] == "監査 次郎"


def test_account_changes_are_logged_without_password_hashes(app, tenants, browser):
    from app.extensions import db
    from app.security.models import KeizokuUser

    uid = tenants.ids["a"]["users"]["clerk"]
    with app.app_context():
        user = db.session.get(KeizokuUser, uid)
        user.email = "changed@example.jp"
        user.sites = user.sites + [db.session.get(type(user.sites[0]), tenants.ids["a"]["sites"][1])]
        db.session.commit()
    before, after = {}, {}
    for entry in _entries(app, entity_type="KeizokuUser", action="update", entity_id=str(uid)):
        before.update(entry.before)
        after.update(entry.after)
    assert before["email"] == "a-clerk@example.jp"
    assert after["email"] == "changed@example.jp"
    assert before["sites"] == [tenants.ids["a"]["sites"][0]]
    assert sorted(after["sites"]) == sorted(tenants.ids["a"]["sites"][:2])
    created = _entries(app, entity_type="KeizokuUser", action="create", entity_id=str(uid))
    assert created and "password" not in created[0].after


def test_association_searches_the_log(app, tenants, browser):
    browser.login("a-clerk", "wrong")
    browser.login("assoc-staff")
    page = browser.get("/association/audit/list/?_flt_0_actor_username=a-clerk").get_data(as_text=True)
    assert "ログイン失敗" in page
    assert "事業者" in browser.get("/association/audit/list/").get_data(as_text=True)


def test_shops_cannot_read_the_log(app, tenants, browser):
    browser.login("a-manager")
    assert browser.get("/association/audit/list/").status_code == 403


def test_a_password_change_names_the_user_not_the_request_proxy(app, tenants, browser):
    from tests.conftest import PASSWORD

    uid = tenants.ids["a"]["users"]["clerk"]
    browser.login("a-clerk")
    response = browser.post("/account/password", {
        "current_password": PASSWORD, "new_password": "Shin-Pass-2027x",
        "confirm_password": "Shin-Pass-2027x"})
    assert response.status_code == 302
    (entry,) = _entries(app, action="password_changed")
    assert entry.entity_type == "KeizokuUser" and entry.entity_id == str(uid)
    assert not _entries(app, entity_type="LocalProxy")
    staff = type(browser)(app)
    staff.login("assoc-staff")
    page = staff.get("/association/audit/list/?_flt_0_action=password_changed").get_data(as_text=True)
    assert "パスワード変更" in page and "利用者" in page and "LocalProxy" not in page


def test_the_log_shows_and_searches_japan_time(app, tenants, browser):
    # The test clock stands at 2026-11-26 10:00 Japan time (01:00 UTC as stored).
    browser.login("a-clerk", "wrong")
    (entry,) = _entries(app, action="login_failure")
    assert entry.occurred_at.isoformat() == "2026-11-26T01:00:00"
    browser.login("assoc-staff")
    page = browser.get("/association/audit/list/?_flt_0_action=login_failure").get_data(as_text=True)
    assert "日時(日本時間)" in page and "UTC" not in page
    assert "2026-11-26 10:00" in page
    # Searching takes Japan time too: "after 09:59" finds it, "after 10:01" does not.
    after = "/association/audit/list/?_flt_0_action=login_failure&_flt_1_occurred_at="
    assert "ログイン失敗" in browser.get(after + "2026-11-26 09:59:00").get_data(as_text=True)
    assert "ログイン失敗" not in browser.get(after + "2026-11-26 10:01:00").get_data(as_text=True)


def test_the_migration_renames_rows_logged_against_the_proxy(app):
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy import insert

    from app.extensions import db

    path = Path(__file__).resolve().parent.parent / "migrations/versions/0011_golive_audit_targets.py"
    spec = importlib.util.spec_from_file_location("audit_targets", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(insert(AuditLog.__table__), [
                {"occurred_at": __import__("datetime").datetime(2026, 11, 1), "action": action,
                 "entity_type": entity_type, "entity_id": "7"}
                for action, entity_type in (("password_changed", "LocalProxy"),
                                            ("update", "Inspector"))])
            with Operations.context(MigrationContext.configure(conn)):
                migration.upgrade()
    assert [e.entity_type for e in _entries(app, entity_id="7")] == ["KeizokuUser", "Inspector"]
