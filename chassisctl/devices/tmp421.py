"""TMP421/422/423 (and TMP441/442) remote-diode temperature sensors.

Each channel is two byte registers: a high byte (whole degrees) and a low
byte whose bits 7:4 are sixteenths and whose bit 0 flags an open remote diode.
The same bytes mean different temperatures in standard and extended range, so
RANGE (configuration 1, bit 2) must be read before decoding.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.smbus import check_byte, sign_extend


class Reg(enum.IntEnum):
    LOCAL_HIGH = 0x00
    REMOTE1_HIGH = 0x01
    REMOTE2_HIGH = 0x02
    REMOTE3_HIGH = 0x03
    STATUS = 0x08
    CONFIG1 = 0x09
    CONFIG2 = 0x0A
    CONVERSION_RATE = 0x0B
    LOCAL_LOW = 0x10
    REMOTE1_LOW = 0x11
    REMOTE2_LOW = 0x12
    REMOTE3_LOW = 0x13
    MANUFACTURER_ID = 0xFE
    DEVICE_ID = 0xFF


class Config1(enum.IntFlag):
    RANGE_EXTENDED = 0x04
    SHUTDOWN = 0x40


STATUS_BUSY = 0x80
LOW_OPEN = 0x01
LOW_FRACTION_MASK = 0xF0
MANUFACTURER_TI = 0x55
#: Extended range is stored with this offset.
EXTENDED_OFFSET_C = 64


@dataclass(frozen=True, slots=True)
class Chip:
    name: str
    device_id: int
    channels: int  # local + remotes


CHIPS: dict[str, Chip] = {
    c.name: c
    for c in (
        Chip("tmp421", 0x21, 2),
        Chip("tmp422", 0x22, 3),
        Chip("tmp423", 0x23, 4),
        Chip("tmp441", 0x41, 2),
        Chip("tmp442", 0x42, 3),
    )
}


@dataclass(frozen=True, slots=True)
class ChannelReading:
    """One channel: its temperature and whether the remote diode is open.

    With ``open`` set the temperature bytes are meaningless (hwmon reports
    ``tempN_fault`` instead of a value).
    """

    celsius: float
    open: bool


def high_reg(channel: int) -> int:
    """High-byte register of channel 0 (local) .. 3 (remote 3)."""
    if not 0 <= channel <= 3:
        raise ValueError(f"TMP42x channel must be 0..3, not {channel}")
    return Reg.LOCAL_HIGH + channel


def low_reg(channel: int) -> int:
    return high_reg(channel) + 0x10


def is_extended(config1: int) -> bool:
    return bool(check_byte(config1) & Config1.RANGE_EXTENDED)


def decode_channel(high: int, low: int, *, extended: bool, remote: bool = True) -> ChannelReading:
    """Decode a channel's two bytes; the OPEN flag only exists on remote channels."""
    check_byte(high)
    check_byte(low)
    word = (high << 8) | (low & LOW_FRACTION_MASK)
    if extended:
        celsius = word / 256 - EXTENDED_OFFSET_C
    else:
        celsius = sign_extend(word, 16) / 256
    return ChannelReading(celsius, remote and bool(low & LOW_OPEN))


def encode_channel(celsius: float, *, extended: bool, open_diode: bool = False) -> tuple[int, int]:
    """(high, low) bytes for ``celsius`` rounded to 1/16 °C, saturating at the format's ends."""
    if math.isnan(celsius):
        raise ValueError("temperature is NaN")
    if extended:
        lo, hi = 0, 0xFFF
        offset = EXTENDED_OFFSET_C * 16
    else:
        lo, hi = -0x800, 0x7FF
        offset = 0
    if math.isinf(celsius):
        count = hi if celsius > 0 else lo
    else:
        count = max(lo, min(hi, math.floor(celsius * 16 + 0.5) + offset))
    word = (count << 4) & 0xFFFF
    return word >> 8, (word & 0xF0) | (LOW_OPEN if open_diode else 0)


def decode_ids(manufacturer: int, device: int) -> Chip:
    """The chip behind an ID pair, as the kernel's detect routine checks it."""
    check_byte(manufacturer)
    check_byte(device)
    if manufacturer != MANUFACTURER_TI:
        raise DeviceDecodeError(f"manufacturer ID {manufacturer:02X}h is not TI (55h)")
    for chip in CHIPS.values():
        if chip.device_id == device:
            return chip
    raise DeviceDecodeError(f"unknown TMP42x device ID {device:02X}h")
