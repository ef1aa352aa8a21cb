"""The sandbox plays a shop system's webhook receiver (``/hooks/<name>``), faults included.

Each inbox keeps what it received (headers, body, whether the signature matched the secret the
test gave it) and can be told to fail: answer the next N deliveries with a status code, answer
late (a timeout for the sender), or answer with a redirect (which the sender must not follow).
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from app.integrations.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


@dataclass
class Inbox:
    secret: str | None = None
    fail_next: int = 0
    fail_status: int = 500
    delay_seconds: float = 0.0
    redirect_to: str | None = None
    received: list = field(default_factory=list)


class HookInboxes:
    def __init__(self):
        self._lock = threading.Lock()
        self._inboxes: dict[str, Inbox] = {}

    def reset(self):
        with self._lock:
            self._inboxes.clear()

    def configure(self, name: str, settings: dict) -> dict:
        with self._lock:
            inbox = self._inboxes.setdefault(name, Inbox())
            for key in ("secret", "fail_next", "fail_status", "delay_seconds", "redirect_to"):
                if key in settings:
                    setattr(inbox, key, settings[key])
            return {"name": name, "fail_next": inbox.fail_next, "fail_status": inbox.fail_status,
                    "delay_seconds": inbox.delay_seconds, "redirect_to": inbox.redirect_to}

    def receive(self, name: str, headers, body: bytes) -> tuple[int, dict, dict]:
        """(status, JSON answer, headers) for one delivery; sleeps outside the lock when told to."""
        with self._lock:
            inbox = self._inboxes.setdefault(name, Inbox())
            try:
                parsed = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                parsed = None
            entry = {"event_id": headers.get(EVENT_ID_HEADER), "timestamp": headers.get(TIMESTAMP_HEADER),
                     "signature": headers.get(SIGNATURE_HEADER), "host": headers.get("Host"),
                     "signature_valid": (verify(inbox.secret, body, headers.get(SIGNATURE_HEADER))
                                         if inbox.secret else None),
                     "body": parsed, "answered": 200}
            delay = inbox.delay_seconds
            if inbox.redirect_to:
                entry["answered"] = 302
            elif inbox.fail_next > 0:
                inbox.fail_next -= 1
                entry["answered"] = inbox.fail_status
            inbox.received.append(entry)
            redirect_to = inbox.redirect_to
        if delay:
            time.sleep(delay)
        if entry["answered"] == 302:
            return 302, {"redirect": redirect_to}, {"Location": redirect_to}
        if entry["answered"] != 200:
            return entry["answered"], {"error": {"code": "RECEIVER-FAULT", "message": "fault injected"}}, {}
        return 200, {"received": entry["event_id"]}, {}

    def received(self, name: str) -> list:
        with self._lock:
            inbox = self._inboxes.get(name)
            return list(inbox.received) if inbox else []
