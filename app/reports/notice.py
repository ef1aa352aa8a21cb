"""The 利用登録通知書 (registration notice) as a PDF for post."""
from app.reports.pdf import render_pdf


def render_registration_notice(context) -> bytes:
    return render_pdf("registration_notice.html", context)
