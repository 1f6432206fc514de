"""fru, sel, boot, chassis and bmc reset on the three kinds of target, in-process.

Each command runs on the simulated SSIF BMC, the simulated BMC over IPMB
(``--transport ipmb``) and both example platforms (``--platform compute-4n
--node node2``, ``--platform switch-1u``), through the entry point both ways:
the typer-free path (``fast_run=True``, what users get) and typer's.  The
JSON contracts (README "Everyday use") are checked key by key; what a platform cannot
do is one line and exit 76 naming the command and why.
"""

from __future__ import annotations

import json

import pytest

from chassisctl.cli import entry
from chassisctl.errors import ExitCode

import _simkit as kit

TARGETS = {
    "ssif": (),
    "ipmb": ("--transport", "ipmb"),
    "compute-4n": ("--platform", "compute-4n", "--node", "node2"),
    "switch-1u": ("--platform", "switch-1u"),
}
BMCS = ("ssif", "ipmb")


@pytest.fixture(autouse=True)
def dirs(tmp_path, monkeypatch):
    return kit.isolate(monkeypatch, tmp_path)


@pytest.fixture(params=[True, False], ids=["fast", "typer"])
def cli(request, capsys):
    def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        rc = entry.main(list(argv), fast_run=request.param)
        out, err = capsys.readouterr()
        return rc, out, err
    return invoke


def js(cli, *argv: str) -> dict:
    rc, out, err = cli(*argv, "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["schema"] == 1
    return doc


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# -- fru -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", TARGETS)
def test_fru_contract(cli, target) -> None:
    doc = js(cli, *TARGETS[target], "fru")
    assert isinstance(doc["fru"], list) and doc["fru"]
    first = doc["fru"][0]
    assert {"id", "board", "product", "chassis"} <= set(first)
    assert first["id"] == 0 and first["name"] == "Builtin FRU Device"
    assert first["board"]["manufacturer"] == "chassisctl"
    assert doc == js(cli, *TARGETS[target], "fru", "print")


def test_fru_text_and_id(cli) -> None:
    rc, out, _ = cli("fru")
    assert rc == 0 and out.startswith("FRU Device Description : Builtin FRU Device (ID 0)\n")
    assert " Product Name          : " in out and " Board Serial          : " in out
    assert js(cli, "fru", "--id", "0")["fru"][0]["id"] == 0
    rc, _, err = cli("fru", "--id", "7")
    assert rc == ExitCode.COMPLETION_CODE and "CBh" in one_line(err) and "FRU 7" in err
    rc, _, err = cli("fru", "list")
    assert rc == ExitCode.USAGE and "only action is 'print'" in one_line(err)


# -- sel -----------------------------------------------------------------------------------------

def _events(cli, target) -> None:
    """A power cycle and back: power unit events in the SEL (each target logs them)."""
    rc, _, err = cli(*TARGETS[target], "power", "off", "--yes", "--wait", "10")
    assert rc == 0, err
    rc, _, err = cli(*TARGETS[target], "power", "on", "--yes", "--wait", "10")
    assert rc == 0, err


@pytest.mark.parametrize("target", TARGETS)
def test_sel_list_contract(cli, target) -> None:
    _events(cli, target)
    doc = js(cli, *TARGETS[target], "sel", "list")
    assert doc["entries"], doc
    for record in doc["entries"]:
        assert {"id", "timestamp", "sensor", "event", "direction"} <= set(record)
        assert record["direction"] in ("assertion", "deassertion")
        assert record["sensor"].startswith("Power Unit ")  # type name, then the SDR's name
        assert record["timestamp"].endswith("Z")
    assert any(e["event"] == "Power Off / Power Down" for e in doc["entries"])
    last = js(cli, *TARGETS[target], "sel", "list", "--last", "1")["entries"]
    assert last == doc["entries"][-1:]


@pytest.fixture
def utc(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_sel_text_is_elist_lines(cli, utc) -> None:
    _events(cli, "ssif")
    rc, out, _ = cli("sel", "list")
    assert rc == 0
    lines = out.splitlines()
    assert lines and all(line.count(" | ") == 5 for line in lines), out
    fields = lines[0].split(" | ")
    assert fields[0] == "   1" and fields[2].endswith(" UTC") and fields[3] == "Power Unit Power Unit"
    assert fields[5] in ("Asserted", "Deasserted")


def test_sel_threshold_event_shows_reading_and_threshold(cli, utc) -> None:
    """An Add SEL Entry for CPU Temp (03h) crossing upper critical: elist's extra column."""
    # type 02, generator 20h, EvM 04h, Temperature, sensor 03h, threshold (01h), assertion,
    # data 1 = 59h (trigger reading and threshold in data 2/3, offset 9 "upper critical going high")
    record = "00 00 02 00 00 00 00 20 00 04 01 03 01 59 5c 5a".split()
    rc, _, err = cli("raw", "0x0a", "0x44", *(f"0x{b}" for b in record))
    assert rc == 0, err
    [entry] = js(cli, "sel", "list")["entries"]
    assert entry["sensor"] == "Temperature CPU Temp" and entry["event"] == "Upper Critical going high"
    assert entry["reading"] > entry["threshold"] and entry["unit"] == "degrees C"
    rc, out, _ = cli("sel", "list")
    assert out.rstrip().endswith(f"| Asserted | Reading {entry['reading']:.0f} > Threshold "
                                 f"{entry['threshold']:.0f} degrees C")


@pytest.mark.parametrize("target", TARGETS)
def test_sel_info_time_clear(cli, target, monkeypatch) -> None:
    args = TARGETS[target]
    _events(cli, target)
    info = js(cli, *args, "sel", "info")
    assert info["entries"] >= 1 and info["version"] == "1.5" and "reserve" in info["supported"]
    t = js(cli, *args, "sel", "time")
    assert t["time"].endswith("Z") and abs(t["offset_seconds"]) <= 5
    rc, _, err = cli(*args, "sel", "clear")  # not a terminal, no --yes
    assert rc == ExitCode.USAGE and "add --yes" in one_line(err)
    assert js(cli, *args, "sel", "info")["entries"] == info["entries"]
    doc = js(cli, *args, "sel", "clear", "--yes")
    assert doc["cleared"] and doc["entries_before"] == info["entries"]
    assert js(cli, *args, "sel", "list")["entries"] == []
    assert js(cli, *args, "sel", "info")["last_erase"] is not None


def test_sel_time_sync(cli) -> None:
    rc, _, err = cli("raw", "0x0a", "0x49", "0x01", "0x00", "0x00", "0x20")  # Set SEL Time: 1987
    assert rc == 0, err
    assert js(cli, "sel", "time")["offset_seconds"] < -10**8
    doc = js(cli, "sel", "time", "--sync")
    assert doc["synced"] and abs(doc["offset_seconds"]) <= 5


def test_sel_follow_prints_new_entries(cli, monkeypatch) -> None:
    """--follow polls; a power command logged between two polls comes out as it happens."""
    import time

    from chassisctl.cli import sel as sel_cli

    polls = {"n": 0}

    def pause(seconds: float) -> None:
        assert seconds == 1.0
        polls["n"] += 1
        if polls["n"] == 1:
            assert entry.main(["power", "cycle", "--yes"]) == 0
        if polls["n"] > 40:
            raise KeyboardInterrupt
        time.sleep(0.05)

    monkeypatch.setattr(sel_cli, "_pause", pause)
    rc, out, err = cli("sel", "list", "--follow", "--interval", "1")
    assert rc == 0, err
    assert "Power Cycle" in out and polls["n"] > 40


# -- boot ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", TARGETS)
def test_boot_get_set_contract(cli, target) -> None:
    args = TARGETS[target]
    doc = js(cli, *args, "boot", "get")
    assert {"device", "persistent", "uefi"} <= set(doc) and doc["device"] == "none"
    doc = js(cli, *args, "boot", "set", "pxe", "--persistent", "--uefi")
    assert (doc["device"], doc["persistent"], doc["uefi"], doc["valid"]) == ("pxe", True, True, True)
    assert js(cli, *args, "boot", "get") == doc
    doc = js(cli, *args, "boot", "set", "cdrom", "--once")
    assert (doc["device"], doc["persistent"], doc["uefi"]) == ("cdrom", False, False)
    rc, out, _ = cli(*args, "boot", "get")
    assert rc == 0 and "cdrom" in out and "the next boot only" in out


def test_boot_set_usage(cli) -> None:
    rc, _, err = cli("boot", "set", "usb")
    assert rc == ExitCode.USAGE and "choose one of" in one_line(err)
    rc, _, err = cli("boot", "set", "pxe", "--once", "--persistent")
    assert rc == ExitCode.USAGE and "contradict" in one_line(err)


# -- chassis -------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", TARGETS)
def test_chassis_status_contract(cli, target) -> None:
    doc = js(cli, *TARGETS[target], "chassis", "status")
    assert {"power", "last_event", "intrusion", "restore_policy"} <= set(doc)
    assert doc["power"] in ("on", "off") and isinstance(doc["last_event"], list)
    assert doc["restore_policy"] in ("always-on", "previous", "always-off", "unknown")
    rc, out, _ = cli(*TARGETS[target], "chassis", "status")
    assert rc == 0 and out.startswith("System Power         : ")


@pytest.mark.parametrize("target", BMCS)
def test_chassis_policy_and_identify_on_a_bmc(cli, target) -> None:
    args = TARGETS[target]
    doc = js(cli, *args, "chassis", "policy", "always-on")
    assert doc["supported"] == ["always-off", "previous", "always-on"]
    assert js(cli, *args, "chassis", "status")["restore_policy"] == "always-on"
    assert js(cli, *args, "chassis", "identify", "--seconds", "60")["identify"] == "temporary"
    assert js(cli, *args, "chassis", "status")["identify"] == "temporary"
    assert js(cli, *args, "chassis", "identify", "--force")["identify"] == "indefinite"
    assert js(cli, *args, "chassis", "status")["identify"] == "indefinite"
    assert js(cli, *args, "chassis", "identify", "--off")["identify"] == "off"
    assert js(cli, *args, "chassis", "status")["identify"] == "off"
    rc, _, err = cli(*args, "chassis", "identify", "--off", "--force")
    assert rc == ExitCode.USAGE and "at most one" in one_line(err)
    rc, _, err = cli(*args, "chassis", "policy", "sometimes")
    assert rc == ExitCode.USAGE


@pytest.mark.parametrize("target", ["compute-4n", "switch-1u"])
@pytest.mark.parametrize("argv,what,why", [
    (("chassis", "identify"), "Chassis Identify", "declares no chassis identify light"),
    (("chassis", "policy", "always-on"), "Set Power Restore Policy", "declares no power restore policy"),
    (("bmc", "reset", "warm", "--yes"), "Warm Reset", "no BMC firmware to reset"),
])
def test_what_a_platform_cannot_do_is_one_line_76(cli, target, argv, what, why) -> None:
    rc, out, err = cli(*TARGETS[target], *argv)
    line = one_line(err)
    assert rc == ExitCode.COMPLETION_CODE and out == ""
    assert what in line and "C1h" in line and why in line


# -- bmc reset -----------------------------------------------------------------------------------

@pytest.mark.parametrize("target", BMCS)
def test_bmc_reset(cli, target) -> None:
    args = TARGETS[target]
    rc, _, err = cli(*args, "bmc", "reset", "cold")
    assert rc == ExitCode.USAGE and "add --yes" in one_line(err)
    js(cli, *args, "chassis", "identify", "--force")
    doc = js(cli, *args, "bmc", "reset", "cold", "--yes")
    assert doc == doc | {"reset": "cold", "answered": True}
    assert js(cli, *args, "chassis", "status")["identify"] == "off"  # volatile: a cold reset clears it
    assert js(cli, *args, "bmc", "reset", "warm", "--yes")["answered"] is True
    rc, _, err = cli(*args, "bmc", "reset", "hot", "--yes")
    assert rc == ExitCode.USAGE and "warm or cold" in one_line(err)


def test_power_status_json_is_unchanged(cli) -> None:
    """The older contract: power status keeps its own restore policy words."""
    assert js(cli, "power", "status")["restore_policy"] == "restore-previous"
