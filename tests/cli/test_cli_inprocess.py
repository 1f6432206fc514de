"""Every command in-process through ``chassisctl.cli.app.run``: output contract, options, errors.

The simulated chassis answers (no --bus), its state and the SDR cache live
under tmp XDG directories, and wire pacing is off (CHASSISCTL_SIM_PACE=0).
"""

from __future__ import annotations

import json
import os
import pathlib
import re

import pytest

from chassisctl.cli.app import run
from chassisctl.errors import ExitCode

import _simkit as kit


ANSI = re.compile(r"\x1b\[")
STATUS_KEYS = {"schema", "transport", "interface", "bus", "addr", "simulated", "node", "node_id", "power",
               "overload", "interlock", "power_fault", "power_control_fault", "restore_policy", "last_event",
               "intrusion", "cooling_fault", "drive_fault"}
SENSOR_KEYS = {"name", "number", "owner", "type", "type_code", "entity", "unit", "value", "raw", "status", "kind",
               "thresholds", "states", "error"}


@pytest.fixture(autouse=True)
def dirs(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, pathlib.Path]:
    return kit.isolate(monkeypatch, tmp_path)


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        rc = run(list(argv))
        out, err = self.capsys.readouterr()
        return rc, out, err

    def json(self, *argv: str) -> dict:
        rc, out, err = self(*argv, "--json")
        assert rc == 0, err
        return json.loads(out)

    def fails(self, code: int, *argv: str) -> str:
        rc, out, err = self(*argv)
        assert rc == code, (rc, out, err)
        assert_one_line_error(err)
        return err


def assert_one_line_error(err: str) -> None:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("chassisctl: error: ") or lines[0].startswith('{"schema": 1, "error"'), err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


# -- the interface contract ------------------------------------------------------------------

def test_power_status(cli: Cli) -> None:
    rc, out, err = cli("power", "status")
    assert (rc, out, err) == (0, "Chassis Power is on\n", "")
    doc = cli.json("power", "status")
    assert set(doc) == STATUS_KEYS
    assert doc["schema"] == 1 and doc["power"] == "on" and doc["transport"] == "sim"
    assert doc["interface"] == "ssif" and doc["addr"] == "0x10" and doc["simulated"] is True


def test_power_status_quiet_exit_codes(cli: Cli) -> None:
    assert cli("power", "status", "--quiet") == (0, "", "")
    assert cli("power", "off", "--yes")[0] == 0
    assert cli("power", "status", "-q") == (int(ExitCode.POWER_OFF), "", "")


def test_sensors_json_contract(cli: Cli) -> None:
    doc = cli.json("sensors")
    assert doc["schema"] == 1 and doc["transport"] == "sim" and doc["sdr"]["source"] == "bmc"
    assert len(doc["sensors"]) >= 24
    for s in doc["sensors"]:
        assert set(s) == SENSOR_KEYS
        assert s["value"] is None or isinstance(s["value"], (int, float)) and not isinstance(s["value"], bool)
        assert isinstance(s["number"], int) and isinstance(s["thresholds"], dict) and isinstance(s["states"], list)
    assert cli.json("sensors")["sdr"]["source"] == "cache"


def test_bmc_info(cli: Cli) -> None:
    doc = cli.json("bmc", "info")
    assert doc["manufacturer_id"] == 32473 and doc["product_id"] == 0x0C1A
    assert doc["firmware_revision"] == "2.14" and doc["ipmi_version"] == "2.0"
    assert doc["transport"] == "sim" and doc["ssif"]["max_response"] == 255
    rc, out, _ = cli("bmc", "info")
    assert rc == 0 and "Firmware Revision  : 2.14" in out and "(simulated)" in out


def test_sdr_list_and_cache_show_flush(cli: Cli, dirs) -> None:
    doc = cli.json("sdr", "list")
    assert doc["source"] == "bmc" and doc["records"][0]["type"] == "mc-locator"
    assert any(r["type"] == "fru-locator" for r in doc["records"])
    shown = cli.json("sdr", "cache", "show")
    assert shown["directory"] == str(dirs["CACHE"] / "chassisctl" / "sdr")
    [entry] = shown["entries"]
    assert entry["valid"] and entry["records"] == len(doc["records"]) and entry["chunk"] == 255
    rc, out, _ = cli("sdr", "cache", "show")
    assert rc == 0 and out.splitlines()[0].split()[:2] == ["TARGET", "NODE"] and "sim:default" in out
    assert cli.json("sdr", "cache", "flush") == {"schema": 1, "removed": 1}
    assert cli.json("sdr", "cache", "show")["entries"] == []
    cli("sensors")
    cli("sensors", "--transport", "ipmb")
    rc, out, _ = cli("sdr", "cache", "flush", "--all")
    assert (rc, out) == (0, "removed 2 cached SDR repositories\n")


def test_sdr_cache_flush_with_an_explicit_node(cli: Cli) -> None:
    cli("sensors")
    assert cli.json("sdr", "cache", "flush", "--node", "node1")["removed"] == 1


def test_corrupt_cache_shows_as_such_and_is_rebuilt(cli: Cli, dirs) -> None:
    cli("sensors")
    [path] = [p for p in (dirs["CACHE"] / "chassisctl" / "sdr").glob("*.json") if p.name != "names.json"]
    path.write_text("{broken")
    rc, out, _ = cli("sdr", "cache", "show")
    assert "(corrupt, will be rebuilt)" in out
    rc, out, err = cli("sensors", "--json")
    assert rc == 0 and err == "" and json.loads(out)["sdr"]["source"] == "bmc"
    assert json.loads(path.read_text())["schema"] == 1


# -- raw -----------------------------------------------------------------------------------

def test_raw_like_ipmitool(cli: Cli) -> None:
    rc, out, err = cli("raw", "0x06", "0x01")
    assert rc == 0 and err == ""
    assert out == " 20 01 02 14 02 cf d9 7e 00 1a 0c\n"
    assert cli("raw", "6", "1")[1] == out  # decimal like ipmitool
    doc = cli.json("raw", "0x06", "0x01")
    assert doc["cc"] == 0 and doc["data"] == "20010214" "02cfd97e001a0c" and doc["request"]["netfn"] == 6
    rc, out, _ = cli("raw", "0x0a", "0x20")  # Get SDR Repository Info: 14 bytes, one line
    assert rc == 0 and len(out.split()) == 14


def test_raw_long_answer_wraps_at_16_bytes(cli: Cli) -> None:
    rc, out, _ = cli("raw", "0x0a", "0x23", "0", "0", "1", "0", "0", "0xff")  # Get SDR, whole record 1
    assert rc == 0 and all(len(line.split()) <= 16 for line in out.splitlines())


@pytest.mark.parametrize("argv", [
    ["raw", "0x06", "1a"], ["raw", "0x100", "0x01"], ["raw", "0x06", "0x01", "-1"], ["raw", "0x07", "0x01"],
    ["raw", "0x06"], ["raw", "zz", "1"],
])
def test_raw_bad_tokens_are_usage_errors(cli: Cli, argv: list[str]) -> None:
    cli.fails(2, *argv)


def test_raw_completion_code_is_76(cli: Cli) -> None:
    assert "C1h" in cli.fails(76, "raw", "0x06", "0xff")
    assert "C7h" in cli.fails(76, "raw", "0x06", "0x01", "0x00")


def test_raw_chassis_control_is_executed(cli: Cli) -> None:
    assert cli("raw", "0x00", "0x02", "0x00")[0] == 0
    assert cli.json("power", "status")["power"] == "off"


# -- completion, version, usage --------------------------------------------------------------

@pytest.mark.parametrize("shell, marker", [("bash", "complete "), ("zsh", "compdef"), ("fish", "complete ")])
def test_completion_scripts(cli: Cli, shell: str, marker: str) -> None:
    rc, out, err = cli("completion", shell)
    assert rc == 0 and err == "" and marker in out and "_CHASSISCTL_COMPLETE" in out


def test_completion_unknown_shell(cli: Cli) -> None:
    cli.fails(2, "completion", "tcsh")


def test_version_and_usage(cli: Cli) -> None:
    rc, out, _ = cli("--version")
    assert rc == 0 and out.startswith("chassisctl ")
    cli.fails(2, "power", "status", "--bogus")
    cli.fails(2, "nosuchcommand")
    rc, _, err = cli()
    assert rc == 2 and "Traceback" not in err


# -- global options, environment, config -------------------------------------------------------

def _stable(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("waited",)}


@pytest.mark.parametrize("argv", [
    ["power", "status"], ["bmc", "info"], ["sensors", "--name", "Fan*"],
])
def test_global_options_before_and_after_the_subcommand(cli: Cli, argv: list[str]) -> None:
    opts = ["--bus", "sim:opts", "--addr", "0x10", "--transport", "ipmb"]
    before = cli.json(*opts, *argv)
    after = cli.json(*argv, *opts)
    if "sensors" in argv:
        for doc in (before, after):
            doc.pop("sdr")
            for s in doc["sensors"]:
                s.pop("value"), s.pop("raw")  # readings move with time
    assert before == after
    assert before["bus"] == "sim:opts" and before["interface"] == "ipmb"


def test_a_value_after_the_subcommand_wins(cli: Cli) -> None:
    doc = cli.json("--bus", "sim:first", "power", "status", "--bus", "sim:second")
    assert doc["bus"] == "sim:second"


def test_json_and_config_before_the_subcommand(cli: Cli, tmp_path: pathlib.Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[bmc]\nbus = "sim:fromfile"\n')
    rc, out, _ = cli("--json", "--config", str(cfg), "power", "status")
    assert rc == 0 and json.loads(out)["bus"] == "sim:fromfile"


def test_environment_variables(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    monkeypatch.setenv("CHASSISCTL_BUS", "sim:env")
    monkeypatch.setenv("CHASSISCTL_TRANSPORT", "ipmb")
    doc = cli.json("power", "status")
    assert doc["bus"] == "sim:env" and doc["interface"] == "ipmb"
    assert cli.json("power", "status", "--bus", "sim:flag")["bus"] == "sim:flag"
    monkeypatch.setenv("CHASSISCTL_ADDR", "0x11")
    assert "BMC 22h" in cli.fails(69, "power", "status")  # nobody answers at 0x11: not a fallback
    monkeypatch.delenv("CHASSISCTL_TRANSPORT")
    assert "BMC at 0x11" in cli.fails(69, "power", "status")
    monkeypatch.setenv("CHASSISCTL_ADDR", "0xA0")
    assert "CHASSISCTL_ADDR" in cli.fails(2, "power", "status")
    monkeypatch.delenv("CHASSISCTL_ADDR")
    cfg = tmp_path / "env.toml"
    cfg.write_text('[bmc]\nbus = "sim:cfgenv"\n')
    monkeypatch.delenv("CHASSISCTL_BUS")
    monkeypatch.setenv("CHASSISCTL_CONFIG", str(cfg))
    assert cli.json("power", "status")["bus"] == "sim:cfgenv"


def test_xdg_config_file(cli: Cli, dirs) -> None:
    path = dirs["CONFIG"] / "chassisctl" / "chassisctl.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[bmc]\nbus = "sim:xdg"\n')
    assert cli.json("power", "status")["bus"] == "sim:xdg"


@pytest.mark.parametrize("text, code", [
    ("[bmc]\naddr = = 1\n", 78), ("[nope]\n", 78), ("[bmc]\naddr = 0xA0\n", 78), ("[bmc]\nbus = \"i2c\"\n", 2),
])
def test_bad_config_file(cli: Cli, tmp_path: pathlib.Path, text: str, code: int) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    err = cli.fails(code, "power", "status", "--config", str(cfg))
    if code == 78:
        assert str(cfg) in err


def test_missing_config_file_is_66(cli: Cli, tmp_path: pathlib.Path) -> None:
    assert "does not exist" in cli.fails(66, "--config", str(tmp_path / "none.toml"), "power", "status")
    cli.fails(78, "--config", str(tmp_path), "power", "status")


# -- output modes ----------------------------------------------------------------------------

def test_piped_output_is_plain_and_aligned(cli: Cli) -> None:
    rc, out, err = cli("sensors")
    assert rc == 0 and err == ""
    assert not ANSI.search(out) and "─" not in out and "│" not in out
    lines = out.splitlines()
    header = lines[0]
    assert header.split()[:2] == ["NAME", "VALUE"]
    unit_col = header.index("UNIT")
    for line in lines[1:]:
        if "degrees C" in line or " RPM " in line:
            assert line[unit_col - 2:unit_col] == "  " and line[unit_col] != " "
    value_end = header.index("VALUE") + len("VALUE")
    for line in lines[1:]:
        assert line[value_end - 1] != " "  # values right-aligned under VALUE


def test_rich_table_on_a_terminal_and_no_color(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chassisctl.cli.render._isatty", lambda stream: True)
    monkeypatch.setenv("NO_COLOR", "1")
    rc, out, err = cli("sensors", "--type", "fan")
    assert rc == 0 and "─" in out and "Fan1" in out
    assert not ANSI.search(out)
    assert "simulated chassis" in err and err.count("\n") == 1


def test_sensor_filters(cli: Cli) -> None:
    doc = cli.json("sensors", "--type", "fan")
    assert [s["name"] for s in doc["sensors"]] == ["Fan1", "Fan2", "Fan3", "Fan4", "PSU1 Fan", "PSU2 Fan"]
    doc = cli.json("sensors", "--name", "psu?*temp")
    assert [s["name"] for s in doc["sensors"]] == ["PSU1 Temp", "PSU2 Temp"]
    doc = cli.json("sensors", "-t", "voltage", "-n", "*stby*")
    assert [s["name"] for s in doc["sensors"]] == ["P3V3 STBY"]
    assert cli.json("sensors", "--name", "nothing")["sensors"] == []
    assert "--type" in cli.fails(2, "sensors", "--type", "humidity")


def test_no_cache_writes_no_sdr_files(cli: Cli, dirs) -> None:
    sdr_dir = dirs["CACHE"] / "chassisctl" / "sdr"
    assert cli.json("sensors", "--no-cache")["sdr"]["source"] == "bmc"
    assert not sdr_dir.exists() or not any(sdr_dir.iterdir())
    cli("sensors")
    assert cli.json("sensors", "--no-cache")["sdr"]["source"] == "bmc"  # not read either


def test_refresh_sdr(cli: Cli) -> None:
    cli("sensors")
    assert cli.json("sensors")["sdr"]["source"] == "cache"
    assert cli.json("sensors", "--refresh-sdr")["sdr"]["source"] == "bmc"
    assert cli.json("sensors")["sdr"]["source"] == "cache"


def test_watch_count_json_lines(cli: Cli) -> None:
    rc, out, err = cli("sensors", "--watch", "0.2", "--count", "2", "--json", "--name", "fan1")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 2
    docs = [json.loads(line) for line in lines]
    assert all(d["schema"] == 1 and d["transport"] == "sim" and d["sensors"][0]["name"] == "Fan1" for d in docs)


def test_watch_count_plain(cli: Cli) -> None:
    rc, out, _ = cli("sensors", "--watch", "0.2", "--count", "2", "--name", "fan1")
    assert rc == 0 and out.count("NAME") == 2


def test_watch_live_on_a_terminal(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chassisctl.cli.render._isatty", lambda stream: True)
    rc, out, _ = cli("sensors", "--watch", "0.2", "--count", "2", "--name", "fan*")
    assert rc == 0 and "Fan4" in out


def test_watch_stops_cleanly_on_ctrl_c(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    real_sleep = time.sleep

    def interrupt(seconds: float) -> None:
        if seconds >= 1.0:  # the pause between refreshes, not the transport's polling
            raise KeyboardInterrupt
        real_sleep(seconds)

    monkeypatch.setattr("time.sleep", interrupt)
    rc, out, err = cli("sensors", "--watch", "1", "--name", "fan1")
    assert rc == 0 and "Fan1" in out and err == ""
    monkeypatch.setattr("chassisctl.cli.render._isatty", lambda stream: True)
    rc, out, err = cli("sensors", "--watch", "1", "--name", "fan1")
    assert rc == 0 and "Traceback" not in err


def test_debug_shows_the_wire(cli: Cli) -> None:
    rc, out, err = cli("--debug", "power", "status")
    assert rc == 0 and out == "Chassis Power is on\n"
    assert "debug: ssif W 02: 18 57 00" in err  # Get System Interface Capabilities
    assert re.search(r"debug: ssif R 03: 04 01 00", err)  # Get Chassis Status answer
    rc, _, err = cli("power", "status", "--debug", "--transport", "ipmb")
    assert rc == 0 and "debug:" in err


# -- power control ----------------------------------------------------------------------------

def test_destructive_verbs_need_yes_without_a_terminal(cli: Cli) -> None:
    for verb in ("off", "cycle", "reset", "soft"):
        err = cli.fails(2, "power", verb)
        assert "--yes" in err and "(simulated)" in err
    assert cli.json("power", "status")["power"] == "on"
    assert cli("power", "on")[0] == 0  # not destructive: no question


def test_power_verbs_with_yes(cli: Cli) -> None:
    rc, out, _ = cli("power", "off", "--yes")
    assert (rc, out) == (0, "Chassis Power Control: off requested\n")
    assert cli.json("power", "status")["power"] == "off"
    doc = cli.json("power", "on", "-y")
    assert doc["action"] == "on" and doc["accepted"] is True and doc["power"] is None and doc["waited"] is None


def test_wait_reaches_the_state(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    profile = tmp_path / "quick.toml"
    profile.write_text(kit.profile_text(on_delay="0.5"))
    monkeypatch.setenv("CHASSISCTL_SIM_PROFILE", str(profile))
    cli("power", "off", "--yes")
    doc = cli.json("power", "on", "--wait", "10")
    assert doc["power"] == "on" and 0.5 <= doc["waited"] <= 2
    rc, out, _ = cli("power", "off", "--yes", "--wait", "5")
    assert rc == 0 and out.startswith("Chassis Power is off (after ")


def test_wait_timeout_is_75(cli: Cli) -> None:
    cli("power", "off", "--yes")
    err = cli.fails(75, "power", "on", "--wait", "0.3")
    assert "within 0.3 s" in err and "last seen: off" in err


def test_cycle_while_off_is_76(cli: Cli) -> None:
    cli("power", "off", "--yes")
    assert "D5h" in cli.fails(76, "power", "cycle", "--yes")


def test_unanswered_chassis_control_is_outcome_unknown(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # capabilities write + read, then the Chassis Control write is taken; nothing after
    monkeypatch.setenv("CHASSISCTL_SIM_FAULTS", "dead_after=3")
    err = cli.fails(75, "power", "off", "--yes", "--timeout", "0.3")
    assert "may or may not have taken effect" in err and "power status" in err
    monkeypatch.delenv("CHASSISCTL_SIM_FAULTS")
    assert cli.json("power", "status")["power"] == "off"  # it did run, exactly once


def test_json_errors_go_to_stderr_as_json(cli: Cli) -> None:
    cli("power", "off", "--yes")
    rc, out, err = cli("power", "cycle", "--yes", "--json")
    assert rc == 76 and out == ""
    doc = json.loads(err)
    assert doc == {"schema": 1, "error": {"code": "completion-code", "message": doc["error"]["message"],
                                          "exit_code": 76}}


# -- buses, transports and faults --------------------------------------------------------------

def _absent_bus() -> int:
    return next(n for n in range(7, 200) if not os.path.exists(f"/dev/i2c-{n}"))


@pytest.mark.parametrize("bus", ["foo", "sim:bad/name", "i2c", "-1", "/dev/i2c-x"])
def test_bad_bus_strings_are_usage_errors(cli: Cli, bus: str) -> None:
    cli.fails(2, "power", "status", "--bus", bus)


@pytest.mark.parametrize("form", ["{n}", "/dev/i2c-{n}", "i2c-{n}"])
def test_a_missing_real_bus_is_69_and_never_the_simulator(cli: Cli, dirs, form: str) -> None:
    n = _absent_bus()
    for argv in (["power", "status"], ["sensors"], ["power", "off", "--yes"], ["bmc", "info"]):
        rc, out, err = cli(*argv, "--bus", form.format(n=n))
        assert rc == 69 and out == ""
        assert_one_line_error(err)
        assert f"/dev/i2c-{n}" in err and "sim" not in err.replace("simulat", "")
    assert not (dirs["STATE"] / "chassisctl").exists()  # the simulator never started


def test_permission_denied_on_the_bus_is_77(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import smbus2

    def denied(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(smbus2, "SMBus", denied)
    err = cli.fails(77, "power", "status", "--bus", "3")
    assert "/dev/i2c-3" in err and "permission denied" in err


def test_errno_map_permission() -> None:
    import errno

    from chassisctl.errors import PermissionDenied
    from chassisctl.i2c_errors import map_os_error

    for code in (errno.EACCES, errno.EPERM):
        error = map_os_error(OSError(code, os.strerror(code)), subject="BMC at 0x10 on /dev/i2c-1")
        assert isinstance(error, PermissionDenied) and error.exit_code == 77


def test_ipmb_transport(cli: Cli) -> None:
    doc = cli.json("power", "status", "--transport", "ipmb")
    assert doc["interface"] == "ipmb" and doc["transport"] == "sim" and doc["power"] == "on"
    doc = cli.json("sensors", "--transport", "ipmb")
    assert len(doc["sensors"]) >= 24 and all(s["error"] is None for s in doc["sensors"])
    cli("power", "off", "--yes", "--transport", "ipmb")
    assert cli.json("power", "status")["power"] == "off"  # same simulated chassis either way
    assert cli.json("bmc", "info", "--transport", "ipmb")["ssif"] is None


SINGLE_PART = "single"


@pytest.mark.parametrize("faults, code, needle", [
    ("nak_writes=10", 69, "did not acknowledge"),
    ("nak_reads=100000", 75, "no response"),
    ("timeout=100000", 75, "timeout"),
    ("pec_error=100", 65, "PEC"),
    ("short_read=100", 65, "no valid response"),
    ("truncated=100", 65, "out of order"),
    ("count_zero=100000", 75, "no response"),
    ("busy_cc=100", 76, "C0h"),
    ("lost_reservation=100", 76, "C5h"),
    ("dead_after=0", 69, "did not acknowledge"),
    ("dead_after=30", 75, "Get SDR"),
    ("stuck=1", 74, "EBUSY"),
    ("bogus=1", 2, "CHASSISCTL_SIM_FAULTS"),
    ("pec_error=x", 2, "CHASSISCTL_SIM_FAULTS"),
])
def test_faults_give_documented_exit_codes(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path,
                                           faults: str, code: int, needle: str) -> None:
    if faults.startswith("lost_reservation"):  # partial reads need a reservation: single-part SSIF
        profile = tmp_path / "single.toml"
        profile.write_text(kit.profile_text(**kit.SINGLE_PART))
        monkeypatch.setenv("CHASSISCTL_SIM_PROFILE", str(profile))
    cli("power", "status")  # the state exists before the fault
    monkeypatch.setenv("CHASSISCTL_SIM_FAULTS", faults)
    err = cli.fails(code, "sensors", "--no-cache", "--timeout", "0.3")
    assert needle in err
    rc, out, err = cli("sensors", "--no-cache", "--timeout", "0.3", "--json")
    assert rc == code and out == ""
    assert json.loads(err)["error"]["exit_code"] == code
    monkeypatch.delenv("CHASSISCTL_SIM_FAULTS")
    assert cli("power", "status")[0] == 0  # nothing stored was lost


def test_recoverable_faults_are_recovered(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    for faults in ("nak_writes=2", "nak_reads=3", "pec_error=1", "short_read=1", "truncated=1",
                   "count_zero=2", "timeout=1", "lost_reservation=3"):
        monkeypatch.setenv("CHASSISCTL_SIM_FAULTS", faults)
        rc, out, err = cli("sensors", "--no-cache", "--json")
        assert rc == 0, (faults, err)
        assert all(s["error"] is None for s in json.loads(out)["sensors"]), faults


def test_one_dead_sensor(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("CHASSISCTL_SIM_FAULTS", "dead_sensor=0x03")
    start = time.monotonic()
    rc, out, err = cli("sensors", "--json", "--timeout", "10")
    assert rc == 0 and err == ""
    assert time.monotonic() - start < 5  # the per-sensor deadline, not the 10 s request timeout
    sensors = {s["name"]: s for s in json.loads(out)["sensors"]}
    assert sensors["CPU Temp"]["value"] is None and sensors["CPU Temp"]["status"] == "na"
    assert all(s["value"] is not None for n, s in sensors.items() if s["kind"] == "threshold" and n != "CPU Temp")
    rc, out, _ = cli("sensors", "--name", "cpu temp")
    assert rc == 0 and " n/a " in out


def test_pacing_is_on_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from chassisctl.clock import FakeClock
    from chassisctl.sim.chassis import open_simulated

    monkeypatch.delenv("CHASSISCTL_SIM_PACE")
    assert open_simulated("p", clock=FakeClock(), store=False).bus.pace is True
    monkeypatch.setenv("CHASSISCTL_SIM_PACE", "0")
    assert open_simulated("p", clock=FakeClock(), store=False).bus.pace is False


def test_count_without_watch_is_a_usage_error(cli: Cli) -> None:
    assert "--watch" in cli.fails(2, "sensors", "--count", "2")


def test_busy_bmc_is_retried_a_bounded_number_of_times(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """C0h means "not processed": a briefly busy BMC costs a retry, not an error."""
    cli("power", "status")
    monkeypatch.setenv("CHASSISCTL_SIM_FAULTS", "busy_cc=3")
    rc, out, err = cli("power", "status", "--json")
    assert rc == 0, err
    assert json.loads(out)["power"] in ("on", "off")


def test_raw_bridges_to_a_satellite_controller(cli: Cli) -> None:
    """raw -t/-b like ipmitool: Send Message to the simulated PSU controller at 72h."""
    rc, out, err = cli("raw", "-t", "0x72", "-b", "7", "0x06", "0x01")
    assert rc == 0, err
    assert out.split()[0] == "72"  # its device ID
    rc, out, err = cli("raw", "--target", "0x74", "--channel", "7", "0x06", "0x01")
    assert rc == 76 and "nothing acknowledged at 0x74" in err
    rc, out, err = cli("--transport", "ipmb", "raw", "-t", "0x72", "-b", "7", "0x06", "0x01")
    assert rc == 0 and out.split()[0] == "72"
    assert cli("raw", "-t", "0x39", "0x06", "0x01")[0] == 2
