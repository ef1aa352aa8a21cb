"""Password rules (the message is shown to users as is, so it is Japanese)."""
import secrets

from flask_appbuilder.exceptions import PasswordComplexityValidationError

MIN_LENGTH = 10
COMPLEXITY_MESSAGE = (
    "パスワードは10文字以上で、英大文字・英小文字・数字をそれぞれ1文字以上含めてください。"
)


def complexity_problem(password: str):
    """Return the Japanese reason a password is too weak, or None."""
    if (
        len(password) < MIN_LENGTH
        or not any(c.isupper() for c in password)
        or not any(c.islower() for c in password)
        or not any(c.isdigit() for c in password)
        or any(c.isspace() for c in password)
    ):
        return COMPLEXITY_MESSAGE
    return None


def validate_complexity(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR hook."""
    problem = complexity_problem(password)
    if problem:
        raise PasswordComplexityValidationError(problem)


# Letters that are easy to misread on a printed notice are left out (0/O, 1/l/I).
_ALPHABET_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_ALPHABET_LOWER = "abcdefghijkmnpqrstuvwxyz"
_DIGITS = "23456789"


def generate_initial_password(length: int = 12) -> str:
    """An initial password that meets the complexity rule and reads clearly on paper."""
    while True:
        pool = _ALPHABET_UPPER + _ALPHABET_LOWER + _DIGITS
        candidate = "".join(secrets.choice(pool) for _ in range(length))
        if complexity_problem(candidate) is None:
            return candidate


