"""Sensor configuration replies (Sensor/Event netFn 04h): hysteresis (25h) and event enables (29h).

Split from :mod:`chassisctl.ipmi.sensor_cmds` (which re-exports every name)
so that a sensor listing does not build these classes; same conventions.
"""

from __future__ import annotations

from dataclasses import dataclass

from chassisctl.ipmi._bytes import check_field, expect_length, expect_min_length
from chassisctl.ipmi.codes import NetFnInt, SensorCmdInt
from chassisctl.ipmi.decode_errors import DataLengthError
from chassisctl.ipmi.message import Request


# --------------------------------------------------------------------------
# Get Sensor Hysteresis (25h)


def get_sensor_hysteresis(number: int) -> Request:
    # Byte 2 is the reserved hysteresis mask, sent as FFh.
    return Request(NetFnInt.SENSOR_EVENT, SensorCmdInt.GET_SENSOR_HYSTERESIS,
                   bytes([check_field(number, 8, "number"), 0xFF]))


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
    return Request(NetFnInt.SENSOR_EVENT, SensorCmdInt.GET_SENSOR_EVENT_ENABLE,
                   bytes([check_field(number, 8, "number")]))
