"""The public guide (ご利用ガイド): no login, reachable during maintenance too.

Anyone may read these pages on purpose, so their URL arguments are not ids of tenant rows:
a Q&A entry is reached by its public number (``entry_no``), and a web application's PDF only
from the browser session that sent it.
"""
from flask import Response, abort, current_app, redirect, render_template, request, session, url_for
from flask_appbuilder import BaseView, expose
from sqlalchemy import select

from app.extensions import db
from app.models.support import NOTICE_KINDS, ApplicationFormSubmission
from app.services import support
from app.timeutil import now

SESSION_REFERENCES = "application_references"
DEFAULT_SITE_BLOCKS = 3


def _pdf(content, filename):
    return Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


class PublicGuideView(BaseView):
    route_base = "/guide"
    default_view = "index"

    @expose("/")
    def index(self):
        return render_template("public/index.html", facts=support.guide_facts(now()),
                               notices=support.public_notices(db.session, now())[:3])

    @expose("/faq")
    def faq(self):
        return render_template("public/faq.html", groups=support.published_faq(db.session))

    @expose("/faq/<entry_no>")
    def faq_entry(self, entry_no):
        entry = support.find_published_faq(db.session, entry_no)
        if entry is None:
            # A help link to an entry the association has withdrawn still lands on the Q&A.
            return redirect(url_for("PublicGuideView.faq"))
        return render_template("public/faq_entry.html", entry=entry)

    @expose("/notices")
    def notices(self):
        return render_template("public/notices.html",
                               notices=support.public_notices(db.session, now()),
                               kinds=NOTICE_KINDS, date_of=support.notice_date_text)

    @expose("/application", methods=["GET", "POST"])
    def application(self):
        data, errors = None, {}
        blocks = DEFAULT_SITE_BLOCKS
        if request.method == "POST":
            data = support.application_from_form(request.form)
            blocks = max(len(data["sites"]), 1)
            if request.form.get("action") == "more":
                blocks = min(blocks + DEFAULT_SITE_BLOCKS, support.MAX_SITES)
            else:
                clean, errors = support.validate_application(data)
                if not errors:
                    submission = support.submit_application(db.session, clean)
                    db.session.commit()
                    session[SESSION_REFERENCES] = (
                        session.get(SESSION_REFERENCES, []) + [submission.reference])[-5:]
                    return render_template("public/application_done.html",
                                           submission=submission)
        return render_template(
            "public/application.html", data=data or {}, errors=errors, blocks=blocks,
            business_fields=support.BUSINESS_FIELDS, site_fields=support.SITE_FIELDS,
        )

    @expose("/application/blank.pdf")
    def application_blank_pdf(self):
        return _pdf(support.render_application_pdf(), "keizoku-moushikomisho.pdf")

    @expose("/application/<reference>.pdf")
    def application_pdf(self, reference):
        # Only the browser that sent the form may print it: it carries the bank account.
        if reference not in session.get(SESSION_REFERENCES, []):
            abort(404)
        submission = db.session.scalar(select(ApplicationFormSubmission).where(
            ApplicationFormSubmission.reference == reference))
        if submission is None:
            abort(404)
        content = support.render_application_pdf(submission.data, submission.reference)
        return _pdf(content, f"keizoku-moushikomisho-{submission.reference}.pdf")


def register(appbuilder):
    appbuilder.add_view_no_menu(PublicGuideView)
    # The form needs no login: each client may send it only so often (PUBLIC_FORM_RATE_LIMIT).
    app = current_app._get_current_object()
    endpoint = "PublicGuideView.application"
    app.view_functions[endpoint] = appbuilder.sm.limiter.limit(
        lambda: app.config["PUBLIC_FORM_RATE_LIMIT"], methods=["POST"],
        scope="public_application")(app.view_functions[endpoint])
