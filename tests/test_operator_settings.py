"""The operator settings (app/settings.py): what production accepts, and what it refuses by name."""
import pytest

from app.settings import (
    INVALID,
    MISSING,
    OK,
    SAMPLE,
    SAMPLES,
    SETTINGS,
    check_settings,
    settings_problems,
)

# A real-looking production environment: every value valid, none a sample.
VALID = {
    "SERVICE_NAME": "整備ネット",
    "ASSOCIATION_NAME": "一般社団法人 試験県自動車整備振興会",
    "ASSOCIATION_ADDRESS": "〒460-0002 愛知県名古屋市中区丸の内3-1-1",
    "ASSOCIATION_PHONE": "052-123-4567",
    "ASSOCIATION_CONTACT": "業務課 052-123-4568(平日9時〜17時)",
    "ASSOCIATION_SUPPORT_EMAIL": "support@seibi-shiken.or.jp",
    "MAIL_DEFAULT_SENDER": "整備ネット <noreply@seibi-shiken.or.jp>",
    "PUBLIC_BASE_URL": "https://seibi-net.seibi-shiken.or.jp",
    "INVOICE_REGISTRATION_NUMBER": "T8700110005901",
    "DEBIT_CONSIGNOR_CODE": "0123456789",
    "DEBIT_CONSIGNOR_NAME": "ｼｹﾝｹﾝｼﾞﾄﾞｳｼﾔｾｲﾋﾞｼﾝｺｳｶｲ",
    "DEBIT_BANK_CODE": "0005",
    "DEBIT_BRANCH_CODE": "251",
    "DEBIT_ACCOUNT_TYPE": "2",
    "DEBIT_ACCOUNT_NUMBER": "0012345",
    "SECRET_KEY": "k3Yd0-9uQm2vXz7Lr4Tn8Wb1Ps6Hc5Je0Ga",
}


def states(values, production=True):
    return {s.setting.name: s.state for s in check_settings(values, production=production)}


def problem(values, name, production=True):
    (status,) = check_settings(values, production=production, names=[name])
    return status


def test_valid_values_pass_in_production_with_the_bank_and_branch_named():
    assert settings_problems(VALID, production=True) == []
    by_name = {s.setting.name: s for s in check_settings(VALID, production=True)}
    assert by_name["DEBIT_BANK_CODE"].note == "ミツビシユ－エフジエイ"  # from zengin-code
    assert by_name["DEBIT_BRANCH_CODE"].note == "ヨコハマエキマエ"
    assert by_name["DEBIT_ACCOUNT_TYPE"].note == "当座"


def test_every_setting_but_the_service_name_is_required_in_production():
    problems = settings_problems({}, production=True)
    assert [p.setting.name for p in problems] == [s.name for s in SETTINGS if s.required]
    assert "SERVICE_NAME" not in {p.setting.name for p in problems}
    assert all(p.state == MISSING and p.message.startswith("設定されていません。") for p in problems)
    line = next(p for p in problems if p.setting.name == "DEBIT_CONSIGNOR_CODE").line()
    assert line.startswith("DEBIT_CONSIGNOR_CODE（口座振替の委託者コード）: 設定されていません。")


def test_the_samples_serve_development_and_are_refused_in_production():
    development_values = {**SAMPLES, "SECRET_KEY": "test-secret"}
    assert settings_problems(development_values, production=False) == []
    refused = {p.setting.name: p for p in settings_problems(
        {**SAMPLES, "SECRET_KEY": VALID["SECRET_KEY"]}, production=True)}
    # A real association may bank at the sample's bank and branch; the rest cannot be real.
    assert set(refused) == set(SAMPLES) - {"DEBIT_BANK_CODE", "DEBIT_BRANCH_CODE",
                                           "DEBIT_ACCOUNT_TYPE"}
    assert refused["DEBIT_CONSIGNOR_CODE"].state == SAMPLE
    assert "見本の値" in refused["INVOICE_REGISTRATION_NUMBER"].message
    # http://localhost:5000 is refused for what it is (not https), before being a sample.
    assert refused["PUBLIC_BASE_URL"].state == INVALID
    development = states(development_values, production=False)
    assert development["DEBIT_CONSIGNOR_CODE"] == SAMPLE and development["DEBIT_BANK_CODE"] == OK


@pytest.mark.parametrize("name, value, expected", [
    ("INVOICE_REGISTRATION_NUMBER", "T8700110005902", "チェックディジット"),
    ("INVOICE_REGISTRATION_NUMBER", "8700110005901", "「T」と13桁"),
    ("INVOICE_REGISTRATION_NUMBER", "T８７００１１０００５９０１", "「T」と13桁"),
    ("DEBIT_CONSIGNOR_CODE", "123456789", "10桁"),
    ("DEBIT_CONSIGNOR_CODE", "12345678901", "10桁"),
    ("DEBIT_CONSIGNOR_NAME", "シケンケンジドウシャ", "全銀の半角カナで設定してください（例: ｼｹﾝｹﾝｼﾞﾄﾞｳｼﾔ）"),
    ("DEBIT_CONSIGNOR_NAME", "試験県協会", "使用できない文字"),
    ("DEBIT_CONSIGNOR_NAME", "ｱ" * 41, "40文字以内"),
    ("DEBIT_BANK_CODE", "0999", "金融機関一覧にありません"),
    ("DEBIT_BANK_CODE", "5", "4桁"),
    ("DEBIT_BRANCH_CODE", "999", "支店にありません"),
    ("DEBIT_BRANCH_CODE", "25", "3桁"),
    ("DEBIT_ACCOUNT_TYPE", "3", "1（普通）または 2（当座）"),
    ("DEBIT_ACCOUNT_NUMBER", "12345", "7桁"),
    ("DEBIT_ACCOUNT_NUMBER", "１２３４５６７", "7桁"),
    ("PUBLIC_BASE_URL", "keizoku.example.jp", "https:// から始まる"),
    ("PUBLIC_BASE_URL", "http://seibi-net.seibi-shiken.or.jp", "https:// のURLに"),
    ("PUBLIC_BASE_URL", "https://127.0.0.1:8443", "localhost や 127.0.0.1"),
    ("PUBLIC_BASE_URL", "https://seibi-net.or.jp/?next=1", "「?」「#」"),
    ("PUBLIC_BASE_URL", "https://seibi-net.or.jp:port", "https:// から始まる"),
    ("MAIL_DEFAULT_SENDER", "noreply", "メールアドレスの形"),
    ("ASSOCIATION_SUPPORT_EMAIL", "support@", "メールアドレスの形"),
    ("ASSOCIATION_PHONE", "052-123-456", "10桁か11桁"),
    ("ASSOCIATION_PHONE", "tel 052", "半角数字とハイフン"),
    ("ASSOCIATION_NAME", "協会\n名", "改行や制御文字"),
    ("SECRET_KEY", "dev-only-change-me", "開発用の秘密鍵のまま"),
    ("SECRET_KEY", "short-secret", "32文字以上"),
])
def test_an_invalid_value_is_named_with_what_to_set(name, value, expected):
    status = problem({**VALID, name: value}, name)
    assert status.state == INVALID
    assert expected in status.message
    assert status.line().startswith(f"{name}（")


def test_a_branch_is_checked_against_the_bank_set_beside_it():
    status = problem({**VALID, "DEBIT_BANK_CODE": "0999"}, "DEBIT_BRANCH_CODE")
    assert status.state == INVALID and "金融機関コードを正しく設定すると" in status.message
    assert problem({**VALID, "DEBIT_BANK_CODE": "0001", "DEBIT_BRANCH_CODE": "001"},
                   "DEBIT_BRANCH_CODE").state == OK


def test_development_accepts_plain_http_on_this_machine():
    assert problem({**VALID, "PUBLIC_BASE_URL": "http://127.0.0.1:5000"}, "PUBLIC_BASE_URL",
                   production=False).state == OK
    assert problem({**VALID, "PUBLIC_BASE_URL": "ftp://127.0.0.1"}, "PUBLIC_BASE_URL",
                   production=False).state == INVALID


def test_blank_counts_as_missing():
    assert problem({**VALID, "DEBIT_CONSIGNOR_CODE": "   "}, "DEBIT_CONSIGNOR_CODE").state == MISSING
    assert problem({**VALID, "SERVICE_NAME": ""}, "SERVICE_NAME").state == OK  # optional
