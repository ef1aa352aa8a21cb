import pytest

from app.domain.wheel_positions import (
    AXLE_LAYOUTS,
    axle_labels,
    canonical_position,
    canonical_values,
    positions,
    validate_layout,
)


def test_positions_per_tyre_and_per_wheel_end():
    truck = [p.code for p in positions("SDD")]
    assert truck == ["1L", "1R", "2LO", "2LI", "2RI", "2RO", "3LO", "3LI", "3RI", "3RO"]
    assert [p.label for p in positions("SDD")][:6] == ["左", "右", "左外", "左内", "右内", "右外"]
    assert [p.code for p in positions("SDD", per_tyre=False)] == ["1L", "1R", "2L", "2R", "3L", "3R"]
    assert [p.code for p in positions(None)] == ["1L", "1R", "2L", "2R"]


def test_axle_names():
    assert axle_labels("SS") == ["前軸", "後軸"]
    assert axle_labels("SDD") == ["第1軸", "第2軸", "第3軸"]
    assert axle_labels("D") == ["第1軸"]


@pytest.mark.parametrize("layout", ["", "SX", "SSSSSS", "ss", "S D", 12])
def test_bad_layouts_are_refused_in_japanese(layout):
    if layout == "":
        assert validate_layout(layout) == "SS"
        return
    with pytest.raises(ValueError, match="S（単輪）"):
        validate_layout(layout)


def test_every_offered_layout_is_valid():
    for layout in AXLE_LAYOUTS:
        assert validate_layout(layout) == layout


def test_old_car_keys_and_dual_axles():
    assert canonical_values({"FL": 5.2, "FR": 5.1, "RL": 6.0, "RR": 6.1}, "SS") == {
        "1L": 5.2, "1R": 5.1, "2L": 6.0, "2R": 6.1}
    # On a dual axle an old key is the outer tyre; per wheel end it stays the side.
    assert canonical_values({"RL": 6.0}, "SD") == {"2LO": 6.0}
    assert canonical_values({"RL": 6.0}, "SD", per_tyre=False) == {"2L": 6.0}
    # Positions the layout lacks are dropped.
    assert canonical_values({"3LO": 1.0, "2LI": 2.0}, "SS") == {}
    assert canonical_position("9XX", "SDD") is None
