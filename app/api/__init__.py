"""The token API for shop systems, under ``/api/v1/`` (JSON, ``Authorization: Bearer <token>``).

How a request goes:
1. ``authenticate_bearer`` (an app-level ``before_request``, registered right after FAB's, which
   sets ``g.user``, and before app/gates.py) finds the token and makes its user the request's
   user (``g.user``; FAB's ``has_access`` reads it through ``g._api_key_user``). Only a bearer
   token authenticates here: a browser's cookie session never reaches the API, which is why the
   blueprint can be exempt from CSRF. A missing, wrong, expired or revoked token is a 401.
2. app/gates.py then applies the same gates as the screens (deactivated accounts, operating
   hours: 503 with Retry-After), and ``current_tenant()`` in app/tenancy.py scopes every row
   through the token's user, unchanged.
3. The endpoint (modules of this package, each adding routes with ``route``) checks the
   screen's permission for what it does, calls the same service functions as the screen and
   answers JSON. Each endpoint is rate-limited per token (Flask-Limiter, keyed by the token id).
4. ``finish`` writes the call to the audit log, records the token's last use and gives every
   error the one shape ``{"error": {"code", "message"}}`` with a Japanese message.

A new endpoint module needs no edit here: every module of this package is imported.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from app import audit, input_guard
from app.errors import MESSAGES
from app.extensions import csrf, db
from app.services import api_tokens
from app.timeutil import now

log = logging.getLogger(__name__)

api_v1 = Blueprint("api_v1", __name__, url_prefix="/api/v1")
PUBLIC_ENDPOINTS = {"api_v1.openapi"}
MAX_BODY_BYTES = 2 * 1024 * 1024
RATE_LIMIT_SCOPE = "api_v1_token"
ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               422: "validation", 429: "rate_limited", 500: "server_error", 503: "unavailable"}


class ApiError(Exception):
    """An answer other than success: HTTP status, a stable code, a Japanese message, extras."""

    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error_response(status, code, message, headers=None, **extra):
    response = jsonify(error={"code": code, "message": message, **extra})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _message(status):
    title, advice = MESSAGES.get(status, ("リクエストを受け付けられませんでした", "内容を確認してください。"))
    return f"{title}。{advice}"


# --- endpoints ---------------------------------------------------------------------------------

_endpoints = []  # (endpoint name, needs a token)


def route(rule, methods=("GET",), *, tenant_model=None, public=False):
    """Add an endpoint. ``tenant_model`` names the model its ``pk`` belongs to (the isolation
    test walks it); every endpoint but the public ones is rate-limited per token."""
    def decorate(func):
        func.tenant_model = tenant_model
        api_v1.add_url_rule(rule, func.__name__, func, methods=list(methods))
        _endpoints.append((f"{api_v1.name}.{func.__name__}", not public))
        return func
    return decorate


def require(permission, view_name):
    """The screen's permission for the same action, for the token's user (403 otherwise)."""
    if not current_app.appbuilder.sm.has_access(permission, view_name):
        raise ApiError(403, "forbidden", "この操作をする権限がありません。権限のある利用者のトークンを使ってください。")


# --- request bodies ----------------------------------------------------------------------------

def json_body():
    """The request's JSON object, or an ApiError (4xx) for anything else. Size, nesting and NUL
    are the app-wide input guard's (app/input_guard.py), with the API's smaller size limit."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       "Content-Type: application/json で JSON を送ってください。")
    try:
        body = input_guard.request_json(MAX_BODY_BYTES)
    except input_guard.InputRefused as refused:
        raise ApiError(refused.status, refused.code, refused.advice) from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "JSON のオブジェクト({ … })を送ってください。")
    return body


def form_of(body, exclude=()):
    """A JSON object as the screen's form: each field as text, a list as repeated values, true as
    "y" (a checked box), false as absent. Fields pass through as they are, so a field a service
    learns later needs no change here."""
    form = MultiDict()
    for key, value in body.items():
        if key in exclude:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                if item:
                    form.add(key, "y")
            elif item is None:
                form.add(key, "")
            elif isinstance(item, (int, float, str)):
                form.add(key, str(item))
            else:
                raise ApiError(400, "invalid_field",
                               f"「{key}」の値は文字列・数値・真偽値(またはその配列)で送ってください。")
    return form


# --- the request's life ------------------------------------------------------------------------


def authenticate_bearer():
    if request.blueprint != api_v1.name or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    g.user = None
    g._api_key_user = False
    presented = api_tokens.bearer_token(request.headers.get("Authorization"))
    row, refusal = api_tokens.authenticate(db.session, presented, now())
    if refusal is not None:
        if refusal.token is not None:
            audit.record(db.session, "api_auth_refused", entity=refusal.token,
                         detail=f"{refusal.code}: {request.method} {request.path}"[:500])
            db.session.commit()
        log.info("API token refused (%s) for %s %s from %s", refusal.code, request.method, request.path,
                 request.remote_addr)
        return error_response(401, refusal.code, refusal.message,
                              {"WWW-Authenticate": 'Bearer realm="keizoku", error="invalid_token"'})
    g.user = row.user
    g._api_key_user = True  # FAB's has_access and current_user read g.user
    g.api_token_id = row.id
    return None


def _ours():
    """This request is the API's: one of its endpoints, or an unknown path under its prefix."""
    return request.blueprint == api_v1.name or (
        request.url_rule is None and request.path.startswith(api_v1.url_prefix + "/"))


def finish(response):
    if not _ours():
        return response
    response = _one_error_shape(response)
    token_id = g.get("api_token_id")
    if token_id is not None:
        try:
            moment = now()
            audit.record(db.session, "api_call", entity_type="ApiToken", entity_id=str(token_id),
                         business_id=getattr(g.user, "business_id", None),
                         detail=f"{request.method} {request.path} -> {response.status_code}"[:500])
            api_tokens.touch(db.session, token_id, moment)
            db.session.commit()
        except Exception:  # noqa: BLE001 - the answer stands; the failure is logged
            db.session.rollback()
            log.exception("API call by token %s could not be audited", token_id)
    response.headers["Cache-Control"] = "no-store"
    return response


def _one_error_shape(response):
    """Errors from outside the API (gates, limiter, the app's handlers) in the API's shape."""
    if response.status_code < 400:
        return response
    body = response.get_json(silent=True) if response.is_json else None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return response
    body = body if isinstance(body, dict) else {}
    code = body.get("error") if isinstance(body.get("error"), str) else ERROR_CODES.get(
        response.status_code, str(response.status_code))
    extra = {k: v for k, v in body.items() if k not in ("error", "message")}
    keep = {k: v for k, v in response.headers.items()
            if k in ("Retry-After", "WWW-Authenticate") or k.startswith("X-RateLimit")}
    return error_response(response.status_code, code, body.get("message") or _message(response.status_code),
                          keep, **extra)


@api_v1.errorhandler(ApiError)
def _api_error(exc):
    db.session.rollback()
    return error_response(exc.status, exc.code, exc.message, **exc.extra)


@api_v1.errorhandler(input_guard.InputRefused)
def _input_refused(refused):
    db.session.rollback()
    return error_response(refused.status, refused.code, refused.message)


@api_v1.errorhandler(HTTPException)
def _http_error(exc):
    db.session.rollback()
    headers = {"Retry-After": "60"} if exc.code == 429 else {}
    return error_response(exc.code, ERROR_CODES.get(exc.code, str(exc.code)), _message(exc.code), headers)


@api_v1.errorhandler(Exception)
def _unexpected(exc):
    db.session.rollback()
    log.exception("API %s %s failed", request.method, request.path)
    return error_response(500, "server_error", _message(500))


def register(app):
    """Import the endpoint modules, exempt the bearer-only blueprint from CSRF, register it with
    the token check (before app/gates.py's gates) and the per-token rate limit."""
    from app.plugins import modules_of

    list(modules_of(__name__))
    csrf.exempt(api_v1)
    app.register_blueprint(api_v1)
    app.before_request(authenticate_bearer)
    app.after_request(finish)
    limiter = app.appbuilder.sm.limiter
    limit = limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope=RATE_LIMIT_SCOPE,
                                 key_func=lambda: f"api-token:{g.get('api_token_id')}")
    for endpoint, limited in _endpoints:
        if limited:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])
