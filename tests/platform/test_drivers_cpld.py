"""Cpld driver against the simulated CPLD: masked compares, safe RMW, pulses that always end."""

import pytest

from chassisctl.clock import FakeClock
from chassisctl.devices.cpld import Access, Field
from chassisctl.platform.drivers.cpld import Cpld
from chassisctl.platform.drivers._base import DeassertFailed, VerifyFailed
from chassisctl.i2c_errors import NotAnswering
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.devices.cpld import CpldSim, PowerDomain
from chassisctl.sim.i2c import Segment

PRESENT = Field("psu1_present", 0x02, 0x02, cmpval=0x00)
PSU_PG = Field("psu1_pg", 0x02, 0x28, cmpval=0x28)
SCRATCH = Field("scratch", 0x03, 0xFF, Access.RW, verify=True)
DP_POWER = Field("dp_power", 0x05, 0x80, Access.RW, verify=True)
FAULTS = Field("power_fault", 0x05, 0x06, Access.W1C)
NODE_PG = Field("node_pg", 0x05, 0x01)
CYCLE = Field("power_cycle", 0x04, 0xFF, Access.WO)
BUTTON = Field("pwr_btn_n", 0x10, 0x01, Access.PULSE, active_low=True, pulse_width_s=0.2)
RESET = Field("rst_n", 0x10, 0x02, Access.PULSE, active_low=True, pulse_width_s=0.5)
BUTTON_PG = Field("host_pg", 0x11, 0x01)
FIELDS = [PRESENT, PSU_PG, SCRATCH, DP_POWER, FAULTS, NODE_PG, CYCLE, BUTTON, RESET, BUTTON_PG]
DOMAINS = [PowerDomain("dp", power_good="node_pg", enable="dp_power", pg_delay_s=0.3),
           PowerDomain("host", power_good="host_pg", button="pwr_btn_n", reset="rst_n", pg_delay_s=2.0)]


def make(clock: FakeClock) -> tuple[SimulatedSMBus, CpldSim, Cpld]:
    root = Segment()
    sim = CpldSim(clock, FIELDS, initial={0x10: 0x03}, domains=DOMAINS)
    root.attach(0x60, sim)
    bus = SimulatedSMBus(root=root, clock=clock)
    return bus, sim, Cpld(bus, 0x60, FIELDS)


def test_pddf_masked_compares() -> None:
    _, sim, cpld = make(FakeClock())
    sim.set_input("psu1_present", 1)
    sim.set_input("psu1_pg", 1)
    assert cpld.read_register(0x02) == 0x28
    assert cpld.read_field(PRESENT) == 1 and cpld.read_field(PSU_PG) == 1
    sim.raw[0x02] = 0x0A  # one PG bit of two, presence deasserted
    assert cpld.read_field(PRESENT) == 0 and cpld.read_field(PSU_PG) == 0


def test_rmw_keeps_latches_and_clears_only_on_request() -> None:
    clock = FakeClock()
    bus, sim, cpld = make(clock)
    sim.latch("power_fault")
    cpld.write_field(DP_POWER, 1)
    assert str(bus.transcript[-2]) == "S C0 05 80 P"  # the set latches were not written back
    assert sim.value("power_fault") == 3
    cpld.write_field(FAULTS, 1)
    assert sim.value("power_fault") == 0
    assert sim.value("dp_power") == 1  # the rw bit survived the clear


def test_level_enable_and_power_good_delay() -> None:
    clock = FakeClock()
    _, _, cpld = make(clock)
    cpld.write_field(DP_POWER, 1)
    assert cpld.read_field(NODE_PG) == 0
    clock.advance(0.3)
    assert cpld.read_field(NODE_PG) == 1
    cpld.write_field(DP_POWER, 0)
    assert cpld.read_field(NODE_PG) == 0


def test_scratchpad_verify_and_stuck_bit() -> None:
    _, sim, cpld = make(FakeClock())
    cpld.write_field(SCRATCH, 0xA5)
    assert cpld.read_field(SCRATCH) == 0xA5
    sim.stick("dp_power", 0)
    with pytest.raises(VerifyFailed):
        cpld.write_field(DP_POWER, 1)


def test_magic_value_trigger() -> None:
    _, sim, cpld = make(FakeClock())
    seen: list[int] = []
    sim.on_trigger("power_cycle", seen.append)
    cpld.write_field(CYCLE, 0xDE)
    assert seen == [0xDE] and sim.triggers == [("power_cycle", 0xDE)]
    assert cpld.read_register(0x04) == 0x00  # write-only: reads back nothing


def test_short_press_toggles_and_power_good_follows() -> None:
    clock = FakeClock()
    _, sim, cpld = make(clock)
    cpld.pulse(BUTTON, None, clock)
    assert sim.pulses[-1].outcome == "toggle"
    assert sim.pulses[-1].seconds == pytest.approx(0.2)
    assert sim.power_on("host")
    assert cpld.read_field(BUTTON_PG) == 0
    clock.advance(2.0)
    assert cpld.read_field(BUTTON_PG) == 1
    cpld.pulse(RESET, None, clock)
    assert sim.pulses[-1].outcome == "reset" and sim.power_on("host")


def test_long_press_forces_off() -> None:
    clock = FakeClock()
    _, sim, cpld = make(clock)
    sim.set_power("host", True)
    cpld.pulse(BUTTON, 4.0, clock)
    assert sim.pulses[-1].outcome == "forced-off"
    assert not sim.power_on("host")


class _InterruptedClock(FakeClock):
    """A clock whose sleep is interrupted (SIGINT) after part of the wait."""

    def __init__(self, after: float, exc: BaseException, on_interrupt: object = None) -> None:
        super().__init__()
        self.after, self.exc, self.on_interrupt = after, exc, on_interrupt

    def sleep(self, seconds: float) -> None:
        if self.exc is not None:
            self.advance(min(seconds, self.after))
            exc, self.exc = self.exc, None
            if callable(self.on_interrupt):
                self.on_interrupt()
            raise exc
        super().sleep(seconds)


def test_deassert_runs_when_the_wait_is_interrupted() -> None:
    clock = _InterruptedClock(0.05, KeyboardInterrupt())
    _, sim, cpld = make(clock)  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        cpld.pulse(BUTTON, 15.0, clock)  # a forced-off hold, cut short
    assert sim.value("pwr_btn_n") == 0  # released
    assert sim.pulses[-1].seconds == pytest.approx(0.05)


def test_deassert_failure_is_retried_then_raised_loudly() -> None:
    holder: dict[str, CpldSim] = {}

    def cpld_vanishes() -> None:
        holder["sim"].present = False

    clock = _InterruptedClock(0.1, RuntimeError("deadline"), cpld_vanishes)
    bus, sim, cpld = make(clock)  # type: ignore[arg-type]
    holder["sim"] = sim
    bus.clear_transcript()
    with pytest.raises(DeassertFailed) as info:
        cpld.pulse(BUTTON, 1.0, clock)
    assert isinstance(info.value.__cause__, NotAnswering)
    assert isinstance(info.value.__context__, RuntimeError)  # the original failure is kept
    assert sum(1 for t in bus.transcript if not t.acked) == 3  # bounded retries
    assert sim.value("pwr_btn_n") == 1  # and it really is still asserted


def test_pulse_rejects_non_outputs() -> None:
    clock = FakeClock()
    _, _, cpld = make(clock)
    with pytest.raises(ValueError):
        cpld.pulse(NODE_PG, 0.1, clock)
    with pytest.raises(ValueError):
        cpld.pulse(Field("x", 0x10, 0x04, Access.PULSE), None, clock)
