"""IPMI through PlatformTransport on simulated devices: SDRs, readings, power, FRU, SEL, codes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chassisctl.client import power
from chassisctl.client.call import call
from chassisctl.client.info import bmc_info
from chassisctl.client.sensors import SensorReader, load_repository
from chassisctl.clock import FakeClock
from chassisctl.config import BmcSettings
from chassisctl.errors import UsageError
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi import fru, fru_cmds, sel, sel_cmds, storage
from chassisctl.ipmi.chassis import ChassisAction, chassis_control
from chassisctl.ipmi.message import Request
from chassisctl.ipmi.sdr import FruDeviceLocator, FullSensorRecord, McDeviceLocator
from chassisctl.ipmi.sensor_cmds import (SensorReading, get_sensor_reading, get_sensor_reading_factors,
                                         get_sensor_thresholds)
from chassisctl.ipmi.sensor_params import get_sensor_hysteresis
from chassisctl.platform.backend import open_platform
from chassisctl.platform.sim import set_overrides
from chassisctl.transport.bus import parse_bus_spec


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    for kind in ("STATE", "CACHE", "CONFIG"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))
    return tmp_path


def open_(name: str = "compute-4n", *, store: bool = False, clock: FakeClock | None = None, sim: str = "t"):
    clock = clock or FakeClock()
    tr = open_platform(BmcSettings(platform=name), parse_bus_spec(f"sim:{sim}"), clock=clock, store=store)
    return tr, clock


def sensors_by_name(tr, node=None):
    repo = load_repository(tr, node=node)
    return {r.id_string: r for r in repo.sensors()}, repo


def value(tr, name, node=None):
    records, _ = sensors_by_name(tr, node)
    return SensorReader(tr, node=node).read_one(records[name])


# --- SDR synthesis ----------------------------------------------------------------------


def test_sdr_repository_layout_and_stable_ids() -> None:
    tr, _ = open_()
    repo = load_repository(tr, node="node2")
    records = repo.records
    assert isinstance(records[0], McDeviceLocator) and records[0].id_string == "node2"
    assert isinstance(records[-1], FruDeviceLocator) and records[-1].id_string == "Node2 FRU"
    ids = [r.record_id for r in records]
    assert ids == list(range(1, len(records) + 1))
    names = [r.id_string for r in repo.sensors()]
    assert names[:2] == ["PSU1 Status", "PSU1 VIN"] and names[-1] == "Node2 Board Temp"
    tr2, _ = open_(sim="other")
    assert [r.encode() for r in load_repository(tr2, node="node2").records] == [r.encode() for r in records]


@pytest.mark.parametrize("name", ["compute-4n", "switch-1u"])
def test_synthesised_sdrs_come_back_from_the_cache_as_built(name) -> None:
    """A second process restores every node's records, factors and raw thresholds
    (and the hysteresis counts derived from them) from the cache, identical to a
    fresh synthesis."""
    fresh, _ = open_(name)
    built = {n.name: fresh.runtime(n) for n in fresh.platform.nodes}
    for rt in built.values():
        assert rt.records  # synthesised (and cached) now
    again, _ = open_(name)
    for node in again.platform.nodes:
        rt, first = again.runtime(node), built[node.name]
        assert rt.records == first.records
        assert rt.sensors.keys() == first.sensors.keys()
        for number, entry in rt.sensors.items():
            synth, was = entry.synth, first.sensors[number].synth
            assert synth.record is None and was.record is not None
            assert (synth.decl, synth.conversion, dict(synth.limits)) == (was.decl, was.conversion,
                                                                         dict(was.limits))


def test_power_supply_sensors_carry_their_supply_number_as_entity_instance() -> None:
    """Entity 0Ah (power supply), instance = the PSU's place among the pmbus devices."""
    tr, _ = open_()
    records, _ = sensors_by_name(tr, "node2")
    assert {name: (r.entity_id, r.entity_instance) for name, r in records.items() if name.startswith("PSU")} == {
        f"PSU{n} {what}": (0x0A, n) for n in (1, 2) for what in ("Status", "VIN", "PIN", "Temp", "Fan")}


def test_factors_keep_the_device_precision() -> None:
    tr, _ = open_()
    records, _ = sensors_by_name(tr)
    inlet = records["Node1 Inlet Temp"]
    assert isinstance(inlet, FullSensorRecord)
    assert inlet.conversion.step == 0.5  # the LM75's own 0.5 °C: no count is wasted or invented
    assert inlet.conversion.to_value(0) == -40.0
    board = records["Node1 Board Temp"]
    assert board.conversion.step % 0.0625 == 0  # a whole number of TMP75 steps
    tr.world.twins["node1-inlet"].set_celsius(-12.5)
    assert value(tr, "Node1 Inlet Temp").value == -12.5  # negative temperatures exact too


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.floats(-40, 87.5), st.floats(0, 127.5), st.floats(0, 2000), st.floats(0, 15))
def test_readings_equal_the_device_within_resolution(isolated, t_inlet, t_board, watts, volts) -> None:
    tr, _ = open_()
    twins = tr.world.twins
    twins["node1-inlet"].set_celsius(t_inlet)
    twins["node1-board"].set_celsius(t_board)
    twins["psu1"].set("READ_PIN", watts)
    twins["node1-hsc"].set_load(10.0, volts)
    records, _ = sensors_by_name(tr)
    reader = SensorReader(tr)
    from chassisctl.devices import ina2xx, lm75, pmbus

    device_values = {
        "Node1 Inlet Temp": lm75.decode_celsius(lm75.encode_celsius(t_inlet, 9), 9),
        "Node1 Board Temp": lm75.decode_celsius(lm75.encode_celsius(t_board, 12), 12),
        "PSU1 PIN": pmbus.decode_linear11(pmbus.encode_linear11(watts)),
        "Node1 12V": ina2xx.bus_volts(ina2xx.Chip.INA226, ina2xx.encode_bus(ina2xx.Chip.INA226, volts)),
    }
    for name, device in device_values.items():
        got = reader.read_one(records[name])
        step = records[name].conversion.step
        assert got.value is not None and abs(got.value - device) <= step / 2 + 1e-9, (name, got.value, device)
    tr.close()


def test_thresholds_and_hysteresis_and_factors_commands() -> None:
    tr, _ = open_()
    records, _ = sensors_by_name(tr)
    inlet = records["Node1 Inlet Temp"]
    th = call(tr, get_sensor_thresholds(inlet.sensor_number), None)
    assert th[0] == 0x39  # lnc, unc, uc, unr readable
    hyst = call(tr, get_sensor_hysteresis(inlet.sensor_number), None)
    assert hyst == bytes([2, 2])  # 1 °C at 0.5 °C per count
    rsp = tr.transact(get_sensor_reading_factors(inlet.sensor_number, 10))
    assert rsp.cc == 0xCD  # linear sensors have no per-reading factors


# --- readings follow the devices ----------------------------------------------------------


def test_reading_follows_a_changed_register() -> None:
    tr, _ = open_("switch-1u")
    assert value(tr, "ASIC Temp").value == 68.5
    tr.world.twins["asic-temp"].set_celsius(1, 91.25)
    assert abs(value(tr, "ASIC Temp").value - 91.25) <= 0.25  # step 0.5 on 0..127.5
    tr.world.twins["psu2"].set("READ_VOUT", 11.5)  # DIRECT coefficients
    assert value(tr, "PSU2 VOUT").value == pytest.approx(11.52, abs=0.03)
    tr.world.twins["fans"].set_rpm(2, 4200)
    assert value(tr, "Fan3").value == 4200
    from chassisctl.sim.hwmon import FakeSysfs

    FakeSysfs.set(tr.world.twins["cpu-temp"].directory, "temp1_input", 61000)
    assert value(tr, "CPU Temp").value == 61.0


def test_psu_status_discrete_states() -> None:
    tr, _ = open_("switch-1u")
    assert value(tr, "PSU1 Status").states == ["Presence detected"]
    from chassisctl.devices.pmbus import Cmd, StatusIout, StatusTemperature

    tr.world.twins["psu1"].set_condition(Cmd.STATUS_TEMPERATURE, StatusTemperature.OT_WARNING)
    assert "Predictive failure" in " ".join(value(tr, "PSU1 Status").states)
    tr.world.twins["psu1"].set_condition(Cmd.STATUS_IOUT, StatusIout.OC_FAULT)
    assert "Failure detected" in " ".join(value(tr, "PSU1 Status").states)
    tr.world.twins["psu2"].set_ac(False)
    assert "AC lost" in " ".join(value(tr, "PSU2 Status").states)


# --- chassis power through the CPLD ----------------------------------------------------------


def test_power_off_on_with_power_good_delay() -> None:
    tr, clock = open_()
    assert power.status(tr, node="node2").power_on
    power.control(tr, "off", node="node2")
    assert not power.status(tr, node="node2").power_on
    assert power.status(tr, node="node1").power_on  # other nodes untouched
    power.control(tr, "on", node="node2")
    assert not power.status(tr, node="node2").power_on  # power good follows after 300 ms
    clock.advance(0.35)
    assert power.status(tr, node="node2").power_on


def test_power_on_is_idempotent() -> None:
    tr, _ = open_()
    bus = tr.world.bus
    bus.clear_transcript()
    power.control(tr, "on", node="node1")
    writes = [t for t in bus.transcript if t.is_write and t.addr == 0x60]
    assert writes == []  # already on: no write, no button press (a toggle would turn it off)
    assert tr.world.twins["node1-cpld"].pulses == []


def test_reset_and_soft_off_are_pulses_that_end() -> None:
    tr, clock = open_()
    cpld = tr.world.twins["node3-cpld"]
    power.control(tr, "reset", node="node3")
    assert [(p.field, round(p.seconds, 3), p.outcome) for p in cpld.pulses] == [("sys_rst", 0.1, "reset")]
    assert cpld.value("sys_rst") == 0
    power.control(tr, "soft", node="node3")
    assert cpld.pulses[-1].outcome == "toggle" and round(cpld.pulses[-1].seconds, 3) == 0.2
    assert not power.status(tr, node="node3").power_on
    # Off by the button, the enable still reads on: "on" presses the button again.
    power.control(tr, "on", node="node3")
    clock.advance(0.4)
    assert power.status(tr, node="node3").power_on


def test_cycle_and_state_errors() -> None:
    tr, clock = open_()
    power.control(tr, "cycle", node="node1")
    assert not power.status(tr, node="node1").power_on
    clock.advance(2.0)  # cycle_off_ms: the "on" step runs with the next request
    assert not power.status(tr, node="node1").power_on
    clock.advance(0.35)
    assert power.status(tr, node="node1").power_on
    power.control(tr, "off", node="node1")
    for verb in ("cycle", "reset"):
        with pytest.raises(CompletionCodeError) as info:
            power.control(tr, verb, node="node1")
        assert info.value.cc == 0xD5
    rsp = tr.transact(chassis_control(ChassisAction.DIAGNOSTIC_INTERRUPT), node="node1")
    assert rsp.cc == 0xD6  # no field for an NMI


def test_close_completes_a_pending_cycle() -> None:
    tr, clock = open_()
    power.control(tr, "cycle", node="node2")
    twin = tr.world.twins["node2-cpld"]
    tr.close()  # never leave a node off halfway through a cycle
    clock.advance(0.35)
    assert twin.value("pwr_en") == 1 and twin.value("pwr_good") == 1


def test_write_then_verify_catches_a_stuck_bit() -> None:
    tr, _ = open_("switch-1u")
    tr.world.twins["cpld"].stick("dp_power", 1)
    with pytest.raises(CompletionCodeError) as info:
        power.control(tr, "off")
    assert info.value.cc == 0xCE  # the enable read back wrong: not "done"


def test_no_power_good_is_a_power_control_fault() -> None:
    tr, clock = open_()
    power.control(tr, "off", node="node4")
    tr.world.twins["node4-cpld"].fail_power_good("node4")
    power.control(tr, "on", node="node4")
    st = power.status(tr, node="node4")
    assert not st.power_on and not st.power_control_fault  # still within pg_timeout_ms
    clock.advance(3.1)
    st = power.status(tr, node="node4")
    assert not st.power_on and st.power_control_fault
    power.control(tr, "off", node="node4")
    assert not power.status(tr, node="node4").power_control_fault


# --- identity, FRU, SEL ------------------------------------------------------------------------


def test_device_id_and_guids() -> None:
    tr, _ = open_()
    info = bmc_info(tr, node="node1").to_dict()
    assert info["manufacturer_id"] == 32473 and info["product_id"] == 0x0C4E
    assert info["firmware_revision"] == "1.04" and info["ipmi_version"] == "2.0"
    guids = {bmc_info(tr, node=f"node{i}").to_dict()["guid"] for i in range(1, 5)}
    assert len(guids) == 4
    tr2, _ = open_(sim="again")
    assert bmc_info(tr2, node="node1").to_dict()["guid"] == info["guid"]


def read_fru_image(tr, node, fru_id=0) -> bytes:
    size = fru_cmds.FruAreaInfo.decode(call(tr, fru_cmds.get_fru_inventory_area_info(fru_id), None, node=node)).size
    out = b""
    while len(out) < size:
        out += fru_cmds.FruData.decode(call(tr, fru_cmds.read_fru_data(fru_id, len(out), 32), None, node=node)).data
    return out


def test_fru_from_the_eeprom() -> None:
    tr, _ = open_()
    image = read_fru_image(tr, "node3")
    inv = fru.parse(image)
    assert inv.board.serial.value == "CN4N-0003" and inv.product.serial.value == "N3-0001"
    assert image == bytes(tr.world.twins["node3-fru"].memory[:len(image)])
    assert tr.transact(fru_cmds.get_fru_inventory_area_info(5), node="node3").cc == 0xCB


def test_bad_fru_checksum_is_served_not_repaired() -> None:
    tr, _ = open_("switch-1u")
    tr.world.set(tr.platform.devices["board-fru"], "corrupt_checksum", True)
    image = read_fru_image(tr, None)
    assert image == bytes(tr.world.twins["board-fru"].memory[:len(image)])
    problems = fru.parse(image, strict=False).problems
    assert any("checksum" in p for p in problems)
    from chassisctl.platform.probe import probe

    result = {r.device: r for r in probe(tr)}["board-fru"]
    assert result.status == "answered" and "checksum" in result.detail


def sel_entries(tr, node):
    entries = []
    record_id = storage.FIRST_RECORD
    while record_id != storage.LAST_RECORD:
        chunk = storage.RecordChunk.decode(call(tr, sel_cmds.get_sel_entry(0, record_id), None, node=node))
        entries.append(sel.decode(chunk.data))
        record_id = chunk.next_record_id
    return entries


def test_sel_power_events_and_threshold_crossings() -> None:
    tr, clock = open_()
    power.status(tr, node="node2")
    power.control(tr, "off", node="node2")
    records, _ = sensors_by_name(tr, "node2")
    tr.world.twins["node2-inlet"].set_celsius(46.0)
    SensorReader(tr, node="node2").read_one(records["Node2 Inlet Temp"])
    entries = [(e.sensor_type, e.offset, e.deassertion) for e in sel_entries(tr, "node2")]
    assert (0x09, 0x00, False) in entries  # power off/down asserted
    assert (0x01, 0x07, False) in entries and (0x01, 0x09, False) in entries  # UNC, UC going high
    tr.world.twins["node2-inlet"].set_celsius(30.0)
    SensorReader(tr, node="node2").read_one(records["Node2 Inlet Temp"])
    entries = [(e.sensor_type, e.offset, e.deassertion) for e in sel_entries(tr, "node2")]
    assert (0x01, 0x07, True) in entries  # back below: deasserted
    assert tr.transact(sel_cmds.get_sel_info(), node="node1").cc == 0
    assert sel_cmds.SelInfo.decode(call(tr, sel_cmds.get_sel_info(), None, node="node1")).count == 0  # per node


# --- what cannot be translated ------------------------------------------------------------------


def test_untranslatable_requests_get_the_spec_codes() -> None:
    tr, _ = open_()
    assert tr.transact(Request(0x30, 0x01)).cc == 0xC1  # OEM command
    assert tr.transact(Request(0x06, 0x99)).cc == 0xC1
    assert tr.transact(get_sensor_reading(0xF0)).cc == 0xCB
    assert tr.transact(get_sensor_reading(0xFE)).cc == 0xCB  # the event-only power unit sensor
    assert tr.transact(Request(0x06, 0x01, b"\x00")).cc == 0xC7  # Get Device ID takes no data
    with pytest.raises(UsageError, match="no such node"):
        tr.transact(Request(0x06, 0x01), node="node9")
    assert tr.transact(Request(0x06, 0x01), node=3).cc == 0  # ids select too
    assert [n.name for n in tr.nodes()] == ["node1", "node2", "node3", "node4"]
    assert tr.simulated and tr.kind == "platform"


# --- between processes ---------------------------------------------------------------------------


def test_state_and_overrides_cross_processes() -> None:
    a, clock = open_(store=True)
    b, _ = open_(store=True, clock=clock)
    power.control(a, "off", node="node3")
    assert not power.status(b, node="node3").power_on  # b restores a's CPLD state
    power.control(b, "on", node="node3")
    clock.advance(0.35)
    assert power.status(a, node="node3").power_on
    set_overrides(a.store, a.platform, clock.time(), [("node3-inlet", "temperature", 33.5)])
    assert value(b, "Node3 Inlet Temp", "node3").value == 33.5
    set_overrides(a.store, a.platform, clock.time(), [("psu1", "pec_error", 2)])
    got = value(b, "PSU1 PIN")
    assert got.value is None or got.value == 488.0  # never a wrong value
    assert value(a, "PSU1 PIN").value == 488.0  # consumed once, by one process


def test_world_snapshots_after_requests_equal_every_twin_asked_afresh() -> None:
    """After each request the world asks only the twins the bus drove (or every twin after a
    ``sim set``, a restore or a FRU read through a view): what it returns is always what
    asking every twin gives, and the state file carries it across processes."""
    a, clock = open_(store=True)
    b, _ = open_(store=True, clock=clock)

    def fresh(tr) -> dict:
        world = tr.world
        snaps = {n: world.twins[n].snapshot(d, world.epoch) for n, d in tr.platform.devices.items()}
        return {n: s for n, s in snaps.items() if s is not None}

    steps = [lambda: value(a, "PSU1 PIN"), lambda: power.control(a, "off", node="node3"),
             lambda: power.status(b, node="node3"), lambda: power.control(b, "on", node="node3"),
             lambda: clock.advance(0.35), lambda: power.status(a, node="node3"),
             lambda: set_overrides(a.store, a.platform, clock.time(), [("psu2", "pec_error", 1)]),
             lambda: value(b, "PSU2 PIN"), lambda: value(a, "Node2 Current", "node2"),
             lambda: a.world.set(a.platform.devices["node4-cpld"], "power", "off"),
             lambda: power.control(a, "reset", node="node1"),
             lambda: call(a, Request(0x0A, 0x10, b"\x00"), node="node2")]  # FRU area info: an AT24 view
    for step in steps:
        step()
        for tr in (a, b):
            assert tr.world.snapshot() == fresh(tr)
    assert power.status(a, node="node3").power_on


def test_sdr_timestamp_moves_only_when_the_file_changes(tmp_path) -> None:
    from chassisctl.platform.description import example_path

    clock = FakeClock()
    a, _ = open_(store=True, clock=clock)
    info1 = storage.SdrRepositoryInfo.decode(call(a, storage.get_sdr_repository_info(), None))
    clock.advance(100)
    b, _ = open_(store=True, clock=clock)
    info2 = storage.SdrRepositoryInfo.decode(call(b, storage.get_sdr_repository_info(), None))
    assert info1.last_addition == info2.last_addition
    text = example_path("compute-4n").read_text().replace('name = "Node1 12V"', 'name = "Node1 12V In"')
    changed = tmp_path / "compute-4n.toml"
    changed.write_text(text)
    c = open_platform(BmcSettings(platform=str(changed)), parse_bus_spec("sim:t"), clock=clock)
    info3 = storage.SdrRepositoryInfo.decode(call(c, storage.get_sdr_repository_info(), None))
    assert info3.last_addition > info1.last_addition


def test_full_read_switches_each_mux_channel_once() -> None:
    tr, _ = open_()
    bus = tr.world.bus
    readers = {}
    for node in ("node1", "node2", "node3", "node4"):
        repo = load_repository(tr, node=node)
        readers[node] = (SensorReader(tr, node=node), repo.sensors())
    bus.clear_transcript()  # the first read in this process: nothing cached but the SDRs
    before = tr.stats.bus_transactions
    count = 0
    for reader, records in readers.values():
        count += len(records)
        reader.read(records)
    mux_writes = [t for t in bus.transcript if t.addr == 0x70]
    assert len(mux_writes) == 4  # one switch per node, in record order
    assert tr.stats.bus_transactions - before == count + 4  # one transaction per sensor


def test_reading_while_off_is_still_a_reading() -> None:
    tr, _ = open_()
    power.control(tr, "off", node="node1")
    got = value(tr, "Node1 Inlet Temp")
    assert got.value is not None and isinstance(SensorReading, type)


@pytest.mark.parametrize("name", ["switch-1u", "compute-4n"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fraction=st.floats(0, 1))
def test_every_sdr_round_trips_within_its_step(name, fraction) -> None:
    tr, _ = open_(name)
    for node in tr.nodes():
        for entry in tr.runtime(tr.node(node.name)).sensors.values():
            if entry.synth.conversion is None:
                continue
            lo, hi = entry.decl.range
            v = lo + (hi - lo) * fraction
            raw = entry.synth.to_raw(v)
            back = entry.synth.conversion.to_value(raw)
            assert abs(back - v) <= entry.synth.conversion.step / 2 + 1e-9, (entry.decl.name, v, back)
