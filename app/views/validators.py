"""WTForms validators with Japanese messages that say what to enter."""
import re
import unicodedata

from wtforms.validators import ValidationError

from app.domain.corporate_number import is_valid_corporate_number


class Digits:
    """Exactly ``length`` half-width digits."""

    def __init__(self, length, label):
        self.length = length
        self.label = label

    def __call__(self, form, field):
        value = field.data or ""
        if not value:
            return
        if not re.fullmatch(r"[0-9]{%d}" % self.length, value):
            raise ValidationError(
                f"{self.label}は半角数字{self.length}桁で入力してください。"
            )


def corporate_number(form, field):
    value = field.data or ""
    if not value:
        return
    if not re.fullmatch(r"[0-9]{13}", value):
        raise ValidationError("法人番号は半角数字13桁で入力してください。")
    if not is_valid_corporate_number(value):
        raise ValidationError(
            "法人番号のチェックデジット(先頭の1桁)が一致しません。番号をご確認ください。"
        )


def halfwidth_kana(form, field):
    value = field.data or ""
    if not value:
        return
    allowed = re.compile(r"[ｦ-ﾟ0-9A-Z ().,\-/]+")
    if not allowed.fullmatch(value):
        raise ValidationError(
            "口座名義は半角カタカナ(英大文字・数字・一部記号可)で入力してください。"
        )


def katakana(form, field):
    value = field.data or ""
    if not value:
        return
    normalized = unicodedata.normalize("NFKC", value)
    if not re.fullmatch(r"[ァ-ヶー・　 ]+", normalized):
        raise ValidationError("フリガナは全角カタカナで入力してください。")


def postal_code(form, field):
    value = field.data or ""
    if value and not re.fullmatch(r"[0-9]{3}-?[0-9]{4}", value):
        raise ValidationError("郵便番号は「123-4567」の形式で入力してください。")


def phone(form, field):
    value = field.data or ""
    if value and not re.fullmatch(r"[0-9]{2,5}-?[0-9]{1,4}-?[0-9]{3,4}", value):
        raise ValidationError("電話番号は半角数字とハイフンで入力してください。")


def username_rule(form, field):
    value = field.data or ""
    if not re.fullmatch(r"[A-Za-z0-9._\-]{4,64}", value):
        raise ValidationError(
            "ユーザーIDは半角英数字と「. _ -」で4〜64文字にしてください。"
        )


def choice_field(label, labels, *, blank=None, default=None):
    """A select of ``labels`` (code -> Japanese; ``blank`` adds an empty choice, stored as None)
    that refuses any other value with a Japanese message."""
    from wtforms import SelectField
    from wtforms.validators import AnyOf

    choices = ([("", blank)] if blank else []) + list(labels.items())
    allowed = ([None] if blank else []) + list(labels)
    return SelectField(label, choices=choices, default=default, validate_choice=False,
                       filters=[lambda v: v or None],
                       validators=[AnyOf(allowed, message=f"{label}は一覧から選んでください。")])
