"""The operator's settings: who the association is, the account its 口座振替 collects into, and
the address the service is reached at.

One module decides what each setting means, which values are the shipped samples and whether a
value is usable; `flask deploy-check`, the start of the production processes (gunicorn's
``run:app``, ``python -m scheduler``) and the association's 協会の設定 page all ask
``check_settings``. Pure Python: no Flask, no database (the bank directory is passed in, the
`zengin-code` one by default).

Production (``config.Config``) has no defaults for these: a missing, sample or invalid value
stops the processes. Development, the tests and the demo run on ``SAMPLES``
(config.py applies them), which production refuses by value.
"""
from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Mapping
from urllib.parse import urlsplit

from app.domain.invoice_tax import registration_number_problems


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable and the config key
    label: str  # Japanese, for the page and the check's output
    hint: str  # what to set, in Japanese
    required: bool = True
    # A real association may bank at the sample's bank and branch; only values that cannot
    # be anyone's real ones are refused as samples.
    sample_refused: bool = True
    secret: bool = False  # never shown, only whether it is usable


SETTINGS = (
    Setting("SERVICE_NAME", "サービス名",
            "ご利用ガイド・よくあるご質問・メールの件名に表示する名前を設定してください。",
            required=False),
    Setting("ASSOCIATION_NAME", "協会名",
            "請求書の発行者・利用登録通知書に印字する正式名称を設定してください。"),
    Setting("ASSOCIATION_ADDRESS", "協会の所在地",
            "請求書に印字する所在地（郵便番号から）を設定してください。"),
    Setting("ASSOCIATION_PHONE", "協会の電話番号",
            "請求書に印字する電話番号を「03-1234-5678」の形で設定してください。"),
    Setting("ASSOCIATION_CONTACT", "サポート窓口",
            "画面・通知書に表示する問い合わせ先（窓口名と電話番号など）を設定してください。"),
    Setting("ASSOCIATION_SUPPORT_EMAIL", "問い合わせの受信アドレス",
            "事業場からの問い合わせを受け取るサポートデスクのメールアドレスを設定してください。"),
    Setting("MAIL_DEFAULT_SENDER", "メールの送信元",
            "通知メールの送信元アドレス（協会のドメインのもの）を設定してください。"),
    Setting("PUBLIC_BASE_URL", "公開URL",
            "利用者がブラウザで開くURL（例: https://keizoku.example.jp）を設定してください。"
            "メールのリンク・通知書・記録簿のQRコードはこのURLを使います。"),
    Setting("INVOICE_REGISTRATION_NUMBER", "適格請求書発行事業者登録番号",
            "国税庁から通知された「T」と13桁の数字の登録番号を設定してください。"),
    Setting("DEBIT_CONSIGNOR_CODE", "口座振替の委託者コード",
            "銀行との口座振替契約で通知された10桁の委託者コードを設定してください。"),
    Setting("DEBIT_CONSIGNOR_NAME", "口座振替の委託者名",
            "銀行に届け出た委託者名を半角カナ（全銀の文字）で設定してください。"),
    Setting("DEBIT_BANK_CODE", "収納口座の金融機関コード",
            "振替代金を受け取る口座の金融機関コード（4桁）を設定してください。",
            sample_refused=False),
    Setting("DEBIT_BRANCH_CODE", "収納口座の支店コード",
            "振替代金を受け取る口座の支店コード（3桁）を設定してください。",
            sample_refused=False),
    Setting("DEBIT_ACCOUNT_TYPE", "収納口座の預金種目",
            "1（普通）または 2（当座）を設定してください。", sample_refused=False),
    Setting("DEBIT_ACCOUNT_NUMBER", "収納口座の口座番号",
            "振替代金を受け取る口座の口座番号（7桁）を設定してください。"),
    Setting("SECRET_KEY", "ログインを守る秘密鍵",
            "推測できない32文字以上の文字列を設定してください（例: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))' の出力）。",
            secret=True),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}
DEBIT_SETTINGS = tuple(s.name for s in SETTINGS if s.name.startswith("DEBIT_"))

# The values shipped for development, the tests and the demo. Recognised by value and refused
# in production, so a copied development environment cannot bill with them.
SAMPLES = {
    "ASSOCIATION_NAME": "一般財団法人 整備情報協会",
    "ASSOCIATION_ADDRESS": "〒100-0000 東京都千代田区見本町1-1-1",
    "ASSOCIATION_PHONE": "03-0000-0000",
    "ASSOCIATION_CONTACT": "サポートデスク 03-0000-0000",
    "ASSOCIATION_SUPPORT_EMAIL": "support@example.jp",
    "MAIL_DEFAULT_SENDER": "keizoku@example.jp",
    "PUBLIC_BASE_URL": "http://localhost:5000",
    "INVOICE_REGISTRATION_NUMBER": "T9234567890123",  # check digit valid, not a real number
    "DEBIT_CONSIGNOR_CODE": "1234567890",
    "DEBIT_CONSIGNOR_NAME": "ｾｲﾋﾞｼﾞﾖｳﾎｳｷﾖｳｶｲ",
    "DEBIT_BANK_CODE": "0001",
    "DEBIT_BRANCH_CODE": "001",
    "DEBIT_ACCOUNT_TYPE": "1",
    "DEBIT_ACCOUNT_NUMBER": "1234567",
}
ACCOUNT_TYPES = {"1": "普通", "2": "当座"}
# config.Config's fallback secret: anyone can read it in the source.
DEVELOPMENT_SECRET_KEY = "dev-only-change-me"

OK, MISSING, SAMPLE, INVALID = "ok", "missing", "sample", "invalid"
STATE_LABELS = {OK: "設定済み", MISSING: "未設定", SAMPLE: "見本の値", INVALID: "誤り"}


@dataclass(frozen=True)
class SettingStatus:
    setting: Setting
    value: str
    state: str  # OK, MISSING, SAMPLE or INVALID
    message: str = ""  # Japanese: what is wrong and what to set; "" when usable
    note: str = ""  # what the value names (the bank's name), for the page

    @property
    def usable(self) -> bool:
        return self.state == OK

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    def line(self) -> str:
        """One line of `flask deploy-check`: the environment name first."""
        return f"{self.setting.name}（{self.setting.label}）: {self.message}"


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


# --- One rule per kind of value; each returns (problem, note) ----------------------------------


def _plain_text(value, _values, _production, _banks):
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        return "改行や制御文字が含まれています。1行の文字で設定してください。", ""
    if len(value) > 200:
        return "200文字以内で設定してください。", ""
    return None, ""


def _phone(value, *_):
    if not re.fullmatch(r"0[0-9]{1,4}-?[0-9]{1,4}-?[0-9]{3,4}", value):
        return "電話番号は「03-1234-5678」のように半角数字とハイフンで設定してください。", ""
    if len(value.replace("-", "")) not in (10, 11):
        return "電話番号は市外局番から10桁か11桁で設定してください。", ""
    return None, ""


def _mail_address(value, *_):
    _, address = parseaddr(value)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z0-9-]+", address or "") or not address.isascii():
        return ("メールアドレスの形になっていません。「keizoku@kyokai.or.jp」または"
                "「整備情報協会 <keizoku@kyokai.or.jp>」の形で設定してください。"), ""
    return None, ""


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _base_url(value, _values, production, _banks):
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return ("「https://keizoku.example.jp」のように https:// から始まる完全なURLで"
                "設定してください。"), ""
    if parts.query or parts.fragment or parts.username or parts.password:
        return "URLには「?」「#」や利用者名を含めず、サービスの入口までを設定してください。", ""
    if production and parts.scheme != "https":
        return "本番環境では https:// のURLにしてください（利用者のパスワードが暗号化されずに送られます）。", ""
    if production and _loopback(parts.hostname):
        return ("本番環境では利用者が開けるホスト名にしてください（localhost や 127.0.0.1 は"
                "利用者のパソコン自身を指します）。"), ""
    return None, ""


def _registration_number(value, *_):
    problems = registration_number_problems(value, corporation=True)
    return (problems[0] if problems else None), ""


def _consignor_code(value, *_):
    if not _digits(value, 10):
        return "委託者コードは半角数字10桁で設定してください（銀行から通知された番号です）。", ""
    return None, ""


def _consignor_name(value, *_):
    from app.reports import zengin

    converted = zengin.to_zengin_kana(value)
    problem = zengin.name_problem(converted, "委託者名")
    if problem:
        return problem, ""
    if converted != value:
        return f"委託者名は全銀の半角カナで設定してください（例: {converted}）。", ""
    if len(value) > 40:
        return "委託者名は40文字以内にしてください（銀行に届け出た表記です）。", ""
    return None, ""


def _bank_code(value, _values, _production, banks):
    if not _digits(value, 4):
        return "金融機関コードは半角数字4桁で設定してください（例: 0001）。", ""
    kana = banks.bank_kana(value)
    if kana is None:
        return f"金融機関コード {value} は全銀の金融機関一覧にありません。通帳や契約書のコードを確認してください。", ""
    return None, kana


def _branch_code(value, values, _production, banks):
    if not _digits(value, 3):
        return "支店コードは半角数字3桁で設定してください（例: 001）。", ""
    bank = _text(values.get("DEBIT_BANK_CODE"))
    if not _digits(bank, 4) or banks.bank_kana(bank) is None:
        return "金融機関コードを正しく設定すると、支店コードを確認できます。", ""
    kana = banks.branch_kana(bank, value)
    if kana is None:
        return f"支店コード {value} は金融機関 {bank} の支店にありません。通帳や契約書のコードを確認してください。", ""
    return None, kana


def _account_type(value, *_):
    if value not in ACCOUNT_TYPES:
        return "預金種目は 1（普通）または 2（当座）で設定してください。", ""
    return None, ACCOUNT_TYPES[value]


def _account_number(value, *_):
    if not _digits(value, 7):
        return "口座番号は半角数字7桁で設定してください（7桁に満たない番号は前に0を付けます）。", ""
    return None, ""


def _secret_key(value, _values, production, _banks):
    if production and value == DEVELOPMENT_SECRET_KEY:
        return "ソースコードに書かれた開発用の秘密鍵のままです。", ""
    if production and len(value) < 32:
        return "秘密鍵が短すぎます（32文字以上）。", ""
    return None, ""


RULES = {
    "SERVICE_NAME": _plain_text,
    "ASSOCIATION_NAME": _plain_text,
    "ASSOCIATION_ADDRESS": _plain_text,
    "ASSOCIATION_PHONE": _phone,
    "ASSOCIATION_CONTACT": _plain_text,
    "ASSOCIATION_SUPPORT_EMAIL": _mail_address,
    "MAIL_DEFAULT_SENDER": _mail_address,
    "PUBLIC_BASE_URL": _base_url,
    "INVOICE_REGISTRATION_NUMBER": _registration_number,
    "DEBIT_CONSIGNOR_CODE": _consignor_code,
    "DEBIT_CONSIGNOR_NAME": _consignor_name,
    "DEBIT_BANK_CODE": _bank_code,
    "DEBIT_BRANCH_CODE": _branch_code,
    "DEBIT_ACCOUNT_TYPE": _account_type,
    "DEBIT_ACCOUNT_NUMBER": _account_number,
    "SECRET_KEY": _secret_key,
}


def default_bank_directory():
    from app.reports.zengin import ZenginCodeDirectory

    return ZenginCodeDirectory()


def check_setting(setting: Setting, values: Mapping, *, production: bool, banks=None) -> SettingStatus:
    value = _text(values.get(setting.name))
    if not value:
        if not setting.required:
            return SettingStatus(setting, value, OK)
        return SettingStatus(setting, value, MISSING, "設定されていません。" + setting.hint)
    problem, note = RULES[setting.name](value, values, production,
                                        banks or default_bank_directory())
    if problem:
        return SettingStatus(setting, value, INVALID, f"{problem}{setting.hint}" if setting.secret
                             else problem, note)
    if setting.sample_refused and SAMPLES.get(setting.name) == value:
        message = "開発・デモ用の見本の値のままです。" + setting.hint
        return SettingStatus(setting, value, SAMPLE, message if production else "", note)
    return SettingStatus(setting, value, OK, "", note)


def check_settings(values: Mapping, *, production: bool, names=None, banks=None) -> list[SettingStatus]:
    """The status of every operator setting (or of ``names``), in the order of ``SETTINGS``.

    ``production``: samples are refused, the URL must be https and not this machine's own.
    """
    banks = banks or default_bank_directory()
    chosen = SETTINGS if names is None else [SETTINGS_BY_NAME[n] for n in names]
    return [check_setting(s, values, production=production, banks=banks) for s in chosen]


def settings_problems(values: Mapping, *, production: bool, names=None, banks=None) -> list[SettingStatus]:
    """The settings that stop production: missing, invalid, or (in production) samples."""
    return [status for status in check_settings(values, production=production, names=names,
                                                banks=banks)
            if status.state in (MISSING, INVALID) or (production and status.state == SAMPLE)]


class OperatorSettingsError(RuntimeError):
    """A production process refused to start; the message names every setting at fault."""

    def __init__(self, problems: list[SettingStatus]):
        self.problems = problems
        names = ", ".join(f"{p.setting.name} ({p.state})" for p in problems)
        super().__init__(f"operator settings missing, sample or invalid: {names}; "
                         "run `flask deploy-check` for the details")


def require_operator_settings(config: Mapping, process: str, log) -> None:
    """Refuse to start a production process (``REQUIRE_OPERATOR_SETTINGS``) whose settings
    stop production: one CRITICAL log line naming them, then ``OperatorSettingsError``."""
    if not config.get("REQUIRE_OPERATOR_SETTINGS"):
        return
    problems = settings_problems(config, production=True)
    if problems:
        error = OperatorSettingsError(problems)
        log.critical("%s refuses to start: %s", process, error)
        raise error
