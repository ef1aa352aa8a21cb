"""An inquiry per test tenant; for business B also one row of each association-owned support
model (FAQ entry, notice, web application), so the isolation test has their ids."""
from app.models.support import ApplicationFormSubmission, FaqEntry, Inquiry, Notice
from app.timeutil import utcnow_naive


def seed(session, key, ctx):
    inquiry = Inquiry(business_id=ctx["business_id"], site_id=ctx["site_id"], channel="phone",
                      topic="airas", subject=f"{key.upper()}社の保適証送信について",
                      body="送信できません。", status="open",
                      created_by_id=ctx["user_ids"]["manager"])
    session.add(inquiry)
    session.flush()
    ids = {"Inquiry": inquiry.id, "_markers": [inquiry.subject]}
    if key == "b":
        faq = FaqEntry(slug="test-b", category="導入について", title="試験用の質問",
                       body="試験用の回答です。", sort_order=99, published=True)
        notice = Notice(title="試験用のお知らせ", body="本文", kind="other",
                        shown_from=utcnow_naive(), published=True)
        submission = ApplicationFormSubmission(
            reference="9999-0001", business_name="試験申込 株式会社",
            data={"business": {"name": "試験申込 株式会社"}, "sites": []}, status="new")
        session.add_all([faq, notice, submission])
        session.flush()
        ids.update(FaqEntry=faq.id, Notice=notice.id, ApplicationFormSubmission=submission.id)
    return ids
