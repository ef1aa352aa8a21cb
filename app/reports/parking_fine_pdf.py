"""The 同意書兼照会書 for a 放置違反金 query answered 有: the user signs it and the shop FAXes it
to the police (shop-workflow.md §6). The layout is ours [I]: use the police's own form where
the prefecture has one (the PDF says so)."""
from app.reports.pdf import render_pdf


def consent_pdf(values: dict) -> bytes:
    """``values``: app/services/certificates/parking_fines.consent_values()."""
    return render_pdf("parking_fine_consent.html", {"police_station": "", **values})
