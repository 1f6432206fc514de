"""A platform description on simulated devices: the same bytes, no hardware.

:func:`build_world` puts a register-accurate twin of every declared device
(the twin its kind names in :mod:`chassisctl.platform.kinds`) on a
:class:`~chassisctl.sim.bus.SimulatedSMBus` at its declared place in the topology — PCA954x switches with their channel
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

from chassisctl.clock import Clock
from chassisctl.config.keys import check_value
from chassisctl.errors import UsageError
from chassisctl.platform.description import DeviceDecl, Platform

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

#: Override keys that describe an event: applied once, then dropped.
ONE_SHOT = frozenset({"pec_error", "power"})
#: Seed-only keys: they shape the twin when it is built.
SEED_ONLY = frozenset({"vout_mode", "fru", "extended", "pg_delay_ms"})
#: The kernel bus number the fake sysfs uses for the simulated root adapter.
SIM_ROOT_BUS = 0


class SimWorld:
    """The simulated devices of one platform on their simulated bus (a plain class, built per command)."""

    __slots__ = ("platform", "clock", "bus", "twins", "sysfs_root", "generation", "epoch", "bay", "responding",
                 "root_bus", "_sysfs", "_snapshots", "_snapshot_ids")

    def __init__(self, platform: Platform, clock: Clock, bus: Any, twins: dict[str, Any],
                 sysfs_root: Path | None = None, generation: int = 0, epoch: float = 0.0,
                 bay: dict[str, bool] | None = None, responding: dict[str, bool] | None = None,
                 root_bus: int = SIM_ROOT_BUS) -> None:
        self.platform = platform
        self.clock = clock
        self.bus = bus
        self.twins = twins
        self.sysfs_root = sysfs_root
        self.generation = generation
        #: wall - monotonic, fixed for the process: snapshots convert with it.
        self.epoch = epoch
        #: Bay occupancy and bus answering, per device (``present`` / ``responding`` keys).
        self.bay: dict[str, bool] = {} if bay is None else bay
        self.responding: dict[str, bool] = {} if responding is None else responding
        #: The kernel bus number the fake sysfs gives the simulated root adapter.
        self.root_bus = root_bus
        self._sysfs: Any = None
        #: device -> (its twin, the twin's last snapshot): see :meth:`snapshot`.
        self._snapshots: dict[str, tuple[Any, dict[str, Any] | None]] = {}
        #: id(twin) -> device, for the twins in ``_snapshots``.
        self._snapshot_ids: dict[int, str] = {}

    def close(self) -> None:
        if self.sysfs_root is not None:
            import shutil

            shutil.rmtree(self.sysfs_root, ignore_errors=True)
            self.sysfs_root = None

    def fake_sysfs(self) -> Any:
        """The ``/sys`` stand-in for kernel-owned devices, made on first use."""
        if self._sysfs is None:
            import tempfile
            from pathlib import Path

            from chassisctl.sim.hwmon import FakeSysfs

            if self.sysfs_root is None:
                self.sysfs_root = Path(tempfile.mkdtemp(prefix=f"chassisctl-{self.platform.name}-sysfs-"))
            self._sysfs = FakeSysfs(self.sysfs_root)
        return self._sysfs

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
        """One simulator key of one device: bay and bus presence here, the rest by its twin."""
        self._forget()  # a key may reach other twins too (presence links)
        twin = self.twins[dev.name]
        if key in ("present", "responding") and not dev.kind_entry.kernel:
            (self.bay if key == "present" else self.responding)[dev.name] = bool(value)
            twin.present = self.bay.get(dev.name, True) and self.responding.get(dev.name, True)
            self._link(dev)
            return
        twin.apply(key, value, dev, self)

    def _link(self, dev: DeviceDecl) -> None:
        """A PSU pulled from its bay also clears its CPLD presence bit."""
        ref = dev.options.get("present")
        if ref:
            cpld_name, _, fname = ref.partition(".")
            self.twins[cpld_name].set_input(fname, int(self.bay.get(dev.name, True)))

    # -- snapshots of state the bus changes ---------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Every twin's snapshot (those with state the bus changes).

        Taken after every request, so only what can have changed is asked
        again: a twin changes through the bus (the ids in its ``touched``),
        :meth:`set` or :meth:`restore` (which forget every snapshot), or by
        being replaced; any other twin's snapshot is the one it gave last.
        """
        touched = self.bus.touched if self.bus is not None else None
        known, ids = self._snapshots, self._snapshot_ids
        if touched:
            for device in touched:
                name = ids.get(device)
                if name is None:  # not a twin asked before (a view a twin placed): ask every twin
                    self._forget()
                    break
                known.pop(name, None)
            touched.clear()
        out: dict[str, Any] = {}
        for name, dev in self.platform.devices.items():
            twin = self.twins[name]
            hit = known.get(name)
            if hit is not None and hit[0] is twin:
                snap = hit[1]
            else:
                snap = twin.snapshot(dev, self.epoch)
                known[name] = (twin, snap)
                ids[id(twin)] = name
            if snap is not None:
                out[name] = snap
        return out

    def _forget(self) -> None:
        self._snapshots.clear()
        self._snapshot_ids.clear()

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        self._forget()
        for name, snap in snapshot.items():
            dev = self.platform.devices.get(name)
            twin = self.twins.get(name)
            if dev is None or twin is None or not isinstance(snap, dict):
                continue
            try:
                twin.restore(snap, dev, self.epoch)
            except (KeyError, TypeError, ValueError):
                continue  # a snapshot from another description version: keep the seed
        for dev in self.platform.devices.values():
            self._link(dev)  # a restored CPLD snapshot may predate the bay's last change


def _ordered(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """ac_ok last (losing AC zeroes VIN and PIN), present first."""
    rank = {"present": 0, "ac_ok": 2}
    return sorted(values.items(), key=lambda kv: rank.get(kv[0], 1))


# --- building --------------------------------------------------------------------------


def build_world(platform: Platform, *, clock: Clock, name: str = "default", pace: bool = False,
                tracer: Any = None, sysfs_root: Path | None = None) -> SimWorld:
    """The twin of every device at its topology position, seeded from the description.

    Each device's kind names its twin (:mod:`chassisctl.platform.kinds`);
    the twin builds itself from the declaration and takes its place on the
    segment its mux path leads to.
    """
    from chassisctl.sim.bus import SimulatedSMBus
    from chassisctl.sim.i2c import Segment

    root = Segment("root")
    world = SimWorld(platform, clock, None, {}, sysfs_root=sysfs_root, epoch=clock.time() - clock.monotonic())
    for dev in platform.devices.values():
        world.twins[dev.name] = dev.kind_entry.twin_class().for_device(dev, world)
    for dev in sorted(platform.devices.values(), key=lambda d: len(d.hops)):
        segment = root
        for mux, channel in dev.hops:
            segment = world.twins[mux].channel(channel)
        world.twins[dev.name].place(segment, dev.address)
    world.bus = SimulatedSMBus(name, root=root, clock=clock, clock_hz=platform.clock_hz, pace=pace, tracer=tracer)
    world.apply({}, seeds=True)
    return world


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
    spec = dev.kind_entry.key_for(dev.options, key)
    if spec is None or key in SEED_ONLY:
        keys = sim_keys(dev)
        raise UsageError(f"{text!r}: {dev.kind} has no simulator key {key!r} (keys: {', '.join(keys)})")
    value = _parse_value(raw.strip())
    if value is not None and value == dev.kind_entry.fail_value:
        return name, key, value
    if spec.type == "num" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    problem = check_value(spec, value)
    if problem:
        raise UsageError(f"{text!r}: {problem}")
    return name, key, value


def sim_keys(dev: DeviceDecl) -> list[str]:
    """The keys ``sim set`` accepts for a device (patterned keys spelt out)."""
    kind = dev.kind_entry
    return [k for k in kind.sim if k not in SEED_ONLY] + kind.sim_keys(dev)


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
