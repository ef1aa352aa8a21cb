"""法人番号 (corporate number): 13 digits whose first digit is a check digit.

Check digit = 9 - (Σ Pn × Qn mod 9) over the 12-digit base number, Pn the n-th digit
counted from the right, Qn = 1 for odd n and 2 for even n
(法人番号の指定等に関する省令 第2条).
"""
import re


def check_digit(base12: str) -> int:
    total = 0
    for n, ch in enumerate(reversed(base12), start=1):
        total += int(ch) * (1 if n % 2 else 2)
    return 9 - (total % 9)


def is_valid_corporate_number(value: str) -> bool:
    # str.isdigit() would accept full-width digits; only half-width ASCII is a valid number.
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{13}", value):
        return False
    return int(value[0]) == check_digit(value[1:])
