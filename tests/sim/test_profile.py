"""Chassis profiles: the shipped default and one-line errors naming file and key."""

from __future__ import annotations

import pathlib

import pytest

from chassisctl.errors import ConfigError
from chassisctl.sim.profile import DISCRETE_KINDS, load_profile, parse_profile

import _simkit as kit


@pytest.fixture(autouse=True)
def _isolated(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kit.isolate(monkeypatch, tmp_path)  # load_profile caches under $XDG_CACHE_HOME


def test_default_profile_has_what_the_issue_asks() -> None:
    p = load_profile()
    assert p.name and p.seed == 7
    assert len(p.sensors) >= 24
    kinds = {s.kind for s in p.sensors}
    assert {"ambient", "thermal", "fan", "rail", "current", "power", "presence", "intrusion"} <= kinds
    assert any(s.nonlinear for s in p.sensors), "one non-linear sensor"
    assert any(s.kind == "presence" and s.type_name == "power_supply" for s in p.sensors)
    assert any(s.kind == "intrusion" and s.type_name == "physical_security" for s in p.sensors)
    thresholded = [s for s in p.sensors if s.thresholds]
    assert len(thresholded) >= 20
    for s in p.sensors:
        if s.kind not in DISCRETE_KINDS and not s.event_only:
            assert s.range is not None
            for value in s.thresholds.values():
                assert s.range[0] <= value <= s.range[1]
    assert len({s.number for s in p.sensors}) == len(p.sensors)
    assert p.power.on_delay > 0 and p.power.soft_off_delay > p.power.off_delay


def test_default_is_also_reachable_by_name_and_digest_is_stable() -> None:
    assert load_profile("default").digest == load_profile(None).digest
    assert load_profile().digest != kit.profile(seed="8").digest


def test_profile_file_on_disk(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(kit.profile_text(seed="99"), encoding="utf-8")
    assert load_profile(str(path)).seed == 99
    with pytest.raises(ConfigError, match="does not exist"):
        load_profile(str(tmp_path / "none.toml"))


def _error(tmp_path: pathlib.Path, text: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_profile(str(path))
    message = str(info.value)
    assert str(path) in message, message
    assert "\n" not in message
    assert info.value.exit_code == 78
    return message


SENSOR = """
[[sensor]]
number = 0x01
name = "T"
type = "temperature"
range = [0.0, 100.0]
model = { kind = "ambient" }
"""


@pytest.mark.parametrize("text, key", [
    ("[chassis]\nseed = -1\n", "chassis.seed"),
    ("[chassis]\nambient = 'warm'\n", "chassis.ambient"),
    ("[chassis]\ncolour = 1\n", "chassis.colour"),
    ("[bmc]\nssif_address = 0xA0\n", "bmc.ssif_address"),
    ("[bmc]\nfirmware = 'two'\n", "bmc.firmware"),
    ("[bmc]\nguid = 'nope'\n", "bmc.guid"),
    ("[bmc]\nmax_response = 16\n", "bmc.max_response"),
    ("[bmc]\nmultipart = 1\n", "bmc.multipart"),
    ("[power]\npsu_efficiency = 0.2\n", "power.psu_efficiency"),
    ("[power]\non_delay = true\n", "power.on_delay"),
    ("[bus]\nclock_hz = 1\n", "bus.clock_hz"),
    ("unknown = 1\n", "unknown"),
    ("sensor = [1]\n", "sensor[0]"),
    (SENSOR.replace('"temperature"', '"humidity"'), "sensor[0].type"),
    (SENSOR.replace("[0.0, 100.0]", "[100.0, 0.0]"), "sensor[0].range"),
    (SENSOR.replace('name = "T"', 'name = "a name far too long"'), "sensor[0].name"),
    (SENSOR.replace("number = 0x01", "number = 0x1FF"), "sensor[0].number"),
    (SENSOR.replace('kind = "ambient"', 'kind = "magic"'), "sensor[0].model.kind"),
    (SENSOR.replace('kind = "ambient"', 'kind = "ambient", k = 1'), "sensor[0].model.k"),
    (SENSOR.replace('kind = "ambient"', 'kind = "thermal", source = "sun", k = 1, tau = 1'),
     "sensor[0].model.source"),
    (SENSOR + "thresholds = { uc = 200.0 }\n", "sensor[0].thresholds.uc"),
    (SENSOR + "thresholds = { upper = 20.0 }\n", "sensor[0].thresholds.upper"),
    (SENSOR + "unit = 'parsecs'\n", "sensor[0].unit"),
    (SENSOR + "entity = [1]\n", "sensor[0].entity"),
    (SENSOR + "nonlinear = [ { from_raw = 5, m = 1, b = 0, k1 = 0, k2 = 0 } ]\n", "sensor[0].nonlinear"),
    (SENSOR + "nonlinear = [ { from_raw = 0, m = 4000, b = 0, k1 = 0, k2 = 0 } ]\n", "sensor[0].nonlinear[0]"),
    (SENSOR + "colour = 'red'\n", "sensor[0].colour"),
    (SENSOR + SENSOR, "sensor[1].number"),
    (SENSOR.replace("range = [0.0, 100.0]\n", "").replace('kind = "ambient"', 'kind = "fan", follows = 9, '
                                                          'min_rpm = 1, max_rpm = 2, t_low = 1, t_high = 2, tau = 1')
     + "range = [0.0, 10.0]\n", "sensor[0].model.follows"),
    # model values the physics needs: caught at load time, not as a crash on the first reading
    (SENSOR.replace('kind = "ambient"', 'kind = "thermal", source = "cpu", tau = 5'), "sensor[0].model.k"),
    (SENSOR.replace('kind = "ambient"', 'kind = "thermal", source = "cpu", k = "hot", tau = 5'),
     "sensor[0].model.k"),
    (SENSOR.replace('kind = "ambient"', 'kind = "thermal", source = "cpu", k = 1, tau = 0'),
     "sensor[0].model.tau"),
    (SENSOR.replace('kind = "ambient"', 'kind = "rail", nominal = 1, standby = "yes"'),
     "sensor[0].model.standby"),
    (SENSOR.replace('kind = "ambient"', 'kind = "current", source = "cpu", volts = 0'),
     "sensor[0].model.volts"),
    (SENSOR + SENSOR.replace("0x01", "0x02").replace('kind = "ambient"', 'kind = "fan", follows = 1, '
                                                     'min_rpm = 1, max_rpm = 2, t_low = 5, t_high = 5, tau = 1'),
     "sensor[1].model.t_high"),
    (SENSOR + "nonlinear = [ { from_raw = 0, m = 'x', b = 0, k1 = 0, k2 = 0 } ]\n", "sensor[0].nonlinear[0]"),
    (SENSOR + "thresholds = { unc = 50.0, uc = 40.0 }\n", "sensor[0].thresholds.uc"),
    ("[fru]\nboard_serail = 'X1'\n", "fru.board_serail"),
    (SENSOR + "resolution = 0\n", "sensor[0].resolution"),
    ("[fru]\nchassis_type = 'rack'\n", "fru.chassis_type"),
])
def test_profile_errors_name_file_and_key(tmp_path: pathlib.Path, text: str, key: str) -> None:
    message = _error(tmp_path, text)
    assert key in message, message


def test_toml_syntax_error_names_file_and_line(tmp_path: pathlib.Path) -> None:
    message = _error(tmp_path, "[chassis]\nseed = = 1\n")
    assert "line 2" in message


def test_not_utf8(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match=str(path)):
        load_profile(str(path))


def test_minimal_profile_gets_defaults() -> None:
    p = parse_profile(SENSOR, "mini")
    assert p.bmc.ssif_address == 0x10 and p.bmc.multipart and p.power.on_delay == 2.0
    assert [s.name for s in p.sensors] == ["T"]


def test_single_part_profile() -> None:
    p = kit.profile(**kit.SINGLE_PART)
    assert not p.bmc.multipart and p.bmc.max_response == 32


def test_resolution_makes_thresholds_exact() -> None:
    """A 1-degree sensor: thresholds written in whole degrees read back exactly."""
    from chassisctl.bmc.synth import synthesize
    from chassisctl.sim.bmc import sensor_decl

    spec = next(s for s in load_profile().sensors if s.name == "Inlet Temp")
    assert spec.resolution == 1.0
    sensor = synthesize(sensor_decl(spec), 2)
    values = {flag.name.lower(): sensor.conversion.to_value(raw) for flag, raw in sensor.limits.items()}
    assert values == spec.thresholds
