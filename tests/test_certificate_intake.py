"""Issue 15.11 (a tidy scan page), 15.12 (和暦 in the wizard and lists), 15.1 (中古新規 /
中古予備検査) and 15.7 (記録事務代行): the intake end of the certificate wizard."""
import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.models.certificate import CertificateDraft
from app.timeutil import utcnow_naive
from tests.test_certificate_helpers import ready_site

VECTORS = {v["name"]: v for v in json.load(open("tests/data/qr-vectors.json", encoding="utf-8"))}
GOOD = "\n".join(VECTORS["registered_electronic_card_per_symbol"]["scans"])
TRUNCATED = "\n".join(VECTORS["registered_truncated_symbol"]["scans"])


def _q(app, fn):
    from app.extensions import db

    with app.app_context():
        return fn(db.session)


@pytest.fixture
def site(app, tenants):
    def prepare(session):
        ready_site(session, tenants.ids["a"]["Site"])
        session.commit()

    _q(app, prepare)
    return tenants.ids["a"]["Site"]


def _drafts(app):
    return _q(app, lambda s: s.scalar(select(func.count()).select_from(CertificateDraft)))


def _draft_id(response):
    match = re.search(r"/certificates/wizard/(\d+)/", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


# ------------------------------------------------------------------ 15.11 a tidy scan page


def test_scan_page_has_a_clear_button_for_the_reader_field(app, tenants, browser, site):
    browser.login("a-clerk")
    draft = _draft_id(browser.post("/certificates/wizard/start", {"site_id": str(site)}))
    page = browser.get(f"/certificates/wizard/{draft}/scan").get_data(as_text=True)
    assert 'id="qr-clear"' in page and "入力欄をクリア" in page


def test_a_failed_scan_leaves_no_draft_and_the_next_try_starts_one(app, tenants, browser, site):
    browser.login("a-clerk")
    before = _drafts(app)  # the tenant seeds' own drafts
    draft = _draft_id(browser.post("/certificates/wizard/start", {"site_id": str(site)}))
    assert _drafts(app) == before + 1
    failed = browser.post(f"/certificates/wizard/{draft}/scan", {"reads": TRUNCATED})
    page = failed.get_data(as_text=True)
    assert failed.status_code == 200 and "途中で切れています" in page and "何も保存していません" in page
    assert _drafts(app) == before
    # The page now posts the next try to start(): a failure there makes no draft either ...
    assert 'action="/certificates/wizard/start"' in page and f'name="site_id" value="{site}"' in page
    again = browser.post("/certificates/wizard/start", {"site_id": str(site), "from_scan": "1",
                                                          "reads": TRUNCATED})
    assert again.status_code == 200 and "途中で切れています" in again.get_data(as_text=True)
    empty = browser.post("/certificates/wizard/start", {"site_id": str(site), "from_scan": "1", "reads": ""})
    assert "車検証の二次元コードが読み取られていません" in empty.get_data(as_text=True)
    assert _drafts(app) == before
    # ... and a good read makes the draft with its vehicle, on to the vehicle step.
    good = browser.post("/certificates/wizard/start", {"site_id": str(site), "from_scan": "1", "reads": GOOD})
    assert good.status_code == 302 and good.headers["Location"].endswith("/vehicle")
    data = _q(app, lambda s: s.get(CertificateDraft, _draft_id(good)).data)
    assert data["vehicle"]["chassis_number"] == "JTESTVIN000000001"


def test_a_failed_scan_keeps_a_draft_that_has_data(app, tenants, browser, site):
    browser.login("a-clerk")
    draft = _draft_id(browser.post("/certificates/wizard/start", {"site_id": str(site)}))
    assert browser.post(f"/certificates/wizard/{draft}/scan", {"reads": GOOD}).status_code == 302
    failed = browser.post(f"/certificates/wizard/{draft}/scan", {"reads": TRUNCATED})
    assert failed.status_code == 200 and "途中で切れています" in failed.get_data(as_text=True)
    data = _q(app, lambda s: s.get(CertificateDraft, draft).data)
    assert data["vehicle"]["chassis_number"] == "JTESTVIN000000001"  # kept, unchanged


def test_untouched_drafts_expire_with_an_audit_entry(app, tenants, site):
    from scheduler.jobs.certificate_drafts import JOBS, run_draft_expiry

    assert JOBS[0]["id"] == "certificate_draft_expiry"
    ids = tenants.ids["a"]
    days = app.config["CERTIFICATE_DRAFT_EXPIRY_DAYS"]
    old = _q(app, lambda s: utcnow_naive()) - dt.timedelta(days=days, minutes=1)  # the test clock

    def make(session):
        rows = {
            "old": CertificateDraft(business_id=ids["Business"], site_id=site, step="scan", data={},
                                    updated_at=old),
            "old_vehicle": CertificateDraft(business_id=ids["Business"], site_id=site, step="inspection",
                                            data={"vehicle": {"chassis_number": "X"}}, updated_at=old),
            "correction": CertificateDraft(business_id=ids["Business"], site_id=site, step="vehicle",
                                           data={"correction": {"certificate_id": 1}}, updated_at=old),
            "recent": CertificateDraft(business_id=ids["Business"], site_id=site, step="scan", data={}),
        }
        session.add_all(rows.values())
        session.commit()
        return {k: v.id for k, v in rows.items()}

    made = _q(app, make)
    assert run_draft_expiry(app) == 2
    left = _q(app, lambda s: set(s.scalars(select(CertificateDraft.id)).all()))
    assert made["old"] not in left and made["old_vehicle"] not in left
    assert {made["correction"], made["recent"]} <= left
    log = _q(app, lambda s: s.scalars(select(AuditLog.detail).where(
        AuditLog.action == "certificate_drafts_expired")).all())
    assert len(log) == 1 and f"{days}日間更新のなかった保適証の下書き 2 件を削除" in log[0]
    assert run_draft_expiry(app) == 0  # a rerun finds nothing more


# ------------------------------------------------------------------ 15.12 和暦 in the wizard and lists


def test_date_inputs_take_wareki_and_iso_and_refuse_nonsense_in_japanese():
    from app.services.certificates.common import CertificateInputError
    from app.services.certificates.drafts import parse_date_input, parse_month_input

    for text in ("令和8年12月3日", "R8.12.3", "R08.12.03", "Ｒ８．１２．３", "2026-12-03", "2026/12/3"):
        assert parse_date_input(text, "検査年月日") == dt.date(2026, 12, 3), text
    for text in ("平成31年4月", "H31.4", "2019-04", "2019/4"):
        assert parse_month_input(text, "初度登録年月") == "2019-04", text
    assert parse_month_input("令和元年5月", "初度登録年月") == "2019-05"
    cases = [
        (parse_date_input, "あした", "検査年月日「あした」は日付として読めません。令和8年11月26日、R8.11.26 または 2026-11-26 の形で入力してください。"),
        (parse_date_input, "令和8年2月30日", "検査年月日: 「令和8年2月30日」は存在しない日付です。月と日を確かめてください。"),
        (parse_date_input, "平成32年1月1日", "検査年月日: 「平成32年1月1日」は平成の期間外です。"),
        (parse_date_input, "2026-13-01", "検査年月日「2026-13-01」は日付として読めません。"),
        (parse_month_input, "令和元年4月", "初度登録年月: 「令和元年4月」は和暦の年月として正しくありません。"),
        (parse_month_input, "2019-13", "初度登録年月「2019-13」は年月として読めません。平成31年4月、H31.4 または 2019-04 の形で入力してください。"),
    ]
    for parse, text, message in cases:
        with pytest.raises(CertificateInputError) as caught:
            parse(text, "検査年月日" if parse is parse_date_input else "初度登録年月")
        assert caught.value.messages[0].startswith(message), (text, caught.value.messages)


def test_wizard_inputs_and_lists_show_wareki(app, tenants, browser, site):
    ids = tenants.ids["a"]
    browser.login("a-inspector")
    draft = _draft_id(browser.post("/certificates/wizard/start", {"site_id": str(site), "manual": "1"}))
    base = f"/certificates/wizard/{draft}"
    vehicle = {"vehicle_kind": "registered", "chassis_number": "WAREKI10-0000001", "plate_area": "品川",
               "plate_class": "330", "plate_kana": "さ", "plate_serial": "1", "model": "3BA-XYZ10",
               "first_registration": "H31.4", "expiry_date": "R8.12.20", "owner_name": "試験 花子",
               "owner_address": "東京都品川区1-2-3"}
    assert browser.post(f"{base}/vehicle", vehicle).status_code == 302
    saved = _q(app, lambda s: s.get(CertificateDraft, draft).data["vehicle"])
    assert saved["first_registration"] == "2019-04" and saved["expiry_date"] == "2026-12-20"
    page = browser.get(f"{base}/vehicle").get_data(as_text=True)
    assert 'value="平成31年4月"' in page and 'value="令和8年12月20日"' in page
    page = browser.get(f"{base}/inspection").get_data(as_text=True)
    assert 'value="令和8年11月26日"' in page  # today, the test clock
    form = {"inspection_date": "令和8年11月26日", "application_date": "", "inspector_id": str(ids["Inspector"]),
            "odometer_km": "45678", "validity_years": "2", "use": "private", "body": "passenger", "eco": "",
            "vehicle_weight_kg": "1200", "gross_weight_kg": "1475", "application_type": "hybrid"}
    assert browser.post(f"{base}/inspection", form).status_code == 302
    insurance = {"policy1_certificate_number": "A1234567", "policy1_insurer_name": "東京海上日動",
                 "policy1_start_date": "R8.11.20", "policy1_end_date": "2029-01-20"}
    assert browser.post(f"{base}/insurance", insurance).status_code == 302
    page = browser.get(f"{base}/insurance").get_data(as_text=True)
    assert 'value="令和8年11月20日"' in page and 'value="令和11年1月20日"' in page
    bad = browser.post(f"{base}/insurance", {**insurance, "policy1_end_date": "令和11年2月30日"})
    assert "自賠責(1枚目)の保険期間の終期: 「令和11年2月30日」は存在しない日付です。" in bad.get_data(as_text=True)

    start = browser.get("/certificates/wizard/").get_data(as_text=True)
    assert re.search(r"令和8年11月26日 \d\d:\d\d", start)
    assert browser.post(f"{base}/checks", {"weight_tax_yen": "24600", "inspection_fee_yen": "1800"}).status_code == 302
    response = browser.post(f"{base}/certify", {"confirmed": list(
        ("chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector"))})
    assert response.status_code == 302
    listing = browser.get("/certificates/list/").get_data(as_text=True)
    assert "<td>令和8年11月26日</td>" in listing and "2026-11-26" not in listing
    found = browser.get("/certificates/list/?date_from=R8.11.1&date_to=令和8年11月30日").get_data(as_text=True)
    assert "WAREKI10-0000001" in found
    register = browser.get("/certificates/register/?month=令和8年11月").get_data(as_text=True)
    assert 'value="令和8年11月"' in register and "WAREKI10-0000001" in register
    show = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"令和8年11月26日 \d\d:\d\d:\d\d", show)


# ------------------------------------------------------------------ 15.1 中古新規 / 中古予備検査

USED = {v["name"]: v for v in json.load(open("tests/data/used-vehicle-qr-vectors.json", encoding="utf-8"))}
NOTICE = "\n".join(USED["registration_notice_per_symbol"]["scans"])
INSPECTION_HYBRID = {"inspection_date": "令和8年11月26日", "application_date": "", "odometer_km": "88000",
                     "validity_years": "2", "use": "private", "body": "passenger", "eco": "",
                     "vehicle_weight_kg": "1200", "gross_weight_kg": "1475", "application_type": "hybrid"}
EVERY = {"confirmed": ["chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector"]}


@pytest.fixture
def sandbox(app):
    from tests.test_certificate_helpers import sandbox_config

    with sandbox_config(app) as server:
        yield server


def test_used_new_from_a_registration_notice_to_linked_without_registration_number(
        app, tenants, browser, site, sandbox):
    import requests

    from app.models.certificate import Certificate

    ids = tenants.ids["a"]
    browser.login("a-inspector")
    assert "中古新規" in browser.get("/certificates/wizard/").get_data(as_text=True)
    draft = _draft_id(browser.post("/certificates/wizard/start", {"site_id": str(site), "purpose": "used_new"}))
    scan = browser.get(f"/certificates/wizard/{draft}/scan").get_data(as_text=True)
    assert "登録識別情報等通知書または一時抹消登録証明書の左から3番目と4番目の二次元コードを続けて読み取ってください" in scan
    assert "/certificates/wizard/parse?purpose=used_new" in scan
    # The capture field's check and the scan step both refuse a 車検証 for a 中古新規.
    wrong = browser.client.post("/certificates/wizard/parse?purpose=used_new", headers={"X-CSRFToken": browser.token()},
                                json={"reads": VECTORS["registered_electronic_card_per_symbol"]["scans"]})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "DOCUMENT_IS_CERTIFICATE"
    assert browser.client.post("/certificates/wizard/parse?purpose=used_new", json={"reads": NOTICE},
                               headers={"X-CSRFToken": browser.token()}).status_code == 200
    refused = browser.post(f"/certificates/wizard/{draft}/scan", {"reads": GOOD}).get_data(as_text=True)
    assert USED["certificate_read_for_used_new"]["expected_error"][:40] in refused
    assert 'name="purpose" value="used_new"' in refused  # the next try keeps the kind
    response = browser.post("/certificates/wizard/start", {"site_id": str(site), "purpose": "used_new",
                                                           "from_scan": "1", "reads": NOTICE})
    assert response.status_code == 302 and response.headers["Location"].endswith("/vehicle")
    base = f"/certificates/wizard/{_draft_id(response)}"

    vehicle_page = browser.get(f"{base}/vehicle").get_data(as_text=True)
    assert "新しい使用者 氏名・名称" in vehicle_page and "AIRASには送りません" in vehicle_page
    # Not on before the new 使用者 is typed.
    early = browser.post(f"{base}/inspection", {**INSPECTION_HYBRID, "inspector_id": str(ids["Inspector"])})
    assert ("中古新規では、読み取った使用者を新しい使用者に置き換えてから進んでください。"
            "車両の確認で新しい使用者の氏名・名称と住所を入力してください。") in early.get_data(as_text=True)
    expected = USED["registration_notice_per_symbol"]["expected"]
    vehicle = {"vehicle_kind": "registered", "chassis_number": expected["chassis_number"],
               "plate_area": expected["plate_area"], "plate_class": expected["plate_class"],
               "plate_kana": expected["plate_kana"], "plate_serial": expected["plate_serial"],
               "model": expected["model"], "first_registration": "平成31年4月", "expiry_date": "",
               "owner_name": "新規 太郎", "owner_address": "神奈川県横浜市中区1-1"}
    assert browser.post(f"{base}/vehicle", vehicle).status_code == 302  # no current 有効期間 asked
    oss = browser.post(f"{base}/inspection", {**INSPECTION_HYBRID, "inspector_id": str(ids["Inspector"]),
                                              "application_type": "oss", "application_agent": "jaspa",
                                              "consent": "y"})
    assert ("中古新規の保適証はOSS申請できません(窓口申請だけです)。申請方法をハイブリッド申請(窓口申請)にしてください。"
            in oss.get_data(as_text=True))
    assert browser.post(f"{base}/inspection", {**INSPECTION_HYBRID,
                                               "inspector_id": str(ids["Inspector"])}).status_code == 302
    # 自賠責 counted from the 検査年月日: one starting the next day does not do.
    late = {"policy1_certificate_number": "N1234567", "policy1_insurer_name": "東京海上日動",
            "policy1_start_date": "令和8年11月27日", "policy1_end_date": "令和10年12月27日"}
    assert browser.post(f"{base}/insurance", late).status_code == 302
    checks = browser.get(f"{base}/checks").get_data(as_text=True)
    assert "中古新規の自賠責は検査年月日(令和8年11月26日)から保険期間が始まっている必要があります" in checks
    blocked = browser.post(f"{base}/checks", {"weight_tax_yen": "24600", "inspection_fee_yen": "2100"})
    assert "交付できません" in blocked.get_data(as_text=True)
    good = {**late, "policy1_start_date": "令和8年11月26日", "policy1_end_date": "令和10年11月26日"}
    assert browser.post(f"{base}/insurance", good).status_code == 302
    checks = browser.get(f"{base}/checks").get_data(as_text=True)
    assert "令和10年11月25日" in checks and "日付の確認で問題は見つかりませんでした" in checks
    assert browser.post(f"{base}/checks", {"weight_tax_yen": "24600",
                                           "inspection_fee_yen": "2100"}).status_code == 302
    assert "中古新規(登録番号はAIRASに送りません)" in browser.get(f"{base}/confirm").get_data(as_text=True)
    done = browser.post(f"{base}/certify", EVERY)
    assert done.status_code == 302

    chassis = expected["chassis_number"]
    certificate = _q(app, lambda s: s.scalar(select(Certificate).where(Certificate.chassis_number == chassis)))
    assert certificate.status == "linked" and certificate.application_type == "hybrid"
    assert certificate.registration_number and "横浜" in certificate.registration_number  # kept for the shop
    assert certificate.payload["registration_number"] is None
    received = requests.get(f"{sandbox.base_url}/_control/records/airas", timeout=5).json()
    assert len(received) == 1 and received[0]["payload"]["chassis_number"] == chassis
    assert received[0]["payload"]["registration_number"] is None
    assert "plate_" not in json.dumps(received[0]["payload"]) and "３００" not in json.dumps(received[0]["payload"], ensure_ascii=False)
    assert received[0]["payload"]["user_of_vehicle"] == {"name": "新規 太郎", "address": "神奈川県横浜市中区1-1"}
    show = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert "連携済" in show and "保適証の種類" in show and "中古新規" in show

    # Pulled back for a correction, it stays a 中古新規: re-sent without the 登録番号 too.
    pulled = browser.post(f"/certificates/{certificate.id}/pull-back")
    assert pulled.status_code == 302, pulled.get_data(as_text=True)[-800:]
    correction = _draft_id(pulled)
    assert _q(app, lambda s: s.get(CertificateDraft, correction).data["purpose"]) == "used_new"
    vehicle["odometer_km"] = ""
    assert browser.post(f"/certificates/wizard/{correction}/vehicle", vehicle).status_code == 302
    assert browser.post(f"/certificates/wizard/{correction}/certify", EVERY).status_code == 302
    corrected = _q(app, lambda s: s.get(Certificate, certificate.id))
    assert corrected.payload["registration_number"] is None and corrected.details["purpose"] == "used_new"


def test_read_owner_must_be_replaced_for_used_preliminary(app, tenants, site, db_session):
    from app.services.certificates import drafts, used_vehicles
    from app.services.certificates.common import CertificateInputError
    from app.tenancy import Tenant

    ids = tenants.ids["a"]
    tenant = Tenant(ids["Business"], frozenset(ids["sites"]))
    draft = drafts.start_draft(db_session, tenant, site, ids["users"]["clerk"], "used_preliminary")
    vector = USED["temporary_deregistration_joined"]
    drafts.save_scan(db_session, draft, vector["scans"], dt.date(2026, 11, 26))
    # A 使用者/所有者 read from the documents (here as a 閲覧アプリ file would give it) is set aside.
    read = used_vehicles.after_scan(draft.data, {**draft.data["vehicle"], "owner_name": "旧 所有者",
                                                 "owner_address": "東京都旧住所1"})
    assert "owner_name" not in read and read["read_owner_name"] == "旧 所有者"
    draft.data = {**draft.data, "vehicle": read}
    form = {"vehicle_kind": "registered", "chassis_number": vector["expected"]["chassis_number"],
            "owner_name": "旧 所有者", "owner_address": "東京都旧住所1"}
    with pytest.raises(CertificateInputError) as caught:
        drafts.save_vehicle(db_session, draft, form)
    assert caught.value.messages == ["読み取った所有者(旧 所有者)は抹消登録時のものです。中古予備検査では新しい"
                                     "所有者の氏名・名称と住所を入力してください。"]
    saved = drafts.save_vehicle(db_session, draft, {**form, "owner_name": "新 所有者"})
    assert saved["new_person_entered"] and saved["expiry_date"] == ""
    with pytest.raises(CertificateInputError) as caught:
        drafts.start_draft(db_session, tenant, site, ids["users"]["clerk"], "rebuild")
    assert caught.value.messages == ["保適証の種類(継続検査・中古新規・中古予備検査)を選び直してください。"]


def test_kei_return_certificate_is_read_for_used_new(app, tenants, browser, site):
    browser.login("a-clerk")
    vector = USED["kei_return_certificate"]
    response = browser.post("/certificates/wizard/start", {"site_id": str(site), "purpose": "used_new",
                                                           "from_scan": "1", "reads": "\n".join(vector["scans"])})
    assert response.status_code == 302
    data = _q(app, lambda s: s.get(CertificateDraft, _draft_id(response)).data)
    assert data["purpose"] == "used_new" and data["vehicle"]["vehicle_kind"] == "kei"
    wrong = USED["kei_certificate_read_for_used_new"]
    refused = browser.post("/certificates/wizard/start", {"site_id": str(site), "purpose": "used_new",
                                                          "from_scan": "1", "reads": "\n".join(wrong["scans"])})
    assert refused.status_code == 200 and wrong["expected_error"] in refused.get_data(as_text=True)


# ------------------------------------------------------------------ 15.7 記録事務代行

KEI_PAPER = "車検証が紙(A4)のままの軽自動車は記録事務代行の対象外です。電子車検証更新区分を「運輸支局・軽自動車検査協会」にしてください。"
NO_NUMBER = ("軽自動車の記録事務代行には事業場の委託番号(記録等事務代行者)が必要です。「記録等事務代行の設定」で委託番号を登録するか、"
             "電子車検証更新区分を「運輸支局・軽自動車検査協会」にしてください。")


def _kei_draft(session, tenants, site):
    from app.services.certificates import drafts
    from app.tenancy import Tenant
    from tests.test_certificate_helpers import consent_for, vehicle_form

    ids = tenants.ids["a"]
    draft = drafts.start_draft(session, Tenant(ids["Business"], frozenset(ids["sites"])), site,
                               ids["users"]["inspector"])
    drafts.save_vehicle(session, draft, vehicle_form("KEIDELEG-0000001", "kei"))
    consent_for(session, site, "KEIDELEG-0000001")  # OSS: the 承諾書 is found by 車台番号
    return draft


def _inspection(tenants, **extra):
    from tests.test_certificate_helpers import inspection_form

    return {**inspection_form(tenants.ids["a"]["Inspector"], "oss", kind="kei"), **extra}


def test_delegation_blockers_at_the_inspection_step(app, tenants, site, db_session):
    from app.services.certificates import drafts
    from app.services.certificates.common import CertificateInputError

    draft = _kei_draft(db_session, tenants, site)
    today = dt.date(2026, 11, 26)
    cases = [
        ({"certificate_update_by": "requester"}, [NO_NUMBER]),
        ({"certificate_update_by": "requester", "kei_paper_certificate": "y", "face_changes": "y",
          "paper_to_show": "y"},
         [NO_NUMBER, KEI_PAPER,
          "車検証の券面の記載事項(氏名・住所など)が変わる軽自動車は記録事務代行の対象外です。電子車検証更新区分を「運輸支局・軽自動車検査協会」にしてください。",
          "窓口で提示する書類(放置違反金の納付書、軽自動車税の滞納分の納税証明書など)がある軽自動車は記録事務代行の対象外です。"
          "電子車検証更新区分を「運輸支局・軽自動車検査協会」にしてください。"]),
        ({"certificate_update_by": "requester", "application_type": "hybrid"},
         ["記録事務代行(電子車検証更新区分「依頼人(申請個別指定)」)はOSS申請だけです。ハイブリッド申請(窓口申請)では"
          "電子車検証更新区分を「運輸支局・軽自動車検査協会」にしてください。"]),
        ({"certificate_update_by": "nobody"}, ["電子車検証更新区分を選び直してください。"]),
    ]
    for extra, messages in cases:
        with pytest.raises(CertificateInputError) as caught:
            drafts.save_inspection(db_session, draft, _inspection(tenants, **extra), today)
        assert caught.value.messages == messages, extra
        assert "inspection" not in draft.data
    # Without a 委託番号 the default is the 運輸支局; with one, the shop rewrites (kei: number sent).
    drafts.save_inspection(db_session, draft, _inspection(tenants), today)
    assert draft.data["inspection"]["certificate_update_by"] == "office"
    site_row = draft.site
    site_row.recording_agent_number = "K-12345"
    drafts.save_inspection(db_session, draft, _inspection(tenants), today)
    assert draft.data["inspection"]["certificate_update_by"] == "requester"
    with pytest.raises(CertificateInputError) as caught:
        drafts.save_inspection(db_session, draft, _inspection(tenants, kei_paper_certificate="y"), today)
    assert caught.value.messages == [KEI_PAPER]


def test_delegation_in_the_oss_request_and_the_preflight(app, tenants, site, db_session):
    from app.services.certificates import confirmation, drafts
    from app.services.certificates.common import CertificateInputError
    from tests.test_certificate_helpers import insurance_form

    draft = _kei_draft(db_session, tenants, site)
    draft.site.recording_agent_number = "K-12345"
    today = dt.date(2026, 11, 26)
    drafts.save_inspection(db_session, draft, _inspection(tenants, certificate_update_by="requester"), today)
    drafts.save_insurance(db_session, draft, insurance_form())
    drafts.save_checks(db_session, draft, {"weight_tax_yen": "6600", "inspection_fee_yen": "1400"})
    payload = confirmation.oss_payload(draft, draft.site)
    assert payload["certificate_update_by"] == "requester" and payload["recording_agent_number"] == "K-12345"
    # The number removed after the inspection step: the pre-flight (confirm) blocks the sending.
    draft.site.recording_agent_number = None
    moment = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    with pytest.raises(CertificateInputError) as caught:
        confirmation.confirm(db_session, draft, tenants.ids["a"]["users"]["inspector"],
                             set(confirmation.PREFLIGHT_ITEMS), moment)
    assert NO_NUMBER in caught.value.messages
    draft.site.recording_agent_number = "K-12345"
    certificate = confirmation.confirm(db_session, draft, tenants.ids["a"]["users"]["inspector"],
                                       set(confirmation.PREFLIGHT_ITEMS), moment)
    assert certificate.oss_request.payload["recording_agent_number"] == "K-12345"


def test_recording_agent_number_is_set_on_its_own_page(app, tenants, browser, site):
    from app.models.tenancy import Site

    browser.login("a-manager")
    page = browser.get("/certificates/recording-agent/").get_data(as_text=True)
    assert "記録等事務代行の設定" in page and "委託番号" in page
    bad = browser.post("/certificates/recording-agent/", {"site_id": str(site), "recording_agent_number": "あいう"})
    assert bad.status_code == 422
    assert "委託番号「あいう」は半角の英数字とハイフン(20文字まで)で入力してください。" in bad.get_data(as_text=True)
    other = tenants.ids["b"]["Site"]
    foreign = browser.post("/certificates/recording-agent/", {"site_id": str(other), "recording_agent_number": "X1"})
    assert foreign.status_code == 422 and "事業場を選び直してください。" in foreign.get_data(as_text=True)
    ok = browser.post("/certificates/recording-agent/", {"site_id": str(site), "recording_agent_number": "ｋ－１２３"})
    assert ok.status_code == 302
    assert _q(app, lambda s: (s.get(Site, site).recording_agent_number, s.get(Site, other).recording_agent_number)) \
        == ("K-123", None)
    log = _q(app, lambda s: s.scalars(select(AuditLog.detail).where(AuditLog.action == "recording_agent_number")).all())
    assert log and "(なし) → K-123" in log[-1]
    browser.logout()
    browser.login("a-clerk")  # clerks read it, never change it
    assert "K-123" in browser.get("/certificates/recording-agent/").get_data(as_text=True)
    browser.post("/certificates/recording-agent/", {"site_id": str(site), "recording_agent_number": "Z9"})
    assert _q(app, lambda s: s.get(Site, site).recording_agent_number) == "K-123"
