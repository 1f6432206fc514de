"""The simulated chassis end to end over the production SSIF transport, on a FakeClock.

Power transitions take the profile's modelled time, readings follow power
and time, the SEL records power events and threshold crossings, and the
non-linear sensor, DCMI and the FRU behave like a hardware BMC's.
"""

from __future__ import annotations

import json
import os
import pathlib

import pytest

from chassisctl.cli.app import run
from chassisctl.client import power
from chassisctl.client.call import call
from chassisctl.client.sensors import SensorReader, load_repository
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi import sel as sel_codec
from chassisctl.ipmi.chassis import ChassisAction, chassis_control
from chassisctl.ipmi.conversion import NON_LINEAR
from chassisctl.ipmi.dcmi import DcmiPowerReading, get_power_reading
from chassisctl.ipmi.fru import parse as parse_fru
from chassisctl.ipmi.message import Request
from chassisctl.ipmi.sdr import FruDeviceLocator, FullSensorRecord
from chassisctl.ipmi.sensor_cmds import SensorReadingFactors, get_sensor_reading_factors
from chassisctl.ipmi.storage import SdrRepositoryInfo, get_sdr_repository_info
from chassisctl.state_store import StateStore

import _simkit as kit


POWER_UNIT, RESTART = 0x09, 0x1D


@pytest.fixture(autouse=True)
def _isolated(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kit.isolate(monkeypatch, tmp_path)


def is_on(r) -> bool:
    return power.status(r.transport).power_on


def sel_events(r) -> list:
    state = r.chassis._state
    return [sel_codec.decode(raw) for raw in state.sel.entries]


def readings(r, *names: str) -> dict[str, float | None]:
    repo = load_repository(r.transport)
    wanted = [s for s in repo.sensors() if not names or s.id_string in names]
    return {v.name: v.value for v in SensorReader(r.transport).read(wanted)}


# -- power transitions ---------------------------------------------------------------------

def test_fresh_chassis_is_on() -> None:
    assert is_on(kit.rig())


def test_power_on_takes_on_delay() -> None:
    r = kit.rig()
    delay = r.chassis.profile.power.on_delay
    power.control(r.transport, "off")
    assert not is_on(r)
    power.control(r.transport, "on")
    r.clock.advance(delay - 0.1)
    assert not is_on(r)
    r.clock.advance(0.2)
    assert is_on(r)


def test_hard_off_is_seen_by_the_next_request() -> None:
    r = kit.rig()
    power.control(r.transport, "off")
    assert not is_on(r)


def test_soft_off_takes_soft_off_delay_and_is_ignored_when_off() -> None:
    r = kit.rig()
    delay = r.chassis.profile.power.soft_off_delay
    power.control(r.transport, "soft")
    r.clock.advance(delay - 0.1)
    assert is_on(r)
    r.clock.advance(0.2)
    assert not is_on(r)
    power.control(r.transport, "soft")  # nothing to shut down: accepted, no change
    r.clock.advance(delay + 1)
    assert not is_on(r)


def test_cycle_goes_off_then_on_again() -> None:
    r = kit.rig()
    p = r.chassis.profile.power
    power.control(r.transport, "cycle")
    r.clock.advance(p.off_delay + 0.05)
    assert not is_on(r)
    r.clock.advance(p.cycle_off_time + p.on_delay)
    assert is_on(r)


@pytest.mark.parametrize("verb", ["cycle", "reset"])
def test_cycle_and_reset_while_off_answer_d5(verb: str) -> None:
    r = kit.rig()
    power.control(r.transport, "off")
    with pytest.raises(CompletionCodeError) as info:
        power.control(r.transport, verb)
    assert info.value.cc == 0xD5 and info.value.exit_code == 76
    assert "power status" in str(info.value)


def test_off_cancels_a_pending_on() -> None:
    r = kit.rig()
    power.control(r.transport, "off")
    power.control(r.transport, "on")
    power.control(r.transport, "off")
    r.clock.advance(10)
    assert not is_on(r)


def test_wait_for_reports_elapsed_modelled_time() -> None:
    r = kit.rig()
    power.control(r.transport, "off")
    power.control(r.transport, "on")
    result = power.wait_for(r.transport, True, 10, r.clock)
    assert result.status.power_on
    assert r.chassis.profile.power.on_delay <= result.waited < r.chassis.profile.power.on_delay + 0.5


# -- readings follow power and time ------------------------------------------------------------

def test_readings_follow_power_state() -> None:
    r = kit.rig()
    on = readings(r, "Fan1", "P12V", "P3V3 STBY", "CPU Temp", "Total Power")
    power.control(r.transport, "off")
    r.clock.advance(600)
    off = readings(r, "Fan1", "P12V", "P3V3 STBY", "CPU Temp", "Total Power")
    assert on["Fan1"] > 2000 and off["Fan1"] == 0
    assert on["P12V"] > 11 and off["P12V"] < 0.2
    assert off["P3V3 STBY"] == pytest.approx(on["P3V3 STBY"], abs=0.1)
    assert off["CPU Temp"] < on["CPU Temp"] - 10
    assert off["Total Power"] < on["Total Power"] / 5


def test_readings_are_deterministic_for_a_seed() -> None:
    a, b = kit.rig(), kit.rig()
    for r in (a, b):
        r.clock.advance(123.4)
    assert readings(a) == readings(b)
    c = kit.rig(profile=kit.profile(seed="1234"))
    c.clock.advance(123.4)
    assert readings(c) != readings(a)


def test_temperatures_change_over_time() -> None:
    r = kit.rig()
    series = []
    for _ in range(6):
        series.append(readings(r, "CPU Temp")["CPU Temp"])
        r.clock.advance(120)
    assert len(set(series)) > 1


def test_no_reading_crashes_the_bmc_across_a_power_cycle() -> None:
    """Threshold crossings while fans spin up must be logged, not answered with FFh."""
    r = kit.rig()
    power.control(r.transport, "off")
    r.clock.advance(600)
    power.control(r.transport, "on")
    repo = load_repository(r.transport)
    reader = SensorReader(r.transport, entry=repo.entry)
    for _ in range(20):
        r.clock.advance(0.5)
        for v in reader.read(repo.sensors()):
            assert v.error is None, (v.name, v.error)


# -- SEL -----------------------------------------------------------------------------------------

def test_sel_records_power_transitions_and_resets() -> None:
    r = kit.rig()
    power.control(r.transport, "off")
    assert not is_on(r)
    power.control(r.transport, "on")
    r.clock.advance(5)
    assert is_on(r)
    power.control(r.transport, "reset")
    power_events = [e for e in sel_events(r) if e.sensor_type == POWER_UNIT]
    assert [(e.offset, e.deassertion) for e in power_events] == [(0, False), (0, True)]
    assert [e.sensor_type for e in sel_events(r)].count(RESTART) == 1


def test_sel_records_threshold_crossings() -> None:
    text = kit.default_profile_text().replace("thresholds = { unc = 900.0, uc = 1100.0 }",
                                              "thresholds = { unc = 100.0, uc = 1100.0 }")
    from chassisctl.sim.profile import parse_profile

    r = kit.rig(profile=parse_profile(text, "low limit"))
    total = next(s.number for s in r.chassis.profile.sensors if s.name == "Total Power")
    readings(r, "Total Power")
    power.control(r.transport, "off")
    r.clock.advance(10)
    readings(r, "Total Power")
    crossings = [e for e in sel_events(r) if e.sensor_number == total and e.event_type == 0x01]
    assert [(e.offset, e.deassertion) for e in crossings] == [(0x07, False), (0x07, True)]  # UNC going high
    assert crossings[0].event_data[0] >> 4 == 0b0101  # data 2 = reading, data 3 = threshold


def test_sel_survives_between_processes(tmp_path: pathlib.Path) -> None:
    store = StateStore(tmp_path / "sim", "persist")
    a = kit.rig(store=store)
    power.control(a.transport, "off")
    assert not is_on(a)
    b = kit.rig(store=StateStore(tmp_path / "sim", "persist"), clock=a.clock)
    assert not is_on(b)
    assert [e.sensor_type for e in sel_events(b)] == [POWER_UNIT]


# -- non-linear sensor, DCMI, FRU, identity ------------------------------------------------------

def test_nonlinear_sensor_needs_reading_factors() -> None:
    r = kit.rig()
    repo = load_repository(r.transport)
    vr = next(s for s in repo.sensors() if isinstance(s, FullSensorRecord) and s.linearization in NON_LINEAR)
    assert vr.id_string == "VR Temp"
    low = call(r.transport, get_sensor_reading_factors(vr.sensor_number, 10), SensorReadingFactors.decode)
    high = call(r.transport, get_sensor_reading_factors(vr.sensor_number, 150), SensorReadingFactors.decode)
    assert low.next_reading == 100
    assert (low.factors.m, low.factors.k2) == (5, -1) and (high.factors.m, high.factors.k2) == (65, -2)
    with pytest.raises(CompletionCodeError):  # a linear sensor has no reading factors
        call(r.transport, get_sensor_reading_factors(0x01, 10), SensorReadingFactors.decode)
    value = readings(r, "VR Temp")["VR Temp"]
    truth = r.chassis.physics.value(vr.sensor_number, r.chassis._state.timeline, r.clock.time())
    assert value == pytest.approx(truth, abs=0.7)


def test_dcmi_power_reading_follows_power_state() -> None:
    r = kit.rig()
    on = call(r.transport, get_power_reading(), DcmiPowerReading.decode)
    power.control(r.transport, "off")
    r.clock.advance(120)
    off = call(r.transport, get_power_reading(), DcmiPowerReading.decode)
    assert on.current > 150 > 30 > off.current
    assert on.minimum <= on.average <= on.maximum and off.active
    assert off.timestamp > on.timestamp


def test_fru_locator_and_fru_data() -> None:
    r = kit.rig()
    repo = load_repository(r.transport)
    locators = [rec for rec in repo.records if isinstance(rec, FruDeviceLocator)]
    assert [loc.fru_device_id for loc in locators] == [r.chassis.profile.fru_id]
    size_data = call(r.transport, Request(0x0A, 0x10, bytes([r.chassis.profile.fru_id])))
    size = size_data[0] | size_data[1] << 8
    image = b""
    while len(image) < size:
        count = min(24, size - len(image))
        chunk = call(r.transport, Request(0x0A, 0x11, bytes([r.chassis.profile.fru_id, len(image) & 0xFF,
                                                           len(image) >> 8, count])))
        assert chunk[0] == len(chunk) - 1 > 0
        image += chunk[1:]
    fru = parse_fru(image)
    assert fru.product.product_name.value == "Simulated 1U Chassis"
    assert fru.board.serial.value == "SIMB0000001"


def test_changed_profile_changes_the_repository_timestamps(tmp_path: pathlib.Path) -> None:
    store = StateStore(tmp_path / "sim", "edit")
    a = kit.rig(store=store)
    before = call(a.transport, get_sdr_repository_info(), SdrRepositoryInfo.decode)
    # same second, same record count: only the profile text changed
    b = kit.rig(store=StateStore(tmp_path / "sim", "edit"), clock=a.clock,
                profile=kit.profile(product_id="0x0C1B"))
    after = call(b.transport, get_sdr_repository_info(), SdrRepositoryInfo.decode)
    assert after.count == before.count
    assert after.last_addition > before.last_addition


def test_busy_cc_fault() -> None:
    r = kit.rig()
    r.faults.busy_cc(3)  # retried: C0h means the BMC did not process the request
    assert is_on(r)
    r.faults.busy_cc(4)  # ... a bounded number of times
    with pytest.raises(CompletionCodeError) as info:
        power.status(r.transport)
    assert info.value.cc == 0xC0
    assert is_on(r)


def test_dead_sensor_fault_leaves_the_others_answering() -> None:
    r = kit.rig()
    r.faults.dead_sensor(0x03)
    repo = load_repository(r.transport)
    values = {v.name: v for v in SensorReader(r.transport).read(repo.sensors())}
    assert values["CPU Temp"].value is None and values["CPU Temp"].status == "na"
    assert "no response" in values["CPU Temp"].error
    assert all(v.error is None for n, v in values.items() if n != "CPU Temp")
    assert r.chassis.profile.sensor(0x03) is not None


def test_chassis_control_runs_once_per_request() -> None:
    r = kit.rig()
    power.control(r.transport, "reset")
    assert r.executed(0x00, 0x02) == 1
    assert r.transport.stats.by_command["Chassis Control"] == 1
    call(r.transport, chassis_control(ChassisAction.HARD_RESET))
    assert r.executed(0x00, 0x02) == 2


# -- the simulator announces itself ---------------------------------------------------------------

def test_sim_notice_on_a_terminal_only(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(["power", "status"]) == 0
    assert capsys.readouterr().err == ""  # not a terminal: no notice
    monkeypatch.setattr("chassisctl.cli.render._isatty", lambda stream: True)
    assert run(["power", "status"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "simulated chassis" in err and "--bus" in err


def test_sim_says_so_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["power", "status"], ["sensors"], ["bmc", "info"]):
        assert run(argv + ["--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["transport"] == "sim" and doc["simulated"] is True


def test_boot_options_a_client_sets_survive_the_process(tmp_path) -> None:
    """ipmitool chassis bootdev pxe, then bootparam get 5 in the next process."""
    from chassisctl.ipmi.chassis import BootOptions, get_system_boot_options, set_system_boot_options
    from chassisctl.state_store import StateStore

    store = StateStore(tmp_path, "boot")
    first = kit.rig(store=store)
    call(first.transport, set_system_boot_options(5, bytes([0x80, 0x04, 0, 0, 0])))
    second = kit.rig(store=store)
    got = call(second.transport, get_system_boot_options(5), BootOptions.decode)
    assert got.data == bytes([0x80, 0x04, 0, 0, 0])


def test_synthesised_sdrs_come_back_from_the_cache_as_built(monkeypatch, tmp_path) -> None:
    """The second chassis of a profile restores records, factors and raw thresholds
    from the cache keyed by the profile's digest; a corrupt cache is rebuilt."""
    from chassisctl.clock import FakeClock
    from chassisctl.sim.chassis import SimChassis, _synth_cache
    from chassisctl.sim.profile import load_profile

    kit.isolate(monkeypatch, tmp_path)
    profile = load_profile()
    first = SimChassis(profile, None, FakeClock(1_700_000_000.0))
    fresh_records, fresh = first.records, first.synth
    path, _ = _synth_cache(profile)
    assert os.path.isfile(path)
    second = SimChassis(profile, None, FakeClock(1_700_000_000.0))
    assert second.records == fresh_records
    assert second.synth.keys() == fresh.keys()
    for number, sensor in fresh.items():
        cached = second.synth[number]
        assert cached.record is None and sensor.record is not None
        assert (cached.decl, cached.conversion, dict(cached.limits)) == (sensor.decl, sensor.conversion,
                                                                         dict(sensor.limits))
        if sensor.conversion is not None:
            assert [cached.to_raw(v) for v in (-5.0, 0.0, 12.3, 99.9)] == [sensor.to_raw(v) for v in
                                                                           (-5.0, 0.0, 12.3, 99.9)]
    pathlib.Path(path).write_text("{not json")
    third = SimChassis(profile, None, FakeClock(1_700_000_000.0))
    assert third.records == fresh_records


def test_prepare_does_the_first_requests_set_up_while_the_wait_allows(monkeypatch, tmp_path) -> None:
    """Idle bus time reads the state, imports the responder and loads the synthesis,
    each piece only while enough of the wait is left; answers are those of an
    unprepared chassis."""
    from chassisctl.clock import FakeClock
    from chassisctl.sim.chassis import PREPARE_MIN, PREPARE_SYNTH_MIN, SimChassis, state_directory
    from chassisctl.sim.profile import load_profile

    kit.isolate(monkeypatch, tmp_path)
    profile = load_profile()
    clock = FakeClock(1_700_000_000.0)
    store = StateStore(state_directory(), "prep")
    plain = SimChassis(profile, StateStore(state_directory(), "plain"), FakeClock(1_700_000_000.0))
    chassis = SimChassis(profile, store, clock)
    assert chassis.prepare(clock.monotonic() + PREPARE_MIN / 2)  # too short a wait: nothing done
    assert chassis._state is None
    assert chassis.prepare(clock.monotonic() + (PREPARE_MIN + PREPARE_SYNTH_MIN) / 2)  # model, state, responder
    assert chassis._state is not None and "physics" in chassis.__dict__ and "_repository" not in chassis.__dict__
    assert not chassis.prepare(clock.monotonic() + PREPARE_SYNTH_MIN * 1.01)
    assert "_repository" in chassis.__dict__
    assert not chassis.prepare(clock.monotonic() + 1.0)  # nothing left: no work, no lock
    for request in (Request(0x0A, 0x20), Request(0x04, 0x2D, b"\x01"), Request(0x00, 0x01)):
        assert chassis.handle(request) == plain.handle(request)


def test_prepare_leaves_errors_to_the_request(monkeypatch, tmp_path) -> None:
    from chassisctl.clock import FakeClock
    from chassisctl.errors import StateError
    from chassisctl.sim.chassis import SimChassis
    from chassisctl.sim.profile import load_profile

    kit.isolate(monkeypatch, tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("")
    clock = FakeClock()
    chassis = SimChassis(load_profile(), StateStore(blocker / "sim", "x"), clock)
    assert not chassis.prepare(clock.monotonic() + 1.0)  # gave up quietly
    with pytest.raises(StateError):
        chassis.handle(Request(0x00, 0x01))
