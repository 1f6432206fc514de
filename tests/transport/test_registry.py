"""The backend registry: names without imports, one backend imported when opened, the simulator handed in."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chassisctl.clock import FakeClock
from chassisctl.config import TRANSPORTS, BmcSettings
from chassisctl.errors import UsageError
from chassisctl.sim import simulator
from chassisctl.transport import BACKENDS, backend, open_transport
from chassisctl.transport.base import Transport


def test_every_transport_name_has_a_backend() -> None:
    assert set(BACKENDS) == {*TRANSPORTS, "platform"}
    for name in BACKENDS:
        cls = backend(name)
        assert issubclass(cls, Transport) and cls.kind == name


def test_listing_the_names_imports_no_backend() -> None:
    code = ("import sys, chassisctl.transport as t; names = sorted(t.BACKENDS);"
            "print(names, sorted(m for m in sys.modules if m.startswith('chassisctl.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['ipmb', 'platform', 'ssif'] ['chassisctl.transport']"


def test_opening_imports_only_the_chosen_backend() -> None:
    code = ("import sys\n"
            "from chassisctl.clock import FakeClock\n"
            "from chassisctl.config import BmcSettings\n"
            "from chassisctl.sim import simulator\n"
            "from chassisctl.transport import open_transport\n"
            "with open_transport(BmcSettings(bus='sim:registry', transport='ipmb'), clock=FakeClock(),"
            " simulator=simulator) as t:\n"
            "    print(t.kind, 'chassisctl.transport.ssif' in sys.modules,"
            " 'chassisctl.platform.backend' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=_isolated_env()).stdout
    assert out.split() == ["ipmb", "False", "False"]


@pytest.mark.parametrize("settings", [BmcSettings(bus="sim:none"), BmcSettings(bus="sim:none", transport="ipmb"),
                                      BmcSettings(bus="sim:none", platform="switch-1u")])
def test_a_simulated_bus_needs_a_simulator_handed_in(settings: BmcSettings) -> None:
    with pytest.raises(UsageError, match="no simulator is available"):
        open_transport(settings, clock=FakeClock())


def test_the_simulator_handed_in_builds_the_bus(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    asked: list[tuple[str, str]] = []

    def counting(name: str, *, transport: str, clock, ipmb_my_addr: int):
        asked.append((name, transport))
        return simulator(name, transport=transport, clock=clock, ipmb_my_addr=ipmb_my_addr)

    with open_transport(BmcSettings(bus="sim:lab"), clock=FakeClock(), simulator=counting) as transport:
        assert transport.kind == "ssif" and transport.simulated
    assert asked == [("lab", "ssif")]


def _isolated_env() -> dict[str, str]:
    import os
    import tempfile

    home = tempfile.mkdtemp(prefix="registry-")
    return {**os.environ, "XDG_STATE_HOME": home, "XDG_CACHE_HOME": home}
