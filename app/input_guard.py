"""One guard for what every request brings, and the headers every answer carries.

Before any view runs (``check_request``, an app-wide ``before_request``):
- a NUL character in the path, a query or form value (or its name) or an upload's file name;
- a JSON body nested deeper than ``json_limits.MAX_DEPTH`` or holding a NUL (read once, within
  ``MAX_CONTENT_LENGTH``; views then read the cached body);
- FAB's list parameters: ``psize_<view>`` and ``page_<view>`` that are not whole numbers in range,
  ``_oc_<view>`` that is not a column name, a ``_flt_`` search value ending in the LIKE escape
  character;
each answer a Japanese 400: the error page, or ``{"error": {"code", "message"}}`` for the token API
and script calls. ``MAX_CONTENT_LENGTH`` bounds every request body (a Japanese 413, app/errors.py).

After every response (``add_headers``): the Content-Security-Policy (no framing; what the camera
decoder needs: ``'wasm-unsafe-eval'`` for the vendored zxing-wasm, ``blob:``/``mediastream:`` for
the video), X-Frame-Options, nosniff, Referrer-Policy and Permissions-Policy.

The token API reads its JSON through ``request_json`` too (app/api/__init__.py).
"""
import re

from flask import current_app, request

from app.domain import json_limits

MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,63}$")
LIKE_ESCAPE = "\\"

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",  # FAB's pages carry inline scripts
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "media-src 'self' blob: mediastream:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=()",
}

NUL_TITLE = "使えない文字が含まれています"
NUL_ADVICE = "入力内容に使えない文字(NUL)が含まれています。入力し直して、もう一度お試しください。"
LIST_TITLE = "一覧の表示条件を受け付けられませんでした"


class InputRefused(Exception):
    """Bad input: a Japanese title and advice, a stable code; status 400 unless said."""

    def __init__(self, title, advice, code="invalid_input", status=400, reason=None):
        super().__init__(f"{title}。{advice}")
        self.title, self.advice, self.code, self.status = title, advice, code, status
        self.reason = reason or code

    @property
    def message(self):
        return f"{self.title}。{self.advice}"


def _refuse_nul():
    raise InputRefused(NUL_TITLE, NUL_ADVICE, "nul")


def _whole_number(value, low, high):
    return value.strip().isdigit() and low <= int(value) <= high


def _check_list_args(args):
    for name, value in args.items(multi=True):
        if name.startswith("psize_") and not _whole_number(value, 1, MAX_PAGE_SIZE):
            raise InputRefused(LIST_TITLE, f"表示件数は1から{MAX_PAGE_SIZE}までの数で指定してください。",
                               "invalid_page_size")
        if name.startswith("page_") and not _whole_number(value, 0, MAX_PAGE):
            raise InputRefused(LIST_TITLE, "ページは0以上の数で指定してください。", "invalid_page")
        if name.startswith("_oc_") and not _orderable(name[len("_oc_"):], value):
            raise InputRefused(LIST_TITLE, "並べ替えの項目を一覧の見出しから選び直してください。",
                               "invalid_order")
        if name.startswith("_flt_") and _ends_in_escape(value):
            raise InputRefused(LIST_TITLE, "検索語の最後に「\\」は使えません。検索語を直してください。",
                               "invalid_search")


def _orderable(view_name, column):
    """FAB sorts by any name it is given (an unknown one fails in SQL): only the list's own
    sortable columns are accepted."""
    for view in current_app.appbuilder.baseviews:
        if view.__class__.__name__ == view_name:
            return column in (getattr(view, "order_columns", None) or ())
    return bool(COLUMN_NAME.match(column))  # not a list of ours: FAB ignores it


def _ends_in_escape(value):
    trailing = len(value) - len(value.rstrip(LIKE_ESCAPE))
    return trailing % 2 == 1


def request_json(max_bytes=None):
    """The request's JSON body within the limits (None when it is not JSON); InputRefused for a
    body too large, nested too deep or holding a NUL, or not JSON at all."""
    limit = max_bytes or current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        raise InputRefused("送信内容が大きすぎます", f"{limit // 1024 // 1024}MBまでにしてください。",
                           "too_large", 413)
    raw = request.get_data(cache=True)
    if limit and len(raw) > limit:
        raise InputRefused("送信内容が大きすぎます", f"{limit // 1024 // 1024}MBまでにしてください。",
                           "too_large", 413)
    try:
        return json_limits.load(raw)
    except json_limits.JsonRefused as refused:
        title = NUL_TITLE if refused.code == "nul" else "送信内容を受け付けられませんでした"
        raise InputRefused(title, refused.message, "invalid_json", reason=refused.code) from None


def check_request():
    if "\x00" in request.path:
        _refuse_nul()
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            _refuse_nul()
    _check_list_args(request.args)
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if request.is_json:
        try:
            request_json()
        except InputRefused as refused:
            if refused.reason != "not_json":
                raise
            # Not JSON at all: the view answers that in its own words.
        return
    for name, value in request.form.items(multi=True):
        if "\x00" in name or "\x00" in value:
            _refuse_nul()
    for upload in request.files.values():
        if "\x00" in (upload.filename or ""):
            _refuse_nul()


def add_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def register(app):
    from app.errors import render_error

    app.before_request(check_request)
    app.after_request(add_headers)

    @app.errorhandler(InputRefused)
    def _refused(refused):
        return render_error(refused.status, refused.title, refused.advice, refused.code)
