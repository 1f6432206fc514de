"""Sensors, interpreted: values, safe-side thresholds, status and state texts.

What the Sensor/Event commands carry on the wire (:class:`SensorReading`,
:class:`SensorThresholds`, :class:`Threshold` ...) is defined once, in
:mod:`chassisctl.ipmi.sensor_cmds`; the raw <-> value arithmetic once, in
:mod:`chassisctl.ipmi.conversion`, re-exported here so callers import one
module for "what does this sensor read".  This module adds what a listing
makes of a reply: the ipmitool-style status column and the texts of the
asserted discrete states.  :func:`rounding_for` is defined next to
:class:`~chassisctl.ipmi.sensor_cmds.SensorThresholds`, whose
``from_values`` uses it, and re-exported here.
"""

from __future__ import annotations

from chassisctl.lazy_enum import enum_getattr

from chassisctl.ipmi.conversion import (
    NON_LINEAR,
    Conversion,
    Factors,
    Round,
    choose_factors,
    exact,
    sign_extend,
)
from chassisctl.ipmi.names import state_texts
from chassisctl.ipmi.sensor_cmds import SensorReading, rounding_for

__all__ = [
    "NON_LINEAR",
    "AnalogFormat",
    "Conversion",
    "Factors",
    "Linearization",
    "Round",
    "choose_factors",
    "discrete_states",
    "exact",
    "rounding_for",
    "sign_extend",
    "status",
]


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
    crossed = reading.state[0] & 0x3F if reading.state else 0  # reading.thresholds, as a plain int
    if crossed & 0x24:  # Threshold.LNR | Threshold.UNR
        return "nr"
    if crossed & 0x12:  # Threshold.LC | Threshold.UC
        return "cr"
    if crossed & 0x09:  # Threshold.LNC | Threshold.UNC
        return "nc"
    return "ok"


def discrete_states(reading: SensorReading, event_reading_type: int, sensor_type: int) -> list[str]:
    """Spec texts of the asserted offsets, e.g. ``["Presence detected"]``."""
    return state_texts(event_reading_type, sensor_type, reading.discrete_state)


TYPE_CHECKING = False
if TYPE_CHECKING:
    from chassisctl.ipmi.conversion import AnalogFormat as AnalogFormat
    from chassisctl.ipmi.conversion import Linearization as Linearization

# Re-exported, and built only when asked for (chassisctl.lazy_enum).
__getattr__ = enum_getattr(__name__, globals(), {
    "AnalogFormat": "chassisctl.ipmi.conversion",
    "Linearization": "chassisctl.ipmi.conversion",
})
