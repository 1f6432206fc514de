"""The simulated BMC's answers: a :class:`BmcModel` over the physical model.

Everything an IPMI command asks — chassis status, a sensor reading, the FRU,
DCMI watts — is computed here from the profile, the persisted power timeline
and the injected clock.  Readings are real: the value is converted to a raw
byte with the very factors the synthesised SDR advertises, and threshold
comparison bits are computed on raw values, as a hardware BMC does.  Status
changes (a threshold crossed, power on/off) add SEL entries.
"""

from __future__ import annotations


from chassisctl.bmc.bmc_model import BaseModel, boot_from_json, boot_to_json
from chassisctl.ipmi.codes import CompletionCodeInt
from chassisctl.sim.physics import Pending, PowerTimeline
from chassisctl.sim.profile import SensorSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from chassisctl.bmc.sel_store import SelStore
    from chassisctl.bmc.synth import SensorDecl, SynthSensor
    from chassisctl.ipmi.chassis import ChassisAction, ChassisStatus
    from chassisctl.ipmi.dcmi import DcmiPowerReading
    from chassisctl.ipmi.sensor_cmds import SensorReading, SensorReadingFactors, SensorThresholds
    from chassisctl.ipmi.sensor_params import SensorHysteresis
    from chassisctl.sim.chassis import SimChassis

# Codec imports live inside the methods that use them: a `power status`
# on the simulator must not pay for the SDR, FRU and sensor modules.

#: Sensor number and type used for power events in the SEL (the profile's
#: event-only "Power Unit" sensor when it has one).
POWER_UNIT_TYPE = 0x09
RESTART_TYPE, RESTART_NUMBER = 0x1D, 0x61
#: How often (simulated seconds) a request triggers a scan of every sensor.
SCAN_INTERVAL = 5.0
POWER_STATS_PERIOD = 60.0


def sensor_decl(spec: SensorSpec) -> SensorDecl:
    """Profile sensor -> the shared synthesis description."""
    from chassisctl.bmc.synth import Piece, SensorDecl
    from chassisctl.ipmi.conversion import Factors

    if spec.event_only:
        return SensorDecl(spec.number, spec.name, spec.sensor_type, spec.entity_id, spec.entity_instance,
                          reading_type=0x6F, event_only=True)
    if spec.discrete:
        return SensorDecl(spec.number, spec.name, spec.sensor_type, spec.entity_id, spec.entity_instance,
                          reading_type=0x6F, discrete_mask=0x0001)
    pieces = tuple(Piece(s.from_raw, Factors(m=s.m, b=s.b, k1=s.k1, k2=s.k2)) for s in spec.nonlinear)
    return SensorDecl(spec.number, spec.name, spec.sensor_type, spec.entity_id, spec.entity_instance,
                      unit=spec.unit, range=spec.range, thresholds=dict(spec.thresholds),
                      hysteresis=spec.hysteresis, pieces=pieces, resolution=spec.resolution)


def power_dependent(spec: SensorSpec) -> bool:
    """Sensors whose thresholds only mean something while the host runs."""
    m = spec.model
    return (spec.kind in ("fan", "current")
            or (spec.kind == "rail" and not m.get("standby", False))
            or (spec.kind == "thermal" and m.get("source") in ("cpu", "asic")))


class SimState:
    """Everything the simulated BMC remembers between processes.

    A plain class: every simulated command builds one, and a dataclass costs
    more to define at import than the command spends on it.
    """

    __slots__ = ("timeline", "sdr_addition", "sdr_erase", "profile_digest", "sel", "sensor_status",
                 "last_scan", "restart_cause", "boot", "restore_policy", "identify_until", "dirty")

    def __init__(self, timeline: PowerTimeline, sdr_addition: int, sdr_erase: int, profile_digest: str,
                 sel: SelStore | None = None, sensor_status: dict[int, int] | None = None,
                 last_scan: float = 0.0, restart_cause: int = 0,
                 boot: dict[int, tuple[bytes, bool]] | None = None, restore_policy: int = 1,
                 identify_until: float = 0.0, dirty: bool = False) -> None:
        self.timeline = timeline
        self.sdr_addition = sdr_addition
        self.sdr_erase = sdr_erase
        self.profile_digest = profile_digest
        self.sel: SelStore = sel if sel is not None else _sel_store()
        self.sensor_status: dict[int, int] = {} if sensor_status is None else sensor_status
        self.last_scan = last_scan
        self.restart_cause = restart_cause
        #: System boot options set by clients: parameter -> (data, invalid).
        self.boot: dict[int, tuple[bytes, bool]] = {} if boot is None else boot
        #: Power restore policy (Get Chassis Status bits 6:5): 0 stay off, 1 previous, 2 on.
        self.restore_policy = restore_policy
        #: Chassis Identify: until this time (seconds, the model clock); -1 = until turned off.
        self.identify_until = identify_until
        self.dirty = dirty

    def to_json(self) -> dict[str, Any]:
        return {"power": self.timeline.to_json(), "sdr": {"addition": self.sdr_addition, "erase": self.sdr_erase},
                "profile": self.profile_digest, "sel": self.sel.to_dict(),
                "sensor_status": {str(k): v for k, v in self.sensor_status.items()},
                "last_scan": self.last_scan, "restart_cause": self.restart_cause,
                "boot": boot_to_json(self.boot), "restore_policy": self.restore_policy,
                "identify_until": self.identify_until}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SimState:
        from chassisctl.bmc.sel_store import SelStore
        from chassisctl.fileio import finite

        return cls(timeline=PowerTimeline.from_json(doc["power"]), sdr_addition=int(doc["sdr"]["addition"]),
                   sdr_erase=int(doc["sdr"]["erase"]), profile_digest=str(doc["profile"]),
                   sel=SelStore.from_dict(doc["sel"]),
                   sensor_status={int(k): int(v) for k, v in doc.get("sensor_status", {}).items()},
                   last_scan=finite(doc.get("last_scan", 0.0)), restart_cause=int(doc.get("restart_cause", 0)),
                   boot=boot_from_json(doc.get("boot", {})),
                   restore_policy=_policy(doc.get("restore_policy", 1)),
                   identify_until=finite(doc.get("identify_until", 0.0)))


def _policy(value: Any) -> int:
    if value not in (0, 1, 2):
        raise ValueError(f"restore policy {value!r}")
    return int(value)


def _sel_store() -> SelStore:
    from chassisctl.bmc.sel_store import SelStore

    return SelStore()


class SimBmcModel(BaseModel):
    """Answers for one request, against the state loaded for it.

    The chassis' static parts (SDR synthesis, FRU image) are reached through
    ``chassis`` and built only when a command needs them.
    """

    def __init__(self, chassis: SimChassis, state: SimState, now: float) -> None:
        super().__init__(boot=state.boot)
        self.chassis = chassis
        self.profile = chassis.profile
        self.physics = chassis.physics
        self.state = state
        self.now = now

    @property
    def synth(self) -> dict[int, SynthSensor]:
        return self.chassis.synth

    def device_id(self):
        from chassisctl.ipmi._bytes import bcd
        from chassisctl.ipmi.app import DeviceId, DeviceSupport

        bmc = self.profile.bmc
        return DeviceId(
            device_id=bmc.device_id, device_revision=bmc.device_revision, provides_device_sdrs=False,
            firmware_major=bmc.firmware[0], firmware_minor=bcd(bmc.firmware[1]), ipmi_version=0x02,
            additional_support=(DeviceSupport.SENSOR | DeviceSupport.SDR_REPOSITORY | DeviceSupport.SEL
                                | DeviceSupport.FRU | DeviceSupport.CHASSIS | DeviceSupport.BRIDGE),
            manufacturer_id=bmc.manufacturer_id, product_id=bmc.product_id)

    def device_guid(self) -> bytes:
        import uuid

        from chassisctl.ipmi.app import Guid

        return Guid.from_uuid(uuid.UUID(bytes=self.profile.bmc.guid)).raw

    def boot_changed(self) -> None:
        self.state.dirty = True

    # -- power -----------------------------------------------------------------
    def chassis_status(self) -> ChassisStatus:
        from chassisctl.ipmi.chassis import ChassisStatus, IdentifyState, LastPowerEvent, RestorePolicy

        tl = self.state.timeline
        last = LastPowerEvent.COMMAND if tl.last_cause in ("command", "cycle") and tl.on else LastPowerEvent(0)
        intrusion = any(s.kind == "intrusion" and s.model.get("open", False) for s in self.profile.sensors)
        until = self.state.identify_until
        identify = (IdentifyState.INDEFINITE if until < 0 else
                    IdentifyState.TEMPORARY if until > self.now else IdentifyState.OFF)
        return ChassisStatus(power_on=tl.on, restore_policy=RestorePolicy(self.state.restore_policy),
                             last_event=last, intrusion=intrusion, identify_supported=True,
                             identify_state=identify)

    def identify(self, interval: int | None, force: bool) -> int:
        from chassisctl.ipmi.chassis_settings import DEFAULT_IDENTIFY_SECONDS

        if force:
            self.state.identify_until = -1.0
        else:
            seconds = DEFAULT_IDENTIFY_SECONDS if interval is None else interval
            self.state.identify_until = self.now + seconds if seconds else 0.0
        self.state.dirty = True
        return CompletionCodeInt.OK

    def set_restore_policy(self, policy: int):
        from chassisctl.ipmi.chassis_settings import POLICY_NO_CHANGE, PolicyReply, PolicySupport

        if policy != POLICY_NO_CHANGE:
            self.state.restore_policy = policy
            self.state.dirty = True
        return PolicyReply(PolicySupport.STAY_OFF | PolicySupport.RESTORE_PREVIOUS | PolicySupport.POWER_ON)

    def bmc_reset(self, cold: bool) -> int:
        """The simulated controller restarts at once: reservations are gone, and a
        cold reset also turns the identify light off (it is volatile)."""
        self.state.sel.reserve()
        self.chassis.sdr(self.state).reserve()
        if cold:
            self.state.identify_until = 0.0
        self.state.dirty = True
        return CompletionCodeInt.OK

    def chassis_control(self, action: ChassisAction) -> int:
        from chassisctl.ipmi.chassis import ChassisAction

        tl, ps, now = self.state.timeline, self.profile.power, self.now
        target_on = tl.pending[-1].target if tl.pending else tl.on
        if action == ChassisAction.POWER_UP:
            if not target_on:
                tl.pending = [Pending(True, now + ps.on_delay, "command")]
        elif action == ChassisAction.POWER_DOWN:
            tl.pending = [Pending(False, now + ps.off_delay, "command")] if target_on or tl.pending else []
        elif action == ChassisAction.SOFT_SHUTDOWN:
            if target_on:
                tl.pending = [Pending(False, now + ps.soft_off_delay, "soft")]
        elif action in (ChassisAction.POWER_CYCLE, ChassisAction.HARD_RESET,
                        ChassisAction.DIAGNOSTIC_INTERRUPT):
            if not tl.on:
                return CompletionCodeInt.NOT_SUPPORTED_IN_PRESENT_STATE
            if action == ChassisAction.POWER_CYCLE:
                off_at = now + ps.off_delay
                tl.pending = [Pending(False, off_at, "cycle"),
                              Pending(True, off_at + ps.cycle_off_time + ps.on_delay, "cycle")]
                self._power_event(0x01, False)
            else:
                self.state.restart_cause = 0x01  # chassis control command
                self._event(RESTART_TYPE, RESTART_NUMBER, 0x6F, 0x01 if action == ChassisAction.HARD_RESET else 0x07)
        self.state.dirty = True
        return CompletionCodeInt.OK

    def _power_event(self, offset: int, deassertion: bool) -> None:
        number = next((s.number for s in self.profile.sensors if s.sensor_type == POWER_UNIT_TYPE), 0x60)
        self._event(POWER_UNIT_TYPE, number, 0x6F, offset, deassertion=deassertion)

    def _event(self, sensor_type: int, number: int, event_type: int, offset: int, *,
               deassertion: bool = False, data2: int = 0xFF, data3: int = 0xFF, flags: int | None = None) -> None:
        from chassisctl.ipmi import sel as sel_codec

        record = sel_codec.system_event(sensor_type, number, event_type, offset, timestamp=int(self.now),
                                        deassertion=deassertion, data2=data2, data3=data3, data1_flags=flags)
        self.state.sel.add(record.encode(), self.now)
        self.state.dirty = True

    def on_transition(self, was_on: bool) -> None:
        """SEL entry for a completed power transition."""
        if self.state.timeline.on != was_on:
            self._power_event(0x00, deassertion=self.state.timeline.on)

    # -- sensors --------------------------------------------------------------------
    def _spec(self, number: int) -> SensorSpec | None:
        return self.profile.sensor(number)

    def _raw_and_bits(self, spec: SensorSpec, sensor: SynthSensor) -> tuple[int, int]:
        value = self.physics.value(spec.number, self.state.timeline, self.now)
        if value is None:
            raise ValueError(f"simulated sensor {spec.number:#04x} has no physical model")
        raw = sensor.to_raw(float(value))
        if power_dependent(spec) and not self.state.timeline.on:
            return raw, 0
        from chassisctl.bmc.events import threshold_status

        return raw, threshold_status(sensor.limits, raw, sensor.conversion)

    def read_sensor(self, number: int) -> SensorReading | int:
        from chassisctl.ipmi.sensor_cmds import ReadingFlags, SensorReading

        spec, sensor = self._spec(number), self.synth.get(number)
        if spec is None or sensor is None or spec.event_only:
            return CompletionCodeInt.NOT_PRESENT
        flags = ReadingFlags.EVENTS_ENABLED | ReadingFlags.SCANNING_ENABLED
        if spec.discrete:
            asserted = bool(self.physics.value(number, self.state.timeline, self.now))
            return SensorReading(0, flags, bytes([0x01 if asserted else 0x00, 0x80]))
        raw, bits = self._raw_and_bits(spec, sensor)
        self._observe(spec, raw, bits)
        return SensorReading(raw, flags, bytes([bits | 0xC0]))

    def scan(self) -> None:
        """Evaluate every threshold sensor so crossings reach the SEL."""
        if self.now - self.state.last_scan < SCAN_INTERVAL:
            return
        self.state.last_scan = self.now
        self.state.dirty = True
        for spec in self.profile.sensors:
            sensor = self.synth.get(spec.number)
            if sensor is not None and spec.range is not None:
                self._observe(spec, *self._raw_and_bits(spec, sensor))

    def _observe(self, spec: SensorSpec, raw: int, bits: int) -> None:
        before = self.state.sensor_status.get(spec.number, 0)
        if before == bits:
            return
        from chassisctl.bmc.events import threshold_crossings

        for c in threshold_crossings(before, bits, raw, self.synth[spec.number].limits):
            self._event(spec.sensor_type, spec.number, 0x01, c.offset, deassertion=c.deassertion,
                        data2=c.reading, data3=c.limit)
        self.state.sensor_status[spec.number] = bits
        self.state.dirty = True

    def sensor_thresholds(self, number: int) -> SensorThresholds | int:
        from chassisctl.ipmi.sensor_cmds import SensorThresholds, Threshold

        sensor = self.synth.get(number)
        if sensor is None or sensor.conversion is None:
            return CompletionCodeInt.NOT_PRESENT
        readable = Threshold(0)
        for flag in sensor.limits:
            readable |= flag
        return SensorThresholds(readable, **{str(f.name).lower(): v for f, v in sensor.limits.items()})

    def sensor_hysteresis(self, number: int) -> SensorHysteresis | int:
        from chassisctl.ipmi.sensor_params import SensorHysteresis

        sensor = self.synth.get(number)
        if sensor is None or sensor.conversion is None:
            return CompletionCodeInt.NOT_PRESENT
        return SensorHysteresis(sensor.decl.hysteresis, sensor.decl.hysteresis)

    def sensor_reading_factors(self, number: int, raw: int) -> SensorReadingFactors | int:
        from chassisctl.ipmi.sensor_cmds import SensorReadingFactors

        sensor = self.synth.get(number)
        if sensor is None:
            return CompletionCodeInt.NOT_PRESENT
        if not sensor.decl.pieces:
            return CompletionCodeInt.ILLEGAL_FOR_SENSOR_OR_RECORD_TYPE
        piece, upper = sensor.piece_for_raw(raw)
        return SensorReadingFactors(upper & 0xFF, piece.factors)

    # -- inventory and power reading ----------------------------------------------------
    def fru_image(self, fru_id: int) -> bytes | None:
        return self.chassis.fru_image if fru_id == self.profile.fru_id else None

    def power_reading(self) -> DcmiPowerReading:
        from chassisctl.ipmi.dcmi import DcmiPowerReading

        tl, now = self.state.timeline, self.now
        samples = [self.physics.power_watts(tl, now - POWER_STATS_PERIOD + i * 5.0) for i in range(13)]
        current = self.physics.power_watts(tl, now)
        return DcmiPowerReading(current=round(current), minimum=round(min(samples)),
                                maximum=round(max(samples)), average=round(sum(samples) / len(samples)),
                                timestamp=int(now), period_ms=int(POWER_STATS_PERIOD * 1000), active=True)
