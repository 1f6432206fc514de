"""EMC2305 codec: tach COUNT <-> RPM (the datasheet's RPM equation), stall, duty, fuzz."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.devices import emc2305
from chassisctl.devices.emc2305 import FanReg
from chassisctl.devices.register_error import DeviceDecodeError


def test_worked_example_8448_rpm() -> None:
    count = emc2305.count_from_rpm(8448)
    assert count == 931 == 0x3A3
    assert emc2305.tach_from_count(count) == (0x1D, 0x18)  # word 1D18h, MSB first
    assert emc2305.count_from_tach(0x1D, 0x18) == 931
    assert emc2305.rpm_from_count(931) == 8446  # kernel order: divide, then × 2


def test_stall() -> None:
    assert emc2305.rpm_from_count(0x1FFF) == 0  # 3,932,160 // 8191 == 480
    assert emc2305.rpm_from_count(8182) == 0  # 480 per window is still a stall
    assert emc2305.rpm_from_count(8174) == 962  # 481 per window is not
    assert emc2305.count_from_rpm(0) == 0x1FFF
    assert emc2305.count_from_rpm(1) == 0x1FFF  # clamped
    with pytest.raises(DeviceDecodeError):
        emc2305.rpm_from_count(0)


def test_duty_and_registers() -> None:
    assert emc2305.duty_percent(0x99) == 60.0
    assert emc2305.drive_from_percent(60) == 0x99
    assert emc2305.fan_reg(FanReg.TACH_HIGH, 2) == 0x5E
    assert emc2305.fan_reg(FanReg.DRIVE, 4) == 0x70
    assert emc2305.range_multiplier(0x2B) == 2
    assert emc2305.fans_in(0x05) == {0, 2}
    assert emc2305.decode_ids(0x34, 0x5D).fans == 5
    with pytest.raises(DeviceDecodeError):
        emc2305.decode_ids(0x34, 0x00)


@given(st.floats(1000, 60000), st.sampled_from([1, 2, 4, 8]))
def test_rpm_round_trip(rpm: float, multiplier: int) -> None:
    count = emc2305.count_from_rpm(rpm, multiplier)
    decoded = emc2305.rpm_from_count(count, multiplier)
    if decoded == 0:  # below the range's measurable minimum
        assert emc2305.TACH_CONSTANT // count <= emc2305.STALL_LIMIT
        return
    # quantisation: one COUNT step plus the kernel's integer truncation
    step = emc2305.TACH_CONSTANT * multiplier / count**2
    assert abs(decoded - rpm) <= step + multiplier + 1


@given(st.integers(0, 100 * 100).map(lambda x: x / 100))
def test_duty_round_trip(percent: float) -> None:
    assert abs(emc2305.duty_percent(emc2305.drive_from_percent(percent)) - percent) <= 100 / 255 / 2 + 1e-9


@given(st.integers(-3, 0x1FFFF), st.integers(-3, 300), st.integers(-1, 20))
def test_fuzz(a: int, b: int, multiplier: int) -> None:
    for call in (lambda: emc2305.rpm_from_count(a, multiplier), lambda: emc2305.count_from_tach(b, a),
                 lambda: emc2305.duty_percent(b), lambda: emc2305.range_multiplier(b),
                 lambda: emc2305.fans_in(b), lambda: emc2305.decode_ids(a, b)):
        try:
            call()
        except DeviceDecodeError:
            pass
