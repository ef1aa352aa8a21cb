"""The sandbox's e-JIBAI check and 放置違反金 query (shop-workflow.md §3, §6).

Both pass the sandbox's common gate (hours, maintenance, injected faults: ``Sandbox.call``).

e-JIBAI: certificates registered through ``POST /_control/jibai`` answer as registered (a wrong
insurer answers 電子情報なし, as AIRAS's browser shows plain 手入力). Any other number answers
電子情報あり without an issue time, except numbers ending in ``9999``: no electronic data (a paper
自賠責, or one issued without the 登録機関 report).

放置違反金: 無 unless ``POST /_control/parking`` set 有 for the 車台番号, or the 車台番号 ends in
``-9000110``.
"""
from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta

from flask import jsonify, request

from app.integrations.sandbox.state import Reply, SettingsError, error_reply, parse_moment

PAPER_SUFFIX = "9999"
PARKING_SUFFIX = "-9000110"


class ChecksState:
    def __init__(self):
        self._lock = threading.Lock()
        self.jibai: dict[str, dict] = {}
        self.parking: dict[str, str] = {}
        self._ids = itertools.count(1)

    # ---- e-JIBAI ---------------------------------------------------------------------------

    def register_jibai(self, data: dict, now: datetime) -> dict:
        number = str(data.get("certificate_number") or "").strip()
        if not number or not data.get("insurer_name"):
            raise SettingsError("need certificate_number and insurer_name")
        if data.get("issued_at"):
            issued_at = parse_moment(data["issued_at"])
        else:
            issued_at = now - timedelta(minutes=float(data.get("issued_minutes_ago", 24 * 60)))
        entry = {"certificate_number": number, "insurer_name": data["insurer_name"],
                 "chassis_number": data.get("chassis_number"), "electronic": bool(data.get("electronic", True)),
                 "issued_at": issued_at.isoformat(), "start_date": data.get("start_date"),
                 "end_date": data.get("end_date")}
        with self._lock:
            self.jibai[number] = entry
        return entry

    def lookup_jibai(self, params: dict, now: datetime) -> Reply:
        number = (params.get("certificate_number") or "").strip()
        insurer = (params.get("insurer_name") or "").strip()
        if not number or not insurer:
            return error_reply(422, "VALIDATION", "証明書番号と保険会社名を指定してください。")
        with self._lock:
            entry = self.jibai.get(number)
        echo = {"certificate_number": number, "insurer_name": insurer}
        if entry is not None:
            if not entry["electronic"] or entry["insurer_name"] != insurer:
                return Reply(200, {**echo, "electronic": False})
            return Reply(200, {**echo, "electronic": True, "chassis_number": entry["chassis_number"],
                               "issued_at": entry["issued_at"], "start_date": entry["start_date"],
                               "end_date": entry["end_date"]})
        if number.endswith(PAPER_SUFFIX):
            return Reply(200, {**echo, "electronic": False})
        return Reply(200, {**echo, "electronic": True, "chassis_number": None, "issued_at": None})

    # ---- 放置違反金 --------------------------------------------------------------------------

    def set_parking(self, data: dict) -> dict:
        if data.get("possibility") not in ("有", "無") or not data.get("chassis_number"):
            raise SettingsError("need chassis_number and possibility (有 or 無)")
        with self._lock:
            self.parking[data["chassis_number"]] = data["possibility"]
        return {"chassis_number": data["chassis_number"], "possibility": data["possibility"]}

    def query_parking(self, payload, now: datetime) -> Reply:
        plate = (payload or {}).get("registration_number") if isinstance(payload, dict) else None
        chassis = (payload or {}).get("chassis_number") if isinstance(payload, dict) else None
        if not isinstance(plate, dict) or not all(plate.get(k) for k in ("area", "kana", "serial")):
            return error_reply(422, "VALIDATION", "登録番号(地名・かな・一連番号)を指定してください。")
        with self._lock:
            possibility = self.parking.get(chassis or "")
            query_id = f"HQ{next(self._ids):08d}"
        if possibility is None:
            possibility = "有" if (chassis or "").endswith(PARKING_SUFFIX) else "無"
        return Reply(200, {"query_id": query_id, "possibility": possibility, "answered_at": now.isoformat()})


def register_routes(app, sandbox) -> None:
    """The outside endpoints and their control endpoints, on the sandbox's Flask app."""
    from app.integrations.sandbox.server import FAULT_HEADER

    checks = sandbox.checks

    def gated(system, handler):
        reply = sandbox.call(system, request.method, request.path, handler,
                             forced_fault=request.headers.get(FAULT_HEADER))
        response = jsonify(reply.body)
        response.status_code = reply.status
        response.headers.update(reply.headers)
        return response

    @app.get("/jibai/v1/certificates")
    def jibai_lookup():
        params = request.args.to_dict()
        return gated("jibai", lambda now, forced: checks.lookup_jibai(params, now))

    @app.post("/parking/v1/queries")
    def parking_query():
        payload = request.get_json(silent=True)
        return gated("parking", lambda now, forced: checks.query_parking(payload, now))

    def body() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise SettingsError("send a JSON object")
        return data

    @app.post("/_control/jibai")
    def control_jibai():
        return jsonify(checks.register_jibai(body(), sandbox.clock.now()))

    @app.post("/_control/parking")
    def control_parking():
        return jsonify(checks.set_parking(body()))
