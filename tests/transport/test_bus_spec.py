"""--bus parsing, opening real and simulated buses, and completion candidates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.clock import FakeClock
from chassisctl.config import BmcSettings
from chassisctl.errors import PermissionDenied, UnreachableError, UsageError
from chassisctl.transport import bus as bus_module
from chassisctl.transport.bus import BusSpec, list_buses, open_bus, parse_bus_spec, simulate


@pytest.mark.parametrize("text, spec", [
    ("/dev/i2c-1", BusSpec(number=1)),
    ("i2c-12", BusSpec(number=12)),
    ("3", BusSpec(number=3)),
    (" 0 ", BusSpec(number=0)),
    ("sim", BusSpec(sim="default")),
    ("sim:lab-2.a", BusSpec(sim="lab-2.a")),
])
def test_parse(text: str, spec: BusSpec) -> None:
    assert parse_bus_spec(text) == spec


def test_spec_text() -> None:
    assert str(parse_bus_spec("1")) == "/dev/i2c-1"
    assert parse_bus_spec("sim").path == "sim:default"
    assert parse_bus_spec("sim:x").simulated and not parse_bus_spec("1").simulated


@pytest.mark.parametrize("text", ["", "/dev/i2c-", "/dev/spidev0.0", "-1", "sim:", "sim:a b", "simulator",
                                  "/dev/i2c-1/x", "12345"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_bus_spec(text)
    assert "\n" not in str(info.value)


@given(st.builds(str.__add__, st.sampled_from(["", "sim:", " sim:", "/dev/i2c-", "i2c-", "/dev/"]),
                 st.text(alphabet=st.sampled_from("sim:/dev/i2c-0123456789aZ_.- \n\u0661\u00e9"), max_size=70)))
def test_parsing_is_the_old_patterns(text: str) -> None:
    """String checks instead of the regexes ``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}`` (sim names)
    and ``(?:/dev/)?i2c-(\\d{1,4})`` (devices), which every command paid to compile."""
    import re

    value = text.strip()
    if value == "sim":
        old: BusSpec | None = BusSpec(sim="default")
    elif value.startswith("sim:"):
        ok = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", value[4:])
        old = BusSpec(sim=value[4:]) if ok else None
    elif value.isdigit() and len(value) <= 4:
        old = BusSpec(number=int(value))
    else:
        match = re.fullmatch(r"(?:/dev/)?i2c-(\d{1,4})", value)
        old = BusSpec(number=int(match.group(1))) if match else None
    try:
        new: BusSpec | None = parse_bus_spec(text)
    except UsageError:
        new = None
    assert new == old


def test_a_simulated_bus_comes_from_the_simulator_only() -> None:
    made: list[tuple[str, str, int]] = []

    def simulator(name: str, *, transport: str, clock, ipmb_my_addr: int) -> str:
        made.append((name, transport, ipmb_my_addr))
        return "WORLD"

    settings = BmcSettings(bus="sim:lab", transport="ipmb", ipmb_my_addr=0x09)
    assert simulate(parse_bus_spec("sim:lab"), settings, FakeClock(), simulator) == "WORLD"
    assert made == [("lab", "ipmb", 0x09)]
    with pytest.raises(UsageError, match="no simulator"):
        simulate(parse_bus_spec("sim"), settings, FakeClock(), None)
    with pytest.raises(UsageError, match="through the simulator"):
        open_bus("sim")


def test_missing_real_bus_never_falls_back_to_the_simulator() -> None:
    with pytest.raises(UnreachableError) as info:
        open_bus("/dev/i2c-987")
    assert str(info.value) == "no such bus /dev/i2c-987 (is i2c-dev loaded? ls /dev/i2c-*)"


def test_permission_denied(monkeypatch: pytest.MonkeyPatch) -> None:
    import smbus2

    def denied(path: str, force: bool = False) -> None:
        assert force is False
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(smbus2, "SMBus", denied)
    with pytest.raises(PermissionDenied, match="needs root or the i2c group"):
        open_bus(BusSpec(number=1))


def test_list_buses(tmp_path) -> None:
    for name in ("i2c-10", "i2c-2", "i2c-0", "ttyS0", "i2c-x"):
        (tmp_path / name).touch()
    assert list_buses(str(tmp_path)) == [f"{tmp_path}/i2c-0", f"{tmp_path}/i2c-2", f"{tmp_path}/i2c-10", "sim"]
    assert list_buses(str(tmp_path / "missing")) == ["sim"]
    assert bus_module.list_buses()[-1] == "sim"
