"""Sensor readings: the warm cost model, filters, units and one dead sensor."""

from __future__ import annotations

import pathlib

import pytest

from chassisctl.client.sdr_cache import SdrCache
from chassisctl.client.sensors import (SENSOR_DEADLINE, TYPE_FILTERS, SensorReader, load_repository,
                                       select)

import _simkit as kit


KEYS = {"name", "number", "owner", "type", "type_code", "entity", "unit", "value", "raw", "status", "kind",
        "thresholds", "states", "error"}


@pytest.fixture(autouse=True)
def _isolated(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kit.isolate(monkeypatch, tmp_path)


def scan(transport, cache: SdrCache | None, **filters):
    """What `chassisctl sensors` does once (see cli/sensors.py _Scanner)."""
    repo = load_repository(transport, cache=cache)
    chosen = select(repo.sensors(), **filters)
    reader = SensorReader(transport, entry=repo.entry)
    values = reader.read(chosen)
    if reader.factors_learned and cache is not None:
        cache.store(repo.entry)
    return repo, values


@pytest.mark.parametrize("transport", ["ssif", "ipmb"])
def test_warm_run_costs_one_info_plus_one_reading_per_sensor(tmp_path: pathlib.Path, transport: str) -> None:
    r = kit.rig(transport=transport)
    cache = SdrCache(tmp_path / "sdr")
    repo, values = scan(r.transport, cache)  # cold: walks, learns the non-linear factors
    assert not repo.from_cache
    for filters in ({}, {"type_name": "fan"}, {"name_glob": "psu*"}):
        r.transport.stats.by_command.clear()
        repo, values = scan(r.transport, cache, **filters)
        assert repo.from_cache
        assert r.transport.stats.by_command == {"Get SDR Repository Info": 1, "Get Sensor Reading": len(values)}
        assert values


def test_cold_run_costs(tmp_path: pathlib.Path) -> None:
    r = kit.rig()
    repo, values = scan(r.transport, SdrCache(tmp_path / "sdr"))
    stats = r.transport.stats.by_command
    assert stats["Get SDR Repository Info"] == 1 and stats["Get Device ID"] == 1
    assert stats["Get SDR"] == len(r.chassis.records) == repo.walk_round_trips - 1
    assert stats["Get Sensor Reading"] == len(values) == 31
    assert stats["Get Sensor Reading Factors"] <= 3  # one non-linear sensor: reading + its limits


def test_values_units_and_statuses() -> None:
    r = kit.rig()
    _, values = scan(r.transport, None)
    by_name = {v.name: v for v in values}
    assert len(values) >= 24
    for v in values:
        d = v.to_dict()
        assert set(d) == KEYS
        assert d["value"] is None or isinstance(d["value"], (int, float))
        assert d["status"] in ("ok", "nc", "cr", "nr", "na", "ns")
        assert v.error is None
    assert by_name["CPU Temp"].unit == "degrees C" and by_name["Fan1"].unit == "RPM"
    assert by_name["P12V"].unit == "Volts" and by_name["P12V"].value == pytest.approx(12.05, abs=0.2)
    assert by_name["P12V"].thresholds["lc"] == pytest.approx(10.8, abs=0.1)
    assert by_name["PSU1 Status"].to_dict()["kind"] == "discrete"
    assert by_name["PSU1 Status"].states == ["Presence detected"] and by_name["PSU1 Status"].value is None
    assert by_name["Intrusion"].states == [] and by_name["Intrusion"].status == "ok"
    assert "Power Unit" not in by_name  # event-only: no reading to show
    vr = by_name["VR Temp"]
    assert vr.value is not None and set(vr.thresholds) == {"unc", "uc", "unr"}
    assert all(v is not None for v in vr.thresholds.values())
    assert vr.thresholds["unc"] == pytest.approx(100.0, abs=0.7)


def test_type_and_name_filters() -> None:
    r = kit.rig()
    repo = load_repository(r.transport)
    names = lambda **kw: [s.id_string for s in select(repo.sensors(), **kw)]  # noqa: E731
    assert names(type_name="fan") == ["Fan1", "Fan2", "Fan3", "Fan4", "PSU1 Fan", "PSU2 Fan"]
    assert len(names(type_name="temperature")) == 8
    assert len(names(type_name="voltage")) == 7
    assert names(type_name="discrete") == ["PSU1 Status", "PSU2 Status", "Intrusion"]
    assert names(type_name="physical_security") == ["Intrusion"]
    assert "Total Power" in names(type_name="power") and "PSU1 Status" not in names(type_name="power")
    assert names(name_glob="FAN?") == ["Fan1", "Fan2", "Fan3", "Fan4"]
    assert names(name_glob="*temp", type_name="temperature") == names(type_name="temperature")
    assert names(name_glob="nothing*") == []
    assert set(TYPE_FILTERS) >= {"temperature", "voltage", "current", "fan", "power", "discrete"}


@pytest.mark.parametrize("transport", ["ssif", "ipmb"])
def test_one_dead_sensor_is_na_within_the_deadline(transport: str) -> None:
    r = kit.rig(transport=transport)
    repo = load_repository(r.transport)
    reader = SensorReader(r.transport, entry=repo.entry)
    reader.read(repo.sensors())
    healthy = r.clock.monotonic()
    reader.read(repo.sensors())
    healthy = r.clock.monotonic() - healthy
    r.faults.dead_sensor(0x10)  # Fan1
    start = r.clock.monotonic()
    values = reader.read(repo.sensors())
    spent = r.clock.monotonic() - start
    dead = [v for v in values if v.value is None and v.threshold_based]
    assert [v.name for v in dead] == ["Fan1"]
    assert dead[0].status == "na" and dead[0].error
    assert dead[0].thresholds == {"lnr": 500.0, "lc": 1000.0, "lnc": 2000.0}  # limits still shown
    assert spent <= healthy + SENSOR_DEADLINE * 3 + 0.1
    assert all(v.error is None for v in values if v.name != "Fan1")


def test_nonlinear_factors_are_remembered(tmp_path: pathlib.Path) -> None:
    r = kit.rig()
    cache = SdrCache(tmp_path / "sdr")
    scan(r.transport, cache, name_glob="VR Temp")
    entry = cache.load(SdrCache.key(r.transport.identity(), None))
    assert entry is not None and entry.factors and list(entry.factors) == ["8"]
    r.transport.stats.by_command.clear()
    _, values = scan(r.transport, cache, name_glob="VR Temp")
    assert "Get Sensor Reading Factors" not in r.transport.stats.by_command
    assert values[0].value is not None and all(values[0].thresholds.values())


def test_readings_while_off_are_plausible() -> None:
    from chassisctl.client import power

    r = kit.rig()
    power.control(r.transport, "off")
    r.clock.advance(900)
    _, values = scan(r.transport, None)
    by_name = {v.name: v for v in values}
    assert by_name["Fan1"].value == 0 and by_name["CPU Temp"].value < 30
    # thresholds on power-dependent sensors are not "critical" while the host is off
    assert by_name["Fan1"].status == "ok" and by_name["P12V"].status == "ok"


def test_several_dead_sensors_in_a_row_are_still_just_na() -> None:
    r = kit.rig()
    repo = load_repository(r.transport)
    for number in (0x10, 0x11, 0x12, 0x13):
        r.faults.dead_sensor(number)
    values = SensorReader(r.transport, entry=repo.entry).read(repo.sensors())
    assert [v.name for v in values if v.error] == ["Fan1", "Fan2", "Fan3", "Fan4"]
    assert r.transport.stats.by_command["Get Device ID"] >= 1  # the BMC itself was checked


def test_a_bmc_that_hangs_after_the_sdr_is_an_error_not_a_table_of_na() -> None:
    from chassisctl.errors import TimeoutFailure

    r = kit.rig()
    repo = load_repository(r.transport)
    r.faults.nak_reads(10**6)  # requests are taken, answers never come
    start = r.clock.monotonic()
    with pytest.raises(TimeoutFailure) as info:
        SensorReader(r.transport, entry=repo.entry).read(repo.sensors())
    assert "stopped answering" in str(info.value) and info.value.exit_code == 75
    assert r.clock.monotonic() - start < 3 * SENSOR_DEADLINE + 4 * SENSOR_DEADLINE + 0.1
