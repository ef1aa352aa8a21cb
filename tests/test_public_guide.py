"""The public guide: Japanese pages anyone can read, without login and during maintenance."""
from datetime import datetime, timedelta

from app.timeutil import JST


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return response.get_data(as_text=True)


def _seed_faq(app):
    from app.extensions import db
    from app.services.support import seed_faq

    with app.app_context():
        seed_faq(db.session)
        db.session.commit()


def test_top_page_states_the_flow_prices_hours_and_prerequisites(app, tenants):
    from app.domain.prices import CERTIFICATE, RECORD, unit_price
    from app.timeutil import today

    page = _page(app.test_client(), "/guide/")
    assert '<html lang="ja">' in page
    for step in ("ステップ1", "申込書のダウンロード・記入・郵送", "ステップ2", "利用登録通知書の受領",
                 "ステップ3", "初回ログイン時にパスワードの変更が必要"):
        assert step in page
    with app.app_context():
        certificate = unit_price(CERTIFICATE, today()).amount_yen
        record = unit_price(RECORD, today()).amount_yen
    assert (certificate, record) == (31, 33)  # the guide's Q13
    assert f"{certificate}円" in page and f"{record}円" in page
    assert "登録料・保守料は<strong>無料</strong>" in page
    assert "1:00〜24:00" in page and "12月29日〜1月3日" in page
    assert "保適証サービス(AIRAS)への登録が完了していること" in page
    assert "ハイブリッド申請のみでご利用の場合、AINASの登録は必須ではありません" in page
    assert "マイクロソフト エッジ" in page
    for phase in ("導入前", "導入時", "導入後"):
        assert f"<h3>{phase}</h3>" in page
    assert 'name="viewport"' in page  # phone friendly
    assert "navbar" not in page  # its own template, not FAB's


def test_operating_hours_on_the_page_follow_the_settings(app, tenants):
    previous = app.config["MAINTENANCE_DAILY_END"]
    app.config["MAINTENANCE_DAILY_END"] = "02:00"
    try:
        page = _page(app.test_client(), "/guide/")
    finally:
        app.config["MAINTENANCE_DAILY_END"] = previous
    assert "2:00〜24:00" in page


def test_faq_is_grouped_by_the_guides_categories(app, tenants):
    _seed_faq(app)
    page = _page(app.test_client(), "/guide/faq")
    positions = [page.index(f">{c}</h2>") for c in
                 ("継続検査OSSについて", "導入について", "保適証作成機能について", "記録簿作成機能について")]
    assert positions == sorted(positions)
    assert "OSSとは何ですか?" in page and "記録簿データは何年保管しているのですか?" in page
    assert "保存期間は2年間です。" in page
    assert 'id="q42"' in page and "Q42." in page
    # The guide's Q13 sits under 導入について, between the second and third headings.
    assert positions[1] < page.index("登録料や保守料はいくらですか?") < positions[2]


def test_unpublished_entries_are_not_shown(app, tenants):
    from app.extensions import db
    from app.models.support import FaqEntry

    _seed_faq(app)
    with app.app_context():
        entry = db.session.query(FaqEntry).filter_by(slug="q28").one()
        entry.published = False
        db.session.commit()
    client = app.test_client()
    assert "発行管理簿機能" not in _page(client, "/guide/faq")
    response = client.get("/guide/faq/q28")
    assert response.status_code == 302 and response.headers["Location"].endswith("/guide/faq")
    entry_page = _page(client, "/guide/faq/q23")
    assert "重量税額を調べることはできますか?" in entry_page and "エコカー減税" in entry_page


def test_notices_page_shows_only_published_public_notices_in_their_period(app, tenants):
    from app.extensions import db
    from app.models.support import Notice
    from app.timeutil import utcnow_naive

    with app.app_context():
        at = utcnow_naive()
        db.session.add_all([
            Notice(title="法令改正のお知らせ", body="別表の様式が変わります。", kind="law",
                   shown_from=at - timedelta(days=1)),
            Notice(title="掲載前のお知らせ", body="", kind="other", shown_from=at + timedelta(days=1)),
            Notice(title="掲載終了のお知らせ", body="", kind="other",
                   shown_from=at - timedelta(days=9), shown_until=at - timedelta(days=1)),
            Notice(title="非公開のお知らせ", body="", kind="other", shown_from=at, published=False),
            Notice(title="事業場向けだけのお知らせ", body="", kind="other", shown_from=at,
                   on_public=False),
        ])
        db.session.commit()
    from app.services.support import dashboard_notices
    from app.timeutil import now

    with app.app_context():
        db.session.add(Notice(title="ガイドだけのお知らせ", body="", kind="other",
                              shown_from=at, on_dashboard=False))
        db.session.commit()
        on_dashboard = [n.title for n in dashboard_notices(db.session, now())]
    assert sorted(on_dashboard) == sorted(["法令改正のお知らせ", "事業場向けだけのお知らせ",
                                           "試験用のお知らせ"])  # the last from the tenant seed
    page = _page(app.test_client(), "/guide/notices")
    assert "法令改正のお知らせ" in page and "別表の様式が変わります。" in page
    assert "ガイドだけのお知らせ" in page
    for hidden in ("掲載前", "掲載終了", "非公開", "事業場向けだけ"):
        assert hidden not in page
    assert "法令改正のお知らせ" in _page(app.test_client(), "/guide/")


def test_public_pages_open_during_the_maintenance_window(app, tenants):
    app.config["CLOCK"] = lambda: datetime(2026, 11, 27, 0, 30, tzinfo=JST)
    client = app.test_client()
    for url in ("/guide/", "/guide/faq", "/guide/notices", "/guide/application"):
        assert client.get(url).status_code == 200, url
    blank = client.get("/guide/application/blank.pdf")
    assert blank.status_code == 200 and blank.mimetype == "application/pdf"
