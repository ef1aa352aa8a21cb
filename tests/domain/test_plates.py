"""The plate search keys: one key however a plate is written, the serial, the kind of search."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import plates

AREAS = ("品川", "練馬", "札幌", "袖ケ浦", "いわき", "尾張小牧")
KANA = "あいうえかきくけこさすせそたちつてとなにぬねのはひふほまみむめもやゆよらりるれろわを"


def _display(number):
    """A serial as plates show it: 12-34, or ・・12 for short ones."""
    return f"{number // 100}-{number % 100:02d}" if number >= 1000 else f"{number:>4}".replace(" ", "・")


def _full_width(text):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(area=st.sampled_from(AREAS), klass=st.integers(1, 999), kana=st.sampled_from(KANA),
       number=st.integers(1, 9999))
def test_every_way_of_writing_a_plate_gives_one_key(area, klass, kana, number):
    shown = f"{area} {klass} {kana} {_display(number)}"
    # The QR code's 12 characters: area padded to 4, class to 3, kana, serial right-aligned in 4.
    qr = (area.ljust(4, "\u3000") + _full_width(str(klass)).rjust(3, "\u3000") + kana
          + _full_width(str(number)).rjust(4, "\u3000"))
    assert len(qr) == 12
    key = f"{area}{klass}{kana}{number}"
    assert plates.plate_key(shown) == plates.plate_key(qr) == plates.plate_key(_full_width(shown)) == key
    assert plates.plate_serial(shown) == plates.plate_serial(qr) == str(number)
    assert plates.search_kind(shown) == plates.search_kind(qr) == "plate"
    assert plates.search_kind(_display(number)) == "serial"
    assert plates.search_kind(_full_width(_display(number))) == "serial"


@pytest.mark.parametrize("typed, kind", [
    ("12-34", "serial"), ("1234", "serial"), ("・・12", "serial"), ("7", "serial"), ("0012", "serial"),
    ("12345", "partial"), ("品川 300", "partial"), ("300 あ 12", "partial"), ("品川", "too_short"),
    ("0", "too_short"), ("", None), ("  ・ ", None), ("札幌 お 29-94", "plate"),
    ("品川 30A え 1-23", "plate"),
])
def test_search_kind(typed, kind):
    assert plates.search_kind(typed) == kind


@pytest.mark.parametrize("text, serial", [
    ("品川 300 あ 12-34", "1234"), ("品川 300 あ ・・・1", "1"), ("品川 300 あ 0", None),
    ("品川 300 あ 12345", None), ("品川 300 あ", None), (None, None), ("", None),
])
def test_serial(text, serial):
    assert plates.plate_serial(text) == serial


def test_criterion_shapes():
    from sqlalchemy import column

    key, serial = column("plate_key"), column("plate_serial")
    assert str(plates.criterion(key, serial, "12-34").compile(compile_kwargs={"literal_binds": True})) \
        == "plate_serial = '1234'"
    assert str(plates.criterion(key, serial, "品川３００あ１２３４").compile(
        compile_kwargs={"literal_binds": True})) == "plate_key = '品川300あ1234'"
    partial = str(plates.criterion(key, serial, "品川 300").compile(compile_kwargs={"literal_binds": True}))
    assert "plate_key LIKE" in partial and "品川300" in partial
    assert plates.criterion(key, serial, " ") is None
