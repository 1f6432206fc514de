"""``chassisctl serve`` on the simulated chassis as a subprocess, and the real clients against it.

Shared by the interop test modules (``from interop import serve_fixture``;
pyproject puts tests/ on sys.path), which also take the client command lines
and a raw UDP socket (:class:`Udp`) from here.  Every process started here gets its own
XDG_STATE_HOME / XDG_CACHE_HOME / XDG_CONFIG_HOME and HOME under the work
directory, so serve, the chassisctl CLI and the clients (FreeIPMI writes
~/.freeipmi) share one simulator state and touch nothing else.

serve listens on 127.0.0.1 port 0; the port comes from its "ready" log line.
Clients run with their plain documented flags (below), never a workaround flag.  A
missing client binary skips its check, except under CI=true where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
STEADY_PROFILE = REPO / "tests" / "data" / "sim-steady.toml"

#: One account per privilege, and a disabled one.
USERS: list[dict[str, Any]] = [
    {"name": "admin", "password": "password", "privilege": "administrator"},
    {"name": "oper", "password": "operpass", "privilege": "operator"},
    {"name": "viewer", "password": "viewpass", "privilege": "user"},
    {"name": "gone", "password": "gonepass", "privilege": "administrator", "enabled": False},
]

#: A client check passes when it exits 0 within this many seconds.
CLIENT_TIMEOUT = 20.0

_READY = re.compile(r"ready: IPMI over LAN on (\d+\.\d+\.\d+\.\d+):(\d+)")


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        if in_ci():
            pytest.fail(f"{binary} is not installed (required under CI=true)")
        pytest.skip(f"{binary} not installed")
    return path


def need_pyghmi() -> None:
    try:
        import pyghmi  # noqa: F401
    except ImportError:
        if in_ci():
            pytest.fail("pyghmi is not installed (required under CI=true)")
        pytest.skip("pyghmi not installed")


# --- a TOML writer for the few shapes the config needs ----------------------------------

def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def config_text(ipmi: dict[str, Any], users: list[dict[str, Any]], bmc: dict[str, Any] | None = None) -> str:
    lines = ["[bmc]"]
    for key, value in ({"bus": "sim"} | (bmc or {})).items():
        lines.append(f"{key} = {_toml_value(value)}")
    lines += ["", "[ipmi]"]
    for key, value in ipmi.items():
        lines.append(f"{key} = {_toml_value(value)}")
    for user in users:
        lines += ["", "[[ipmi.users]]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in user.items()]
    return "\n".join(lines) + "\n"


# --- results -------------------------------------------------------------------------------

@dataclass
class Ran:
    """A finished client process: argv, exit status, output and wall time."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    elapsed: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return (f"$ {' '.join(self.args)}\nexit {self.returncode} after {self.elapsed:.2f} s\n"
                f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}")


def run(argv: list[str], env: dict[str, str], timeout: float = CLIENT_TIMEOUT) -> Ran:
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return Ran(argv, -1, out, err + f"\n[killed after {timeout} s]", time.monotonic() - start)
    return Ran(argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def ipmitool_argv(host: str, port: int, *args: str, user: str = "admin", password: str = "password",
                  iface: str = "lanplus") -> list[str]:
    """ipmitool with the bank's flags (2 s timeout, 2 retries)."""
    return ["ipmitool", "-I", iface, "-H", host, "-p", str(port), "-U", user, "-P", password,
            "-N", "2", "-R", "2", *args]


def freeipmi_argv(tool: str, host: str, port: int, *args: str, user: str = "admin", password: str = "password",
                  driver: str = "LAN_2_0") -> list[str]:
    """A FreeIPMI tool with the bank's flags (no config file, 5 s session, 1 s retransmit)."""
    return [tool, "--config-file=/dev/null", "-h", f"{host}:{port}", "-u", user, "-p", password,
            f"--driver-type={driver}", "--session-timeout=5000", "--retransmission-timeout=1000", *args]


def freeipmi_default_argv(tool: str, host: str, port: int, *args: str, user: str = "admin",
                          password: str = "password") -> list[str]:
    """A FreeIPMI tool as most people run it: no --driver-type (so IPMI 1.5,
    ``LAN``), FreeIPMI's own timeouts; only the machine's config file is
    kept out, so the test does not depend on it."""
    return [tool, "--config-file=/dev/null", "-h", f"{host}:{port}", "-u", user, "-p", password, *args]


def passes(ran: Ran, pattern: str = "") -> None:
    """The bank's pass rule: exit 0 within 20 s, and the output matches."""
    assert ran.returncode == 0, str(ran)
    assert ran.elapsed < CLIENT_TIMEOUT, str(ran)
    if pattern:
        assert re.search(pattern, ran.stdout, re.M), f"no match for {pattern!r}\n{ran}"


# --- pyghmi, in a subprocess (it keeps threads and a global session cache) ---------------------

PYGHMI = r"""
import json, sys
from pyghmi.ipmi import command
port, mode, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
if mode == "suite3":
    from pyghmi.ipmi.private import session
    original = session.Session._open_rmcpplus_request
    def forced(self):
        self.attemptedhash = 1  # propose suite 3 (SHA1) from the start
        return original(self)
    session.Session._open_rmcpplus_request = forced
c = command.Command(bmc="127.0.0.1", userid=user, password=password, port=port)
if mode in ("power", "suite3"):
    print(c.get_power())
elif mode == "sensors":
    readings = list(c.get_sensor_data())
    assert readings, "no sensors"
    for r in readings:
        print(r.name, r.value, r.units, r.states)
elif mode == "readings":
    # Each sensor on its own, so one pyghmi cannot decode does not hide the others.
    names = [s["name"] for s in c.get_sensor_descriptions()]
    out = {"readings": {}}
    for name in names:
        try:
            r = c.get_sensor_reading(name)
            out["readings"][name] = {"value": r.value, "unavailable": r.unavailable}
        except Exception as exc:
            out["readings"][name] = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(out))
elif mode == "inventory":
    inventory = list(c.get_inventory())
    assert inventory, "no inventory"
    print(inventory)
elif mode == "set_power_on":
    print(c.set_power("on", wait=True))
    print(c.get_power())
"""


class Serve:
    """One ``chassisctl serve`` subprocess on the simulated chassis."""

    def __init__(self, workdir: Path, *, ipmi: dict[str, Any] | None = None,
                 users: list[dict[str, Any]] | None = None, profile: Path | None = None,
                 pace: bool = False, poll_interval: float | None = None, listen: str = "127.0.0.1:0",
                 extra_env: dict[str, str] | None = None, extra_config: str = "") -> None:
        self.workdir = Path(workdir)
        #: TOML appended to the generated config ([metrics], [serve] ...).
        self.extra_config = extra_config
        self.listen = listen
        self.poll_interval = poll_interval
        self.users = USERS if users is None else users
        self.ipmi = {"listen": listen} | (ipmi or {})
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.host = listen.rpartition(":")[0]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CHASSISCTL_", "XDG_"))}
        for name in ("state", "cache", "config", "home"):
            (self.workdir / name).mkdir(parents=True, exist_ok=True, mode=0o700)
        env.update(XDG_STATE_HOME=str(self.workdir / "state"), XDG_CACHE_HOME=str(self.workdir / "cache"),
                   XDG_CONFIG_HOME=str(self.workdir / "config"), HOME=str(self.workdir / "home"),
                   CHASSISCTL_SIM_PACE="1" if pace else "0", PYTHONUNBUFFERED="1",
                   RUNTIME_DIRECTORY=str(self.workdir / "run"))  # its own control socket
        if profile is not None:
            env["CHASSISCTL_SIM_PROFILE"] = str(profile)
        env.update(extra_env or {})
        self.env = env
        self.config_path = self.workdir / "chassisctl.toml"
        self.stderr_path = self.workdir / "serve.stderr"

    # --- life cycle ---------------------------------------------------------------------

    def write_config(self) -> None:
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(config_text(self.ipmi, self.users) + self.extra_config)
        os.chmod(self.config_path, 0o600)

    def reload(self, since: int, timeout: float = 10.0) -> str:
        """SIGHUP; the "reloaded"/"reload refused" log line it produced."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)
        found = self.wait_log(r"reloaded:|reload refused", since=since, timeout=timeout)
        assert found, self.log_text()
        moved = re.search(r"IPMI over LAN on (\d+\.\d+\.\d+\.\d+):(\d+)", found[0])
        if moved:  # a rebuilt endpoint on port 0 gets a new port
            self.host, self.port = moved.group(1), int(moved.group(2))
        return found[0]

    @property
    def socket_path(self) -> Path:
        return self.workdir / "run" / "chassisctl.sock"

    def start(self, timeout: float = 20.0) -> Serve:
        self.write_config()
        argv = [sys.executable, "-m", "chassisctl", "--config", str(self.config_path), "serve"]
        if self.poll_interval is not None:
            argv += ["--sensor-poll-interval", str(self.poll_interval)]
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self._stderr, env=self.env, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = _READY.search(self.log_text())
            if match:
                self.host, self.port = match.group(1), int(match.group(2))
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited with {self.proc.returncode}:\n{self.log_text()}")
            time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError(f"serve not ready within {timeout} s:\n{self.log_text()}")
        while self.asf_ping() is None:  # the socket answers, not just the log line
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"serve does not answer an ASF ping:\n{self.log_text()}")
        return self

    def stop(self) -> int | None:
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self._stderr.close()
        return proc.returncode

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # --- serve's log ----------------------------------------------------------------------

    def log_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_lines(self, since: int = 0) -> list[str]:
        return self.log_text().splitlines()[since:]

    def mark(self) -> int:
        """The number of log lines so far: pass to log_lines/wait_log as ``since``."""
        return len(self.log_lines())

    def wait_log(self, pattern: str, since: int = 0, timeout: float = 5.0, count: int = 1) -> list[str]:
        """Wait until ``count`` log lines after ``since`` match; return the matching lines."""
        deadline = time.monotonic() + timeout
        while True:
            found = [line for line in self.log_lines(since) if re.search(pattern, line)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    # --- probes and clients ------------------------------------------------------------------

    def asf_ping(self, tag: int = 0x42, timeout: float = 0.5, source: str = "127.0.0.1") -> bytes | None:
        from chassisctl.ipmi.rmcp import asf_ping

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((source, 0))
            sock.settimeout(timeout)
            sock.sendto(asf_ping(tag), (self.host, self.port))
            try:
                return sock.recv(512)
            except OSError:
                return None

    def cli(self, *args: str, timeout: float = CLIENT_TIMEOUT) -> Ran:
        """The chassisctl CLI with serve's config, state, cache and profile."""
        return run([sys.executable, "-m", "chassisctl", "--config", str(self.config_path), *args], self.env,
                   timeout)

    def power(self) -> str:
        """"on" or "off" as ``chassisctl power status --json`` says."""
        import json

        ran = self.cli("--json", "power", "status")
        assert ran.returncode == 0, str(ran)
        return json.loads(ran.stdout)["power"]

    def wait_power(self, want: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while (got := self.power()) != want and time.monotonic() < deadline:
            time.sleep(0.2)
        return got

    def ipmitool(self, *args: str, user: str = "admin", password: str = "password", iface: str = "lanplus",
                 timeout: float = CLIENT_TIMEOUT) -> Ran:
        need("ipmitool")
        return run(ipmitool_argv(self.host, self.port, *args, user=user, password=password, iface=iface),
                   self.env, timeout)

    def freeipmi(self, tool: str, *args: str, user: str = "admin", password: str = "password",
                 driver: str = "LAN_2_0", timeout: float = CLIENT_TIMEOUT) -> Ran:
        need(tool)
        return run(freeipmi_argv(tool, self.host, self.port, *args, user=user, password=password, driver=driver),
                   self.env, timeout)

    def sdr_cache_dir(self, name: str) -> str:
        path = self.workdir / "freeipmi-sdr" / name
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return str(path)

    def pyghmi(self, mode: str, user: str = "admin", password: str = "password",
               timeout: float = CLIENT_TIMEOUT + 10) -> Ran:
        need_pyghmi()
        return run([sys.executable, "-c", PYGHMI, str(self.port), mode, user, password], self.env, timeout)


class Udp:
    """A raw RMCP/RMCP+ socket from ``source`` to ``host:port``, for hand-made datagrams."""

    def __init__(self, host: str, port: int, source: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.port = self.sock.getsockname()[1]
        self.where = f"{source}:{self.port}"

    def exchange(self, datagram: bytes, timeout: float = 2.0) -> bytes:
        self.sock.settimeout(timeout)
        self.sock.send(datagram)
        return self.sock.recv(4096)

    def silent(self, datagram: bytes, wait: float = 0.3) -> bool:
        """True when ``datagram`` gets no answer within ``wait``."""
        self.sock.settimeout(wait)
        self.sock.send(datagram)
        try:
            self.sock.recv(4096)
        except TimeoutError:
            return True
        return False

    def drain(self, wait: float = 0.5) -> list[bytes]:
        out = []
        self.sock.settimeout(wait)
        try:
            while True:
                out.append(self.sock.recv(4096))
        except TimeoutError:
            return out

    def close(self) -> None:
        self.sock.close()


def read_only_user(serve: Serve) -> dict[str, Any]:
    return next(u for u in serve.users if u["privilege"] == "user")
