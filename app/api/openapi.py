"""``GET /api/v1/openapi.json``: the OpenAPI 3 description of every endpoint (no token needed),
built with apispec, each text in Japanese and English."""
from __future__ import annotations

from apispec import APISpec
from flask import jsonify

from app.api import route

ERROR = {"$ref": "#/components/schemas/Error"}
DRAFT = {"$ref": "#/components/schemas/Draft"}
CERTIFICATE = {"$ref": "#/components/schemas/Certificate"}
FORM = {"$ref": "#/components/schemas/StepForm"}


def _text(ja, en):
    return f"{ja}\n\n{en}"


def _errors(*statuses):
    words = {
        400: ("入力の形式が正しくありません。", "Malformed input (JSON, NUL bytes, nesting, parameters)."),
        401: ("トークンがない・正しくない・期限切れ・失効。", "Missing, wrong, expired or revoked token."),
        403: ("トークンの利用者にこの操作の権限がありません。", "The token's user lacks the permission."),
        404: ("ありません(他の事業者のIDも同じ)。", "Not found (another business's id too)."),
        409: ("下書きはすでに確定しています。", "The draft is already confirmed."),
        413: ("リクエストが大きすぎます。", "Request too large."),
        422: ("画面と同じ入力チェックで受け付けられません。", "Refused by the same checks as the screens."),
        429: ("トークンごとの回数制限を超えました。", "Rate limit per token exceeded."),
        503: ("利用時間外(Retry-After 秒後に再開)。", "Outside operating hours (see Retry-After)."),
    }
    common = (401, 429, 503)
    return {str(s): {"description": _text(*words[s]),
                     "content": {"application/json": {"schema": ERROR}}} for s in (*statuses, *common)}


def _json(schema, ja, en):
    return {"description": _text(ja, en), "content": {"application/json": {"schema": schema}}}


def _body(schema, ja, en, example=None):
    content = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"required": True, "description": _text(ja, en), "content": {"application/json": content}}


ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"},
       "description": _text("下書きまたは保適証のID", "Draft or certificate id")}]


def _step(name_ja, name_en, example):
    return {"post": {
        "summary": f"{name_ja} / {name_en}", "tags": ["certificate-drafts"], "parameters": ID,
        "description": _text(
            f"ウィザードの「{name_ja}」画面と同じ項目を JSON で送ります(画面のフォームの項目名のまま。"
            "true はチェックあり)。画面と同じ確認と日本語のメッセージで、だめなら 422 です。",
            f"Saves the wizard's '{name_en}' step: the screen's form fields as JSON (true = checked). "
            "Same checks and Japanese messages as the screen; 422 when refused."),
        "requestBody": _body(FORM, "その手順の画面の項目", "The step screen's fields", example),
        "responses": {"200": _json(DRAFT, "保存後の下書き", "The draft after saving"), **_errors(400, 403, 404, 409, 422)},
    }}


def build_spec():
    spec = APISpec(
        title="Keizoku API", version="1.0.0", openapi_version="3.0.3",
        info={"description": _text(
            "整備事業者の業務システムから保適証を作成・確認するためのAPIです。事業場管理責任者が発行した"
            "トークンを Authorization: Bearer で送ります。トークンはその利用者として動作し、画面と同じ権限・"
            "利用時間・入力チェックが適用されます。エラーはすべて {\"error\": {\"code\", \"message\"}} の形です。",
            "API for shop systems to create and follow 保安基準適合証. Send a token issued by the site "
            "manager as Authorization: Bearer. A token acts as its user: the same permissions, operating "
            "hours and checks as the screens. Every error is {\"error\": {\"code\", \"message\"}}.")})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", {"type": "object", "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string",
                                                             "description": _text("日本語の説明", "Japanese")}}}}})
    spec.components.schema("StepForm", {"type": "object", "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"},
                  {"type": "array", "items": {"type": "string"}}]}})
    spec.components.schema("Draft", {"type": "object", "properties": {
        "id": {"type": "integer"}, "site_id": {"type": "integer"}, "step": {"type": "string"},
        "next_step": {"type": "string", "nullable": True}, "certificate_id": {"type": "integer", "nullable": True},
        "vehicle": {"type": "object"}, "inspection": {"type": "object"}, "insurance": {"type": "object"},
        "checks": {"type": "object"}, "inspectors": {"type": "array", "items": {"type": "object"}}}})
    spec.components.schema("Certificate", {"type": "object", "properties": {
        "id": {"type": "integer"}, "status": {"type": "string"}, "status_label": {"type": "string"},
        "issue_number": {"type": "string", "nullable": True, "description": _text("交付番号", "Issue number")},
        "airas": {"type": "object"}, "oss_request": {"type": "object", "nullable": True},
        "history": {"type": "array", "items": {"type": "object"}}}})

    spec.path(path="/api/v1/openapi.json", operations={"get": {
        "summary": "この説明 / This description", "security": [], "tags": ["meta"],
        "description": _text("トークンなしで取得できます。", "Served without a token."),
        "responses": {"200": {"description": "OpenAPI 3"}}}})
    spec.path(path="/api/v1/certificate-drafts", operations={"post": {
        "summary": "読み取りから下書きを作る / Start a draft from scans", "tags": ["certificate-drafts"],
        "description": _text(
            "二次元コードリーダーが入力した文字列(読み取った順、1件ずつ)を scans に入れます。"
            "車検証閲覧アプリのファイル(JSON)を cert_file に入れると有効期間・使用者も入り、ファイルだけでも作れます。"
            "読み取れないときは 422 で、code は読み取りのエラーコード(MISSING_CODE など)です。",
            "scans: what a wedge reader types, one read per item. cert_file: the 車検証閲覧アプリ file (JSON), "
            "which adds the expiry and the user, and may be sent instead of scans. Unreadable scans: 422 with "
            "the parser's code (MISSING_CODE, ...)."),
        "requestBody": _body({"type": "object", "required": ["site_id"], "properties": {
            "site_id": {"type": "integer"}, "scans": {"type": "array", "items": {"type": "string"}},
            "cert_file": {"oneOf": [{"type": "string"}, {"type": "object"}]}}},
            "事業場と読み取り内容", "Site and reads", {"site_id": 1, "scans": ["2/品川　３３０さ１２３/…"]}),
        "responses": {"201": _json({"type": "object", "properties": {
            "id": {"type": "integer"}, "vehicle": {"type": "object", "description": _text(
                "読み取り結果の項目(vehicle-qr の項目名)", "The parser's fields")},
            "warnings": {"type": "array", "items": {"type": "object"}}}}, "作成した下書き", "The new draft"),
            **_errors(400, 403, 404, 413, 422)}}})
    spec.path(path="/api/v1/certificate-drafts/{id}", operations={"get": {
        "summary": "下書き / A draft", "tags": ["certificate-drafts"], "parameters": ID,
        "description": _text("入力済みの内容、次の手順、事業場の検査員の一覧。",
                             "What is entered, the next step, the site's inspectors."),
        "responses": {"200": _json(DRAFT, "下書き", "The draft"), **_errors(404)}}})
    spec.path(path="/api/v1/certificate-drafts/{id}/vehicle", operations=_step("車両の確認", "vehicle", {
        "vehicle_kind": "registered", "chassis_number": "JTESTVIN000000001", "expiry_date": "2026-12-20",
        "owner_name": "試験 花子", "owner_address": "東京都品川区1-2-3"}))
    spec.path(path="/api/v1/certificate-drafts/{id}/inspection", operations=_step("検査", "inspection", {
        "inspection_date": "2026-11-26", "inspector_id": 1, "odometer_km": 45678, "validity_years": 2,
        "use": "private", "body": "passenger", "application_type": "oss", "application_agent": "jaspa"}))
    spec.path(path="/api/v1/certificate-drafts/{id}/insurance", operations=_step("自賠責", "insurance", {
        "policy1_certificate_number": "ABC12345678", "policy1_insurer_name": "東京海上日動",
        "policy1_start_date": "2026-11-20", "policy1_end_date": "2029-01-20", "policy1_electronic": True}))
    checks = _step("確認事項", "checks", {"weight_tax_yen": 24600, "inspection_fee_yen": 1600})
    checks["get"] = {
        "summary": "確認事項の内容 / What the checks page shows", "tags": ["certificate-drafts"], "parameters": ID,
        "description": _text("新しい有効期間・最終検査申請日と注意、重量税(照会サービスと計算)、検査手数料。"
                             "税額が違うときは weight_tax_difference_checked: true が必要です。",
                             "New expiry, last application date and warnings, weight tax (inquiry and "
                             "computed), fee. When they differ, send weight_tax_difference_checked: true."),
        "responses": {"200": {"description": "assessment, weight_tax, inspection_fee"}, **_errors(404, 409, 422)}}
    spec.path(path="/api/v1/certificate-drafts/{id}/checks", operations=checks)
    spec.path(path="/api/v1/certificate-drafts/{id}/confirm", operations={
        "get": {"summary": "訂正できない項目 / Items that cannot be corrected", "tags": ["certificate-drafts"],
                "parameters": ID,
                "description": _text("確定の前に車検証と照らし合わせる項目(key を confirmed に入れます)。",
                                     "Items to check against the 車検証; send their keys as confirmed."),
                "responses": {"200": {"description": "items"}, **_errors(404, 409, 422)}},
        "post": {"summary": "確定して送信 / Confirm and send", "tags": ["certificate-drafts"], "parameters": ID,
                 "description": _text("自動車検査員のトークンだけが確定できます。確定するとAIRAS(OSSならAINASにも)へ送信します。",
                                      "Only an inspector's token may confirm; the certificate is then sent."),
                 "requestBody": _body({"type": "object", "properties": {"confirmed": {
                     "type": "array", "items": {"type": "string"}}}}, "確認した項目", "Items checked",
                     {"confirmed": ["chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector"]}),
                 "responses": {"201": _json(CERTIFICATE, "保適証", "The certificate"),
                               **_errors(400, 403, 404, 409, 422)}}})
    spec.path(path="/api/v1/certificates", operations={"get": {
        "summary": "保適証の一覧 / Certificates", "tags": ["certificates"],
        "description": _text("updated_since 以降に変わった保適証を古い順に返します。続きは next_cursor を cursor に。",
                             "Certificates changed since updated_since, oldest first; pass next_cursor as cursor."),
        "parameters": [
            {"name": "updated_since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
            {"name": "site_id", "in": "query", "schema": {"type": "integer"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
            {"name": "cursor", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": _json({"type": "object", "properties": {
            "items": {"type": "array", "items": CERTIFICATE}, "next_cursor": {"type": "string", "nullable": True}}},
            "一覧", "A page"), **_errors(400, 404)}}})
    spec.path(path="/api/v1/certificates/{id}", operations={"get": {
        "summary": "保適証 / A certificate", "tags": ["certificates"], "parameters": ID,
        "description": _text("状態、AIRAS・AINASの状態と履歴、交付番号。", "Status, AIRAS/AINAS status and history, issue number."),
        "responses": {"200": _json(CERTIFICATE, "保適証", "The certificate"), **_errors(404)}}})
    result = spec.to_dict()
    result["security"] = [{"bearer": []}]
    return result


@route("/openapi.json", public=True)
def openapi():
    return jsonify(build_spec())
