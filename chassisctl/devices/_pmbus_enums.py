"""The IntEnum / IntFlag views of :mod:`chassisctl.devices.pmbus`'s plain tables, built on first use.

``pmbus.Cmd``, ``pmbus.StatusWord`` and the rest resolve here through the
codec module's ``__getattr__``: reading a sensor needs only the plain ints
(``pmbus.Code``, ``pmbus.WordBit``, ...), and building these eleven classes
cost every platform command ~1.3 ms.  Each class is made from its table with
the functional API, so the members, their order and their values are the
table's by construction; they name ``chassisctl.devices.pmbus`` as their
module, so they print and pickle as before.
"""

from __future__ import annotations

import enum

from chassisctl.devices import pmbus as _pm
from chassisctl.lazy_enum import build

TYPE_CHECKING = False


def _build(base: type, name: str, table: type, doc: str) -> type:
    return build(base, name, table, doc, _pm.__name__)


if TYPE_CHECKING:
    # What mypy sees: the enum classes with their tables' names as members.
    class Cmd(_pm.Code, enum.IntEnum): ...

    class Kind(_pm.KindName, enum.Enum): ...

    class VoutModeKind(_pm.VoutModeCode, enum.IntEnum): ...

    class StatusWord(_pm.WordBit, enum.IntFlag): ...

    class StatusVout(_pm.VoutBit, enum.IntFlag): ...

    class StatusIout(_pm.IoutBit, enum.IntFlag): ...

    class StatusInput(_pm.InputBit, enum.IntFlag): ...

    class StatusTemperature(_pm.TemperatureBit, enum.IntFlag): ...

    class StatusCml(_pm.CmlBit, enum.IntFlag): ...

    class StatusFans12(_pm.Fans12Bit, enum.IntFlag): ...
else:
    Cmd = _build(enum.IntEnum, "Cmd", _pm.Code, "PMBus command codes.")
    Kind = _build(enum.Enum, "Kind", _pm.KindName, "How a command moves on the wire and what its data means.")
    VoutModeKind = _build(enum.IntEnum, "VoutModeKind", _pm.VoutModeCode, "VOUT_MODE bits 7:5.")
    StatusWord = _build(enum.IntFlag, "StatusWord", _pm.WordBit, "STATUS_WORD; the low byte is STATUS_BYTE.")
    StatusVout = _build(enum.IntFlag, "StatusVout", _pm.VoutBit, "STATUS_VOUT.")
    StatusIout = _build(enum.IntFlag, "StatusIout", _pm.IoutBit, "STATUS_IOUT.")
    StatusInput = _build(enum.IntFlag, "StatusInput", _pm.InputBit, "STATUS_INPUT.")
    StatusTemperature = _build(enum.IntFlag, "StatusTemperature", _pm.TemperatureBit, "STATUS_TEMPERATURE.")
    StatusCml = _build(enum.IntFlag, "StatusCml", _pm.CmlBit, "STATUS_CML.")
    StatusFans12 = _build(enum.IntFlag, "StatusFans12", _pm.Fans12Bit, "STATUS_FANS_1_2.")

#: The STATUS_x register each STATUS_WORD summary bit points at (``pmbus.SUMMARY`` with the enums).
SUMMARY_REGISTERS: dict[StatusWord, tuple[Cmd, type[enum.IntFlag]]] = {
    StatusWord(bit): (Cmd(reg), globals()[flags]) for bit, reg, flags in _pm.SUMMARY}
