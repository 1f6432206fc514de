"""Sensor/Event netFn (04h) wire types: readings, thresholds, reading factors.

Hysteresis and event enables are :mod:`chassisctl.ipmi.sensor_params`
(a module of their own: a sensor listing never builds them).

The one home of these commands' request builders, request parsers and reply
types, used both ways: the client decodes replies, the simulator, ``serve``
and the BMC responder encode them.  Raw bytes only: turning a raw byte into
volts or degrees is :mod:`chassisctl.ipmi.conversion`'s job (with the SDR's
:class:`~chassisctl.ipmi.conversion.Factors`, or those of
:class:`SensorReadingFactors` for non-linear sensors), and reading a status
or state text out of a reply is :mod:`chassisctl.ipmi.sensor`'s.

Conventions as in :mod:`chassisctl.ipmi.app`.  Reserved bits in replies
are kept (so a reply re-encodes to its bytes) but masked by the properties,
since some BMCs return them as 1b.  The Get Sensor Reading, Thresholds and
Reading Factors replies, which every sensor listing decodes, ignore bytes
after the last defined one rather than losing the sensor; too few bytes
raise :class:`~chassisctl.ipmi.decode_errors.DataLengthError`.
"""

from __future__ import annotations

import enum
from chassisctl.namedtuple import NamedTuple

from chassisctl.ipmi._bytes import check_field, expect_length, expect_min_length
from chassisctl.ipmi.codes import NetFnInt, SensorCmdInt
from chassisctl.ipmi.conversion import Conversion, Factors, Round
from chassisctl.ipmi.message import Request


class Threshold(enum.IntFlag):
    """One bit per threshold, in the order every IPMI mask uses.

    The same layout serves the SDR readable/settable masks, Get Sensor
    Reading byte 3 (at-or-below / at-or-above) and Get/Set Sensor
    Thresholds byte 1, so one type covers all of them.
    """

    LNC = 0x01
    LC = 0x02
    LNR = 0x04
    UNC = 0x08
    UC = 0x10
    UNR = 0x20


UPPER = Threshold.UNC | Threshold.UC | Threshold.UNR
LOWER = Threshold.LNC | Threshold.LC | Threshold.LNR

#: Byte order of the six thresholds in Get/Set Sensor Thresholds.
THRESHOLD_ORDER = (Threshold.LNC, Threshold.LC, Threshold.LNR, Threshold.UNC, Threshold.UC, Threshold.UNR)


def rounding_for(threshold: Threshold) -> Round:
    """Safe-side rounding: upper thresholds down, lower thresholds up.

    A BMC compares raw readings, so a threshold that falls between two raw
    steps is moved towards the normal range and the alarm fires no later
    than the operator asked for.
    """
    return Round.DOWN if threshold & UPPER else Round.UP


def _field(threshold: Threshold) -> str:
    if threshold not in THRESHOLD_ORDER:
        raise ValueError(f"{threshold!r} is not a single threshold")
    return str(threshold.name).lower()


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


class SensorReading(NamedTuple):
    """Get Sensor Reading reply: raw reading, flags, 0-2 state bytes (kept raw).

    For threshold sensors ``state[0]`` bits 5:0 are the threshold comparison
    status (:attr:`thresholds`); for discrete sensors ``state`` holds the 15
    state bits (:attr:`discrete_state`, :attr:`asserted`).  Reserved bits
    (byte 3 bits 7:6 on threshold sensors, byte 4 bit 7) stay in ``state``
    so a reply re-encodes to the same bytes, and the properties mask them.
    """

    raw: int
    flags: ReadingFlags
    state: bytes = b""

    # The flag tests below are made on plain ints: IntFlag's ``&`` builds a
    # member per call, ~1 us each, hundreds of times in one ``sensors``.

    @property
    def events_enabled(self) -> bool:
        return bool(int(self.flags) & 0x80)  # ReadingFlags.EVENTS_ENABLED

    @property
    def scanning_enabled(self) -> bool:
        return bool(int(self.flags) & 0x40)  # ReadingFlags.SCANNING_ENABLED

    @property
    def unavailable(self) -> bool:
        """"Reading/state unavailable" (IPMI 1.5: "initial update in progress")."""
        return bool(int(self.flags) & 0x20)  # ReadingFlags.UNAVAILABLE

    @property
    def thresholds(self) -> Threshold:
        """Thresholds the reading is at or beyond (threshold sensors)."""
        return Threshold(self.state[0] & 0x3F) if self.state else Threshold(0)

    @property
    def discrete_state(self) -> int:
        """States 0-14 as one integer (bit n = state n asserted)."""
        lo = self.state[0] if self.state else 0
        hi = self.state[1] & 0x7F if len(self.state) > 1 else 0
        return lo | hi << 8

    @property
    def asserted(self) -> tuple[int, ...]:
        """Asserted discrete offsets 0-14 (discrete sensors)."""
        bits = self.discrete_state
        return tuple(i for i in range(15) if bits >> i & 1)

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
        """Bytes 3 and 4 are optional; bytes after byte 4 are ignored."""
        expect_min_length(data, 2, what="Get Sensor Reading")
        return cls(data[0], ReadingFlags(data[1]), bytes(data[2:4]))


def get_sensor_reading(number: int) -> Request:
    return Request(NetFnInt.SENSOR_EVENT, SensorCmdInt.GET_SENSOR_READING, bytes([check_field(number, 8, "number")]))


# --------------------------------------------------------------------------
# Get Sensor Thresholds (27h)

class SensorThresholds(NamedTuple):
    """Get Sensor Thresholds reply (and the SDR's initial thresholds):
    readable mask + six raw thresholds, valid only where readable."""

    readable: Threshold
    lnc: int = 0
    lc: int = 0
    lnr: int = 0
    unc: int = 0
    uc: int = 0
    unr: int = 0

    def raw(self, threshold: Threshold) -> int | None:
        """Raw byte of one threshold, None when it is not readable."""
        if not int(self.readable) & int(threshold):  # plain ints, as in SensorReading
            return None
        return int(getattr(self, _field(threshold)))

    def values(self, conversion: Conversion, factors: Factors | None = None) -> dict[Threshold, float | None]:
        """Readable thresholds in engineering units, in wire order (LNC..UNR)."""
        return {t: conversion.to_value(raw, factors) for t in THRESHOLD_ORDER if (raw := self.raw(t)) is not None}

    @classmethod
    def from_values(
        cls, conversion: Conversion, values: dict[Threshold, float], factors: Factors | None = None
    ) -> SensorThresholds:
        """Raw thresholds for engineering values, each rounded to the safe side (:func:`rounding_for`)."""
        raws = {_field(t): conversion.to_raw(v, rounding_for(t), factors) for t, v in values.items()}
        readable = Threshold(0)
        for t in values:
            readable |= t
        return cls(readable, **raws)

    def encode(self) -> bytes:
        raws = (self.lnc, self.lc, self.lnr, self.unc, self.uc, self.unr)
        return bytes([check_field(int(self.readable), 6, "readable")]) + bytes(
            check_field(v, 8, "threshold") for v in raws
        )

    @classmethod
    def decode(cls, data: bytes) -> SensorThresholds:
        """Byte 1 bits 7:6 are reserved and dropped; bytes after byte 7 are ignored."""
        expect_min_length(data, 7, what="Get Sensor Thresholds")
        return cls(Threshold(data[0] & 0x3F), *data[1:7])


def get_sensor_thresholds(number: int) -> Request:
    return Request(NetFnInt.SENSOR_EVENT, SensorCmdInt.GET_SENSOR_THRESHOLDS, bytes([check_field(number, 8, "number")]))


# --------------------------------------------------------------------------
# Get Sensor Reading Factors (23h)


class ReadingFactorsRequest(NamedTuple):
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
    return Request(NetFnInt.SENSOR_EVENT, SensorCmdInt.GET_SENSOR_READING_FACTORS, body)


class SensorReadingFactors(NamedTuple):
    """Reply: the next raw reading whose factors differ, then the six factor
    bytes laid out as SDR bytes 25-30 (bits 1:0 of the fifth, the SDR's
    sensor direction, are reserved here and sent as zero)."""

    next_reading: int
    factors: Factors

    def encode(self) -> bytes:
        return bytes([check_field(self.next_reading, 8, "next_reading")]) + self.factors.pack()

    @classmethod
    def decode(cls, data: bytes) -> SensorReadingFactors:
        expect_min_length(data, 7, what="Get Sensor Reading Factors")
        return cls(data[0], Factors.unpack(bytes(data[1:7])))
