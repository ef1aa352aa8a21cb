"""Error pages in Japanese that say what to do next (JSON for /api/)."""
from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

MESSAGES = {
    400: ("入力内容を受け付けられませんでした", "画面を開き直して、もう一度操作してください。"),
    403: ("この画面を表示する権限がありません",
          "ご利用の権限で使える画面はメニューからお選びください。必要な場合は事業場管理責任者または協会にご相談ください。"),
    404: ("ページが見つかりません",
          "URLが正しいか、またはご利用の事業場のデータかどうかをご確認ください。"),
    405: ("この操作はこの方法では行えません", "画面のボタンから操作してください。"),
    413: ("送信内容が大きすぎます", "ファイルを分けるか小さくして、もう一度お試しください。"),
    429: ("短時間に操作が集中しました", "しばらく(1分ほど)待ってから、もう一度お試しください。"),
    500: ("システムエラーが発生しました",
          "入力済みの内容は保存されています。時間をおいて再度お試しいただき、続く場合は協会サポートデスクにご連絡ください。"),
}
CSRF_MESSAGE = ("画面の有効期限が切れました",
                "安全のため、画面を開き直してからもう一度操作してください。入力途中の内容は保存されている場合があります。")


def wants_json():
    """A script's call (fetch with JSON, XMLHttpRequest) rather than a page."""
    return (request.is_json or request.headers.get("X-Requested-With") == "XMLHttpRequest"
            or request.accept_mimetypes.best == "application/json")


def render_error(status, title, advice, code=None):
    """The Japanese error page; JSON for the token API (its own shape is given by app/api/'s
    ``finish``) and for script calls: ``{"error": {"code", "message"}}``."""
    message = f"{title}。{advice}"
    if request.path.startswith("/api/"):
        return jsonify(error=code or status, message=message), status
    if wants_json():
        return jsonify(error={"code": code or str(status), "message": message}), status
    return render_template("keizoku/error.html", status=status, title=title, advice=advice), status



def _too_large():
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    title, advice = MESSAGES[413]
    if limit:
        advice = f"一度に送れるのは{limit // 1024 // 1024}MBまでです。" + advice
    return render_error(413, title, advice, "too_large")


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_error(400, *CSRF_MESSAGE)

    @app.errorhandler(RequestEntityTooLarge)
    def _request_too_large(error):
        return _too_large()

    @app.errorhandler(HTTPException)
    def _http(error):
        title, advice = MESSAGES.get(error.code, (error.name, "画面を開き直してください。"))
        response = render_error(error.code, title, advice)
        if error.code == 429 or getattr(error, "retry_after", None):
            body, status = response
            return body, status, {"Retry-After": "60"}
        return response

    @app.errorhandler(500)
    def _server_error(error):
        return render_error(500, *MESSAGES[500])
