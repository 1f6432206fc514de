"""Synthesising an SDR repository from a declarative sensor list.

Both the simulated chassis (from its TOML profile) and the translating
platform backend (from a platform description) describe sensors as
engineering facts — name, type, unit, range, thresholds — and need real SDR
records whose M/B/K1/K2 are *computed* from the range (never hand-written),
thresholds stored raw and rounded toward the safe side, and a conversion
object to turn each live value into the raw byte Get Sensor Reading returns.
This module is that shared step.

Synthesis is pure arithmetic on the description (exact fractions, a
search for factors aligned to each device's resolution), so its outcome —
the record bytes and, per sensor, the factors and raw thresholds — can be
stored beside the description's own cache, keyed by the description's
digest: :func:`to_document` / :func:`from_document`.  A command that only
needs readings then builds neither the SDR record classes nor the search.
"""

from __future__ import annotations

import functools
import math
from types import MappingProxyType
from chassisctl.namedtuple import NamedTuple
from collections.abc import Mapping, Sequence

from chassisctl.ipmi.conversion import Conversion, Factors, Round, choose_factors
from chassisctl.ipmi.sensor_cmds import Threshold, rounding_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from fractions import Fraction

    from chassisctl.ipmi.sdr import CompactSensorRecord, EventOnlyRecord, FullSensorRecord

THRESHOLD_FLAGS = {"lnc": Threshold.LNC, "lc": Threshold.LC, "lnr": Threshold.LNR,
                   "unc": Threshold.UNC, "uc": Threshold.UC, "unr": Threshold.UNR}

#: Linearisation code for "non-linear: ask Get Sensor Reading Factors".
NON_LINEAR_CODE = 0x70


class Piece(NamedTuple):
    """One linear segment of a non-linear sensor: factors for raw >= from_raw."""

    from_raw: int
    factors: Factors


class SensorDecl(NamedTuple):
    """A sensor as a description states it (engineering units)."""

    number: int
    name: str
    sensor_type: int
    entity_id: int
    entity_instance: int
    #: 01h threshold; 6Fh sensor-specific discrete; others generic discrete.
    reading_type: int = 0x01
    unit: int = 0
    #: Readings are a percentage of ``unit`` (the SDR units-1 percentage bit).
    percentage: bool = False
    range: tuple[float, float] | None = None
    thresholds: Mapping[str, float] = MappingProxyType({})
    hysteresis: int = 1
    #: Offsets a discrete sensor can assert (bit n = offset n).
    discrete_mask: int = 0
    event_only: bool = False
    pieces: tuple[Piece, ...] = ()
    owner: int = 0x20
    lun: int = 0
    #: The device's own step (e.g. 0.5 °C for a 9-bit LM75): the factors never go
    #: finer, so every raw count means a value the device can report.
    resolution: float | None = None


class SynthSensor(NamedTuple):
    """A declared sensor with its record and the conversion behind it."""

    decl: SensorDecl
    #: None when restored by :func:`from_document` (the record's bytes are in the repository).
    record: FullSensorRecord | CompactSensorRecord | EventOnlyRecord | None
    conversion: Conversion | None
    #: Raw threshold bytes (rounded to the safe side once, at synthesis).
    limits: Mapping[Threshold, int] = MappingProxyType({})

    @property
    def number(self) -> int:
        return self.decl.number

    def piece_for_raw(self, raw: int) -> tuple[Piece, int]:
        """The non-linear segment holding ``raw`` and the next segment's start."""
        pieces = self.decl.pieces
        for i, piece in enumerate(pieces):
            upper = pieces[i + 1].from_raw if i + 1 < len(pieces) else 0x100
            if piece.from_raw <= raw < upper:
                return piece, upper
        return pieces[-1], 0x100

    def to_raw(self, value: float, direction: Round = Round.NEAREST) -> int:
        """Engineering value -> the raw byte (clamped to the representable range)."""
        if self.conversion is None:
            raise ValueError(f"sensor {self.decl.name!r} has no analog reading")
        if not self.decl.pieces:
            return self.conversion.to_raw(value, direction)
        for i, piece in reversed(list(enumerate(self.decl.pieces))):
            upper = self.decl.pieces[i + 1].from_raw - 1 if i + 1 < len(self.decl.pieces) else 0xFF
            raw = self.conversion.to_raw(value, direction, factors=piece.factors)
            if raw >= piece.from_raw or i == 0:
                return min(max(raw, piece.from_raw), upper)
        return 0

    def _limits(self) -> dict[Threshold, int]:
        return {THRESHOLD_FLAGS[key]: self.to_raw(value, rounding_for(THRESHOLD_FLAGS[key]))
                for key, value in self.decl.thresholds.items()}


@functools.lru_cache(maxsize=256)
def aligned_factors(lo: float, hi: float, resolution: float | None) -> Conversion:
    """Factors for ``lo..hi`` whose step and offset are whole multiples of the device's ``resolution``.

    Every raw count then decodes to a value the device itself can report (a
    9-bit LM75 over -40..125 °C gets 1 °C steps, not 0.65 °C ones showing
    digits the part never measured), a device value on that grid converts
    exactly, and the step is the finest such one an 8-bit reading can carry
    over the range.  Without a resolution, or when no aligned factors exist,
    this is plain :func:`choose_factors`.
    """
    if resolution is None or resolution <= 0:
        return choose_factors(lo, hi)
    from fractions import Fraction

    from chassisctl.ipmi.conversion import AnalogFormat, Factors, exact

    r, flo, fhi = exact(resolution), exact(lo), exact(hi)
    first = max(1, math.ceil((fhi - flo) / 255 / r))
    for k in range(first, first + 64):
        step = k * r
        mk2 = _mantissa(step, 1, 511)
        if mk2 is None:
            continue
        m, k2 = mk2
        for k1 in sorted(range(-8, 8), key=abs):
            unit = Fraction(10) ** (k1 + k2)
            top = min(math.floor(flo / unit), 511)
            for b in ([0] if 0 <= flo else []) + list(range(top, max(top - 16, -513), -1)):
                offset = b * unit
                if offset <= flo and offset % r == 0 and offset + 255 * step >= fhi:
                    return Conversion(Factors(m=m, b=b, k1=k1 if b else 0, k2=k2), AnalogFormat.UNSIGNED)
    return choose_factors(lo, hi, resolution=resolution)


def _mantissa(value: Fraction, lo: int, hi: int) -> tuple[int, int] | None:
    """(n, e) with value = n·10^e, lo <= n <= hi, e in -8..7 (smallest |e| first)."""
    from fractions import Fraction

    for e in sorted(range(-8, 8), key=abs):
        n = value / Fraction(10) ** e
        if n.denominator == 1 and lo <= n.numerator <= hi and n.numerator != 0:
            return n.numerator, e
    return None


def synthesize(decl: SensorDecl, record_id: int) -> SynthSensor:
    """The SDR record for ``decl`` (Full for analog, Compact for discrete)."""
    from chassisctl.ipmi.sdr import CompactSensorRecord, EventOnlyRecord, FullSensorRecord, threshold_masks

    common: dict[str, Any] = dict(record_id=record_id, owner_id=decl.owner, owner_lun=decl.lun,
                  sensor_number=decl.number, entity_id=decl.entity_id,
                  entity_instance=decl.entity_instance, sensor_type=decl.sensor_type,
                  id_string=decl.name)
    if decl.event_only:
        return SynthSensor(decl, EventOnlyRecord(**common, event_reading_type=decl.reading_type), None)
    if decl.range is None:
        mask = decl.discrete_mask & 0x7FFF
        compact = CompactSensorRecord(**common, event_reading_type=decl.reading_type,
                                      assertion_mask=mask, deassertion_mask=mask, reading_mask=mask)
        return SynthSensor(decl, compact, None)
    lo, hi = decl.range
    conversion = aligned_factors(lo, hi, decl.resolution)
    linearization = 0
    if decl.pieces:
        conversion = Conversion(decl.pieces[0].factors, conversion.analog_format, NON_LINEAR_CODE)
        linearization = NON_LINEAR_CODE
    limits = SynthSensor(decl, FullSensorRecord(**common), conversion)._limits()
    readable = Threshold(0)
    for flag in limits:
        readable |= flag
    assertion, deassertion, reading = threshold_masks(readable, readable)
    raw: dict[str, Any] = {str(flag.name).lower(): value for flag, value in limits.items()}
    sensor = SynthSensor(decl, FullSensorRecord(**common), conversion, limits)
    nominal = sensor.to_raw((lo + hi) / 2) if not decl.pieces else 0
    record = FullSensorRecord(
        **common, event_reading_type=0x01, sensor_caps=0x68 if readable else 0x40,
        assertion_mask=assertion, deassertion_mask=deassertion, reading_mask=reading,
        analog_format=int(conversion.analog_format), base_unit=decl.unit, percentage=decl.percentage,
        linearization=linearization, factors=conversion.factors,
        nominal=nominal, sensor_max=sensor.to_raw(hi, Round.DOWN), sensor_min=sensor.to_raw(lo, Round.UP),
        positive_hysteresis=decl.hysteresis if readable else 0,
        negative_hysteresis=decl.hysteresis if readable else 0, **raw)
    return SynthSensor(decl, record, conversion, limits)


def repository(sensors: Sequence[SensorDecl], *, bmc_name: str = "BMC", bmc_address: int = 0x20,
               fru_ids: Sequence[tuple[int, str]] = ((0, "Chassis FRU"),),
               entity: tuple[int, int] = (0x07, 1)) -> tuple[list[bytes], dict[int, SynthSensor]]:
    """The whole repository: MC locator, sensors, FRU locators, record IDs from 1."""
    from chassisctl.ipmi.sdr import FruDeviceLocator, McDeviceLocator

    records: list[bytes] = []
    mc = McDeviceLocator(record_id=1, slave_address=bmc_address, capabilities=0xBF,
                         entity_id=0x06, entity_instance=0x01, id_string=bmc_name)
    records.append(mc.encode())
    synth: dict[int, SynthSensor] = {}
    for decl in sensors:
        sensor = synthesize(decl, len(records) + 1)
        synth[decl.number] = sensor
        assert sensor.record is not None  # synthesize always builds it; only from_document leaves it out
        records.append(sensor.record.encode())
    for fru_id, name in fru_ids:
        locator = FruDeviceLocator(record_id=len(records) + 1, access_address=bmc_address,
                                   fru_device_id=fru_id, entity_id=entity[0],
                                   entity_instance=entity[1], id_string=name)
        records.append(locator.encode())
    return records, synth


def to_document(records: Sequence[bytes], synth: Mapping[int, SynthSensor]) -> dict:
    """What :func:`repository` produced, as JSON: record bytes, per sensor the
    conversion and the raw thresholds (the declarations are the caller's)."""
    sensors = {}
    for number, sensor in synth.items():
        c = sensor.conversion
        sensors[str(number)] = None if c is None else {
            "factors": list(c.factors), "format": int(c.analog_format), "linearization": int(c.linearization),
            "limits": {str(int(flag)): raw for flag, raw in sensor.limits.items()}}
    return {"records": [r.hex() for r in records], "sensors": sensors}


def from_document(doc: Mapping, decls: Sequence[SensorDecl]) -> tuple[list[bytes], dict[int, SynthSensor]]:
    """Inverse of :func:`to_document` for the same ``decls``; ValueError (or
    KeyError, TypeError) when the document does not fit them."""
    records = [bytes.fromhex(r) for r in doc["records"]]
    stored = doc["sensors"]
    if len(stored) != len(decls):
        raise ValueError("sensor count differs")
    synth: dict[int, SynthSensor] = {}
    for decl in decls:
        item = stored[str(decl.number)]
        if item is None:
            synth[decl.number] = SynthSensor(decl, None, None)
            continue
        conversion = Conversion(Factors(*(int(v) for v in item["factors"])), int(item["format"]),
                                int(item["linearization"]))
        limits = {Threshold(int(flag)): int(raw) for flag, raw in item["limits"].items()}
        synth[decl.number] = SynthSensor(decl, None, conversion, limits)
    return records, synth
