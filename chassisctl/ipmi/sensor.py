"""Sensor readings and thresholds: what Get Sensor Reading / Thresholds say.

The raw <-> value arithmetic lives in :mod:`chassisctl.ipmi.conversion` and
is re-exported here, so callers import one module for "sensors".  This
module adds the reply codecs (both directions: the client decodes them, the
simulator and ``serve`` encode them) and the ipmitool-style status column.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chassisctl.ipmi.conversion import (
    NON_LINEAR,
    AnalogFormat,
    Conversion,
    Factors,
    Linearization,
    Round,
    choose_factors,
    exact,
    parse_reading_factors,
    sign_extend,
)
from chassisctl.ipmi.errors import DecodeError
from chassisctl.ipmi.names import state_texts

__all__ = [
    "LOWER",
    "NON_LINEAR",
    "UPPER",
    "AnalogFormat",
    "Conversion",
    "Factors",
    "Linearization",
    "Round",
    "SensorReading",
    "SensorThresholds",
    "Threshold",
    "choose_factors",
    "discrete_states",
    "exact",
    "parse_reading_factors",
    "parse_sensor_reading",
    "parse_sensor_thresholds",
    "rounding_for",
    "sign_extend",
    "status",
]


class Threshold(enum.IntFlag):
    """One bit per threshold, in the order every IPMI mask uses.

    The same layout serves the SDR readable/settable masks, Get Sensor
    Reading byte 3 (at-or-below / at-or-above) and Get Sensor Thresholds
    byte 1, so one type covers all three.
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
    """Safe-side rounding: upper thresholds down, lower thresholds up."""
    return Round.DOWN if threshold & UPPER else Round.UP


def _field(threshold: Threshold) -> str:
    if threshold not in THRESHOLD_ORDER:
        raise ValueError(f"{threshold!r} is not a single threshold")
    return str(threshold.name).lower()


_EVENTS_ENABLED, _SCANNING_ENABLED, _UNAVAILABLE = 0x80, 0x40, 0x20


@dataclass(frozen=True, slots=True)
class SensorReading:
    """Get Sensor Reading reply (after the completion code)."""

    raw: int = 0
    events_enabled: bool = True
    scanning_enabled: bool = True
    #: "Reading/state unavailable" (IPMI 1.5: "initial update in progress").
    unavailable: bool = False
    #: Bytes 3-4: threshold comparison bits (threshold sensors) or the
    #: asserted discrete offsets 0-14 (discrete sensors).
    state_bits: int = 0

    @property
    def thresholds(self) -> Threshold:
        """Thresholds the reading is at or beyond (threshold sensors)."""
        return Threshold(self.state_bits & 0x3F)

    @property
    def asserted(self) -> tuple[int, ...]:
        """Asserted discrete offsets (discrete sensors)."""
        return tuple(i for i in range(15) if self.state_bits >> i & 1)

    def encode(self) -> bytes:
        """Four bytes; reserved bits are sent as zero."""
        flags = (
            (_EVENTS_ENABLED if self.events_enabled else 0)
            | (_SCANNING_ENABLED if self.scanning_enabled else 0)
            | (_UNAVAILABLE if self.unavailable else 0)
        )
        return bytes((self.raw & 0xFF, flags, self.state_bits & 0xFF, self.state_bits >> 8 & 0x7F))


def parse_sensor_reading(data: bytes) -> SensorReading:
    """Decode a Get Sensor Reading reply; bytes 3 and 4 are optional.

    Bits the spec reserves (byte 3 bits 7:6 on threshold sensors, byte 4
    bit 7) are "returned as 1b" by some BMCs, so byte 4 bit 7 is dropped
    here and :attr:`SensorReading.thresholds` masks byte 3 to six bits.
    """
    if len(data) < 2:
        raise DecodeError(f"Get Sensor Reading: need at least 2 bytes, got {len(data)}")
    flags = data[1]
    bits = (data[2] if len(data) > 2 else 0) | ((data[3] & 0x7F) << 8 if len(data) > 3 else 0)
    return SensorReading(
        raw=data[0],
        events_enabled=bool(flags & _EVENTS_ENABLED),
        scanning_enabled=bool(flags & _SCANNING_ENABLED),
        unavailable=bool(flags & _UNAVAILABLE),
        state_bits=bits,
    )


def status(reading: SensorReading, *, threshold_based: bool = True) -> str:
    """The two-letter status column of ``ipmitool sdr list``.

    ``ns`` when scanning is disabled, ``na`` when the reading is
    unavailable, then the most severe threshold crossed: ``nr``, ``cr``,
    ``nc``, else ``ok``.  Discrete sensors are ``ok`` when readable.
    """
    if not reading.scanning_enabled:
        return "ns"
    if reading.unavailable:
        return "na"
    if not threshold_based:
        return "ok"
    crossed = reading.thresholds
    if crossed & (Threshold.LNR | Threshold.UNR):
        return "nr"
    if crossed & (Threshold.LC | Threshold.UC):
        return "cr"
    if crossed & (Threshold.LNC | Threshold.UNC):
        return "nc"
    return "ok"


def discrete_states(reading: SensorReading, event_reading_type: int, sensor_type: int) -> list[str]:
    """Spec texts of the asserted offsets, e.g. ``["Presence detected"]``."""
    return state_texts(event_reading_type, sensor_type, reading.state_bits)


@dataclass(frozen=True, slots=True)
class SensorThresholds:
    """Get Sensor Thresholds reply: readable mask and six raw thresholds."""

    readable: Threshold = Threshold(0)
    lnc: int = 0
    lc: int = 0
    lnr: int = 0
    unc: int = 0
    uc: int = 0
    unr: int = 0

    def raw(self, threshold: Threshold) -> int | None:
        """Raw byte of one threshold, None when the BMC marks it unreadable."""
        if not self.readable & threshold:
            return None
        return int(getattr(self, _field(threshold)))

    def values(self, conversion: Conversion, factors: Factors | None = None) -> dict[Threshold, float | None]:
        """Readable thresholds in engineering units, in LNC..UNR order."""
        return {t: conversion.to_value(raw, factors) for t in THRESHOLD_ORDER if (raw := self.raw(t)) is not None}

    @classmethod
    def from_values(
        cls, conversion: Conversion, values: dict[Threshold, float], factors: Factors | None = None
    ) -> SensorThresholds:
        """Raw thresholds for engineering values, each rounded to the safe side."""
        raws = {_field(t): conversion.to_raw(v, rounding_for(t), factors) for t, v in values.items()}
        readable = Threshold(0)
        for t in values:
            readable |= t
        return cls(readable=readable, **raws)

    def encode(self) -> bytes:
        return bytes((int(self.readable) & 0x3F, self.lnc, self.lc, self.lnr, self.unc, self.uc, self.unr))


def parse_sensor_thresholds(data: bytes) -> SensorThresholds:
    """Decode a Get Sensor Thresholds reply (7 bytes after the completion code)."""
    if len(data) < 7:
        raise DecodeError(f"Get Sensor Thresholds: need 7 bytes, got {len(data)}")
    return SensorThresholds(Threshold(data[0] & 0x3F), *data[1:7])
