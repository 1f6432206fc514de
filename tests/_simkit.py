"""Shared helpers for the simulated-chassis, client and CLI tests.

Test modules ``import _simkit as kit``: pyproject's ``pythonpath = ["tests"]``
puts this folder on sys.path, as importlib import mode otherwise would not.

Nothing here touches the real home: :func:`isolate` points every XDG
directory at a temporary one and clears every ``CHASSISCTL_*`` variable.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from chassisctl.clock import FakeClock
from chassisctl.sim.chassis import SimulatedWorld, open_simulated
from chassisctl.sim.faults import Faults
from chassisctl.sim.profile import Profile, parse_profile
from chassisctl.state_store import StateStore

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"


def default_profile_text() -> str:
    return resources.files("chassisctl.sim.profiles").joinpath("default.toml").read_text()


def profile_text(**replacements: str) -> str:
    """The default profile with ``key = value`` lines replaced (first match of each key)."""
    text = default_profile_text()
    for key, value in replacements.items():
        text, n = re.subn(rf"(?m)^{re.escape(key)}\s*=\s*[^#\n]*", f"{key} = {value}", text, count=1)
        assert n == 1, f"profile has no line for {key!r}"
    return text


def profile(**replacements: str) -> Profile:
    return parse_profile(profile_text(**replacements), "test profile")


SINGLE_PART = dict(multipart="false", max_request="32", max_response="32")


def isolate(monkeypatch: Any, tmp_path: Path) -> dict[str, Path]:
    """XDG homes under ``tmp_path``, no CHASSISCTL_* from outside, no real wire time."""
    for name in list(os.environ):
        if name.startswith("CHASSISCTL_") or name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
    dirs = {kind: tmp_path / kind.lower() for kind in ("STATE", "CACHE", "CONFIG")}
    for kind, path in dirs.items():
        path.mkdir(exist_ok=True)
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(path))
    monkeypatch.setenv("CHASSISCTL_SIM_PACE", "0")
    monkeypatch.setattr("chassisctl.config.SYSTEM_CONFIG", tmp_path / "etc" / "chassisctl.toml")
    return dirs


def subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment for ``chassisctl`` subprocesses."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CHASSISCTL_") and k not in ("NO_COLOR", "FORCE_COLOR")}
    for kind in ("STATE", "CACHE", "CONFIG"):
        path = tmp_path / kind.lower()
        path.mkdir(exist_ok=True)
        env[f"XDG_{kind}_HOME"] = str(path)
    env["HOME"] = str(tmp_path / "home")
    env["CHASSISCTL_SIM_PACE"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def chassisctl_argv() -> list[str]:
    exe = VENV_BIN / "chassisctl"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "chassisctl"]


@dataclass
class Rig:
    """A simulated chassis in this process and a production transport to it."""

    clock: FakeClock
    world: SimulatedWorld
    transport: Any
    faults: Faults

    @property
    def chassis(self):
        return self.world.chassis

    def slave(self):
        """The SSIF slave or IPMB responder at the BMC's address."""
        return self.world.bus.root.devices[self.chassis.profile.bmc.ssif_address]

    def executed(self, netfn: int, cmd: int) -> int:
        """How many complete requests with ``netfn``/``cmd`` reached the BMC."""
        slave = self.slave()
        if hasattr(slave, "requests") and slave.requests and isinstance(slave.requests[0], bytes):
            return sum(1 for p in slave.requests if p[0] >> 2 == netfn and p[1] == cmd)
        return sum(1 for r in slave.requests if r.netfn == netfn and r.cmd == cmd)


def rig(*, transport: str = "ssif", profile: Profile | None = None, store: StateStore | bool = False,
        faults: Faults | None = None, clock: FakeClock | None = None, name: str = "test",
        timeout: float = 5.0) -> Rig:
    clock = clock or FakeClock()
    faults = faults if faults is not None else Faults()
    if profile is None:  # parsed here: load_profile would cache under $XDG_CACHE_HOME
        profile = parse_profile(default_profile_text(), "default profile")
    world = open_simulated(name, transport=transport, clock=clock, profile=profile, faults=faults,
                           pace=False, store=store)
    if transport == "ipmb":
        from chassisctl.transport.ipmb import IpmbTransport

        addr = world.chassis.profile.bmc.ssif_address
        t = IpmbTransport(world.ipmb_device, bus=world.bus, bmc_addr=addr << 1, my_addr=0x10, clock=clock)
    else:
        from chassisctl.transport.ssif import SsifTransport

        t = SsifTransport(world.bus, world.chassis.profile.bmc.ssif_address, clock=clock, timeout=timeout)
    return Rig(clock, world, t, faults)
