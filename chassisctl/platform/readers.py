"""Reading a declared sensor: one thin adapter per device kind over the drivers.

:class:`Hardware` owns the bus, the :class:`TopologyManager` that routes it
along mux paths, and one driver instance per device (drivers cache what
never changes: VOUT_MODE, a fan's range multiplier).  :meth:`Hardware.sample`
turns a sensor into a :class:`Sample`: an engineering value, a discrete
state, or "unavailable" with the reason — never an exception and never a
made-up value, so one dead device cannot stop a sensor walk.

A sensor read costs one bus transaction where the device allows it (an
LM75 word, a PMBus READ_x word, one INA register): the SDR walk reads
sensors in topology order and the mux is switched only when the next
device sits on another channel.  Facts needed to scale a reading that do
not change from one read to the next are checked once and then every
:data:`RECHECK_S` seconds (the INA CAL register of a chip chassisctl does
not own, the PMBus VOUT_MODE); an owned INA holds the CAL chassisctl
programs, and a reading of exactly 0 — what a reset chip reads too — is
confirmed against the CAL register before it is reported.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from chassisctl.clock import Clock
from chassisctl.errors import ChassisError
from chassisctl.platform import schema
from chassisctl.platform.description import DeviceDecl, Platform, SensorDecl
from chassisctl.platform.drivers.errors import NotAnswering, PecMismatch
from chassisctl.platform.drivers.topology import TopologyManager

#: Re-read scaling facts (INA CAL) after this many seconds.
RECHECK_S = 60.0
#: A PEC mismatch is retried this many times before the reading is unavailable.
PEC_RETRIES = 1


class Sample(NamedTuple):
    """One reading: ``value`` (analog) or ``state`` (discrete bits), or ``error``."""

    value: float | None = None
    state: int | None = None
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.error is None


class CountingBus:
    """An smbus2-like bus that counts transactions (any method call that moves bytes)."""

    _CALLS = frozenset({"read_byte", "write_byte", "read_byte_data", "write_byte_data", "read_word_data",
                        "write_word_data", "read_block_data", "write_block_data", "read_i2c_block_data",
                        "write_i2c_block_data", "i2c_rdwr", "write_quick", "process_call",
                        "block_process_call"})

    def __init__(self, bus: Any) -> None:
        object.__setattr__(self, "inner", bus)
        object.__setattr__(self, "transactions", 0)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name in self._CALLS:
            def counted(*args: Any, **kwargs: Any) -> Any:
                object.__setattr__(self, "transactions", self.transactions + 1)
                return attr(*args, **kwargs)
            return counted
        return attr

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.inner, name, value)


class Hardware:
    """The bus, its muxes and one driver per device."""

    def __init__(self, platform: Platform, bus: Any, clock: Clock, *, sysfs_root: str = "/sys",
                 root_bus: int = 0, tracer: Callable[[str], None] | None = None) -> None:
        self.platform = platform
        self.bus = CountingBus(bus)
        self.clock = clock
        self.sysfs_root = sysfs_root
        self.root_bus = root_bus
        self.tracer = tracer
        self.topology = TopologyManager(self.bus)
        self._drivers: dict[str, Any] = {}
        self._checked: dict[str, tuple[float, Any]] = {}

    # -- plumbing ------------------------------------------------------------------------
    @contextmanager
    def at(self, dev: DeviceDecl) -> Iterator[None]:
        """Route the bus to ``dev`` (muxes switched only when needed)."""
        with self.topology.select(dev.path):
            yield

    def driver(self, dev: DeviceDecl) -> Any:
        drv = self._drivers.get(dev.name)
        if drv is None:
            drv = self._drivers[dev.name] = _make_driver(dev, self.bus, self.clock)
        return drv

    def trace(self, text: str) -> None:
        if self.tracer is not None:
            self.tracer(text)

    def _fact(self, key: str, fetch: Callable[[], Any], assume: Any = None) -> Any:
        """A slow-changing fact, fetched again after RECHECK_S (``assume``: trusted at first)."""
        now = self.clock.monotonic()
        known = self._checked.get(key)
        if known is not None and now - known[0] < RECHECK_S:
            return known[1]
        value = assume if known is None and assume is not None else fetch()
        self._checked[key] = (now, value)
        return value

    def reset_caches(self, sysfs_root: str | None = None) -> None:
        """Forget every driver, cached fact and mux state (the devices were replaced)."""
        self._drivers.clear()
        self._checked.clear()
        self.topology.invalidate()
        if sysfs_root is not None:
            self.sysfs_root = sysfs_root

    def forget(self, dev: DeviceDecl) -> None:
        """Drop cached facts of ``dev`` (after a failure: it may have been reset)."""
        self._checked = {k: v for k, v in self._checked.items() if not k.startswith(dev.name + ":")}
        drv = self._drivers.get(dev.name)
        if drv is not None and hasattr(drv, "_vout_mode"):
            drv._vout_mode = None

    def hwmon(self, dev: DeviceDecl) -> Any:
        from chassisctl.platform.drivers.hwmon import HwmonDevice

        drv = self._drivers.get(dev.name)
        if drv is None:
            drv = HwmonDevice.find(dev.options.get("bus", self.root_bus), dev.address,
                                   name=dev.options.get("chip"), driver=dev.options.get("driver"),
                                   sysfs_root=self.sysfs_root)
            self._drivers[dev.name] = drv
        return drv

    # -- sensors -------------------------------------------------------------------------
    def sample(self, sensor: SensorDecl) -> Sample:
        dev = self.platform.devices[sensor.device]
        for attempt in range(PEC_RETRIES + 1):
            try:
                if dev.family == "hwmon":
                    return self._hwmon(dev, sensor)
                if sensor.discrete:
                    return Sample(state=self.psu_state(dev))
                with self.at(dev):
                    value = self._read(dev, sensor.reading)
            except PecMismatch as exc:
                if attempt < PEC_RETRIES:
                    continue
                return self._failed(dev, exc)
            except ChassisError as exc:
                return self._failed(dev, exc)
            if value is None:
                return Sample(error=f"{dev.name}: {sensor.reading} unavailable")
            return Sample(value=value * sensor.scale)
        raise AssertionError("unreachable")

    def _failed(self, dev: DeviceDecl, exc: ChassisError) -> Sample:
        self.forget(dev)
        self.trace(f"platform: {exc}")
        return Sample(error=_owner_hint(self, dev, exc))

    def _read(self, dev: DeviceDecl, reading: str) -> float | None:
        drv = self.driver(dev)
        family = dev.family
        if dev.kind in ("lm75", "tmp75"):
            return drv.read_celsius()
        if dev.kind == "tmp421":
            return drv.read_channel(schema._tmp421_channels(dev.options).index(reading))
        if family == "pmbus":
            from chassisctl.devices.pmbus import Cmd

            return drv.read(Cmd[reading])
        if family == "ina":
            if reading == "bus_voltage":
                return drv.read_bus_volts()
            if reading == "shunt_voltage":
                return drv.read_shunt_volts()
            key = f"{dev.name}:cal"
            # An owned chip holds the CAL we program (from the description): no read needed to
            # scale; anything else is read, and every CAL is re-checked after RECHECK_S.
            cal = self._fact(key, lambda: self._calibration(dev, drv), assume=drv.cal if drv.owned else None)
            read = drv.read_current if reading == "current" else drv.read_power
            value = read(cal) if cal else 0.0
            if value == 0.0:
                # A reset chip (CAL 0) reads 0 too: tell it from a true 0 before reporting one.
                actual = self._calibration(dev, drv)
                self._checked[key] = (self.clock.monotonic(), actual)
                if not actual:
                    return None  # not ours to program: current and power are unknown, not 0
                if actual != cal:
                    value = read(actual)
            return value
        if family == "fan":
            return float(drv.read_rpm(int(reading[3:]) - 1))
        raise ValueError(f"{dev.kind} has no reading {reading}")

    def _calibration(self, dev: DeviceDecl, drv: Any) -> int:
        cal = drv.read_calibration()
        if cal == 0 and drv.owned:
            drv.calibrate()
            cal = drv.read_calibration()
        return cal

    def _hwmon(self, dev: DeviceDecl, sensor: SensorDecl) -> Sample:
        try:
            value = self.hwmon(dev).read(sensor.reading)
        except ChassisError as exc:
            self._drivers.pop(dev.name, None)
            return Sample(error=str(exc))
        if value is None:
            return Sample(error=f"{dev.name}: {sensor.reading} read failed")
        return Sample(value=value * sensor.scale)

    # -- PSU status --------------------------------------------------------------------------
    def present_field(self, dev: DeviceDecl) -> bool | None:
        """The CPLD presence bit of ``dev`` (None when the description gives none)."""
        ref = dev.options.get("present")
        if not ref:
            return None
        cpld_name, _, fname = ref.partition(".")
        cpld = self.platform.devices[cpld_name]
        with self.at(cpld):
            return bool(self.driver(cpld).read_field(cpld.field(fname)))

    def psu_state(self, dev: DeviceDecl) -> int:
        """PSU status offsets (type 08h): presence, failure, predictive failure, input lost."""

        present = self.present_field(dev)
        if present is False:
            return 0  # empty bay: not present, nothing else to say (and nothing to NAK)
        try:
            with self.at(dev):
                status = self.driver(dev).status()
        except NotAnswering:
            # In the bay (per the CPLD) but silent: its controller is unpowered (AC lost).
            return (1 << schema.PSU_PRESENT | 1 << schema.PSU_INPUT_LOST) if present else 0
        return psu_bits(status)


def psu_bits(status: Any) -> int:
    """Map PMBus status (word + STATUS_x details) to the PSU sensor's offsets."""
    from chassisctl.devices import pmbus as pm

    word = status.word
    bits = 1 << schema.PSU_PRESENT
    vin = status.detail(pm.Cmd.STATUS_INPUT) or 0
    input_lost = bool(word & pm.StatusWord.VIN_UV_FAULT or vin & (pm.StatusInput.UV_FAULT
                                                                   | pm.StatusInput.UNIT_OFF_LOW_INPUT))
    if input_lost:
        bits |= 1 << schema.PSU_INPUT_LOST
    vout = status.detail(pm.Cmd.STATUS_VOUT) or 0
    iout = status.detail(pm.Cmd.STATUS_IOUT) or 0
    temp = status.detail(pm.Cmd.STATUS_TEMPERATURE) or 0
    fans = status.detail(pm.Cmd.STATUS_FANS_1_2) or 0
    failure = (word & (pm.StatusWord.VOUT_OV_FAULT | pm.StatusWord.IOUT_OC_FAULT)
               or vout & (pm.StatusVout.OV_FAULT | pm.StatusVout.UV_FAULT)
               or iout & (pm.StatusIout.OC_FAULT | pm.StatusIout.OC_LV_FAULT | pm.StatusIout.POUT_OP_FAULT)
               or temp & pm.StatusTemperature.OT_FAULT
               or fans & (pm.StatusFans12.FAN1_FAULT | pm.StatusFans12.FAN2_FAULT)
               or (not input_lost and word & (pm.StatusWord.POWER_GOOD_N | pm.StatusWord.OFF)))
    if failure:
        bits |= 1 << schema.PSU_FAILURE
    warning = (vout & (pm.StatusVout.OV_WARNING | pm.StatusVout.UV_WARNING)
               or iout & (pm.StatusIout.OC_WARNING | pm.StatusIout.POUT_OP_WARNING)
               or temp & (pm.StatusTemperature.OT_WARNING | pm.StatusTemperature.UT_WARNING)
               or fans & (pm.StatusFans12.FAN1_WARNING | pm.StatusFans12.FAN2_WARNING)
               or vin & (pm.StatusInput.OV_WARNING | pm.StatusInput.UV_WARNING | pm.StatusInput.IIN_OC_WARNING
                         | pm.StatusInput.PIN_OP_WARNING))
    if warning:
        bits |= 1 << schema.PSU_PREDICTIVE
    return bits


def _make_driver(dev: DeviceDecl, bus: Any, clock: Clock) -> Any:
    o = dev.options
    if dev.kind in ("lm75", "tmp75"):
        from chassisctl.platform.drivers.lm75 import Lm75

        return Lm75(bus, dev.address, o.get("resolution", 9 if dev.kind == "lm75" else 12))
    if dev.kind == "tmp421":
        from chassisctl.platform.drivers.tmp421 import Tmp421

        return Tmp421(bus, dev.address, o.get("chip", "tmp421"))
    if dev.family == "pmbus":
        from chassisctl.devices.pmbus import Cmd, DirectCoefficients
        from chassisctl.platform.drivers.pmbus import PmbusDevice, VoutFormat

        direct = {Cmd[k]: DirectCoefficients(v["m"], v["b"], v["R"]) for k, v in o.get("direct", {}).items()}
        return PmbusDevice(bus, dev.address, pec=bool(o.get("pec", False)), page=o.get("page"),
                           vout_format=VoutFormat(o.get("vout_format", "vout_mode")),
                           direct_coefficients=direct, owned=dev.owned)
    if dev.family == "ina":
        from chassisctl.platform.drivers.ina2xx import Ina2xx

        return Ina2xx(bus, dev.address, dev.kind, o["shunt_ohms"], current_lsb_amps=o.get("current_lsb", 0.001),
                      owned=dev.owned)
    if dev.family == "fan":
        from chassisctl.platform.drivers.emc2305 import Emc2305

        return Emc2305(bus, dev.address, chip=o.get("chip", "emc2305"), multiplier=o.get("multiplier"),
                       owned=dev.owned)
    if dev.family == "eeprom":
        from chassisctl.platform.drivers.at24 import At24

        return At24(bus, dev.address, o["part"], clock=clock, smbus=bool(o.get("smbus", False)))
    if dev.family == "cpld":
        from chassisctl.platform.drivers.cpld import Cpld

        return Cpld(bus, dev.address, dev.fields)
    if dev.family == "mux":
        from chassisctl.platform.drivers.pca954x import Pca954x
        from chassisctl.devices.pca954x import Kind

        return Pca954x(bus, dev.address, Kind.from_name(dev.kind))
    raise ValueError(f"no driver for {dev.kind}")


def _owner_hint(hw: Hardware, dev: DeviceDecl, exc: ChassisError) -> str:
    """EBUSY on a real bus means a kernel driver owns the address: say which."""
    cause = exc.__cause__
    if isinstance(cause, OSError) and cause.errno == errno.EBUSY and hw.root_bus is not None:
        from chassisctl.transport.bus import address_owner

        owner = address_owner(f"/dev/i2c-{hw.root_bus}", dev.address, hw.sysfs_root)
        if owner:
            return (f"{dev.name}: address {dev.address:#04x} is owned by kernel driver {owner}; "
                    "declare it kind = \"hwmon\" (chassisctl never forces an address)")
    return str(exc)
