"""Chassis power from the client side: status, control, --wait, and "outcome unknown"."""

from __future__ import annotations

import pathlib

import pytest

from chassisctl.client import power
from chassisctl.errors import OutcomeUnknown, TimeoutFailure
from chassisctl.ipmi.codes import CompletionCodeError

import _simkit as kit


CHASSIS, CONTROL = 0x00, 0x02


@pytest.fixture(autouse=True)
def _isolated(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kit.isolate(monkeypatch, tmp_path)


@pytest.fixture(params=["ssif", "ipmb"])
def rig(request: pytest.FixtureRequest):
    return kit.rig(transport=request.param)


def test_status_fields(rig) -> None:
    st = power.status(rig.transport)
    assert st.power_on and not st.power_fault and not st.intrusion


def test_verbs_map_to_chassis_control(rig) -> None:
    assert set(power.ACTIONS) == {"on", "off", "cycle", "reset", "soft"}
    assert power.DESTRUCTIVE == {"off", "cycle", "reset", "soft"}
    power.control(rig.transport, "off")
    assert not power.status(rig.transport).power_on
    assert rig.executed(CHASSIS, CONTROL) == 1


@pytest.mark.parametrize("verb, start_on, want_on", [
    ("on", False, True), ("off", True, False), ("soft", True, False), ("cycle", True, True), ("reset", True, True),
])
def test_wait_reaches_the_target_state(rig, verb: str, start_on: bool, want_on: bool) -> None:
    if not start_on:
        power.control(rig.transport, "off")
    power.control(rig.transport, verb)
    result = power.wait_for(rig.transport, power.TARGET_ON[verb], 30, rig.clock, saw_off_first=verb == "cycle")
    assert result.status.power_on is want_on
    p = rig.chassis.profile.power
    minimum = {"on": p.on_delay, "soft": p.soft_off_delay, "cycle": p.cycle_off_time + p.on_delay}.get(verb, 0.0)
    assert minimum <= result.waited <= minimum + 1.0


def test_cycle_wait_does_not_return_before_the_off_phase(rig) -> None:
    power.control(rig.transport, "cycle")
    result = power.wait_for(rig.transport, True, 30, rig.clock, saw_off_first=True)
    p = rig.chassis.profile.power
    assert result.waited >= p.cycle_off_time + p.on_delay


def test_wait_times_out_naming_the_last_state(rig) -> None:
    power.control(rig.transport, "off")
    power.control(rig.transport, "on")
    start = rig.clock.monotonic()
    with pytest.raises(TimeoutFailure) as info:
        power.wait_for(rig.transport, True, 0.5, rig.clock)
    assert info.value.exit_code == 75 and not isinstance(info.value, OutcomeUnknown)
    assert "last seen: off" in str(info.value) and "0.5 s" in str(info.value)
    assert 0.5 <= rig.clock.monotonic() - start < 1.5
    assert rig.executed(CHASSIS, CONTROL) == 2  # waiting never re-sends the request


def test_d5_names_what_to_check(rig) -> None:
    power.control(rig.transport, "off")
    with pytest.raises(CompletionCodeError) as info:
        power.control(rig.transport, "cycle")
    assert info.value.cc == 0xD5 and "power status" in str(info.value)


def test_unanswered_chassis_control_is_outcome_unknown_and_sent_once() -> None:
    rig = kit.rig(timeout=2.0)
    power.status(rig.transport)  # capabilities and one status: the BMC is fine
    rig.faults.dead_after(1)  # the Chassis Control write is taken, then silence
    start = rig.clock.monotonic()
    with pytest.raises(OutcomeUnknown) as info:
        power.control(rig.transport, "off")
    assert info.value.exit_code == 75
    text = str(info.value)
    assert "may or may not have taken effect" in text and "power status" in text and "\n" not in text
    assert rig.executed(CHASSIS, CONTROL) == 1
    assert rig.transport.stats.by_command["Chassis Control"] == 1
    assert rig.clock.monotonic() - start == pytest.approx(2.0, abs=0.1)
    # it did execute: the BMC is off, which is why re-sending could double a cycle
    assert not rig.chassis._state.timeline.on or rig.chassis._state.timeline.pending


@pytest.mark.parametrize("fault", ["pec_error", "short_read"])
def test_garbled_answers_to_chassis_control_are_never_resent(fault: str) -> None:
    rig = kit.rig(timeout=1.0)
    power.status(rig.transport)
    rig.faults.arm(fault, 100)
    with pytest.raises(OutcomeUnknown):
        power.control(rig.transport, "cycle")
    assert rig.executed(CHASSIS, CONTROL) == 1


def test_a_write_nak_is_safe_to_retry() -> None:
    """A NAKed write never reached the BMC, so the transport may try again."""
    rig = kit.rig()
    power.status(rig.transport)
    rig.faults.nak_writes(2)
    power.control(rig.transport, "off")
    assert rig.executed(CHASSIS, CONTROL) == 1
    assert not power.status(rig.transport).power_on


def test_ipmb_chassis_control_without_answer_is_outcome_unknown() -> None:
    rig = kit.rig(transport="ipmb")
    power.status(rig.transport)
    rig.world.bus.root.devices[0x08] = _Deaf(rig.world.bus.root.devices[0x08])  # replies get lost
    with pytest.raises(OutcomeUnknown):
        power.control(rig.transport, "off")
    assert rig.executed(CHASSIS, CONTROL) == 1


class _Deaf:
    """The host's IPMB slave NAKs every frame: the BMC's answers never arrive."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def start(self, read: bool) -> bool:
        return False

    def write_byte(self, value: int) -> bool:
        return False

    def read_byte(self) -> int:
        return 0xFF

    def stop(self) -> None:
        pass
