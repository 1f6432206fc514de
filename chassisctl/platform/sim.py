"""A platform description on simulated devices: the same bytes, no hardware.

:func:`build_world` puts a register-accurate twin of every declared device
(:mod:`chassisctl.sim.devices`) on a :class:`~chassisctl.sim.bus.SimulatedSMBus`
at its declared place in the topology — PCA954x switches with their channel
segments, devices on the channels — seeded from each device's ``sim`` table,
and lays out a fake ``/sys`` tree (:class:`~chassisctl.sim.hwmon.FakeSysfs`)
for the devices a kernel driver owns.  The translating backend then reads
those twins through the production drivers, exactly as it would read
hardware.

Operators and tests change the simulated world from outside the process
with ``chassisctl sim set NAME.KEY=VALUE``: overrides are stored in the
platform's state file, every process re-applies them when the file changes,
and device state that the bus changes (CPLD registers, power domains,
latched PMBus status) travels in the same file as snapshots, so a ``power
off`` in one process is what ``serve`` sees in another.  Keys that are
events rather than conditions (``pec_error``, ``power``) are applied once,
by the first process that sees them, and removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chassisctl.clock import Clock
from chassisctl.devices.cpld import Access, encode
from chassisctl.devices.pca954x import Kind as MuxKind
from chassisctl.errors import UsageError
from chassisctl.platform import schema
from chassisctl.platform.description import DeviceDecl, Platform, fru_image

#: Override keys that describe an event: applied once, then dropped.
ONE_SHOT = frozenset({"pec_error", "power"})
#: Seed-only keys: they shape the twin when it is built.
SEED_ONLY = frozenset({"vout_mode", "fru", "extended", "pg_delay_ms"})
#: The kernel bus number the fake sysfs uses for the simulated root adapter.
SIM_ROOT_BUS = 0


class SimWorld:
    """The simulated devices of one platform on their simulated bus (a plain class, built per command)."""

    __slots__ = ("platform", "clock", "bus", "twins", "sysfs_root", "hwmon_dirs", "generation", "epoch", "bay",
                 "responding")

    def __init__(self, platform: Platform, clock: Clock, bus: Any, twins: dict[str, Any],
                 sysfs_root: Path | None = None, hwmon_dirs: dict[str, Path] | None = None, generation: int = 0,
                 epoch: float = 0.0, bay: dict[str, bool] | None = None,
                 responding: dict[str, bool] | None = None) -> None:
        self.platform = platform
        self.clock = clock
        self.bus = bus
        self.twins = twins
        self.sysfs_root = sysfs_root
        self.hwmon_dirs: dict[str, Path] = {} if hwmon_dirs is None else hwmon_dirs
        self.generation = generation
        #: wall - monotonic, fixed for the process: snapshots convert with it.
        self.epoch = epoch
        #: Bay occupancy and bus answering, per device (``present`` / ``responding`` keys).
        self.bay: dict[str, bool] = {} if bay is None else bay
        self.responding: dict[str, bool] = {} if responding is None else responding

    def close(self) -> None:
        if self.sysfs_root is not None:
            import shutil

            shutil.rmtree(self.sysfs_root, ignore_errors=True)
            self.sysfs_root = None

    # -- values ---------------------------------------------------------------------
    def effective(self, overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """Seed values updated by overrides, per device."""
        out: dict[str, dict[str, Any]] = {}
        for name, dev in self.platform.devices.items():
            values = {k: v for k, v in dev.sim.items() if k not in SEED_ONLY and k not in ONE_SHOT}
            values.update(overrides.get(name, {}))
            out[name] = values
        return out

    def apply(self, overrides: Mapping[str, Mapping[str, Any]], *, seeds: bool = False) -> None:
        """Put overrides (and with ``seeds`` the description's values) into the twins.

        Idempotent for condition keys, so re-applying after every change of
        the state file is safe; presence links are refreshed every time.
        """
        values = self.effective(overrides)
        for name, dev in self.platform.devices.items():
            chosen = values[name] if seeds else overrides.get(name, {})
            for key, value in _ordered(chosen):
                self.set(dev, key, value)

    def set(self, dev: DeviceDecl, key: str, value: Any) -> None:
        twin = self.twins.get(dev.name)
        family = dev.family
        if key in ("present", "responding") and family not in ("hwmon",):
            (self.bay if key == "present" else self.responding)[dev.name] = bool(value)
            twin.present = self.bay.get(dev.name, True) and self.responding.get(dev.name, True)
            self._link(dev)
            return
        if dev.kind == "tmp421":
            channels = schema._tmp421_channels(dev.options)
            if key.endswith("_open"):
                twin.set_open(channels.index(key[:-5]), bool(value))
            else:
                twin.set_celsius(channels.index(key), float(value))
        elif family == "temperature":
            twin.set_celsius(float(value))
        elif family == "pmbus":
            self._pmbus(twin, key, value)
        elif family == "ina":
            if key == "calibrated":
                twin.cal = _ina_cal(dev) if value else 0
            else:
                current = float(value) if key == "current" else getattr(twin, "_amps", 0.0)
                volts = float(value) if key == "bus_voltage" else getattr(twin, "_volts", 0.0)
                twin._amps, twin._volts = current, volts
                twin.set_load(current, volts)
        elif family == "fan":
            if key.endswith("_stall"):
                twin.stall(int(key[3:-6]) - 1, bool(value))
            else:
                twin.set_rpm(int(key[3:]) - 1, float(value))
        elif family == "eeprom":
            if key == "corrupt_checksum":
                _corrupt(twin, dev, bool(value))
        elif family == "cpld":
            self._cpld(dev, twin, key, value)
        elif family == "mux":
            if key == "stuck_channel":
                for n, segment in enumerate(twin.channels):
                    segment.stuck = n == int(value)
        elif family == "hwmon":
            from chassisctl.sim.hwmon import FAIL, FakeSysfs

            FakeSysfs.set(self.hwmon_dirs[dev.name], key, FAIL if value == "fail" else value)

    @staticmethod
    def _pmbus(twin: Any, key: str, value: Any) -> None:
        from chassisctl.devices.pmbus import Cmd

        if key.startswith("READ_"):
            twin.set(key, float(value))
        elif key in schema.PMBUS_STRINGS:
            twin.strings[Cmd[key]] = str(value).encode("ascii")
        elif key in schema.PMBUS_STATUS:
            twin.set_condition(Cmd[key], int(value))
        elif key == "ac_ok":
            if bool(value) != twin.ac_ok or not value:
                twin.set_ac(bool(value))
        elif key == "pec_error":
            twin.corrupt_pec(int(value))

    def _cpld(self, dev: DeviceDecl, twin: Any, key: str, value: Any) -> None:
        domains = list(twin.domains)
        if key == "no_power_good":
            for d in domains:
                twin.fail_power_good(d, bool(value))
        elif key == "power":
            for node in self.platform.nodes:
                if node.power is not None and node.power.device == dev.name:
                    _set_power(twin, node, value == "on")
        elif key in {f.name for f in dev.fields}:
            twin.set_input(key, int(value))

    def _link(self, dev: DeviceDecl) -> None:
        """A PSU pulled from its bay also clears its CPLD presence bit."""
        ref = dev.options.get("present")
        if ref:
            cpld_name, _, fname = ref.partition(".")
            self.twins[cpld_name].set_input(fname, int(self.bay.get(dev.name, True)))

    # -- snapshots of state the bus changes ---------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, dev in self.platform.devices.items():
            twin = self.twins.get(name)
            if dev.family == "cpld":
                regs = sorted({f.register for f in dev.fields})
                out[name] = {
                    "raw": {str(r): twin.raw[r] for r in regs},
                    "latched": {str(r): twin.latched[r] for r in regs if twin.latched[r]},
                    "domains": {d: _domain_json(s, self.epoch) for d, s in twin._state.items()},
                }
            elif dev.family == "pmbus":
                out[name] = {"page": twin.page, "pec_errors": twin.pec_errors_to_inject,
                             "pages": [{"operation": p.operation,
                                        "latched": {str(int(k)): v for k, v in p.latched.items() if v}}
                                       for p in twin.pages]}
            elif dev.family == "ina":
                out[name] = {"cal": twin.cal, "config": twin.config}
            elif dev.family == "fan":
                out[name] = {"drive": list(twin.drive)}
        return out

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        from chassisctl.devices.pmbus import Cmd

        for name, snap in snapshot.items():
            dev = self.platform.devices.get(name)
            twin = self.twins.get(name)
            if dev is None or twin is None or not isinstance(snap, dict):
                continue
            try:
                if dev.family == "cpld":
                    for r, v in snap.get("raw", {}).items():
                        twin.raw[int(r)] = int(v)
                    for r in {f.register for f in dev.fields}:
                        twin.latched[r] = int(snap.get("latched", {}).get(str(r), 0))
                    for d, doc in snap.get("domains", {}).items():
                        if d in twin._state:
                            _domain_restore(twin._state[d], doc, self.epoch)
                elif dev.family == "pmbus":
                    twin.page = int(snap.get("page", 0))
                    twin.pec_errors_to_inject = int(snap.get("pec_errors", 0))
                    for page, doc in zip(twin.pages, snap.get("pages", [])):
                        page.operation = int(doc.get("operation", 0x80))
                        latched = {int(k): int(v) for k, v in doc.get("latched", {}).items()}
                        for reg in page.latched:
                            page.latched[reg] = latched.get(int(Cmd(reg)), 0) | page.live[reg]
                elif dev.family == "ina":
                    twin.cal, twin.config = int(snap["cal"]), int(snap["config"])
                elif dev.family == "fan":
                    twin.drive[:] = [int(v) for v in snap["drive"]][:len(twin.drive)]
            except (KeyError, TypeError, ValueError):
                continue  # a snapshot from another description version: keep the seed
        for dev in self.platform.devices.values():
            self._link(dev)  # a restored CPLD snapshot may predate the bay's last change


def _ordered(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """ac_ok last (losing AC zeroes VIN and PIN), present first."""
    rank = {"present": 0, "ac_ok": 2}
    return sorted(values.items(), key=lambda kv: rank.get(kv[0], 1))


def _domain_json(state: Any, epoch: float) -> dict[str, Any]:
    wall = lambda t: None if t is None else round(t + epoch, 6)  # noqa: E731
    return {"on": state.on, "since": wall(state.on_since), "enable_seen": state.enable_seen,
            "pressed": wall(state.pressed_at), "reset": wall(state.reset_at), "no_pg": state.no_pg}


def _domain_restore(state: Any, doc: Mapping[str, Any], epoch: float) -> None:
    mono = lambda t: None if t is None else float(t) - epoch  # noqa: E731
    state.on = bool(doc["on"])
    state.on_since = mono(doc["since"]) or 0.0
    state.enable_seen = int(doc["enable_seen"])
    state.pressed_at = mono(doc.get("pressed"))
    state.reset_at = mono(doc.get("reset"))
    state.no_pg = bool(doc.get("no_pg", False))


def _set_power(twin: Any, node: Any, on: bool) -> None:
    """Initial or externally caused power state of one node's domain (enable follows)."""
    power = node.power
    if power.enable is not None:
        f = twin.fields[power.enable]
        twin.raw[f.register] = (twin.raw[f.register] & ~f.mask) | encode(f, power.on_value if on else power.off_value)
        twin.value(power.enable)  # let the domain see the enable before forcing its state
    if node.name in twin.domains:
        twin.set_power(node.name, on)


def _ina_cal(dev: DeviceDecl) -> int:
    from chassisctl.devices import ina2xx

    return ina2xx.calibration(ina2xx.Chip[dev.kind.upper()], dev.options["shunt_ohms"],
                              dev.options.get("current_lsb", 0.001))


def _corrupt(twin: Any, dev: DeviceDecl, on: bool) -> None:
    """Flip (or restore) the checksum byte of the board area (else the header)."""
    image = getattr(twin, "_pristine", None)
    if image is None:
        image = twin._pristine = bytes(twin.memory)
    twin.memory[:] = image
    if on:
        board = image[3] * 8 if len(image) > 8 else 0
        at = board + image[board + 1] * 8 - 1 if board and image[board] == 1 else 7
        twin.memory[at] ^= 0xFF


# --- building --------------------------------------------------------------------------


def build_world(platform: Platform, *, clock: Clock, name: str = "default", pace: bool = False,
                tracer: Any = None, sysfs_root: Path | None = None) -> SimWorld:
    """Twins of every device at their topology positions, seeded from the description."""
    from chassisctl.sim.bus import SimulatedSMBus
    from chassisctl.sim.i2c import Segment

    root = Segment("root")
    twins: dict[str, Any] = {}
    for dev in platform.devices.values():
        twins[dev.name] = _twin(platform, dev, clock)
    world = SimWorld(platform, clock, None, twins, epoch=clock.time() - clock.monotonic())
    for dev in sorted(platform.devices.values(), key=lambda d: len(d.hops)):
        if dev.family == "hwmon":
            continue
        segment = root
        for mux, channel in dev.hops:
            segment = twins[mux].channel(channel)
        if dev.family == "eeprom":
            twins[dev.name].attach(segment, dev.address)
        else:
            segment.attach(dev.address, twins[dev.name])
    hwmon = [d for d in platform.devices.values() if d.family == "hwmon"]
    if hwmon:
        import tempfile

        from chassisctl.sim.hwmon import FakeSysfs

        world.sysfs_root = sysfs_root or Path(tempfile.mkdtemp(prefix=f"chassisctl-{platform.name}-sysfs-"))
        fake = FakeSysfs(world.sysfs_root)
        for dev in hwmon:
            world.hwmon_dirs[dev.name] = fake.add_device(
                dev.options.get("bus", SIM_ROOT_BUS), dev.address, dev.options.get("chip", "hwmon"),
                dev.options.get("driver"))
    world.bus = SimulatedSMBus(name, root=root, clock=clock, clock_hz=platform.clock_hz, pace=pace, tracer=tracer)
    # Initial power before any overrides: the description's "power" seed.
    for dev in platform.devices.values():
        if dev.family == "cpld":
            on = dev.sim.get("power", "on") == "on"
            for node in platform.nodes:
                if node.power is not None and node.power.device == dev.name:
                    _set_power(twins[dev.name], node, on)
    world.apply({}, seeds=True)
    return world


def _twin(platform: Platform, dev: DeviceDecl, clock: Clock) -> Any:
    sim = dev.sim
    if dev.kind in ("lm75", "tmp75"):
        from chassisctl.sim.devices.lm75 import Lm75Sim

        resolution = dev.options.get("resolution", 9 if dev.kind == "lm75" else 12)
        twin = Lm75Sim(float(sim.get("temperature", 25.0)), resolution=resolution, configurable=dev.kind == "tmp75")
        if dev.kind == "tmp75":
            twin.config = (resolution - 9) << 5  # as firmware or the kernel configured it
            twin.set_celsius(twin.celsius)
        return twin
    if dev.kind == "tmp421":
        from chassisctl.sim.devices.tmp421 import Tmp421Sim

        return Tmp421Sim(dev.options.get("chip", "tmp421"), extended=bool(sim.get("extended", False)))
    if dev.family == "pmbus":
        from chassisctl.devices.pmbus import Cmd, DirectCoefficients
        from chassisctl.sim.devices.pmbus import PmbusSim

        direct = {Cmd[k]: DirectCoefficients(v["m"], v["b"], v["R"]) for k, v in dev.options.get("direct", {}).items()}
        mode = sim.get("vout_mode", 0x40 if dev.options.get("vout_format") == "direct" else 0x17)
        return PmbusSim(dev.address, pec=bool(dev.options.get("pec", False)), vout_mode=mode, direct=direct,
                        force_linear11=dev.options.get("vout_format") == "linear11",
                        pages=max(1, dev.options.get("page", 0) + 1))
    if dev.family == "ina":
        from chassisctl.devices.ina2xx import Chip
        from chassisctl.sim.devices.ina2xx import Ina2xxSim

        twin = Ina2xxSim(Chip[dev.kind.upper()], dev.options["shunt_ohms"])
        twin.cal = _ina_cal(dev)
        return twin
    if dev.family == "fan":
        from chassisctl.sim.devices.emc2305 import Emc2305Sim

        return Emc2305Sim(dev.options.get("chip", "emc2305"))
    if dev.family == "eeprom":
        from chassisctl.sim.devices.at24 import At24Sim

        # The image is built (FRU codec and all) when something first reads the part.
        return At24Sim(dev.options["part"], clock, data=(lambda: fru_image(sim)) if sim.get("fru") else b"")
    if dev.family == "cpld":
        from chassisctl.sim.devices.cpld import CpldSim, PowerDomain

        domains = []
        for node in platform.nodes:
            p = node.power
            if p is None or p.device != dev.name or p.power_good is None:
                continue
            domains.append(PowerDomain(node.name, p.power_good, enable=p.enable, button=p.button, reset=p.reset,
                                       pg_delay_s=float(sim.get("pg_delay_ms", 500)) / 1000))
        initial: dict[int, int] = {}
        for f in dev.fields:  # outputs idle, inputs at their logical 0 unless seeded
            if f.access in (Access.PULSE, Access.RW, Access.RO):
                initial[f.register] = (initial.get(f.register, 0) & ~f.mask) | encode(f, 0)
        return CpldSim(clock, dev.fields, initial=initial, domains=domains)
    if dev.family == "mux":
        from chassisctl.sim.devices.pca954x import Pca954xSim

        return Pca954xSim(MuxKind.from_name(dev.kind), dev.name)
    if dev.family == "hwmon":
        return None
    raise AssertionError(dev.kind)


# --- operator overrides (`chassisctl sim set`) ----------------------------------------------


def parse_assignment(platform: Platform, text: str) -> tuple[str, str, Any]:
    """``NAME.KEY=VALUE`` -> (device, key, value), checked like the description's seeds."""
    target, eq, raw = text.partition("=")
    name, dot, key = target.strip().rpartition(".")
    if not eq or not dot or not name or not key:
        raise UsageError(f"{text!r}: expected DEVICE.KEY=VALUE (e.g. psu1.READ_PIN=487.5)")
    dev = platform.devices.get(name)
    if dev is None:
        known = ", ".join(platform.devices)
        raise UsageError(f"{text!r}: no device {name!r} in {platform.name} (known: {known})")
    spec = schema.sim_key(dev.kind, dev.options, key)
    if spec is None or key in SEED_ONLY:
        keys = sim_keys(dev)
        raise UsageError(f"{text!r}: {dev.kind} has no simulator key {key!r} (keys: {', '.join(keys)})")
    value = _parse_value(raw.strip())
    if dev.family == "hwmon" and value == "fail":
        return name, key, value
    if spec.type == "num" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    problem = schema.check_value(spec, value)
    if problem:
        raise UsageError(f"{text!r}: {problem}")
    return name, key, value


def sim_keys(dev: DeviceDecl) -> list[str]:
    """The keys ``sim set`` accepts for a device (patterned keys spelt out)."""
    spec = schema.KINDS[dev.kind]
    keys = [k for k in spec.sim if k not in SEED_ONLY]
    if dev.kind == "tmp421":
        chans = schema._tmp421_channels(dev.options)
        keys += chans + [f"{c}_open" for c in chans[1:]]
    elif dev.family == "fan":
        fans = schema._emc_fans(dev.options)
        keys += fans + [f"{f}_stall" for f in fans]
    elif dev.family == "pmbus":
        keys += [k for k in schema.PMBUS_READINGS if k.startswith("READ_")] + list(schema.PMBUS_STRINGS) \
            + list(schema.PMBUS_STATUS)
    elif dev.family == "cpld":
        keys += [f.name for f in dev.fields if f.access is Access.RO]
    elif dev.family == "hwmon":
        keys += ["tempN_input, inN_input, currN_input, powerN_input, fanN_input (integer sysfs units, or fail)"]
    return keys


def _parse_value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if not text.isascii():  # int()/float() would read full-width digits as a number
        return text
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


# --- editing the simulated world from outside (`chassisctl sim ...`) ---------------------------


def edit(store: Any, platform: Platform, now: float, change: Any) -> dict[str, Any]:
    """Run ``change(sim_section)`` on the stored state under its lock; returns the new section."""
    from chassisctl.platform.state import PlatformState

    with store.session():
        doc = store.load()
        if doc is None:
            state = PlatformState.fresh(platform.digest, now, [n.name for n in platform.nodes],
                                        platform.sel_capacity)
        else:
            state = PlatformState.from_json(doc, store.path)
        change(state.sim)
        store.save(state.to_json())
        return state.sim


def set_overrides(store: Any, platform: Platform, now: float,
                  assignments: list[tuple[str, str, Any]]) -> dict[str, Any]:
    def change(sim: dict[str, Any]) -> None:
        overrides = sim.setdefault("overrides", {})
        for device, key, value in assignments:
            overrides.setdefault(device, {})[key] = value
    return edit(store, platform, now, change)


def reset(store: Any, platform: Platform, now: float) -> dict[str, Any]:
    """Every simulated device back to the description's seeds (power, faults, values)."""
    def change(sim: dict[str, Any]) -> None:
        generation = int(sim.get("generation", 0)) + 1
        sim.clear()
        sim["generation"] = generation
    return edit(store, platform, now, change)


def stored(store: Any) -> dict[str, Any]:
    doc = store.load()
    return dict((doc or {}).get("sim") or {})


def show(platform: Platform, sim_section: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per device: its seeds, the overrides in force and the resulting values."""
    overrides = sim_section.get("overrides") or {}
    out = []
    for dev in platform.devices.values():
        seeds = {k: v for k, v in dev.sim.items() if k != "fru"}
        mine = dict(overrides.get(dev.name, {}))
        out.append({"name": dev.name, "kind": dev.kind, "node": dev.node,
                    "path": str(dev.path) if dev.hops else "root", "address": f"{dev.address:#04x}",
                    "seeds": seeds, "overrides": mine, "values": {**seeds, **mine}, "keys": sim_keys(dev)})
    return out
