"""Sensor/Event netFn (04h) codecs: readings, thresholds, factors, hysteresis.

Raw bytes only: turning a raw reading into volts or degrees is
:mod:`chassisctl.ipmi.sensor`'s job, with the factors from the SDR or from
:class:`SensorReadingFactors` for non-linear sensors.  Conventions as in
:mod:`chassisctl.ipmi.app`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chassisctl.ipmi.app import DataLengthError, check_field, expect_length, expect_min_length
from chassisctl.ipmi.codes import NetFn, SensorCmd
from chassisctl.ipmi.message import Request


class ThresholdMask(enum.IntFlag):
    """Threshold bits as used by Get Sensor Thresholds (readable mask), the
    SDR masks, and Get Sensor Reading byte 3 (at-or-below / at-or-above)."""

    LNC = 0x01
    LC = 0x02
    LNR = 0x04
    UNC = 0x08
    UC = 0x10
    UNR = 0x20


class ReadingFlags(enum.IntFlag):
    """Get Sensor Reading byte 2."""

    UNAVAILABLE = 0x20
    SCANNING_ENABLED = 0x40
    EVENTS_ENABLED = 0x80


def parse_sensor_number(data: bytes) -> int:
    """Request data of Get Sensor Reading / Thresholds / Event Enable."""
    expect_length(data, 1, what="sensor number")
    return data[0]


# --------------------------------------------------------------------------
# Get Sensor Reading (2Dh)


@dataclass(frozen=True, slots=True)
class SensorReading:
    """Get Sensor Reading reply: raw reading, flags, 0-2 state bytes (kept raw).

    For threshold sensors ``state[0]`` bits 5:0 are the threshold comparison
    status; for discrete sensors ``state`` holds the 15 state bits.
    """

    raw: int
    flags: ReadingFlags
    state: bytes = b""

    @property
    def events_enabled(self) -> bool:
        return bool(self.flags & ReadingFlags.EVENTS_ENABLED)

    @property
    def scanning_enabled(self) -> bool:
        return bool(self.flags & ReadingFlags.SCANNING_ENABLED)

    @property
    def unavailable(self) -> bool:
        return bool(self.flags & ReadingFlags.UNAVAILABLE)

    @property
    def threshold_status(self) -> ThresholdMask:
        return ThresholdMask(self.state[0] & 0x3F) if self.state else ThresholdMask(0)

    @property
    def discrete_state(self) -> int:
        """States 0-14 as one integer (bit n = state n asserted)."""
        lo = self.state[0] if self.state else 0
        hi = self.state[1] & 0x7F if len(self.state) > 1 else 0
        return lo | hi << 8

    @classmethod
    def not_available(cls) -> SensorReading:
        """The answer for a sensor whose device did not respond."""
        return cls(0, ReadingFlags.SCANNING_ENABLED | ReadingFlags.UNAVAILABLE, b"\x00\x80")

    def encode(self) -> bytes:
        if len(self.state) > 2:
            raise ValueError("at most 2 state bytes")
        return bytes([check_field(self.raw, 8, "raw"), check_field(int(self.flags), 8, "flags")]) + bytes(self.state)

    @classmethod
    def decode(cls, data: bytes) -> SensorReading:
        expect_length(data, 2, 3, 4, what="Get Sensor Reading")
        return cls(data[0], ReadingFlags(data[1]), bytes(data[2:]))


def get_sensor_reading(number: int) -> Request:
    return Request(NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_READING, bytes([check_field(number, 8, "number")]))


# --------------------------------------------------------------------------
# Get Sensor Thresholds (27h)

_THRESHOLD_ORDER = (ThresholdMask.LNC, ThresholdMask.LC, ThresholdMask.LNR,
                    ThresholdMask.UNC, ThresholdMask.UC, ThresholdMask.UNR)


@dataclass(frozen=True, slots=True)
class SensorThresholds:
    """Readable mask + six raw thresholds (valid only where readable)."""

    readable: ThresholdMask
    lnc: int = 0
    lc: int = 0
    lnr: int = 0
    unc: int = 0
    uc: int = 0
    unr: int = 0

    def values(self) -> dict[ThresholdMask, int]:
        """The readable thresholds, in wire order (LNC, LC, LNR, UNC, UC, UNR)."""
        raw = (self.lnc, self.lc, self.lnr, self.unc, self.uc, self.unr)
        return {t: v for t, v in zip(_THRESHOLD_ORDER, raw) if self.readable & t}

    def encode(self) -> bytes:
        values = (int(self.readable), self.lnc, self.lc, self.lnr, self.unc, self.uc, self.unr)
        return bytes(check_field(v, 8, "threshold") for v in values)

    @classmethod
    def decode(cls, data: bytes) -> SensorThresholds:
        expect_length(data, 7, what="Get Sensor Thresholds")
        return cls(ThresholdMask(data[0] & 0x3F), *data[1:7])


def get_sensor_thresholds(number: int) -> Request:
    return Request(NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_THRESHOLDS, bytes([check_field(number, 8, "number")]))


# --------------------------------------------------------------------------
# Get Sensor Hysteresis (25h)


def get_sensor_hysteresis(number: int) -> Request:
    # Byte 2 is the reserved hysteresis mask, sent as FFh.
    return Request(NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_HYSTERESIS, bytes([check_field(number, 8, "number"), 0xFF]))


def parse_get_sensor_hysteresis(data: bytes) -> int:
    """Sensor number; the mask byte is reserved and tolerated when absent."""
    expect_length(data, 1, 2, what="Get Sensor Hysteresis request")
    return data[0]


@dataclass(frozen=True, slots=True)
class SensorHysteresis:
    """Positive- and negative-going hysteresis in raw counts."""

    positive: int
    negative: int

    def encode(self) -> bytes:
        return bytes([check_field(self.positive, 8, "positive"), check_field(self.negative, 8, "negative")])

    @classmethod
    def decode(cls, data: bytes) -> SensorHysteresis:
        expect_length(data, 2, what="Get Sensor Hysteresis")
        return cls(data[0], data[1])


# --------------------------------------------------------------------------
# Get Sensor Reading Factors (23h)


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def _twos(value: int, bits: int, name: str) -> int:
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise ValueError(f"{name}={value} does not fit in {bits}-bit two's complement")
    return value & ((1 << bits) - 1)


@dataclass(frozen=True, slots=True)
class ConversionFactors:
    """The six factor bytes, laid out as Full Sensor Record bytes 25-30.

    y = (M·x + B·10^K1) · 10^K2 with M, B 10-bit and K1 (``b_exp``), K2
    (``r_exp``) 4-bit two's complement.  Tolerance is in ±½ raw counts;
    accuracy is in 1/100 percent scaled by 10^accuracy_exp.
    """

    m: int
    b: int = 0
    b_exp: int = 0
    r_exp: int = 0
    tolerance: int = 0
    accuracy: int = 0
    accuracy_exp: int = 0
    #: Sensor direction bits 1:0 (0 unspecified, 1 input, 2 output).
    direction: int = 0

    @property
    def k1(self) -> int:
        return self.b_exp

    @property
    def k2(self) -> int:
        return self.r_exp

    def encode(self) -> bytes:
        m = _twos(self.m, 10, "m")
        b = _twos(self.b, 10, "b")
        acc = check_field(self.accuracy, 10, "accuracy")
        return bytes(
            [
                m & 0xFF,
                (m >> 8) << 6 | check_field(self.tolerance, 6, "tolerance"),
                b & 0xFF,
                (b >> 8) << 6 | (acc & 0x3F),
                (acc >> 6) << 4
                | check_field(self.accuracy_exp, 2, "accuracy_exp") << 2
                | check_field(self.direction, 2, "direction"),
                _twos(self.r_exp, 4, "r_exp") << 4 | _twos(self.b_exp, 4, "b_exp"),
            ]
        )

    @classmethod
    def decode(cls, data: bytes) -> ConversionFactors:
        expect_length(data, 6, what="conversion factors")
        return cls(
            m=_signed(data[0] | (data[1] >> 6) << 8, 10),
            tolerance=data[1] & 0x3F,
            b=_signed(data[2] | (data[3] >> 6) << 8, 10),
            accuracy=(data[3] & 0x3F) | (data[4] >> 4) << 6,
            accuracy_exp=(data[4] >> 2) & 0x03,
            direction=data[4] & 0x03,
            r_exp=_signed(data[5] >> 4, 4),
            b_exp=_signed(data[5] & 0x0F, 4),
        )


@dataclass(frozen=True, slots=True)
class ReadingFactorsRequest:
    number: int
    reading: int

    def encode(self) -> bytes:
        return bytes([check_field(self.number, 8, "number"), check_field(self.reading, 8, "reading")])

    @classmethod
    def decode(cls, data: bytes) -> ReadingFactorsRequest:
        expect_length(data, 2, what="Get Sensor Reading Factors request")
        return cls(data[0], data[1])


def get_sensor_reading_factors(number: int, reading: int) -> Request:
    body = ReadingFactorsRequest(number, reading).encode()
    return Request(NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_READING_FACTORS, body)


@dataclass(frozen=True, slots=True)
class SensorReadingFactors:
    """Reply: the next raw reading whose factors differ, then the factors."""

    next_reading: int
    factors: ConversionFactors

    def encode(self) -> bytes:
        return bytes([check_field(self.next_reading, 8, "next_reading")]) + self.factors.encode()

    @classmethod
    def decode(cls, data: bytes) -> SensorReadingFactors:
        expect_length(data, 7, what="Get Sensor Reading Factors")
        return cls(data[0], ConversionFactors.decode(data[1:7]))


# --------------------------------------------------------------------------
# Get Sensor Event Enable (29h)


@dataclass(frozen=True, slots=True)
class SensorEventEnable:
    """Reply: flags byte, then 0-4 raw enable bytes (assertion LS, MS,
    deassertion LS, MS) — a BMC may stop early."""

    events_enabled: bool
    scanning_enabled: bool
    enables: bytes = b""

    @property
    def assertion_mask(self) -> int:
        return int.from_bytes(self.enables[0:2], "little")

    @property
    def deassertion_mask(self) -> int:
        return int.from_bytes(self.enables[2:4], "little")

    def encode(self) -> bytes:
        if len(self.enables) > 4:
            raise ValueError("at most 4 enable bytes")
        return bytes([0x80 * self.events_enabled | 0x40 * self.scanning_enabled]) + bytes(self.enables)

    @classmethod
    def decode(cls, data: bytes) -> SensorEventEnable:
        expect_min_length(data, 1, what="Get Sensor Event Enable")
        if len(data) > 5:
            raise DataLengthError(f"Get Sensor Event Enable: {len(data)} data bytes, at most 5")
        return cls(bool(data[0] & 0x80), bool(data[0] & 0x40), bytes(data[1:]))


def get_sensor_event_enable(number: int) -> Request:
    return Request(NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_EVENT_ENABLE, bytes([check_field(number, 8, "number")]))
