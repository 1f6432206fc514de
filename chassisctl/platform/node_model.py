"""One node of a platform as a BMC: the :class:`BmcModel` behind the shared Responder.

Answers come from the devices, converted with the very factors the
synthesised SDR advertises: Get Sensor Reading is the device read turned
into a raw byte, with threshold bits compared on raw values (and a SEL
entry when they change); Get Chassis Status and Chassis Control are CPLD
fields; Read FRU Data is the AT24 image as stored (a bad checksum is served
as is and reported, never repaired); Get Device ID and the GUIDs come from
the description.  What cannot be translated gets the spec's completion
code — C1h for commands, CBh for sensors and FRUs that do not exist,
D5h/D6h for actions impossible now or not wired — and a device that fails
gives "reading unavailable" (sensors) or C3h/D3h/CEh (power), never an
invented answer.
"""

from __future__ import annotations

from chassisctl.namedtuple import NamedTuple

from chassisctl.bmc.bmc_model import BaseModel
from chassisctl.errors import ChassisError
from chassisctl.ipmi.codes import CompletionCodeInt as CC

TYPE_CHECKING = False

if TYPE_CHECKING:
    from chassisctl.bmc.synth import SynthSensor
    from chassisctl.ipmi.chassis import ChassisAction, ChassisStatus
    from chassisctl.ipmi.sensor_cmds import SensorReading
    from chassisctl.platform.backend import NodeRuntime, PlatformTransport
    from chassisctl.platform.description import SensorDecl
    from chassisctl.platform.state import NodeState

POWER_UNIT_TYPE = 0x09
#: Power Unit offsets: 00h power off/down (deasserted = on), 01h power cycle.
POWER_OFF_OFFSET, POWER_CYCLE_OFFSET = 0x00, 0x01


def completion_for(exc: BaseException) -> int:
    """The completion code for a device failure behind a command."""
    from chassisctl.i2c_errors import BusTimeout, NotAnswering

    if isinstance(exc, BusTimeout):
        return CC.TIMEOUT
    if isinstance(exc, NotAnswering):
        return CC.DESTINATION_UNAVAILABLE
    return CC.RESPONSE_UNAVAILABLE


class NodeSensorRuntime(NamedTuple):
    number: int
    decl: SensorDecl
    synth: SynthSensor


class PlatformModel(BaseModel):
    """Answers for one request to one node (a fresh object per request)."""

    def __init__(self, backend: PlatformTransport, rt: NodeRuntime, node_state: NodeState, now: float) -> None:
        super().__init__(boot=node_state.boot)
        self.backend = backend
        self.rt = rt
        self.state = node_state
        self.now = now

    # -- identity (built when asked: most requests never are about it) ----------------------
    def device_id(self):
        from chassisctl.ipmi.app import DeviceId, DeviceSupport

        p = self.backend.platform
        return DeviceId(
            device_id=p.device_id, device_revision=1, provides_device_sdrs=False,
            firmware_major=p.firmware[0], firmware_minor=int(str(p.firmware[1]), 16),
            ipmi_version=0x02,
            additional_support=(DeviceSupport.SENSOR | DeviceSupport.SDR_REPOSITORY | DeviceSupport.SEL
                                | DeviceSupport.FRU | DeviceSupport.CHASSIS),
            manufacturer_id=p.manufacturer_id, product_id=p.product_id)

    def device_guid(self) -> bytes:
        import uuid

        from chassisctl.ipmi.app import Guid

        return Guid.from_uuid(uuid.UUID(bytes=self.rt.node.guid)).raw

    def boot_changed(self) -> None:
        self.backend.mark_dirty()

    @property
    def hw(self):
        return self.backend.hw

    # -- events ---------------------------------------------------------------------------
    def _log(self, record) -> None:
        self.state.sel.add(record.encode(), self.now)
        self.backend.mark_dirty()

    def power_event(self, offset: int, deassertion: bool) -> None:
        from chassisctl.ipmi import sel

        self._log(sel.system_event(POWER_UNIT_TYPE, self.rt.power_sensor, 0x6F, offset,
                                   timestamp=int(self.now), deassertion=deassertion))

    def observe_power(self, on: bool) -> None:
        """SEL entry when the power state observed differs from the last one seen."""
        ps = self.state.power
        if ps.last_on is not None and ps.last_on != on:
            self.power_event(POWER_OFF_OFFSET, deassertion=on)
        if ps.last_on != on:
            ps.last_on = on
            self.backend.mark_dirty()
        if on and (ps.pg_deadline is not None or ps.fault):
            ps.pg_deadline, ps.fault = None, False
            self.backend.mark_dirty()

    # -- chassis ---------------------------------------------------------------------------
    def chassis_status(self) -> ChassisStatus | int:
        from chassisctl.ipmi.chassis import ChassisStatus, LastPowerEvent, RestorePolicy

        power = self.rt.power
        if power is None:
            return CC.INVALID_COMMAND
        try:
            reading = power.read()
        except ChassisError as exc:
            self.backend.trace(f"platform: {self.rt.node.name}: power status: {exc}")
            return completion_for(exc)
        self.observe_power(reading.on)
        ps = self.state.power
        if not reading.on and ps.pg_deadline is not None and self.now >= ps.pg_deadline and not ps.fault:
            ps.fault = True
            self.backend.mark_dirty()
        last = LastPowerEvent.COMMAND if reading.on and ps.last_cause == "command" else LastPowerEvent(0)
        return ChassisStatus(power_on=reading.on, power_control_fault=ps.fault,
                             restore_policy=RestorePolicy.UNKNOWN, last_event=last)

    def chassis_control(self, action: ChassisAction) -> int:
        from chassisctl.ipmi.chassis import ChassisAction
        from chassisctl.platform.power import Unsupported

        power = self.rt.power
        if power is None:
            return CC.INVALID_COMMAND
        ps = self.state.power
        decl = power.decl
        try:
            if action == ChassisAction.POWER_UP:
                ps.pending_on = None
                if not power.is_on_debounced():
                    power.on()
                    ps.pg_deadline, ps.fault = self.now + decl.pg_timeout_s, False
                ps.last_cause = "command"
            elif action == ChassisAction.POWER_DOWN:
                power.off()
                ps.pg_deadline, ps.pending_on, ps.fault = None, None, False
                self.observe_power(power.read().on)
            elif action == ChassisAction.SOFT_SHUTDOWN:
                if power.read().on:
                    power.soft_off()
                ps.pg_deadline, ps.pending_on = None, None
            elif action in (ChassisAction.POWER_CYCLE, ChassisAction.HARD_RESET):
                if not power.read().on:
                    return CC.NOT_SUPPORTED_IN_PRESENT_STATE
                if action == ChassisAction.HARD_RESET:
                    power.reset()
                else:
                    power.off()
                    self.power_event(POWER_CYCLE_OFFSET, deassertion=False)
                    self.observe_power(power.read().on)
                    ps.pg_deadline, ps.fault = None, False
                    ps.pending_on = self.now + decl.cycle_off_s
                    ps.last_cause = "command"
            else:
                return CC.SUBFUNCTION_DISABLED
        except Unsupported:
            return CC.SUBFUNCTION_DISABLED
        except ChassisError as exc:
            self.backend.trace(f"platform: {self.rt.node.name}: chassis control {action.name}: {exc}")
            self.backend.mark_dirty()
            return completion_for(exc)
        self.backend.mark_dirty()
        return CC.OK

    def run_pending(self) -> None:
        """The due "on" step of a power cycle (called before each request and by poll)."""
        ps = self.state.power
        power = self.rt.power
        if power is None or ps.pending_on is None or self.now < ps.pending_on:
            return
        ps.pending_on = None
        self.backend.mark_dirty()
        try:
            power.on()
            ps.pg_deadline, ps.fault = self.now + power.decl.pg_timeout_s, False
        except ChassisError as exc:
            self.backend.trace(f"platform: {self.rt.node.name}: power cycle 'on' step: {exc}")
            ps.fault = True

    # -- sensors ----------------------------------------------------------------------------
    def _sensor(self, number: int) -> NodeSensorRuntime | None:
        return self.rt.sensors.get(number)

    def read_sensor(self, number: int) -> SensorReading | int:
        from chassisctl.ipmi.sensor_cmds import ReadingFlags, SensorReading

        entry = self._sensor(number)
        if entry is None:
            return CC.NOT_PRESENT
        sample = self.hw.sample(entry.decl)
        flags = ReadingFlags.EVENTS_ENABLED | ReadingFlags.SCANNING_ENABLED
        if not sample.available:
            return SensorReading.not_available()
        if entry.decl.discrete:
            state = sample.state or 0
            self._observe_discrete(entry, state)
            return SensorReading(0, flags, bytes([state & 0xFF, (state >> 8) & 0x7F]))
        from chassisctl.bmc.events import threshold_status

        raw = entry.synth.to_raw(sample.value)
        bits = threshold_status(entry.synth.limits, raw, entry.synth.conversion)
        self._observe_threshold(entry, raw, bits)
        return SensorReading(raw, flags, bytes([bits]))

    def _observe_threshold(self, entry: NodeSensorRuntime, raw: int, bits: int) -> None:
        from chassisctl.bmc.events import crossing_record, threshold_crossings

        before = self.state.sensor_status.get(entry.number, 0)
        if before == bits:
            return
        for crossing in threshold_crossings(before, bits, raw, entry.synth.limits):
            self._log(crossing_record(entry.synth.decl.sensor_type, entry.number, crossing, int(self.now)))
        self.state.sensor_status[entry.number] = bits
        self.backend.mark_dirty()

    def _observe_discrete(self, entry: NodeSensorRuntime, state: int) -> None:
        from chassisctl.bmc.events import discrete_records

        before = self.state.sensor_status.get(entry.number)
        if before == state:
            return
        if before is not None:
            for record in discrete_records(entry.synth.decl.sensor_type, entry.number, before, state,
                                           int(self.now)):
                self._log(record)
        self.state.sensor_status[entry.number] = state
        self.backend.mark_dirty()

    def sensor_thresholds(self, number: int):
        from chassisctl.ipmi.sensor_cmds import SensorThresholds, Threshold

        entry = self._sensor(number)
        if entry is None:
            return CC.NOT_PRESENT
        if entry.synth.conversion is None:
            return CC.ILLEGAL_FOR_SENSOR_OR_RECORD_TYPE
        readable = Threshold(0)
        for flag in entry.synth.limits:
            readable |= flag
        return SensorThresholds(readable, **{str(f.name).lower(): v for f, v in entry.synth.limits.items()})

    def sensor_hysteresis(self, number: int):
        from chassisctl.ipmi.sensor_params import SensorHysteresis

        entry = self._sensor(number)
        if entry is None:
            return CC.NOT_PRESENT
        if entry.synth.conversion is None:
            return CC.ILLEGAL_FOR_SENSOR_OR_RECORD_TYPE
        h = entry.synth.decl.hysteresis
        return SensorHysteresis(h, h)

    def sensor_reading_factors(self, number: int, raw: int):
        entry = self._sensor(number)
        if entry is None:
            return CC.NOT_PRESENT
        return CC.ILLEGAL_FOR_SENSOR_OR_RECORD_TYPE  # every synthesised sensor is linear

    # -- inventory ---------------------------------------------------------------------------
    def fru_image(self, fru_id: int) -> bytes | None:
        return self.backend.fru_image(self.rt, fru_id)
