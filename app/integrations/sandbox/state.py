"""The sandbox's memory and rules: what AIRAS, AINAS and the weight-tax inquiries would do.

No Flask here: `Sandbox` takes plain request data and returns a `Reply`; server.py puts it on
HTTP. Every change happens under one lock, so concurrent clients see one consistent store; only
the deliberate "timeout" sleep happens outside it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import random
import re
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock_time, timedelta

from app.integrations.ainas import CERTIFICATE_UPDATE_BY, OSS_REQUEST_REQUIRED_FIELDS
from app.integrations.airas import (
    APPLICATION_TYPES,
    CERTIFICATE_REQUIRED_FIELDS,
    INSURANCE_FIELDS,
    VEHICLE_KINDS,
)
from app.integrations.base import JST, REPLAYED_HEADER
from app.integrations.sandbox import catalogue

SYSTEMS = ("airas", "ainas", "mlit", "kei", "jibai", "parking")  # cchecks: e-JIBAI, 放置違反金
AINAS_STEPS = ("依頼受付", "申請中", "納付済", "審査中", "手続完了")
PAID_STEPS = AINAS_STEPS[2:]
LIVE_AIRAS_STATUSES = ("作成中", "作成済", "報告済")
DELETABLE = {"oss": ("作成中", "作成済", "却下"), "hybrid": ("作成中", "作成済", "報告済", "却下")}
# 引戻し: 作成中/作成済 (窓口申請 also 報告済), and 却下 for the correctable items (§1.5, §5.2).
PULLABLE = {"oss": ("作成中", "作成済", "却下"), "hybrid": ("作成中", "作成済", "報告済", "却下")}
# An OSS 保適証 in 報告済 is correctable again once the 運輸支局 差戻 or 却下 its filing (§1.5).
FILING_RETURNED = ("差戻", "却下")

DEFAULT_SETTINGS = {
    "seed": 20170401,
    **catalogue.PROFILES["instant"],
    "hours": catalogue.DEFAULT_HOURS,
    "reject_duplicate_chassis": True,
    "ainas_requires_certificate": True,
    # faults
    "error_rate": 0.0,
    "timeout_rate": 0.0,
    "timeout_seconds": 2.0,
    "drop_rate": 0.0,  # handled and stored, then the connection is closed without an answer
    "fault_systems": list(SYSTEMS),
    "maintenance": [],  # windows: {"system", "start", "end"} (ISO 8601)
    "rejections": [],  # rules: {"chassis_number", "code"}
    "jibai_delay_seconds": 0.0,  # E127 until this long after AIRAS first sees a 車台番号
}
FAULT_KEYS = {"seed", "error_rate", "timeout_rate", "timeout_seconds", "drop_rate", "fault_systems", "maintenance",
              "rejections", "jibai_delay_seconds"}

RATE_KEYS = ("error_rate", "timeout_rate", "drop_rate")

SITE_CODE = re.compile(r"^\d{2}-\d+$")
INSPECTOR_CODE = re.compile(r"^\d{8}$")
FORBIDDEN_IN_INSURANCE_NUMBER = re.compile(r"[-‐－ー\s]")


class SettingsError(ValueError):
    pass


@dataclass
class Reply:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)
    outcome: str = "ok"
    sleep_seconds: float = 0.0
    dropped: bool = False  # the server closes the connection instead of answering


def error_reply(status, code, message, *, outcome=None, headers=None, **extra) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message, **extra}}, headers or {},
                 outcome or f"error:{code}")


class SandboxClock:
    """JST 'now' that tests can set, freeze and advance; it ticks with real time unless frozen."""

    def __init__(self):
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(JST) + self._offset

    def set(self, now: datetime, frozen: bool = False) -> None:
        now = now if now.tzinfo else now.replace(tzinfo=JST)
        with self._lock:
            self._frozen = now.astimezone(JST) if frozen else None
            self._offset = timedelta(0) if frozen else now - datetime.now(JST)

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def reset(self, keep_file: bool = False) -> None:
        with self._lock:
            self._offset, self._frozen = timedelta(0), None


def fingerprint(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def parse_moment(value) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=JST)


def parse_hhmm(value: str) -> clock_time:
    hours, minutes = value.split(":")
    return clock_time(int(hours), int(minutes))


class Sandbox:
    """The systems' memory. With ``state_path`` it is kept in that file (JSON) and read back when
    a new sandbox starts on it, so a restart does not forget records, keys or numbers.

    ``save_interval`` 0 writes the file after every change (tests); more than 0 lets a writer
    thread write it at most that often (a busy sandbox), and ``close()`` writes the rest.
    """

    def __init__(self, *, state_path: str | None = None, save_interval: float = 0.0, **settings):
        self.clock = SandboxClock()
        self._lock = threading.RLock()
        self._initial = self._merged(copy.deepcopy(DEFAULT_SETTINGS), settings)
        self.state_path = state_path
        self.save_interval = float(save_interval)
        self._dirty = threading.Event()
        self._closing = threading.Event()
        self.reset(keep_file=True)
        if state_path and os.path.exists(state_path):
            self._load(state_path)
        if state_path and self.save_interval > 0:
            threading.Thread(target=self._writer, name="sandbox-state", daemon=True).start()

    # ---- control -------------------------------------------------------------------------

    def reset(self, keep_file: bool = False) -> None:
        with self._lock:
            self.settings = copy.deepcopy(self._initial)
            self.clock.reset()
            self._rng = random.Random(self.settings["seed"])
            self.certificates: dict[str, dict] = {}
            self.requests: dict[str, dict] = {}
            self._stores = {"airas": self.certificates, "ainas": self.requests}
            self._keys = {"airas": {}, "ainas": {}}  # idempotency key -> record id
            self._by_chassis = {"airas": defaultdict(list), "ainas": defaultdict(list)}
            self._first_seen: dict[str, datetime] = {}  # 車台番号 -> first AIRAS sight (E127 delay)
            self.weight_tax: dict[str, dict] = {"mlit": {}, "kei": {}}
            from app.integrations.sandbox.checks import ChecksState  # it builds on this module

            self.checks = ChecksState()  # e-JIBAI check and 放置違反金 query
            self.fees: list[dict] = []
            self.stats = {system: Counter() for system in SYSTEMS}
            self.calls: deque = deque(maxlen=5000)
            self._sequence = Counter()
            if not keep_file:
                self._changed()

    # ---- the kept state (a file under instance/ when the sandbox runs on its own) ---------------

    def _changed(self) -> None:
        if not self.state_path:
            return
        if self.save_interval > 0:
            self._dirty.set()
        else:
            self.save()

    def _writer(self) -> None:
        while not self._closing.is_set():
            if self._dirty.wait(timeout=1.0):
                self._closing.wait(self.save_interval)
                self._dirty.clear()
                self.save()

    def close(self) -> None:
        """Write what is not written yet (a stopping sandbox)."""
        self._closing.set()
        if self.state_path:
            self.save()

    def save(self) -> None:
        """Write the records, keys, numbers and fees to ``state_path`` (no-op without one)."""
        if not self.state_path:
            return
        with self._lock:
            state = {"version": 1, "certificates": self.certificates, "requests": self.requests,
                     "keys": self._keys, "first_seen": self._first_seen, "weight_tax": self.weight_tax,
                     "fees": self.fees, "sequence": dict(self._sequence)}
            text = json.dumps(state, default=_encode_moment, ensure_ascii=False)
            folder = os.path.dirname(os.path.abspath(self.state_path))
            os.makedirs(folder, exist_ok=True)
            temporary = f"{self.state_path}.tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, self.state_path)  # a reader never sees half a file

    def _load(self, path: str) -> None:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle, object_hook=_decode_moment)
        with self._lock:
            self.certificates.update(state["certificates"])
            self.requests.update(state["requests"])
            for system in ("airas", "ainas"):
                self._keys[system].update(state["keys"][system])
                for record in self._stores[system].values():
                    self._by_chassis[system][record["payload"]["chassis_number"]].append(record)
            self._first_seen.update(state["first_seen"])
            for system, entries in state["weight_tax"].items():
                self.weight_tax.setdefault(system, {}).update(entries)
            self.fees.extend(state["fees"])
            self._sequence.update(state["sequence"])

    def update_settings(self, changes: dict, *, faults_only: bool = False) -> dict:
        if faults_only:
            unknown = set(changes) - FAULT_KEYS
            if unknown:
                raise SettingsError(f"not fault settings: {sorted(unknown)}")
        with self._lock:
            self.settings = self._merged(self.settings, changes)
            if "seed" in changes:
                self._rng = random.Random(self.settings["seed"])
            return copy.deepcopy(self.settings)

    def _merged(self, settings: dict, changes: dict) -> dict:
        unknown = set(changes) - set(DEFAULT_SETTINGS) - {"profile"}
        if unknown:
            raise SettingsError(f"unknown settings: {sorted(unknown)}")
        merged = dict(settings)
        if "profile" in changes:
            if changes["profile"] not in catalogue.PROFILES:
                raise SettingsError(f"unknown profile {changes['profile']!r}")
            merged.update(catalogue.PROFILES[changes["profile"]])
        for key, value in changes.items():
            if key == "profile":
                continue
            if key == "maintenance":
                value = self._maintenance_windows(value)
            if key == "rejections":
                value = self._rejection_rules(value)
            if key in RATE_KEYS and not 0 <= float(value) <= 1:
                raise SettingsError(f"{key} must be between 0 and 1")
            merged[key] = value
        if self._fault_bounds(merged)[-1] > 1:
            raise SettingsError("error_rate + timeout_rate + drop_rate must not exceed 1")
        return merged

    def _maintenance_windows(self, value) -> list[dict]:
        """A list of windows, or the shorthand {"airas": seconds} = closed from now for that long."""
        if isinstance(value, dict):
            now = self.clock.now()
            value = [{"system": system, "start": now.isoformat(),
                      "end": (now + timedelta(seconds=float(seconds))).isoformat()}
                     for system, seconds in value.items()]
        windows = []
        for window in value:
            if window.get("system") not in SYSTEMS + ("all",):
                raise SettingsError(f"maintenance window for unknown system: {window!r}")
            windows.append({"system": window["system"], "start": parse_moment(window["start"]).isoformat(),
                            "end": parse_moment(window["end"]).isoformat()})
        return windows

    @staticmethod
    def _rejection_rules(value) -> list[dict]:
        for rule in value:
            if rule.get("code") not in catalogue.REASONS or not rule.get("chassis_number"):
                raise SettingsError(f"rejection rule needs a chassis_number and a known code: {rule!r}")
        return list(value)

    def set_weight_tax(self, system: str, chassis_number: str, amount_yen: int,
                       visible_from: date | None = None) -> None:
        if system not in self.weight_tax:
            raise SettingsError(f"no weight-tax inquiry called {system!r}")
        if not isinstance(amount_yen, int) or amount_yen < 0:
            raise SettingsError("weight_tax_yen must be a non-negative int")
        with self._lock:
            self.weight_tax[system][chassis_number] = {"weight_tax_yen": amount_yen, "visible_from": visible_from}
            self._changed()

    def snapshot_stats(self) -> dict:
        with self._lock:
            now = self.clock.now()
            for record in self.certificates.values():
                self._refresh_certificate(record, now)
            result = {system: dict(counter) for system, counter in self.stats.items()}
            result["airas"]["stored"] = len(self.certificates)
            result["ainas"]["stored"] = len(self.requests)
            result["fees_yen"] = sum(fee["amount_yen"] for fee in self.fees)
            result["airas_statuses"] = dict(Counter(r["status"] for r in self.certificates.values()))
            result["clock"] = now.isoformat()
            return result

    def records(self, system: str) -> list[dict]:
        with self._lock:
            now = self.clock.now()
            if system == "airas":
                return [self._certificate_body(self._refresh_certificate(r, now), full=True)
                        for r in self.certificates.values()]
            if system == "ainas":
                return [self._request_body(self._refresh_request(r, now), full=True)
                        for r in self.requests.values()]
            raise SettingsError(f"no records for {system!r}")

    def return_request(self, request_id: str, status: str) -> dict:
        """The 運輸支局 差戻 or 却下 an OSS filing (what the 代理人 then reports): for tests and demos."""
        if status not in FILING_RETURNED:
            raise SettingsError(f"status must be one of {FILING_RETURNED}")
        with self._lock:
            record = self.requests.get(request_id)
            if record is None:
                raise SettingsError(f"no AINAS request {request_id!r}")
            record["status"] = status
            self._changed()
            return self._request_body(record)

    # ---- the gate every outside call passes ------------------------------------------------

    def call(self, system: str, method: str, path: str, handler, forced_fault: str | None = None) -> Reply:
        """Hours, maintenance and injected faults first; then the handler under the lock."""
        with self._lock:
            now = self.clock.now()
            self.stats[system]["requests"] += 1
            reply = self._closed_reply(system, now, forced_fault)
            fault = None if reply else self._draw_fault(system, forced_fault)
            if fault == "error":
                reply = error_reply(500, "SERVER-ERROR", catalogue.SERVER_ERROR_MESSAGE, outcome="fault:error")
            if reply is None:
                reply = handler(now, forced_fault)
            if fault == "timeout":
                reply.sleep_seconds = float(self.settings["timeout_seconds"])
                reply.outcome += "+timeout"
            if fault == "drop":
                reply.dropped = True
                reply.outcome += "+drop"
            self.stats[system][reply.outcome.split(":")[0].split("+")[0]] += 1
            if fault:
                self.stats[system][f"fault_{fault}"] += 1
            self.calls.append({"at": now.isoformat(), "system": system, "method": method, "path": path,
                               "status": reply.status, "outcome": reply.outcome})
            self._changed()
        if reply.sleep_seconds:
            # The answer (and anything stored) is ready, but the client gives up first: a lost response.
            time.sleep(reply.sleep_seconds)
        return reply

    def _draw_fault(self, system: str, forced: str | None) -> str | None:
        if forced in ("error", "timeout", "drop"):
            return forced
        if system not in self.settings["fault_systems"]:
            return None
        draw = self._rng.random()
        for fault, bound in zip(("error", "timeout", "drop"), self._fault_bounds(self.settings)):
            if draw < bound:
                return fault
        return None

    @staticmethod
    def _fault_bounds(settings):
        """The upper end of each fault's share of the draw: error, then timeout, then drop."""
        total, bounds = 0.0, []
        for key in RATE_KEYS:
            total += float(settings[key])
            bounds.append(total)
        return bounds

    def _closed_reply(self, system: str, now: datetime, forced: str | None) -> Reply | None:
        name = catalogue.SERVICE_NAMES[system]
        for window in self.settings["maintenance"]:
            start, end = parse_moment(window["start"]), parse_moment(window["end"])
            if window["system"] in (system, "all") and start <= now < end:
                if self.settings["enforce_hours"]:  # a window that ends after closing time opens next morning
                    end = next_opening(self.settings["hours"][system], end) or end
                return self._closed(system, "MAINTENANCE", f"{name}はメンテナンス中です。", now, end)
        if forced == "maintenance":
            return self._closed(system, "MAINTENANCE", f"{name}はメンテナンス中です。", now,
                                now + timedelta(minutes=10))
        if self.settings["enforce_hours"] or forced == "hours":
            hours = self.settings["hours"][system]
            opens_at = next_opening(hours, now) if forced != "hours" else now + timedelta(hours=1)
            if opens_at is not None:
                span = f"{hours['open'].lstrip('0')}~{hours['close'].lstrip('0')}"
                return self._closed(system, "HOURS", f"{name}の利用時間外です(利用時間 {span})。", now, opens_at)
        return None

    @staticmethod
    def _closed(system, code, message, now, opens_at) -> Reply:
        wait = max(1, math.ceil((opens_at - now).total_seconds()))
        return error_reply(503, code, message, outcome=f"closed:{code}", headers={"Retry-After": str(wait)},
                           opens_at=opens_at.isoformat())

    # ---- AIRAS ------------------------------------------------------------------------------

    def create_certificate(self, payload, key: str | None, now: datetime, forced: str | None) -> Reply:
        reply, code = self._intake("airas", payload, key, now, forced)
        if reply:
            return reply
        chassis = payload["chassis_number"]
        waiting = self._compulsory_insurance_wait(chassis, now)
        if waiting:
            return error_reply(422, "E127", catalogue.REASONS["E127"]["message"],
                               headers={"Retry-After": str(waiting)})
        if self.settings["reject_duplicate_chassis"] and self._live_certificate(chassis, now):
            self.stats["airas"]["duplicate_chassis_refused"] += 1
            return self._rejected("airas", "DUP")
        self._sequence["airas"] += 1
        number = self._sequence["airas"]
        site_digits = payload["site_code"].replace("-", "")
        record = {
            "airas_id": f"HT{number:08d}",
            "issue_number": f"{site_digits}{now:%y}{number:07d}",  # 交付番号: never reused
            "status": "作成中",
            "report_status": "未報告",
            "error_code": None,
            "error_detail": None,
            "review_code": code,  # a review-stage reason: 却下 after the delay
            "created_at": now,
            "registered_at": now,  # the latest 登録 (a correction registers again)
            "linked_at": None,
            "pulled_back": False,
            "correction_keys": {},  # idempotency key of each corrected 登録 -> its fingerprint
            "idempotency_key": key,
            "fingerprint": fingerprint(payload),
            "payload": payload,
        }
        self._store("airas", record["airas_id"], record)
        self._refresh_certificate(record, now)
        return Reply(201, self._certificate_body(record))

    def get_certificate(self, airas_id: str, now: datetime) -> Reply:
        record = self.certificates.get(airas_id)
        if record is None:
            return error_reply(404, "NOT-FOUND-RECORD", catalogue.RECORD_NOT_FOUND_MESSAGE)
        return Reply(200, self._certificate_body(self._refresh_certificate(record, now)))

    def delete_certificate(self, airas_id: str, now: datetime) -> Reply:
        record = self.certificates.get(airas_id)
        if record is None:
            return error_reply(404, "NOT-FOUND-RECORD", catalogue.RECORD_NOT_FOUND_MESSAGE)
        self._refresh_certificate(record, now)
        if record["status"] == "削除":  # a retry after a lost answer: already done
            return Reply(200, self._certificate_body(record), {REPLAYED_HEADER: "true"}, outcome="replayed")
        if (record["status"] not in DELETABLE[record["payload"]["application_type"]]
                and not self._filing_returned(record)):
            return error_reply(409, "NOT-DELETABLE", catalogue.NOT_DELETABLE_MESSAGE)
        record.update(status="削除", pulled_back=False)
        return Reply(200, self._certificate_body(record), outcome="deleted")

    def pull_back_certificate(self, airas_id: str, now: datetime) -> Reply:
        """引戻し: back to 作成中 until the corrected 登録 (PUT) arrives."""
        record = self.certificates.get(airas_id)
        if record is None:
            return error_reply(404, "NOT-FOUND-RECORD", catalogue.RECORD_NOT_FOUND_MESSAGE)
        self._refresh_certificate(record, now)
        if record["pulled_back"]:
            return Reply(200, self._certificate_body(record), {REPLAYED_HEADER: "true"}, outcome="replayed")
        kind = record["payload"]["application_type"]
        if record["status"] not in PULLABLE[kind] and not self._filing_returned(record):
            filed = kind == "oss" and record["status"] == "報告済"
            return error_reply(409, "NOT-PULLABLE", catalogue.NOT_PULLABLE_FILED_MESSAGE if filed
                               else catalogue.NOT_PULLABLE_MESSAGE)
        record.update(status="作成中", report_status="未報告", error_code=None, error_detail=None,
                      review_code=None, pulled_back=True)
        return Reply(200, self._certificate_body(record), outcome="pulled_back")

    def correct_certificate(self, airas_id: str, payload, key: str | None, now: datetime,
                            forced: str | None) -> Reply:
        """The corrected 登録 after 引戻し: same 保適証 and 交付番号, a new key per correction."""
        record = self.certificates.get(airas_id)
        if record is None:
            return error_reply(404, "NOT-FOUND-RECORD", catalogue.RECORD_NOT_FOUND_MESSAGE)
        if not key:
            return error_reply(400, "VALIDATION", "Idempotency-Key ヘッダーが必要です。")
        if not isinstance(payload, dict):
            return error_reply(400, "VALIDATION", catalogue.VALIDATION_MESSAGE)
        known = record["correction_keys"].get(key) or (
            record["fingerprint"] if key == record["idempotency_key"] else None)
        if known is not None or key in self._keys["airas"]:
            if known != fingerprint(payload):
                self.stats["airas"]["idempotency_conflicts"] += 1
                return error_reply(409, "IDEMPOTENCY-CONFLICT", catalogue.IDEMPOTENCY_CONFLICT_MESSAGE)
            self.stats["airas"]["duplicates_refused"] += 1
            return Reply(200, self._certificate_body(self._refresh_certificate(record, now)),
                         {REPLAYED_HEADER: "true"}, outcome="replayed")
        if not record["pulled_back"]:
            return error_reply(409, "NOT-PULLED-BACK", catalogue.NOT_PULLED_BACK_MESSAGE)
        bad = certificate_field_errors(payload)
        if bad:
            return error_reply(422, "VALIDATION", catalogue.VALIDATION_MESSAGE, fields=bad)
        changed = [name for name in catalogue.UNCORRECTABLE_FIELDS
                   if payload.get(name) != record["payload"].get(name)]
        if changed:
            return error_reply(409, "UNCORRECTABLE", catalogue.UNCORRECTABLE_MESSAGE, fields=changed)
        code = forced if forced in catalogue.REASONS else None
        code = code or self._rule_code("airas", payload["chassis_number"]) or self._certificate_check(payload, now)
        if code and catalogue.stage(code, "airas") == "sync":
            return self._rejected("airas", code)
        record["correction_keys"][key] = fingerprint(payload)
        record.update(payload=payload, fingerprint=fingerprint(payload), pulled_back=False, review_code=code,
                      registered_at=now, status="作成中", error_code=None, error_detail=None)
        self._refresh_certificate(record, now)
        return Reply(200, self._certificate_body(record), outcome="corrected")

    def _certificate_check(self, payload, now: datetime) -> str | None:
        """The checks AIRAS makes at 登録 (outside-systems.md §5.4, stage "sync")."""
        if not SITE_CODE.match(payload["site_code"]):
            return "SITE-CODE"
        if not INSPECTOR_CODE.match(payload["inspector_code"]):
            return "INSPECTOR"
        policies = payload["compulsory_insurance"]
        if any(FORBIDDEN_IN_INSURANCE_NUMBER.search(p["certificate_number"]) for p in policies):
            return "JIBAI-FORMAT"
        if payload["application_type"] == "oss" and not all(p["electronic"] for p in policies):
            return "JIBAI-PAPER-OSS"
        new_expiry = payload.get("new_expiry_date")
        # 自賠責 ends at noon of its end date, so it must end at least one day after the new expiry.
        if new_expiry and max(date.fromisoformat(p["end_date"]) for p in policies) \
                < date.fromisoformat(new_expiry) + timedelta(days=1):
            return "JIBAI-PERIOD"
        return None

    def _compulsory_insurance_wait(self, chassis: str, now: datetime) -> int | None:
        """Seconds until the e-JIBAI record 'arrives', or None when it is there."""
        delay = float(self.settings["jibai_delay_seconds"])
        first = self._first_seen.setdefault(chassis, now)
        if delay > 0 and now < first + timedelta(seconds=delay):
            return max(1, math.ceil((first + timedelta(seconds=delay) - now).total_seconds()))
        return None

    def _live_certificate(self, chassis: str, now: datetime) -> dict | None:
        for record in self._by_chassis["airas"].get(chassis, ()):
            if self._refresh_certificate(record, now)["status"] in LIVE_AIRAS_STATUSES:
                return record
        return None

    def _refresh_certificate(self, record: dict, now: datetime) -> dict:
        """Move a 保適証 along by the clock: 作成中 -> 作成済 -> (報告済) -> 却下 / 申請完."""
        for request in self._by_chassis["ainas"].get(record["payload"]["chassis_number"], ()):
            self._refresh_request(request, now)
        if record["status"] == "作成中" and not record["pulled_back"]:
            linked_at = record["registered_at"] + timedelta(seconds=float(self.settings["link_delay_seconds"]))
            if now >= linked_at:
                if record["linked_at"] is None:  # one fee per 保適証: a corrected 登録 is not charged again [I]
                    self.fees.append({"system": "airas", "airas_id": record["airas_id"],
                                      "amount_yen": catalogue.FEE_PER_REGISTRATION_YEN,
                                      "at": linked_at.isoformat()})
                record["status"], record["linked_at"] = "作成済", linked_at  # the latest link
        if record["status"] in ("作成済", "報告済") and record["review_code"]:
            review_at = record["linked_at"] + timedelta(seconds=float(self.settings["review_delay_seconds"]))
            if now >= review_at:
                code = record["review_code"]
                record.update(status="却下", report_status="報告済", error_code=code,
                              error_detail=catalogue.REASONS[code]["message"])
        if record["status"] == "作成済" and next_report_time(self.settings["report_times"],
                                                             record["linked_at"], now):
            record.update(status="報告済", report_status="報告済")
        return record

    @staticmethod
    def _certificate_body(record: dict, full: bool = False) -> dict:
        body = {name: record[name] for name in ("airas_id", "issue_number", "status", "report_status",
                                                "error_code", "error_detail")}
        body["chassis_number"] = record["payload"]["chassis_number"]  # whose 保適証 this is
        body["created_at"] = record["created_at"].isoformat()
        body["linked_at"] = record["linked_at"].isoformat() if record["linked_at"] else None
        if full:
            body["idempotency_key"], body["payload"] = record["idempotency_key"], record["payload"]
        return body

    # ---- AINAS ------------------------------------------------------------------------------

    def create_request(self, payload, key: str | None, now: datetime, forced: str | None) -> Reply:
        reply, code = self._intake("ainas", payload, key, now, forced)
        if reply:
            return reply
        self._sequence["ainas"] += 1
        record = {
            "request_id": f"OSS{self._sequence['ainas']:08d}",
            "status": AINAS_STEPS[0],
            "error_code": None,
            "error_detail": None,
            "review_code": code,
            "created_at": now,
            "idempotency_key": key,
            "fingerprint": fingerprint(payload),
            "payload": payload,
        }
        self._store("ainas", record["request_id"], record)
        return Reply(201, self._request_body(record))

    def _request_check(self, payload, now: datetime) -> str | None:
        """The checks at 依頼受付 (outside-systems.md §5.5, [I])."""
        if not SITE_CODE.match(payload["site_code"]):
            return "SITE-CODE"
        if payload["consent_obtained"] is not True:
            return "CONSENT"
        if not self.settings["ainas_requires_certificate"]:
            return None
        certificate = self._live_certificate(payload["chassis_number"], now)
        if certificate is None or certificate["status"] == "作成中":
            return "NOT-IN-AIRAS"
        if certificate["payload"]["application_type"] != "oss":
            return "KIND-MISMATCH"
        return None

    def get_request(self, request_id: str, now: datetime) -> Reply:
        record = self.requests.get(request_id)
        if record is None:
            return error_reply(404, "NOT-FOUND-RECORD", catalogue.RECORD_NOT_FOUND_MESSAGE)
        for certificate in self._by_chassis["airas"].get(record["payload"]["chassis_number"], ()):
            self._refresh_certificate(certificate, now)  # also moves this request along
        self._refresh_request(record, now)
        return Reply(200, self._request_body(record))

    def _filing_returned(self, record: dict) -> bool:
        """An OSS 保適証 reported to AINAS whose filing the 運輸支局 差戻 or 却下."""
        return record["status"] == "報告済" and any(
            request["status"] in FILING_RETURNED
            for request in self._by_chassis["ainas"].get(record["payload"]["chassis_number"], ()))

    def _refresh_request(self, record: dict, now: datetime) -> dict:
        """One AINAS step per `ainas_step_seconds`; 申請中 reports the 保適証, 手続完了 completes it.

        The 代理人 desk and 運輸支局 hours are not modelled: steps run round the clock.
        """
        step = float(self.settings["ainas_step_seconds"])
        if record["status"] in ("差戻", "却下", "手続完了") or step <= 0:
            return record
        index = min(int((now - record["created_at"]).total_seconds() // step), len(AINAS_STEPS) - 1)
        if record["review_code"] and index >= AINAS_STEPS.index("審査中"):
            code = record["review_code"]
            record.update(status="却下", error_code=code, error_detail=catalogue.REASONS[code]["message"])
            return record
        record["status"] = AINAS_STEPS[index]
        for certificate in self._by_chassis["airas"].get(record["payload"]["chassis_number"], ()):
            if index >= 1 and certificate["status"] == "作成済":
                certificate.update(status="報告済", report_status="報告済")
            if record["status"] == "手続完了" and certificate["status"] == "報告済":
                certificate["status"] = "申請完"
        return record

    @staticmethod
    def _request_body(record: dict, full: bool = False) -> dict:
        body = {name: record[name] for name in ("request_id", "status", "error_code", "error_detail")}
        body["created_at"] = record["created_at"].isoformat()
        if record["status"] in PAID_STEPS:
            payload = record["payload"]
            body["paid_lines"] = [
                {"label": "国土交通省", "item": "検査登録手数料", "amount_yen": payload["inspection_fee_yen"]},
                {"label": "国土交通省", "item": "自動車重量税", "amount_yen": payload["weight_tax_yen"]},
            ]
        if full:
            body["idempotency_key"], body["payload"] = record["idempotency_key"], record["payload"]
        return body

    # ---- shared by AIRAS and AINAS ----------------------------------------------------------------

    def _intake(self, system: str, payload, key: str | None, now: datetime, forced: str | None):
        """Idempotency, field checks and the 'sync' reason checks of AIRAS 登録 and AINAS 依頼受付.

        Returns (reply, None) when the call is answered here, else (None, review-stage code or None).
        """
        replay = self._replay_or_conflict(system, payload, key, now)
        if replay:
            return replay, None
        field_errors, check = {"airas": (certificate_field_errors, self._certificate_check),
                               "ainas": (request_field_errors, self._request_check)}[system]
        bad = field_errors(payload)
        if bad:
            return error_reply(422, "VALIDATION", catalogue.VALIDATION_MESSAGE, fields=bad), None
        code = forced if forced in catalogue.REASONS else None
        code = code or self._rule_code(system, payload["chassis_number"]) or check(payload, now)
        if code and catalogue.stage(code, system) == "sync":
            return self._rejected(system, code), None
        return None, code

    def _store(self, system: str, record_id: str, record: dict) -> None:
        self._stores[system][record_id] = record
        self._by_chassis[system][record["payload"]["chassis_number"]].append(record)
        self._keys[system][record["idempotency_key"]] = record_id
        self.stats[system]["received"] += 1

    def _replay_or_conflict(self, system, payload, key, now) -> Reply | None:
        """The idempotency rule: a known key with the same body answers the stored record."""
        if not key:
            return error_reply(400, "VALIDATION", "Idempotency-Key ヘッダーが必要です。")
        if not isinstance(payload, dict):
            return error_reply(400, "VALIDATION", catalogue.VALIDATION_MESSAGE)
        record_id = self._keys[system].get(key)
        if record_id is None:
            return None
        record = self._stores[system][record_id]
        if record["fingerprint"] != fingerprint(payload):
            self.stats[system]["idempotency_conflicts"] += 1
            return error_reply(409, "IDEMPOTENCY-CONFLICT", catalogue.IDEMPOTENCY_CONFLICT_MESSAGE)
        self.stats[system]["duplicates_refused"] += 1
        if system == "airas":
            body = self._certificate_body(self._refresh_certificate(record, now))
        else:
            body = self._request_body(self._refresh_request(record, now))
        return Reply(200, body, {REPLAYED_HEADER: "true"}, outcome="replayed")

    def _rule_code(self, system: str, chassis: str) -> str | None:
        for suffix, code in catalogue.CHASSIS_SUFFIX_FAULTS.items():
            if chassis.endswith(suffix) and system in catalogue.REASONS[code]["systems"]:
                return code
        for rule in self.settings["rejections"]:
            if rule["chassis_number"] == chassis and system in catalogue.REASONS[rule["code"]]["systems"]:
                return rule["code"]
        return None

    def _rejected(self, system: str, code: str) -> Reply:
        return error_reply(422, code, catalogue.REASONS[code]["message"], outcome=f"rejected:{code}")

    # ---- weight-tax inquiries -----------------------------------------------------------------

    def lookup_weight_tax(self, system: str, params: dict, now: datetime) -> Reply:
        chassis = (params.get("chassis_number") or "").strip()
        planned = params.get("planned_inspection_date")
        try:
            planned_date = date.fromisoformat(planned) if planned else None
        except ValueError:
            planned_date = None
            chassis = ""
        if not chassis or not chassis.isascii():
            return error_reply(422, "VALIDATION", "車台番号(半角・全桁)と検査予定日(YYYY-MM-DD)を確認してください。")
        self.stats[system]["lookups"] += 1
        entry = self.weight_tax[system].get(chassis)
        today = now.date()
        # The service shows filings up to the previous day (outside-systems.md §4, [O][E1]).
        if entry is None or (entry["visible_from"] and entry["visible_from"] > today):
            return error_reply(404, "NOT-FOUND", catalogue.WEIGHT_TAX_NOT_FOUND_MESSAGE, outcome="not_found")
        return Reply(200, {
            "chassis_number": chassis,
            "planned_inspection_date": planned_date.isoformat() if planned_date else None,
            "weight_tax_yen": entry["weight_tax_yen"],
            "basis_date": (today - timedelta(days=1)).isoformat(),
            "notes": "前日までの申請内容に基づく税額です。",
        })


def _encode_moment(value):
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    raise TypeError(f"cannot keep {type(value).__name__} in the sandbox state")


def _decode_moment(value: dict):
    if len(value) == 1 and "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if len(value) == 1 and "$date" in value:
        return date.fromisoformat(value["$date"])
    return value


def next_opening(hours: dict, now: datetime) -> datetime | None:
    """None when open now; otherwise the next opening (every day except 12/29-1/3)."""
    opens, closes = parse_hhmm(hours["open"]), parse_hhmm(hours["close"])
    for offset in range(8):
        day = now.date() + timedelta(days=offset)
        if (day.month, day.day) in catalogue.YEAR_END_CLOSED:
            continue
        start = datetime.combine(day, opens, JST)
        if now < start:
            return start
        if now < datetime.combine(day, closes, JST):
            return None
    raise AssertionError("no opening within a week")


def next_report_time(report_times: list[str], since: datetime, now: datetime) -> bool:
    """Has a report batch run after `since` and by `now`?"""
    for offset in range(((now.date() - since.date()).days) + 1):
        day = since.date() + timedelta(days=offset)
        for value in report_times:
            batch = datetime.combine(day, parse_hhmm(value), JST)
            if since < batch <= now:
                return True
    return False


def _missing(payload: dict, names) -> list[str]:
    return [name for name in names if payload.get(name) in (None, "", [])]


def _not_text(payload: dict, names) -> list[str]:
    return [name for name in names if not isinstance(payload.get(name), str)]


def _bad_dates(payload: dict, names) -> list[str]:
    bad = []
    for name in names:
        try:
            if payload.get(name) is not None:
                date.fromisoformat(payload[name])
        except (TypeError, ValueError):
            bad.append(name)
    return bad


def certificate_field_errors(payload: dict) -> list[str]:
    bad = _missing(payload, CERTIFICATE_REQUIRED_FIELDS) or _not_text(
        payload, ("application_type", "site_code", "inspector_code", "vehicle_kind", "chassis_number"))
    if bad:
        return bad
    if payload["application_type"] not in APPLICATION_TYPES:
        bad.append("application_type")
    if payload["vehicle_kind"] not in VEHICLE_KINDS:
        bad.append("vehicle_kind")
    if not isinstance(payload["odometer_km"], int) or payload["odometer_km"] < 0:
        bad.append("odometer_km")
    bad += _bad_dates(payload, ("inspection_date", "issue_date", "new_expiry_date"))
    policies = payload["compulsory_insurance"]
    if not isinstance(policies, list) or not 1 <= len(policies) <= 2 or any(
            not isinstance(p, dict) or _missing(p, INSURANCE_FIELDS[:-1]) or "electronic" not in p
            or _not_text(p, ("certificate_number", "insurer_name"))
            or _bad_dates(p, ("start_date", "end_date")) for p in policies):
        bad.append("compulsory_insurance")
    user = payload["user_of_vehicle"]
    if not isinstance(user, dict) or _missing(user, ("name", "address")):
        bad.append("user_of_vehicle")
    return bad


def request_field_errors(payload: dict) -> list[str]:
    bad = [name for name in OSS_REQUEST_REQUIRED_FIELDS
           if payload.get(name) in (None, "") and name != "consent_obtained"]
    if "consent_obtained" not in payload:
        bad.append("consent_obtained")
    bad = bad or _not_text(payload, ("site_code", "vehicle_kind", "chassis_number"))
    if bad:
        return bad
    if payload["validity_years"] not in (1, 2):
        bad.append("validity_years")
    for name in ("odometer_km", "weight_tax_yen", "inspection_fee_yen"):
        if not isinstance(payload[name], int) or payload[name] < 0:
            bad.append(name)
    if payload["certificate_update_by"] not in CERTIFICATE_UPDATE_BY:
        bad.append("certificate_update_by")
    return bad
