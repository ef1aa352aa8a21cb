"""HTTP face of the sandbox: a plain Flask app, run in its own process or in a test's thread."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from datetime import date

from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

from app.integrations.base import IDEMPOTENCY_HEADER
from app.integrations.sandbox.checks import register_routes as register_check_routes
from app.integrations.sandbox.hooks import HookInboxes
from app.integrations.sandbox.state import Reply, Sandbox, SettingsError, parse_moment

FAULT_HEADER = "X-Sandbox-Fault"  # per-request fault: error, timeout, maintenance, hours or a reason code


def create_sandbox_app(sandbox: Sandbox | None = None, hooks: HookInboxes | None = None, **settings) -> Flask:
    sandbox = sandbox or Sandbox(**settings)
    hooks = hooks or HookInboxes()
    app = Flask("keizoku_sandbox")
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["sandbox"] = sandbox
    app.extensions["sandbox_hooks"] = hooks

    def respond(reply: Reply):
        if reply.dropped:
            return _no_answer()
        response = jsonify(reply.body)
        response.status_code = reply.status
        response.headers.update(reply.headers)
        return response

    def outside_call(system, handler):
        return respond(sandbox.call(system, request.method, request.path, handler,
                                    forced_fault=request.headers.get(FAULT_HEADER)))

    def creating(system, create_record):
        def view():
            payload = request.get_json(silent=True)
            key = request.headers.get(IDEMPOTENCY_HEADER)
            return outside_call(system, lambda now, forced: create_record(payload, key, now, forced))
        return view

    def correcting(system, correct_record):
        def view(record_id):
            payload = request.get_json(silent=True)
            key = request.headers.get(IDEMPOTENCY_HEADER)
            return outside_call(system, lambda now, forced: correct_record(record_id, payload, key, now, forced))
        return view

    def on_record(system, handle):
        def view(record_id):
            return outside_call(system, lambda now, forced: handle(record_id, now))
        return view

    # ---- AIRAS and AINAS ----
    for rule, method, name, view in (
        ("/airas/v1/certificates", "POST", "airas_create", creating("airas", sandbox.create_certificate)),
        ("/airas/v1/certificates/<record_id>", "GET", "airas_get", on_record("airas", sandbox.get_certificate)),
        ("/airas/v1/certificates/<record_id>", "DELETE", "airas_delete",
         on_record("airas", sandbox.delete_certificate)),
        ("/airas/v1/certificates/<record_id>/pullback", "POST", "airas_pull_back",
         on_record("airas", sandbox.pull_back_certificate)),
        ("/airas/v1/certificates/<record_id>", "PUT", "airas_correct",
         correcting("airas", sandbox.correct_certificate)),
        ("/ainas/v1/requests", "POST", "ainas_create", creating("ainas", sandbox.create_request)),
        ("/ainas/v1/requests/<record_id>", "GET", "ainas_get", on_record("ainas", sandbox.get_request)),
    ):
        app.add_url_rule(rule, name, view, methods=[method])

    # ---- weight-tax inquiries ----
    @app.get("/<any(mlit, kei):system>/v1/next-weight-tax")
    def weight_tax(system):
        params = request.args.to_dict()
        return outside_call(system, lambda now, forced: sandbox.lookup_weight_tax(system, params, now))

    # ---- e-JIBAI check, 放置違反金 query (sandbox/checks.py) ----
    register_check_routes(app, sandbox)

    # ---- control API (tests and demos; not part of the outside systems) ----
    @app.errorhandler(SettingsError)
    def bad_setting(exc):
        return jsonify({"error": {"code": "BAD-SETTING", "message": str(exc)}}), 400

    def body() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise SettingsError("send a JSON object")
        return data

    # ---- a shop system's webhook receiver (app/integrations/sandbox/hooks.py) ----
    @app.post("/hooks/<name>")
    def hook_receive(name):
        status, answer, headers = hooks.receive(name, request.headers, request.get_data())
        response = jsonify(answer)
        response.status_code = status
        response.headers.update(headers)
        return response

    @app.post("/_control/hooks/<name>")
    def control_hooks(name):
        return jsonify(hooks.configure(name, body()))

    @app.get("/_control/hooks/<name>")
    def control_hooks_received(name):
        return jsonify(hooks.received(name))

    @app.post("/_control/reset")
    def control_reset():
        sandbox.reset()
        hooks.reset()
        return jsonify({"reset": True})

    @app.post("/_control/faults")
    def control_faults():
        return jsonify(sandbox.update_settings(body(), faults_only=True))

    @app.post("/_control/settings")
    def control_settings():
        return jsonify(sandbox.update_settings(body()))

    @app.post("/_control/clock")
    def control_clock():
        data = body()
        if "now" in data:
            try:
                sandbox.clock.set(parse_moment(data["now"]), frozen=bool(data.get("frozen", False)))
            except (TypeError, ValueError) as exc:
                raise SettingsError(f"now must be ISO 8601: {exc}") from exc
        if "advance_seconds" in data:
            sandbox.clock.advance(float(data["advance_seconds"]))
        if data.get("real"):
            sandbox.clock.reset()
        return jsonify({"now": sandbox.clock.now().isoformat()})

    @app.get("/_control/clock")
    def control_clock_get():
        return jsonify({"now": sandbox.clock.now().isoformat()})

    @app.post("/_control/weight-tax")
    def control_weight_tax():
        data = body()
        try:
            visible_from = date.fromisoformat(data["visible_from"]) if data.get("visible_from") else None
            sandbox.set_weight_tax(data.get("system", "mlit"), data["chassis_number"], data["weight_tax_yen"],
                                   visible_from)
        except (KeyError, ValueError) as exc:
            raise SettingsError(f"need system, chassis_number, weight_tax_yen (visible_from optional): {exc}") \
                from exc
        return jsonify({"stored": True})

    @app.post("/_control/ainas/<request_id>/return")
    def control_ainas_return(request_id):
        return jsonify(sandbox.return_request(request_id, body().get("status", "差戻")))

    @app.get("/_control/stats")
    def control_stats():
        return jsonify(sandbox.snapshot_stats())

    @app.get("/_control/records/<system>")
    def control_records(system):
        return jsonify(sandbox.records(system))

    @app.get("/_control/calls")
    def control_calls():
        with sandbox._lock:
            return jsonify(list(sandbox.calls))

    @app.get("/_control/fees")
    def control_fees():
        with sandbox._lock:
            return jsonify(list(sandbox.fees))

    return app


def _no_answer() -> Response:
    """Close the connection before a byte of the answer is sent: the client sees the connection
    end (a lost response) at once, whatever its timeouts, while the call is already stored."""
    connection = request.environ.get("werkzeug.socket")

    def body():
        if connection is not None:
            connection.shutdown(socket.SHUT_RDWR)
        raise ConnectionAbortedError("sandbox: answer dropped")  # werkzeug ends the connection
        yield b""  # pragma: no cover - makes this a generator

    return Response(body())


class _QuietHandler(WSGIRequestHandler):
    """No access log per request: a fault-injection run makes thousands."""

    def log_request(self, code="-", size="-"):
        pass


@dataclass
class SandboxServer:
    """A running sandbox: `base_url`, `url(system)` for a client, `stop()` when done."""

    base_url: str
    sandbox: Sandbox
    _server: object
    _thread: threading.Thread

    def url(self, system: str) -> str:
        return f"{self.base_url}/{system}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.sandbox.close()


def serve(host: str, port: int, **settings):
    """A werkzeug server (not yet serving) and its sandbox."""
    sandbox = Sandbox(**settings)
    server = make_server(host, port, create_sandbox_app(sandbox), threaded=True, request_handler=_QuietHandler)
    return server, sandbox


def start_sandbox_in_thread(port: int = 0, host: str = "127.0.0.1", **settings) -> tuple[str, SandboxServer]:
    """Start the sandbox as a real HTTP server on localhost (port 0: a free one) in a daemon thread."""
    server, sandbox = serve(host, port, **settings)
    base_url = f"http://{host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox:{server.server_port}", daemon=True)
    thread.start()
    return base_url, SandboxServer(base_url, sandbox, server, thread)
