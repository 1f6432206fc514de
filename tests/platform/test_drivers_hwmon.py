"""hwmon resolution and reading against a fake sysfs tree (never the real /sys)."""

from pathlib import Path

import pytest

from chassisctl.platform.drivers.hwmon import HwmonDevice, HwmonMismatch, HwmonNotFound
from chassisctl.sim.hwmon import FAIL, FakeSysfs


@pytest.fixture
def sysfs(tmp_path: Path) -> FakeSysfs:
    fake = FakeSysfs(tmp_path)
    # four lm75 with the same name on one bus: only the address tells them apart
    for n in range(4):
        fake.add_device(2, 0x48 + n, "lm75", "lm75", {"temp1_input": 25000 + n * 1000, "temp1_max": 80000})
    fake.add_device(3, 0x40, "ina226", "ina2xx", {"in0_input": 25, "in1_input": 12100, "curr1_input": 12500,
                                                  "power1_input": 151250000})
    fake.add_device(4, 0x2E, "emc2305", "emc2305", {"fan1_input": 8446, "pwm1": 153, "fan2_fault": 1})
    fake.add_device(5, 0x58, "pmbus", "pmbus", {"in1_input": 230000, "in1_label": "vin", "temp1_input": FAIL})
    return fake


def test_resolves_by_bus_and_address_not_by_name(sysfs: FakeSysfs) -> None:
    dev = HwmonDevice.find(2, 0x4A, name="lm75", driver="lm75", sysfs_root=sysfs.root)
    assert dev.read("temp1_input") == 27.0
    assert dev.read("temp1_max") == 80.0
    assert dev.driver == "lm75"


def test_si_units(sysfs: FakeSysfs) -> None:
    ina = HwmonDevice.find(3, 0x40, name="ina226", sysfs_root=sysfs.root)
    assert (ina.read("in0_input"), ina.read("in1_input")) == (0.025, 12.1)
    assert ina.read("curr1_input") == 12.5 and ina.read("power1_input") == 151.25
    fan = HwmonDevice.find(4, 0x2E, sysfs_root=sysfs.root)
    assert fan.read("fan1_input") == 8446 and fan.read("pwm1") == 153 and fan.read("fan2_fault") == 1
    assert fan.read_raw("fan1_input") == 8446


def test_failed_read_is_unavailable_not_zero(sysfs: FakeSysfs) -> None:
    psu = HwmonDevice.find(5, 0x58, name="pmbus", driver="pmbus", sysfs_root=sysfs.root)
    assert psu.read("temp1_input") is None
    assert psu.read("temp9_input") is None
    assert psu.label("in1") == "vin" and psu.read("in1_input") == 230.0
    with pytest.raises(ValueError):
        psu.read("../name")


def test_mismatches_and_missing(sysfs: FakeSysfs) -> None:
    with pytest.raises(HwmonMismatch):
        HwmonDevice.find(2, 0x48, name="tmp75", sysfs_root=sysfs.root)
    with pytest.raises(HwmonMismatch):
        HwmonDevice.find(2, 0x48, driver="tmp421", sysfs_root=sysfs.root)
    with pytest.raises(HwmonNotFound):
        HwmonDevice.find(7, 0x50, sysfs_root=sysfs.root)
    sysfs.unbind(2, 0x49)
    with pytest.raises(HwmonMismatch):
        HwmonDevice.find(2, 0x49, driver="lm75", sysfs_root=sysfs.root)
    with pytest.raises(HwmonNotFound):
        HwmonDevice.find(2, 0x49, sysfs_root=sysfs.root)
    sysfs.add_device(6, 0x50, "24c02", "at24", hwmon=False)
    with pytest.raises(HwmonNotFound):
        HwmonDevice.find(6, 0x50, sysfs_root=sysfs.root)
