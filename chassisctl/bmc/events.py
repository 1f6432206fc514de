"""What a BMC does with a fresh reading: threshold status and the SEL events it logs.

A hardware BMC compares the *raw* reading against the raw thresholds of the
SDR (so the safe-side rounding of :mod:`chassisctl.bmc.synth` is what
operators get), reports the result in Get Sensor Reading byte 3, and logs a
system event whenever a threshold bit changes: "going low" offsets for the
lower thresholds, "going high" for the upper ones, deasserted when the
reading comes back.  The simulated BMC and the translating platform backend
both do exactly this, so it lives here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from chassisctl.namedtuple import NamedTuple

from chassisctl.ipmi.sensor_cmds import LOWER, Threshold

TYPE_CHECKING = False

if TYPE_CHECKING:
    from chassisctl.ipmi.conversion import Conversion
    from chassisctl.ipmi.sel import SystemEventRecord

#: Threshold -> SEL event offset (IPMI table 42-2: "... going low" / "... going high").
THRESHOLD_OFFSETS: dict[Threshold, int] = {
    Threshold.LNC: 0x00, Threshold.LC: 0x02, Threshold.LNR: 0x04,
    Threshold.UNC: 0x07, Threshold.UC: 0x09, Threshold.UNR: 0x0B,
}
THRESHOLD_EVENT = 0x01
#: ``LOWER`` as a plain int (an IntFlag ``&`` per comparison cost ~1 us).
_LOWER_BITS = int(LOWER)
SENSOR_SPECIFIC = 0x6F


def threshold_status(limits: Mapping[Threshold, int], raw: int, conversion: Conversion | None = None) -> int:
    """Get Sensor Reading byte 3: the thresholds ``raw`` is at or beyond.

    Comparisons are made on the reading as the SDR's analog format reads it
    (a two's complement byte FFh is -1, not 255) when ``conversion`` is given.
    """
    x = conversion.x if conversion is not None else (lambda r: r)
    value = x(raw)
    bits = 0
    for flag, limit in limits.items():
        bound = x(limit)
        if value is None or bound is None:
            continue
        if (value <= bound) if int(flag) & _LOWER_BITS else (value >= bound):
            bits |= int(flag)
    return bits


class Crossing(NamedTuple):
    """One threshold bit that changed: the event to log."""

    threshold: Threshold
    offset: int
    deassertion: bool
    #: Trigger reading and trigger threshold (event data 2 and 3).
    reading: int
    limit: int


def threshold_crossings(before: int, after: int, raw: int, limits: Mapping[Threshold, int]) -> list[Crossing]:
    """The events for a change of threshold status from ``before`` to ``after``."""
    out = []
    for flag, offset in THRESHOLD_OFFSETS.items():
        if (before ^ after) & flag:
            out.append(Crossing(flag, offset, not after & flag, raw, limits.get(flag, 0xFF)))
    return out


def crossing_record(sensor_type: int, number: int, crossing: Crossing, timestamp: int) -> SystemEventRecord:
    """The SEL record for ``crossing`` (event data 1 announces reading and threshold)."""
    from chassisctl.ipmi import sel

    return sel.system_event(sensor_type, number, THRESHOLD_EVENT, crossing.offset, timestamp=timestamp,
                            deassertion=crossing.deassertion, data2=crossing.reading, data3=crossing.limit)


def discrete_records(sensor_type: int, number: int, before: int, after: int, timestamp: int,
                     event_type: int = SENSOR_SPECIFIC) -> list[SystemEventRecord]:
    """SEL records for the offsets of a discrete sensor that changed state."""
    from chassisctl.ipmi import sel

    return [sel.system_event(sensor_type, number, event_type, offset, timestamp=timestamp,
                             deassertion=not after >> offset & 1)
            for offset in range(15) if (before ^ after) >> offset & 1]
