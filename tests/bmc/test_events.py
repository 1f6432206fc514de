"""Threshold status on raw readings and the SEL events of a change (shared by sim and platform)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.bmc.events import (crossing_record, discrete_records, threshold_crossings,
                                   threshold_status)
from chassisctl.bmc.synth import aligned_factors
from chassisctl.ipmi import sel
from chassisctl.ipmi.conversion import AnalogFormat, Conversion, Factors
from chassisctl.ipmi.sensor_cmds import Threshold

LIMITS = {Threshold.LC: 10, Threshold.LNC: 20, Threshold.UNC: 200, Threshold.UC: 220}


def test_status_at_or_beyond() -> None:
    assert threshold_status(LIMITS, 100) == 0
    assert threshold_status(LIMITS, 20) == Threshold.LNC
    assert threshold_status(LIMITS, 10) == Threshold.LNC | Threshold.LC
    assert threshold_status(LIMITS, 230) == Threshold.UNC | Threshold.UC


def test_twos_complement_readings_compare_as_signed() -> None:
    conv = Conversion(Factors(m=1), AnalogFormat.TWOS_COMPLEMENT)
    limits = {Threshold.LC: conv.raw(-10), Threshold.UC: conv.raw(100)}
    assert threshold_status(limits, conv.raw(-20), conv) == Threshold.LC  # FFh-ish bytes are negative
    assert threshold_status(limits, conv.raw(5), conv) == 0
    assert threshold_status(limits, conv.raw(-20)) == Threshold.LC | Threshold.UC  # unsigned: wrong


def test_crossings_and_records() -> None:
    changes = threshold_crossings(0, Threshold.UNC | Threshold.UC, 225, LIMITS)
    assert [(c.offset, c.deassertion, c.limit) for c in changes] == [(0x07, False, 200), (0x09, False, 220)]
    back = threshold_crossings(Threshold.UNC | Threshold.UC, Threshold.UNC, 210, LIMITS)
    assert [(c.offset, c.deassertion) for c in back] == [(0x09, True)]
    record = crossing_record(0x01, 0x12, changes[1], 1_700_000_000)
    decoded = sel.decode(record.encode())
    assert decoded.sensor_number == 0x12 and decoded.event_type == 0x01 and not decoded.deassertion
    assert decoded.event_data == bytes([0x59, 225, 220])  # trigger reading and threshold announced


def test_discrete_records() -> None:
    records = discrete_records(0x08, 3, 0b0001, 0b1000, 5)
    assert [(r.offset, r.deassertion) for r in records] == [(0, True), (3, False)]


@settings(deadline=None)
@given(st.integers(-100, 100), st.floats(1, 300), st.sampled_from([0.5, 0.125, 0.0625, 1.0, 0.001]))
def test_aligned_factors_steps_are_whole_device_steps(lo: int, span: float, resolution: float) -> None:
    from fractions import Fraction

    conv = aligned_factors(lo, lo + span, resolution)
    f = conv.factors
    step = abs(f.m) * Fraction(10) ** f.k2
    assert step % Fraction(str(resolution)) == 0
    assert (f.b * Fraction(10) ** (f.k1 + f.k2)) % Fraction(str(resolution)) == 0
    assert step * 255 >= Fraction(str(span)) - Fraction(1, 10**9)
