"""Webhook deliveries to shop systems: the target check, the signature, one signed POST.

The wire format (docs/integrations.md, "Webhooks"): a JSON body
``{"id", "type", "created_at", "timestamp", "data"}`` POSTed with

    X-Keizoku-Event-Id:   the event id (the same on every retry: the receiver's idempotency key)
    X-Keizoku-Timestamp:  this attempt's Unix time (also in the body, so it is signed)
    X-Keizoku-Signature:  sha256=<hex HMAC-SHA256 of the raw body with the endpoint's secret>

A target must be https, and every address its host resolves to must be public: private,
loopback, link-local, shared and reserved ranges are refused unless the operator allows them
(``WEBHOOK_ALLOW_PRIVATE_TARGETS``, for tests and closed networks; http is accepted then too).
The host is resolved and checked when the URL is registered and again at each delivery, and the
connection goes to the address that was checked (so a DNS answer that changes in between cannot
point it elsewhere). Redirects are not followed; timeouts are short.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Keizoku-Signature"
TIMESTAMP_HEADER = "X-Keizoku-Timestamp"
EVENT_ID_HEADER = "X-Keizoku-Event-Id"
DEFAULT_TIMEOUT = (3.05, 5.0)
MAX_URL_LENGTH = 500


class WebhookTargetError(ValueError):
    """A URL that may not be a webhook target; ``message`` is Japanese."""

    def __init__(self, message):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    """What a receiver does: compare the header with the HMAC of the raw body, in constant time."""
    return bool(signature) and hmac.compare_digest(sign(secret, body), signature)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, resolver=None) -> tuple[str, ...]:
    resolver = resolver or socket.getaddrinfo
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return ()
    return tuple(dict.fromkeys(info[4][0] for info in infos))


def check_target(url: str, *, allow_private: bool = False, resolver=None) -> Target:
    """The URL as a Target whose every address may be reached, or WebhookTargetError."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH or not url.isascii() or any(c.isspace() for c in url):
        raise WebhookTargetError(f"送信先のURLを{MAX_URL_LENGTH}文字以内の半角で入力してください"
                                 "(日本語のドメインは xn-- で始まる形にします)。")
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes:
        raise WebhookTargetError("送信先のURLは「https://」で始まるものにしてください。")
    if parts.username or parts.password or parts.fragment:
        raise WebhookTargetError("送信先のURLにユーザー名・パスワードや # 以降は含めないでください。")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookTargetError("送信先のURLのポート番号が正しくありません。") from None
    host = parts.hostname or ""
    if not host:
        raise WebhookTargetError("送信先のURLにホスト名がありません。")
    addresses = resolve(host, port, resolver)
    if not addresses:
        raise WebhookTargetError(f"送信先のホスト名「{host}」が見つかりません。URLを確認してください。")
    if not allow_private and not all(_public(a) for a in addresses):
        raise WebhookTargetError("送信先が社内ネットワークや本機など、インターネットから見えないアドレスです。"
                                 "インターネットに公開されたURLを指定してください。")
    return Target(url, parts.scheme, host, port, addresses)


class _PinnedHTTPSAdapter(HTTPAdapter):
    """HTTPS to a checked address, with the certificate and SNI still for the host name."""

    def __init__(self, host_name, **kwargs):
        self._host_name = host_name
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["server_hostname"] = self._host_name
        kwargs["assert_hostname"] = self._host_name
        super().init_poolmanager(*args, **kwargs)


def _pinned_url(target: Target, address: str) -> str:
    parts = urlsplit(target.url)
    host = f"[{address}]" if ":" in address else address
    return urlunsplit((parts.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))


class WebhookClient:
    """One signed POST per call; the caller records the result and decides when to retry."""

    def __init__(self, *, timeout=DEFAULT_TIMEOUT, allow_private=False, resolver=None):
        self.timeout = tuple(timeout) if isinstance(timeout, (tuple, list)) else (timeout, timeout)
        self.allow_private = allow_private
        self.resolver = resolver

    def headers(self, secret: str, body: bytes, event_id: str, timestamp: int) -> dict:
        return {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Keizoku-Webhook/1",
                EVENT_ID_HEADER: event_id, TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, body)}

    def deliver(self, url: str, secret: str, body: bytes, event_id: str, timestamp: int) -> DeliveryResult:
        started = time.monotonic()

        def result(ok, status_code, error):
            return DeliveryResult(ok, status_code, error, int((time.monotonic() - started) * 1000))

        try:
            target = check_target(url, allow_private=self.allow_private, resolver=self.resolver)
        except WebhookTargetError as exc:
            return result(False, None, exc.message)
        headers = self.headers(secret, body, event_id, timestamp)
        headers["Host"] = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
        with requests.Session() as session:
            session.trust_env = False  # no proxy from the environment: the checked address is the one reached
            if target.scheme == "https":
                session.mount("https://", _PinnedHTTPSAdapter(target.host))
            try:
                response = session.post(_pinned_url(target, target.addresses[0]), data=body, headers=headers,
                                        timeout=self.timeout, allow_redirects=False)
            except requests.Timeout:
                return result(False, None, "時間内に応答がありませんでした。")
            except requests.RequestException as exc:  # the detail goes to the log, not to the shop's screen
                log.warning("webhook to %s failed: %s", target.host, exc)
                what = "TLSの証明書を確認できませんでした" if isinstance(exc, requests.exceptions.SSLError) \
                    else "接続できませんでした"
                return result(False, None, f"{what}。送信先のサーバーの状態を確認してください。")
        if 200 <= response.status_code < 300:
            return result(True, response.status_code, None)
        if 300 <= response.status_code < 400:
            return result(False, response.status_code, "転送(リダイレクト)の応答でした。転送先には送りません。"
                                                        "送信先のURLを転送先のものにしてください。")
        return result(False, response.status_code, f"HTTP {response.status_code} の応答でした。")
