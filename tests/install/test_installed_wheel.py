"""chassisctl as users install it: a wheel, plain ``pip install``, no extras.

The test extra once pulled ``cryptography`` in through pyghmi while
``pyproject.toml`` did not declare it, so the suite was green and every
RMCP+ login failed on a clean install.  Here the package is built as a
wheel, installed into a fresh venv outside the work tree with no extras,
and driven the way the README tells a new user to: its commands as written
(the quick start, ``serve`` and real ipmitool/FreeIPMI logins against it),
then ``pip check``.  One venv serves the whole module.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from interop import serve_fixture as sf

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _sh_blocks(heading: str) -> list[str]:
    """The ```sh blocks of one README section, as lists of lines."""
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def _run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"$ {shlex.join(proc.args)}\nexit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed():
    """(venv bin dir, env, work dir): the wheel installed with plain pip into a fresh venv."""
    work = Path(tempfile.mkdtemp(prefix="chassisctl-wheel-"))  # outside the work tree
    try:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CHASSISCTL_", "XDG_", "PYTHON", "VIRTUAL_ENV", "PIP_"))}
        for name in ("state", "cache", "config", "home", "run"):
            (work / name).mkdir(mode=0o700)
        env.update(HOME=str(work / "home"), XDG_STATE_HOME=str(work / "state"),
                   XDG_CACHE_HOME=str(work / "cache"), XDG_CONFIG_HOME=str(work / "config"),
                   RUNTIME_DIRECTORY=str(work / "run"), CHASSISCTL_SIM_PACE="0", NO_COLOR="1")
        dist = work / "dist"
        _ok(_run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)], env, work))
        (wheel,) = dist.glob("chassisctl-*.whl")
        # The interpreter the test venv was made from, not the test venv itself.
        base = getattr(sys, "_base_executable", sys.executable)
        _ok(_run([base, "-m", "venv", str(work / "venv")], env, work))
        bindir = work / "venv" / "bin"
        _ok(_run([str(bindir / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel)], env, work))
        env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
        yield bindir, env, work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_nothing_but_the_wheel_and_its_declared_dependencies(installed) -> None:
    bindir, env, work = installed
    _ok(_run([str(bindir / "pip"), "check"], env, work))
    freeze = _ok(_run([str(bindir / "pip"), "freeze"], env, work)).lower()
    for extra in ("pyghmi", "pytest", "hypothesis", "deptry"):
        assert extra not in freeze, f"{extra} is installed without the test extra:\n{freeze}"
    where = _ok(_run([str(bindir / "python"), "-c", "import chassisctl; print(chassisctl.__file__)"], env, work))
    assert where.startswith(str(work / "venv")), where  # the installed copy, not the source tree


def test_the_quick_start_installs_plainly_and_runs_sensors() -> None:
    (block,) = [b for b in _sh_blocks("Quick start (fresh Debian, as root)") if "pip install" in b]
    steps = [s.strip() for s in block.strip().split("&&")]
    assert ".venv/bin/pip install ." in steps, steps  # no extras, not editable
    assert steps[-1] == ".venv/bin/chassisctl sensors", steps


@pytest.mark.parametrize("argv,pattern", [
    ("sensors", r"Inlet Temp"),
    ("power status --json", None),
    ("bmc info", r"IPMI"),
    ("--platform compute-4n nodes", r"node2"),
    ("--platform compute-4n --node node2 sensors", r"\S"),
    ("raw 0x06 0x01", r"^ ?[0-9a-f]{2}( [0-9a-f]{2})+$"),  # ipmitool's layout: a leading space
])
def test_readme_commands(installed, argv: str, pattern: str | None) -> None:
    assert f"chassisctl {argv}" in README or f"chassisctl {argv.split(' --json')[0]}" in README, \
        f"'chassisctl {argv}' is not in the README any more: update this test with it"
    bindir, env, work = installed
    out = _ok(_run([str(bindir / "chassisctl"), *shlex.split(argv)], env, work, timeout=60))
    if pattern is None:
        doc = json.loads(out)
        assert doc["schema"] == 1 and doc["transport"] == "sim", doc
    else:
        assert re.search(pattern, out, re.M), out


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_logs_real_clients_in(installed) -> None:
    """The README's serve example as written (on a free port), then the clients."""
    bindir, env, work = installed
    (block,) = [b for b in _sh_blocks("serve: a standard BMC on the network") if "serve" in b and "&" in b]
    lines = [line for line in block.strip().splitlines() if line.strip()]
    serve_line = next(line for line in lines if " serve " in line and line.rstrip().endswith("&"))
    client_line = next(line for line in lines if line.startswith("ipmitool"))
    readme_port = re.search(r"127\.0\.0\.1:(\d+)", serve_line).group(1)
    port = str(_free_udp_port())
    serve_argv = shlex.split(serve_line.rstrip(" &").replace(readme_port, port))
    assert serve_argv[0] == "chassisctl", serve_argv
    log = open(work / "serve.log", "w")
    proc = subprocess.Popen([str(bindir / "chassisctl"), *serve_argv[1:]], env=env, cwd=work, stdout=subprocess.DEVNULL,
                            stderr=log, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while "ready:" not in (work / "serve.log").read_text():
            assert proc.poll() is None, (work / "serve.log").read_text()
            assert time.monotonic() < deadline, (work / "serve.log").read_text()
            time.sleep(0.05)
        sf.need("ipmitool")
        sf.need("ipmi-sensors")
        client = shlex.split(client_line.replace(f" {readme_port} ", f" {port} "))
        assert client[:3] == ["ipmitool", "-I", "lanplus"] and "-C" not in client, client  # the default suite
        base = client[:-2] if client[-2:] == ["sdr", "list"] else client
        checks = [
            (client, r"\|"),                                         # README: sdr list, default cipher (17)
            (base + ["chassis", "power", "status"], r"Chassis Power is (on|off)"),
            (base + ["-C", "3", "chassis", "power", "status"], r"Chassis Power is (on|off)"),
            (sf.freeipmi_default_argv("ipmi-sensors", "127.0.0.1", int(port), "--quiet-cache",
                                      password="admin"), r"Inlet Temp"),                  # IPMI 1.5, FreeIPMI's default
            (sf.freeipmi_default_argv("ipmi-sensors", "127.0.0.1", int(port), "--quiet-cache",
                                      "--driver-type=LAN_2_0", password="admin"), r"Inlet Temp"),
        ]
        for argv, pattern in checks:
            ran = _run(argv, env, work, timeout=60)
            assert re.search(pattern, _ok(ran), re.M), ran.stdout
        log_text = (work / "serve.log").read_text()
        assert "Traceback" not in log_text and "ModuleNotFoundError" not in log_text, log_text
        # ipmitool's default suite twice, ipmitool -C 3 and FreeIPMI's LAN_2_0 default (3), IPMI 1.5 once.
        assert len(re.findall(r"rmcp\+ suite 17", log_text)) == 2, log_text
        assert len(re.findall(r"rmcp\+ suite 3", log_text)) == 2, log_text
        assert len(re.findall(r"ipmi1\.5 md5", log_text)) == 1, log_text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
    assert proc.returncode == 0, (work / "serve.log").read_text()


def test_lldp_runs_from_the_wheel_alone(installed) -> None:
    """pyroute2 (serve's LLDP agent) and scapy (--pcap) come with plain pip install."""
    bindir, env, work = installed
    capture = REPO / "tests" / "data" / "lldp" / "lldpd-med.pcap"
    doc = json.loads(_ok(_run([str(bindir / "chassisctl"), "--json", "lldp", "neighbors", "--pcap", str(capture)],
                              env, work, timeout=60)))
    assert [r["system_name"] for r in doc["neighbors"]] == ["lldp-peer1"]
    from interop.lldp_lab import Lab, need_lab, wait_for

    need_lab("lldpd", "lldpcli", "pgrep")
    lab = Lab(1)
    try:
        lab.peers[0].start()
        dut = lab.dut_agent(ports=["port1"], tx_interval=1)
        config = str(dut.config)
        log = open(dut.log_path, "ab")
        proc = subprocess.Popen(["ip", "netns", "exec", lab.dut, str(bindir / "chassisctl"), "--config", config,
                                 "serve"], env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=log,
                                stdin=subprocess.DEVNULL)
        log.close()
        dut.proc = proc  # the lab stops it by PID whatever happens

        def listed():
            done = _run([str(bindir / "chassisctl"), "--config", config, "--json", "lldp", "neighbors"], env, work)
            return done.returncode == 0 and [r["system_name"] for r in json.loads(done.stdout)["neighbors"]]

        assert wait_for(listed, 20) == ["lldp-peer1"], dut.log()
        assert dut.stop() == 0 and "Traceback" not in dut.log()
    finally:
        lab.close()
