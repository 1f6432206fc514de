"""The main commands as real processes: what a shell, a script or a terminal sees.

Each process gets its own XDG directories under tmp and CHASSISCTL_SIM_PACE=0
(real wire-time sleeps off), except the one test that checks pacing is on by
default.  Terminals are real pseudo-terminals.
"""

from __future__ import annotations

import json
import os
import pathlib
import pty
import re
import select
import signal
import subprocess
import sys
import time

import pytest

import _simkit as kit


ANSI = re.compile(rb"\x1b\[")


@pytest.fixture
def env(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    kit.isolate(monkeypatch, tmp_path)  # this process too, in case a helper runs in-process
    return kit.subprocess_env(tmp_path)


def cc(env: dict[str, str], *argv: str, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(kit.chassisctl_argv() + list(argv), env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("chassisctl: error: ")
    return proc.stderr


def on_pty(env: dict[str, str], argv: list[str], *, stdout_pty: bool = True, answer: bytes | None = None,
           timeout: float = 30) -> tuple[int, bytes, bytes]:
    """Run with stdin and stderr (and optionally stdout) on a pseudo-terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(kit.chassisctl_argv() + argv, env=env | {"TERM": "xterm-256color", "COLUMNS": "120"},
                            stdin=slave, stderr=slave, stdout=slave if stdout_pty else subprocess.PIPE)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + timeout
    answered = answer is None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if not answered and b"[y/N]" in seen:
                os.write(master, answer)
                answered = True
        elif proc.poll() is not None:
            break
    rc = proc.wait(timeout=timeout)
    piped = proc.stdout.read() if proc.stdout else b""
    if proc.stdout:
        proc.stdout.close()
    os.close(master)
    return rc, seen, piped


# -- across processes -----------------------------------------------------------------------

def test_power_off_then_status_agree_across_processes(env) -> None:
    assert json.loads(cc(env, "power", "status", "--json").stdout)["power"] == "on"
    off = cc(env, "power", "off", "--yes")
    assert off.returncode == 0 and off.stdout == "Chassis Power Control: off requested\n"
    status = cc(env, "power", "status", "--json")
    assert json.loads(status.stdout)["power"] == "off"
    assert cc(env, "power", "status").stdout == "Chassis Power is off\n"


def test_contract_documents(env) -> None:
    status = json.loads(cc(env, "power", "status", "--json").stdout)
    assert status["schema"] == 1 and status["transport"] == "sim" and status["power"] in ("on", "off")
    sensors = json.loads(cc(env, "sensors", "--json").stdout)
    assert sensors["schema"] == 1 and sensors["transport"] == "sim" and len(sensors["sensors"]) >= 24
    for s in sensors["sensors"]:
        assert {"name", "number", "type", "value", "unit", "status"} <= set(s)
        assert s["value"] is None or isinstance(s["value"], (int, float))
    info = json.loads(cc(env, "bmc", "info", "--json").stdout)
    assert {"manufacturer_id", "product_id", "firmware_revision", "ipmi_version"} <= set(info)
    raw = cc(env, "raw", "0x06", "0x01")
    assert raw.returncode == 0 and raw.stdout == " 20 01 02 14 02 cf d9 7e 00 1a 0c\n"


def test_global_options_and_environment(env) -> None:
    before = cc(env, "--bus", "sim:g", "--transport", "ipmb", "--addr", "0x10", "power", "status", "--json")
    after = cc(env, "power", "status", "--json", "--bus", "sim:g", "--transport", "ipmb", "--addr", "0x10")
    via_env = cc(env | {"CHASSISCTL_BUS": "sim:g", "CHASSISCTL_TRANSPORT": "ipmb", "CHASSISCTL_ADDR": "0x10"},
                 "power", "status", "--json")
    assert before.returncode == after.returncode == via_env.returncode == 0
    assert json.loads(before.stdout) == json.loads(after.stdout) == json.loads(via_env.stdout)
    assert json.loads(before.stdout)["interface"] == "ipmb"
    cfg = pathlib.Path(env["XDG_CONFIG_HOME"]) / "alt.toml"
    cfg.write_text('[bmc]\nbus = "sim:cfg"\n')
    assert json.loads(cc(env | {"CHASSISCTL_CONFIG": str(cfg)}, "power", "status", "--json").stdout)["bus"] == "sim:cfg"


def test_ipmb_sensors(env) -> None:
    proc = cc(env, "sensors", "--transport", "ipmb", "--json")
    assert proc.returncode == 0
    assert all(s["error"] is None for s in json.loads(proc.stdout)["sensors"])


# -- terminals, pipes, colour ------------------------------------------------------------------

def test_piped_output_is_plain(env) -> None:
    proc = cc(env, "sensors")
    assert proc.returncode == 0 and proc.stderr == ""  # no sim notice when not on a terminal
    assert not ANSI.search(proc.stdout.encode()) and "─" not in proc.stdout
    assert proc.stdout.splitlines()[0].split()[:4] == ["NAME", "VALUE", "UNIT", "STATUS"]


def test_terminal_gets_a_rich_table_and_the_sim_notice(env) -> None:
    rc, seen, _ = on_pty(env, ["sensors", "--type", "fan"])
    assert rc == 0
    assert b"simulated chassis" in seen and "─".encode() in seen and ANSI.search(seen)
    rc, seen, _ = on_pty(env | {"NO_COLOR": "1"}, ["sensors", "--type", "fan"])
    assert rc == 0 and "─".encode() in seen and not ANSI.search(seen)


def test_confirmation_on_a_terminal(env) -> None:
    rc, seen, out = on_pty(env, ["power", "off"], stdout_pty=False, answer=b"n\n")
    assert rc == 1 and b"power off" in seen and b"[y/N]" in seen and out == b""
    assert json.loads(cc(env, "power", "status", "--json").stdout)["power"] == "on"
    rc, seen, out = on_pty(env, ["power", "off"], stdout_pty=False, answer=b"y\n")
    assert rc == 0 and b"(simulated)" in seen and out == b"Chassis Power Control: off requested\n"
    assert json.loads(cc(env, "power", "status", "--json").stdout)["power"] == "off"


def test_no_terminal_no_yes(env) -> None:
    proc = cc(env, "power", "off")
    assert proc.returncode == 2 and "--yes" in one_line_error(proc)
    assert json.loads(cc(env, "power", "status", "--json").stdout)["power"] == "on"


def test_watch_json_lines_and_ctrl_c(env) -> None:
    proc = cc(env, "sensors", "--watch", "0.2", "--count", "2", "--json", "--name", "fan1")
    assert proc.returncode == 0
    assert [json.loads(line)["sensors"][0]["name"] for line in proc.stdout.splitlines()] == ["Fan1", "Fan1"]
    live = subprocess.Popen(kit.chassisctl_argv() + ["sensors", "--watch", "0.2", "--name", "fan1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    first = live.stdout.readline()
    assert first.startswith(b"NAME")
    while time.monotonic() < deadline and live.stdout.readline().strip() != b"":
        pass  # one whole round has been printed
    live.send_signal(signal.SIGINT)
    out, err = live.communicate(timeout=30)
    assert live.returncode == 0 and b"Traceback" not in err and err == b""


def test_watch_on_a_terminal_stops_on_ctrl_c(env) -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen(kit.chassisctl_argv() + ["sensors", "--watch", "0.2", "--name", "fan*"],
                            env=env | {"TERM": "xterm-256color"}, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 30
    while b"Fan4" not in seen and time.monotonic() < deadline:
        if select.select([master], [], [], 0.1)[0]:
            seen += os.read(master, 65536)
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=30)
    try:
        while select.select([master], [], [], 0.2)[0]:
            chunk = os.read(master, 65536)
            if not chunk:
                break
            seen += chunk
    except OSError:
        pass
    os.close(master)
    assert rc == 0 and b"Fan4" in seen and b"Traceback" not in seen


def test_debug_prints_the_wire_on_stderr(env) -> None:
    proc = cc(env, "--debug", "power", "status")
    assert proc.returncode == 0 and proc.stdout == "Chassis Power is on\n"
    assert "debug: ssif W 02: 18 57 00" in proc.stderr and "debug: ssif R 03:" in proc.stderr


# -- errors -------------------------------------------------------------------------------------

def test_real_bus_failure_never_falls_back(env) -> None:
    n = next(i for i in range(7, 200) if not os.path.exists(f"/dev/i2c-{i}"))
    proc = cc(env, "--bus", str(n), "power", "status", "--json")
    assert proc.returncode == 69 and proc.stdout == ""
    assert json.loads(proc.stderr)["error"]["exit_code"] == 69
    proc = cc(env, "--bus", f"/dev/i2c-{n}", "sensors")
    assert proc.returncode == 69 and f"/dev/i2c-{n}" in one_line_error(proc)
    assert not (pathlib.Path(env["XDG_STATE_HOME"]) / "chassisctl").exists()


def test_unknown_bus_is_usage(env) -> None:
    proc = cc(env, "--bus", "i2c-bogus", "power", "status")
    assert proc.returncode == 2 and "invalid bus" in one_line_error(proc)


@pytest.mark.parametrize("faults, code", [
    ("pec_error=100", 65), ("dead_after=0", 69), ("busy_cc=100", 76), ("truncated=100", 65), ("stuck", 74),
])
def test_faults_as_processes(env, faults: str, code: int) -> None:
    proc = cc(env | {"CHASSISCTL_SIM_FAULTS": faults}, "sensors", "--no-cache", "--timeout", "0.5")
    assert proc.returncode == code and proc.stdout == ""
    one_line_error(proc)


def test_outcome_unknown_as_a_process(env) -> None:
    proc = cc(env | {"CHASSISCTL_SIM_FAULTS": "dead_after=3"}, "power", "cycle", "--yes", "--timeout", "0.5")
    assert proc.returncode == 75
    assert "may or may not have taken effect" in one_line_error(proc)


def test_corrupt_state_as_a_process(env) -> None:
    path = pathlib.Path(env["XDG_STATE_HOME"]) / "chassisctl" / "sim" / "default.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00not json")
    proc = cc(env, "power", "off", "--yes")
    assert proc.returncode == 74 and str(path) in one_line_error(proc)
    assert path.read_bytes() == b"\x00not json"


def test_completion_scripts_as_processes(env) -> None:
    for shell in ("bash", "zsh", "fish"):
        proc = cc(env, "completion", shell)
        assert proc.returncode == 0 and "_CHASSISCTL_COMPLETE" in proc.stdout


def test_module_entry_point(env) -> None:
    proc = subprocess.run([sys.executable, "-m", "chassisctl", "power", "status", "--json"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["transport"] == "sim"


def test_wire_pacing_is_on_by_default(env, tmp_path: pathlib.Path) -> None:
    """Without CHASSISCTL_SIM_PACE the simulated bus really takes its modelled wire time."""
    from chassisctl.clock import FakeClock
    from chassisctl.sim.chassis import open_simulated
    from chassisctl.transport.ssif import SsifTransport
    from chassisctl.client.sensors import SensorReader, load_repository

    clock = FakeClock()
    world = open_simulated("pace", clock=clock, store=False, pace=False)
    transport = SsifTransport(world.bus, 0x10, clock=clock)
    repo = load_repository(transport)
    SensorReader(transport, entry=repo.entry).read(repo.sensors())
    wire = world.bus.wire_seconds
    assert wire > 0.2
    paced = {k: v for k, v in env.items() if k != "CHASSISCTL_SIM_PACE"}
    start = time.monotonic()
    proc = cc(paced, "sensors", "--no-cache")
    elapsed = time.monotonic() - start
    assert proc.returncode == 0
    assert elapsed >= 0.9 * wire


# -- progress on long work, confirmation of the new destructive verbs ------------------------------

def test_cold_sdr_walk_draws_progress_on_a_terminal_only(env) -> None:
    rc, seen, _ = on_pty(env, ["sdr", "list", "--refresh-sdr"])
    assert rc == 0 and b"Reading SDR records" in seen
    rc, seen, out = on_pty(env, ["sdr", "list", "--refresh-sdr", "--json"], stdout_pty=False)
    assert rc == 0 and b"Reading SDR records" not in seen and json.loads(out)["source"] == "bmc"
    proc = cc(env, "sensors", "--refresh-sdr")  # piped: nothing on stderr
    assert proc.returncode == 0 and proc.stderr == ""
    rc, seen, _ = on_pty(env, ["sdr", "list"])  # warm cache: no walk, no bar
    assert rc == 0 and b"Reading SDR records" not in seen


def test_platform_probe_draws_progress_on_a_terminal_only(env) -> None:
    rc, seen, _ = on_pty(env, ["--platform", "switch-1u", "platform", "probe"])
    assert rc == 0 and b"Probing devices" in seen
    proc = cc(env, "--platform", "switch-1u", "platform", "probe")
    assert proc.returncode == 0 and "Probing" not in proc.stderr


@pytest.mark.parametrize("argv,question", [(["sel", "clear"], b"sel clear"),
                                           (["bmc", "reset", "cold"], b"bmc reset cold")])
def test_new_destructive_verbs_ask_on_a_terminal(env, argv, question) -> None:
    rc, seen, out = on_pty(env, argv, stdout_pty=False, answer=b"n\n")
    assert rc == 1 and question in seen and b"[y/N]" in seen and out == b""
    rc, seen, out = on_pty(env, argv, stdout_pty=False, answer=b"y\n")
    assert rc == 0 and out
    proc = cc(env, *argv)
    assert proc.returncode == 2 and "add --yes" in one_line_error(proc)
