"""Error pages in Japanese that say what to do next (JSON for /api/)."""
from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("入力内容を受け付けられませんでした", "画面を開き直して、もう一度操作してください。"),
    403: ("この画面を表示する権限がありません",
          "ご利用の権限で使える画面はメニューからお選びください。必要な場合は事業場管理責任者または協会にご相談ください。"),
    404: ("ページが見つかりません",
          "URLが正しいか、またはご利用の事業場のデータかどうかをご確認ください。"),
    405: ("この操作はこの方法では行えません", "画面のボタンから操作してください。"),
    413: ("ファイルが大きすぎます", "ファイルを分けて、もう一度お試しください。"),
    429: ("短時間に操作が集中しました", "しばらく(1分ほど)待ってから、もう一度お試しください。"),
    500: ("システムエラーが発生しました",
          "入力済みの内容は保存されています。時間をおいて再度お試しいただき、続く場合は協会サポートデスクにご連絡ください。"),
}
CSRF_MESSAGE = ("画面の有効期限が切れました",
                "安全のため、画面を開き直してからもう一度操作してください。入力途中の内容は保存されている場合があります。")


def _render(status, title, advice):
    if request.path.startswith("/api/"):
        return jsonify(error=status, message=f"{title}。{advice}"), status
    return render_template("keizoku/error.html", status=status, title=title, advice=advice), status


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return _render(400, *CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(error):
        title, advice = MESSAGES.get(error.code, (error.name, "画面を開き直してください。"))
        response = _render(error.code, title, advice)
        if error.code == 429 or getattr(error, "retry_after", None):
            body, status = response
            return body, status, {"Retry-After": "60"}
        return response

    @app.errorhandler(500)
    def _server_error(error):
        return _render(500, *MESSAGES[500])
