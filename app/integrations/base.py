"""What every outside-system client shares: one HTTP call, and the mapping of its failures.

The clients are plain classes (no Flask): whoever builds them reads the base URL and the
timeouts from config. A client makes exactly one HTTP request per method call and raises one of
the exceptions below when it fails; retrying with backoff is the sender's job, which is why each
exception says whether a retry can help (`retryable`) and when to try (`retry_after`).

The wire format is described in docs/integrations.md.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import requests

JST = ZoneInfo("Asia/Tokyo")
log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

# (connect, read) in seconds. Connect is short: a closed port should fail fast so the
# sender can move on; read allows for a slow outside system.
DEFAULT_TIMEOUT = (3.05, 15.0)

# When the outside system gives no Retry-After, wait this long before the next attempt.
DEFAULT_RETRY_AFTER = {
    "TIMEOUT": 30,
    "CONNECTION": 60,
    "SERVER_ERROR": 60,
    "NOT-IN-AIRAS": 120,
    "E127": 600,
}

# e-JIBAI data takes up to about an hour to reach AIRAS (outside-systems.md §1.6, [S][A9]).
# Past this the error is no longer "not yet" but a wrong number: the sender should stop.
COMPULSORY_INSURANCE_WAIT_LIMIT = timedelta(hours=1)

SYSTEM_NAMES = {
    "airas": "保適証サービス(AIRAS)",
    "ainas": "OSS申請共同利用システム(AINAS)",
    "mlit": "次回自動車重量税額照会サービス",
    "kei": "軽自動車 次回自動車重量税額照会サービス",
    "jibai": "自賠責の電子情報の照会",
    "parking": "放置違反金の照会",
}

# What the shop should do for each reason code the outside systems give.
# The reason itself (their Japanese words) comes from the outside system; this is our advice.
REASON_ADVICE = {
    "E127": "電子自賠責の情報は発行から最大1時間ほどで届きます。自動で再送します。"
    "1時間を過ぎても続く場合は、自賠責の証明書番号と車台番号を確認してください。",
    "JIBAI-NOT-REG": "電子自賠責の情報は発行から最大1時間ほどで届きます。自動で再送します。"
    "1時間を過ぎても続く場合は、自賠責の証明書番号と車台番号を確認してください。",
    "JIBAI-FORMAT": "自賠責の証明書番号からハイフンとスペースを取り除いて、もう一度送信してください。",
    "JIBAI-PAPER-OSS": "電子自賠責を使うか、申請種別を窓口申請(ハイブリッド申請)にして送信してください。",
    "JIBAI-PERIOD": "新しい有効期間の満了日まで覆う自賠責を用意し、保険期間を入力し直してください。",
    "INSPECTOR": "検査員コード(8桁)を確認してください。新しく登録した検査員は翌日から使えます。",
    "SITE-CODE": "整備工場コード(運輸支局コード2桁-指定番号)を事業場の設定で確認してください。",
    "DUP": "同じ車台番号の保適証がAIRASに残っています。古い保適証を削除してから送信してください。",
    "VIN-KIND": "車台番号と自動車区分は訂正できません。保適証を削除して新しく作成してください"
    "(AIRASの手数料が再度かかります)。",
    "REGNO": "保適証を引戻しして、登録番号を車検証のとおりに訂正してから送信してください。",
    "USER": "保適証を引戻しして、使用者の氏名・住所を車検証のとおりに訂正してから送信してください。",
    "KIND-MISMATCH": "保適証を引戻しして申請種別を訂正してください(ハイブリッド申請は窓口申請です)。",
    "NOT-IN-AIRAS": "保適証がAIRASで登録完了になってから自動で再送します。"
    "続く場合は保適証の送信状況を確認してください。",
    "CONSENT": "使用者の承諾書を取得し、取得済みにしてから送信してください。",
    "VALIDATION": "入力内容を確認して、修正してから送信してください。",
    "IDEMPOTENCY-CONFLICT": "この保適証は別の内容ですでに送信されています。協会のサポートに連絡してください。",
    "NOT-DELETABLE": "現在のステータスでは削除できません。代理人(日整連支部)に連絡してください。",
    "NOT-PULLABLE": "現在のステータスでは引戻しできません。OSS申請で代理人が申請を始めている場合は、"
    "代理人(日整連支部)に連絡してください。",
    "NOT-PULLED-BACK": "この保適証は引戻しされていません。先に引戻ししてから訂正を送信してください。",
    "UNCORRECTABLE": "車台番号・自動車区分・交付年月日・検査年月日・検査員は訂正できません。"
    "保適証を削除して新しく作成してください(AIRASの手数料が再度かかります)。",
}
DEFAULT_ADVICE = "内容を確認して修正してから、もう一度送信してください。"


# Text that must never reach a shop's screen: URLs, hosts and addresses, exception and class names,
# markup. It goes to the log; the shop gets a Japanese sentence (`shop_reason`).
_INTERNALS = re.compile(r"https?:|://|www\.|exception|error|traceback|pool|host|port\b|localhost|"
                        r"\b\d{1,3}(?:\.\d{1,3}){3}\b|<[a-z/!]|[{}\[\]]", re.IGNORECASE)
# Our words for failures that carry no words of the outside system.
SHOP_REASONS = {
    "TIMEOUT": "{name}から時間内に応答がありませんでした。",
    "CONNECTION": "{name}に接続できませんでした。",
    "SERVER_ERROR": "{name}で一時的な障害が起きています。",
    "HOURS": "{name}の利用時間外です。",
    "MAINTENANCE": "{name}はメンテナンス中です。",
    "PROTOCOL": "{name}から想定外の応答がありました。",
    "NOT_FOUND": "{name}に該当するデータがありません。",
}
DEFAULT_SHOP_REASON = "{name}がこの内容を受け付けませんでした。"


def fit_for_shop(text: str | None) -> str | None:
    """``text`` when a shop may read it (plain words), else None."""
    return text if text and not _INTERNALS.search(text) else None


def shop_reason(exc: "OutsideSystemError") -> str:
    """The one Japanese sentence a shop reads for why an outside call failed: the outside
    system's own words when they are plain words, otherwise ours for the kind of failure.
    Exception text, hosts and URLs never appear; they are in ``str(exc)`` for the log."""
    name = SYSTEM_NAMES.get(exc.system, exc.system)
    return fit_for_shop(exc.reason) or SHOP_REASONS.get(exc.code, DEFAULT_SHOP_REASON).format(name=name)


def advice_for(code: str | None) -> str:
    """Our advice to the shop for an outside reason code (a generic one for unknown codes)."""
    return REASON_ADVICE.get(code or "", DEFAULT_ADVICE)


class OutsideSystemError(Exception):
    """A call to AIRAS, AINAS or a weight-tax inquiry did not give a usable answer.

    `message` is Japanese and tells the shop what to do; `str(exc)` is English for the logs.
    """

    code = "ERROR"
    retryable = False

    def __init__(self, system, message, *, code=None, retryable=None, retry_after=None,
                 http_status=None, reason=None, detail=None, internal=None):
        self.system = system
        self.message = message
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable
        self.retry_after = retry_after
        self.http_status = http_status
        # The outside system's own words, when it gave plain ones; anything technical is `internal`.
        self.reason = fit_for_shop(reason)
        self.internal = internal if self.reason == reason else " ".join(filter(None, (internal, reason)))
        self.detail = detail or {}
        super().__init__(f"{system}: {self.code} (http {http_status}): {self.internal or reason or message}")


class OutsideTimeoutError(OutsideSystemError):
    """No answer in time. The request may have been stored: retry with the same idempotency key."""

    code = "TIMEOUT"
    retryable = True


class OutsideConnectionError(OutsideSystemError):
    """No connection (refused, DNS, reset before an answer)."""

    code = "CONNECTION"
    retryable = True


class OutsideServerError(OutsideSystemError):
    """5xx or 429: a fault on their side that usually passes."""

    code = "SERVER_ERROR"
    retryable = True


class OutsideClosedError(OutsideSystemError):
    """Outside the service hours or in maintenance; `opens_at` says when to send."""

    retryable = True

    def __init__(self, system, message, *, opens_at=None, **kwargs):
        self.opens_at = opens_at
        super().__init__(system, message, **kwargs)


class OutsideRejectedError(OutsideSystemError):
    """The outside system refused the data. Retrying the same data cannot help."""

    retryable = False


class OutsideNotReadyError(OutsideSystemError):
    """AINAS does not see the 保適証 yet (not sent, or not 作成済 yet): retry later."""

    retryable = True


class CompulsoryInsuranceNotYetError(OutsideSystemError):
    """AIRAS error 127: the e-JIBAI record has not reached AIRAS yet (up to about an hour)."""

    code = "E127"
    retryable = True
    give_up_after = COMPULSORY_INSURANCE_WAIT_LIMIT


class OutsideNotFoundError(OutsideSystemError):
    """The record is not (or no longer) at the outside system, e.g. AINAS data purged after 40 days."""

    code = "NOT_FOUND"
    retryable = False


class OutsideProtocolError(OutsideSystemError):
    """An answer we cannot read. A bug on one side: support must look at it."""

    code = "PROTOCOL"
    retryable = False


# Reason codes that are not plain rejections.
_RETRYABLE_REASONS = {
    "E127": CompulsoryInsuranceNotYetError,
    "JIBAI-NOT-REG": CompulsoryInsuranceNotYetError,
    "NOT-IN-AIRAS": OutsideNotReadyError,
}


def _json_default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to an outside system")


def encode_json(payload) -> bytes:
    """Our JSON encoding: UTF-8, dates as ISO 8601. Deterministic, so a retry sends the same bytes."""
    return json.dumps(payload, default=_json_default, ensure_ascii=False, sort_keys=True).encode()


def parse_retry_after(value) -> int | None:
    """Seconds from a Retry-After header (delta-seconds only; that is all our wire format uses)."""
    if value is None:
        return None
    try:
        return max(0, int(float(value)))
    except ValueError:
        return None


def format_jst(moment: datetime) -> str:
    return moment.astimezone(JST).strftime("%-m月%-d日 %H:%M")


class OutsideSystemClient:
    """One HTTP call to an outside system, with its failures mapped to OutsideSystemError."""

    system = ""

    def __init__(self, base_url: str, timeout=DEFAULT_TIMEOUT, session: requests.Session | None = None):
        if not base_url:
            raise ValueError(f"{self.system}: base_url is required")
        self.base_url = base_url.rstrip("/")
        self.timeout = tuple(timeout) if isinstance(timeout, (tuple, list)) else (timeout, timeout)
        self.session = session or requests.Session()

    @property
    def system_name(self) -> str:
        return SYSTEM_NAMES.get(self.system, self.system)

    def _request(self, method: str, path: str, *, payload=None, params=None,
                 idempotency_key: str | None = None) -> tuple[dict, requests.Response]:
        headers = {"Accept": "application/json"}
        data = None
        if payload is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            data = encode_json(payload)
        if idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = _checked_key(idempotency_key)
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, data=data, params=params,
                                            headers=headers, timeout=self.timeout)
        except requests.Timeout as exc:
            raise OutsideTimeoutError(
                self.system,
                f"{self.system_name}から時間内に応答がありませんでした。送信内容は同じ送信キーで自動的に再送します"
                "(二重登録にはなりません)。",
                retry_after=DEFAULT_RETRY_AFTER["TIMEOUT"], internal=f"{method} {url}: {exc}") from exc
        except requests.RequestException as exc:
            raise OutsideConnectionError(
                self.system,
                f"{self.system_name}に接続できませんでした。自動で再送します。"
                "長く続く場合はインターネット接続を確認してください。",
                retry_after=DEFAULT_RETRY_AFTER["CONNECTION"], internal=f"{method} {url}: {exc}") from exc
        log.debug("%s %s %s -> %s (key %s)", self.system, method, path, response.status_code, idempotency_key)
        body = _json_body(response)
        if 200 <= response.status_code < 300:
            if body is None:
                raise self._protocol_error(response, "2xx without a JSON object")
            return body, response
        raise self._error_for(response, body or {})

    def _error_for(self, response: requests.Response, body: dict) -> OutsideSystemError:
        status = response.status_code
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        code = error.get("code")
        reason = error.get("message")
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        common = {"http_status": status, "reason": reason, "detail": error}
        if code in ("HOURS", "MAINTENANCE"):
            opens_at = _parse_datetime(error.get("opens_at"))
            when = f"{format_jst(opens_at)}に" if opens_at else "開いたら"
            what = "の利用時間外です" if code == "HOURS" else "はメンテナンス中です"
            return OutsideClosedError(
                self.system, f"{self.system_name}{what}。{when}自動で送信します。",
                code=code, opens_at=opens_at, retry_after=retry_after, **common)
        if status >= 500 or status == 429:
            return OutsideServerError(
                self.system,
                f"{self.system_name}で一時的な障害が起きています。自動で再送します。",
                retry_after=retry_after or DEFAULT_RETRY_AFTER["SERVER_ERROR"], **common)
        if status == 404 and code in (None, "NOT-FOUND-RECORD"):
            return OutsideNotFoundError(
                self.system,
                f"{self.system_name}に該当するデータがありません。送信履歴を確認し、必要なら送信し直してください。",
                **common)
        if not code:
            return self._protocol_error(response, "error without a code")
        error_class = _RETRYABLE_REASONS.get(code, OutsideRejectedError)
        if error_class is not OutsideRejectedError and retry_after is None:
            retry_after = DEFAULT_RETRY_AFTER.get(code, DEFAULT_RETRY_AFTER["SERVER_ERROR"])
        message = f"{self.system_name}: {fit_for_shop(reason) or code} {advice_for(code)}"
        return error_class(self.system, message, code=code, retry_after=retry_after, **common)

    def _protocol_error(self, response, what: str) -> OutsideProtocolError:
        return OutsideProtocolError(
            self.system,
            f"{self.system_name}から想定外の応答がありました。協会のサポートに連絡してください。",
            http_status=response.status_code, internal=f"{response.url}: {what}: {response.text[:200]!r}")

    def _status_result(self, body: dict, response, *, id_field: str, status_codes: dict,
                       raw_field: str) -> dict:
        """The common part of a record answer: id, our status code next to the raw word, reason."""
        self._expect(body, response, id_field, "status")
        raw_status = body["status"]
        code = status_codes.get(raw_status)
        if code is None:
            raise self._protocol_error(response, f"unknown {self.system} status {raw_status!r}")
        reason_code = body.get("error_code")
        return {
            id_field: body[id_field],
            "status": code,
            raw_field: raw_status,
            "reason_code": reason_code,
            "reason": body.get("error_detail"),
            "advice": advice_for(reason_code) if reason_code else None,
            "replayed": response.headers.get(REPLAYED_HEADER) == "true",
        }

    def _expect(self, body: dict, response, *fields: str) -> None:
        missing = [name for name in fields if name not in body]
        if missing:
            raise self._protocol_error(response, f"answer lacks {', '.join(missing)}")


def _checked_key(key: str) -> str:
    # Header values must be visible ASCII; a UUID or "uuid:attempt" fits.
    if not isinstance(key, str) or not key or len(key) > 200 or not key.isascii() or not key.isprintable():
        raise ValueError("idempotency_key must be a non-empty printable ASCII string (<= 200 chars)")
    return key


def _json_body(response: requests.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _parse_datetime(value) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=JST)


def parse_date(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None
