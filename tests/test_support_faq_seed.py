"""The guide's 42 Q&A entries as seed data, the idempotent seed command and help links."""
import re
from collections import Counter

import pytest

from sqlalchemy import func, select


def test_seed_file_holds_the_guides_42_entries_in_order():
    from app.services.support import load_faq_seed

    seed = load_faq_seed()
    entries = seed["entries"]
    assert [e["order"] for e in entries] == list(range(1, 43))
    assert [e["slug"] for e in entries] == [f"q{n}" for n in range(1, 43)]
    counts = Counter(e["category"] for e in entries)
    assert counts == {"継続検査OSSについて": 7, "導入について": 11, "保適証作成機能について": 11,
                      "記録簿作成機能について": 13}
    by_slug = {e["slug"]: e for e in entries}
    assert by_slug["q1"]["title"] == "OSSとは何ですか?"
    assert by_slug["q13"]["body"] == (
        "無料です。保適証作成時(31円)、記録簿作成時(33円)の利用料以外の料金は発生しません。")
    assert by_slug["q29"]["body"].splitlines() == [
        "システム稼働時間は1:00~24:00です。※24:00~翌1:00はメンテナンスのため停止。",
        "年末年始(12月29日~1月3日)は稼働を停止します。",
    ]
    # No question number or next question leaked into a title or an answer.
    assert not any(re.search(r"Q\d+\.", e["title"] + e["body"]) for e in entries)
    assert all(e["title"] and e["body"] for e in entries)


def test_seeding_twice_adds_nothing_and_keeps_the_associations_edits(app, tenants):
    from app.extensions import db
    from app.models.support import FaqEntry

    runner = app.test_cli_runner()
    result = runner.invoke(args=["support", "seed-faq"])
    assert result.exit_code == 0, result.output
    assert "42 added" in result.output
    with app.app_context():
        entry = db.session.scalars(select(FaqEntry).where(FaqEntry.slug == "q9")).one()
        entry.body = "推奨ブラウザは協会にお問い合わせください。"
        db.session.commit()
    again = runner.invoke(args=["support", "seed-faq"])
    assert again.exit_code == 0 and "0 added, 42 already present" in again.output
    with app.app_context():
        seeded = db.session.scalar(select(func.count(FaqEntry.id)).where(FaqEntry.slug.like("q%")))
        assert seeded == 42
        assert db.session.scalars(select(FaqEntry.body).where(FaqEntry.slug == "q9")).one() == (
            "推奨ブラウザは協会にお問い合わせください。")


def test_every_help_topic_links_to_an_entry_of_the_guide(app, tenants):
    from app.services.support import FAQ_TOPICS, faq_link, load_faq_seed

    slugs = {e["slug"] for e in load_faq_seed()["entries"]}
    assert set(FAQ_TOPICS.values()) <= slugs
    runner = app.test_cli_runner()
    runner.invoke(args=["support", "seed-faq"])
    with app.test_request_context():
        url = faq_link("weight_tax")
        assert url == "/guide/faq/q23"
        with pytest.raises(KeyError, match="FAQ_TOPICS"):
            faq_link("no-such-topic")
    page = app.test_client().get(url).get_data(as_text=True)
    assert "重量税額を調べることはできますか?" in page
    retention = app.test_client().get("/guide/faq/q42").get_data(as_text=True)
    assert "保存期間は2年間です。" in retention


def test_the_seed_names_the_service_by_its_setting_and_describes_its_register(app, app_config,
                                                                              tenants, browser):
    from app.extensions import db
    from app.models.support import FaqEntry
    from app.services.support import load_faq_seed

    seed = load_faq_seed()
    text = "".join(e["title"] + e["body"] for e in seed["entries"])
    assert "スマート継続" not in text and text.count("{service_name}") == 7
    app_config["SERVICE_NAME"] = "整備ネット"
    app_config["ASSOCIATION_NAME"] = "一般社団法人 架空県自動車整備振興会"
    assert app.test_cli_runner().invoke(args=["support", "seed-faq"]).exit_code == 0
    with app.app_context():
        entries = {e.slug: e for e in db.session.scalars(select(FaqEntry))}
    assert entries["q8"].title == "整備ネットの利用にはソフトウェア(アプリ)をダウンロードする必要がありますか?"
    assert not any("{service_name}" in e.title + e.body for e in entries.values())
    # Q18: no usage figures of another service; the association answers.
    assert entries["q18"].body.startswith("ご利用中の事業者数・事業場数は、一般社団法人 架空県自動車整備振興会")
    assert not any("{association_name}" in e.body or "5,180" in e.body for e in entries.values())
    # Q28: the product has a 発行管理簿 (certificates/register), as PDF and CSV.
    assert entries["q28"].body.startswith("搭載しています。保適証メニューの「発行管理簿」で")
    assert "PDF" in entries["q28"].body and "CSV" in entries["q28"].body
    guide = app.test_client().get("/guide/faq/q28").get_data(as_text=True)
    assert "整備ネット ご利用ガイド" in guide and "搭載しています。" in guide
    assert "Keizoku" not in guide
    browser.login("a-manager")
    register = browser.get("/certificates/register/").get_data(as_text=True)
    assert "<h2>発行管理簿</h2>" in register and "PDFで表示" in register and "CSVで保存" in register
