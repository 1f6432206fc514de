"""The device-kind table: every entry resolves, and a new kind is one entry plus its own modules.

The toy kind below lives in this test only — its codec, driver and
simulated twin are the few lines that follow — and is registered for the
tests that use it.  Nothing in chassisctl knows its name, yet a description
can declare it, a sensor on it reads through the synthetic BMC, ``sim set``
changes it and ``platform probe`` finds it: the loader, the readers, the
simulator and the probe look the kind up in the table instead of branching
on it.
"""

from __future__ import annotations

from typing import Any

import pytest

from chassisctl.clock import FakeClock
from chassisctl.config import BmcSettings
from chassisctl.config.keys import Key
from chassisctl.errors import ConfigError, UsageError
from chassisctl.i2c_errors import bus_io
from chassisctl.platform import kinds
from chassisctl.platform.backend import open_platform
from chassisctl.platform.description import parse_platform
from chassisctl.platform.drivers._base import I2cDevice
from chassisctl.sim.devices._register import PointerSlave
from chassisctl.sim.devices._twin import Twin
from chassisctl.transport.bus import parse_bus_spec

# --- every built-in entry ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(kinds.KINDS))
def test_every_entry_names_modules_that_exist(name: str) -> None:
    import importlib

    kind = kinds.KINDS[name]
    assert kind.name == name and kind.family and kind.probe
    if kind.codec is not None:
        importlib.import_module(kind.codec)
    driver, twin = kind.driver_class(), kind.twin_class()
    for hook in ("for_device", "sample", "state", "probe", "forget"):
        assert callable(getattr(driver, hook)), (name, hook)
    for hook in ("for_device", "place", "apply", "snapshot", "restore"):
        assert callable(getattr(twin, hook)), (name, hook)


def test_register_refuses_a_name_taken() -> None:
    with pytest.raises(ValueError, match="already registered"):
        kinds.register(kinds.KINDS["lm75"])


# --- a toy kind, defined here and nowhere else ---------------------------------------------------

TOY_REGISTER = 0x00
TOY_ID_REGISTER = 0x0F
TOY_ID = 0x7A


def toy_decode(raw: int, offset: int) -> float:
    """The toy codec: one byte, two's complement °C, plus a calibration offset."""
    return float((raw - 256 if raw & 0x80 else raw) + offset)


def toy_encode(celsius: float, offset: int) -> int:
    return int(round(celsius - offset)) & 0xFF


class ToyDriver(I2cDevice):
    family = "toy"

    def __init__(self, bus: Any, addr: int, offset: int) -> None:
        super().__init__(bus, addr)
        self.offset = offset

    @classmethod
    def for_device(cls, dev: Any, hw: Any) -> ToyDriver:
        return cls(hw.bus, dev.address, dev.option("offset"))

    def sample(self, hw: Any, dev: Any, reading: str) -> float | None:
        with bus_io(self._what("read temperature")):
            return toy_decode(self.bus.read_byte_data(self.addr, TOY_REGISTER), self.offset)

    def probe(self, hw: Any, dev: Any, regs: dict[str, str]) -> str:
        with bus_io(self._what("read ID")):
            ident = self.bus.read_byte_data(self.addr, TOY_ID_REGISTER)
        regs["ID"] = f"{ident:02X}h"
        return "a toy" if ident == TOY_ID else f"not a toy ({ident:02X}h)"


class ToySim(PointerSlave, Twin):
    def __init__(self, celsius: float, offset: int) -> None:
        super().__init__()
        self.celsius, self.offset = celsius, offset

    @classmethod
    def for_device(cls, dev: Any, world: Any) -> ToySim:
        return cls(float(dev.sim.get("temperature", 20.0)), dev.option("offset"))

    def apply(self, key: str, value: Any, dev: Any, world: Any) -> None:
        self.celsius = float(value)

    def read_register(self, reg: int) -> bytes:
        return bytes([TOY_ID if reg == TOY_ID_REGISTER else toy_encode(self.celsius, self.offset)])

    def write_register(self, reg: int, data: bytes) -> None:
        pass


TOY = kinds.DeviceKind(
    "toy", "temperature",
    options={"offset": Key("int", lo=-20, hi=20, default=0, doc="calibration offset, °C")},
    readings=lambda options: {"temperature": "temperature"},
    resolution=lambda options, reading: 1.0,
    sim={"present": Key("bool"), "temperature": Key("num", lo=-100, hi=100, doc="°C")},
    probe="ID register (0Fh)",
    codec=__name__, driver=f"{__name__}:ToyDriver", twin=f"{__name__}:ToySim")

DESCRIPTION = """
[platform]
name = "toybox"

[[node]]
name = "n1"
id = 1

[[device]]
name = "mux0"
kind = "pca9548"
address = 0x70

[[device]]
name = "toy1"
kind = "toy"
address = 0x4C
path = "mux0:3"
offset = 5

[device.sim]
temperature = 31

[[sensor]]
name = "Toy Temp"
device = "toy1"
range = [-40, 120]
thresholds = { unc = 70 }
"""


@pytest.fixture
def toy(tmp_path, monkeypatch):
    for kind in ("STATE", "CACHE", "CONFIG"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))
    kinds.register(TOY)
    try:
        path = tmp_path / "toybox.toml"
        path.write_text(DESCRIPTION)
        yield path
    finally:
        kinds.unregister("toy")
    assert "toy" not in kinds.KINDS


def open_toy(path, clock: FakeClock | None = None):
    return open_platform(BmcSettings(platform=str(path)), parse_bus_spec("sim:toy"), clock=clock or FakeClock(),
                         store=False)


def test_an_unregistered_kind_is_refused() -> None:
    with pytest.raises(ConfigError, match="'toy' is not a device kind"):
        parse_platform(DESCRIPTION)


def test_the_toy_kind_is_described_by_its_entry_alone(toy) -> None:
    platform = parse_platform(toy.read_text())
    dev = platform.devices["toy1"]
    assert dev.family == "temperature" and dev.option("offset") == 5 and dev.hops == (("mux0", 3),)
    assert [s.reading for s in platform.sensors] == ["temperature"]
    with pytest.raises(ConfigError, match=r"device\[1\]\.offset: 50 is outside -20..20"):
        parse_platform(toy.read_text().replace("offset = 5", "offset = 50"))
    with pytest.raises(ConfigError, match=r"unknown key for kind toy \(known: .*offset"):
        parse_platform(toy.read_text().replace("offset = 5", "gain = 2"))
    with pytest.raises(ConfigError, match=r"sim\.colour: not a simulator key for kind toy"):
        parse_platform(toy.read_text().replace("temperature = 31", "colour = 3"))


def test_a_toy_sensor_reads_through_the_synthetic_bmc(toy) -> None:
    from chassisctl.client.sensors import SensorReader, load_repository
    from chassisctl.platform.sim import parse_assignment, sim_keys

    with open_toy(toy) as tr:
        repo = load_repository(tr)
        [record] = repo.sensors()
        assert record.id_string == "Toy Temp"
        reading = SensorReader(tr).read_one(record)
        assert reading.value == pytest.approx(31.0, abs=1.0)
        # the bus really went through the mux: channel 3 selected, then the toy's register
        assert {0x70, 0x4C} <= {t.addr for t in tr.world.bus.transcript}

        name, key, value = parse_assignment(tr.platform, "toy1.temperature=80")
        assert sim_keys(tr.platform.devices["toy1"]) == ["present", "temperature"]
        tr.world.set(tr.platform.devices[name], key, value)
        reading = SensorReader(tr).read_one(record)
        assert reading.value == pytest.approx(80.0, abs=1.0) and reading.status == "nc"  # above unc 70

        tr.world.set(tr.platform.devices["toy1"], "present", False)  # generic: the twin NAKs
        gone = SensorReader(tr).read_one(record)
        assert gone.value is None and gone.status == "na"
        with pytest.raises(UsageError, match="toy has no simulator key 'humidity'"):
            parse_assignment(tr.platform, "toy1.humidity=3")


def test_platform_probe_asks_the_toy_driver(toy) -> None:
    from chassisctl.platform.probe import probe

    with open_toy(toy) as tr:
        results = {r.device: r for r in probe(tr)}
    assert results["toy1"].status == "answered" and results["toy1"].detail == "a toy"
    assert results["toy1"].registers == {"ID": "7Ah"} and results["toy1"].where == "70:3:4c"
