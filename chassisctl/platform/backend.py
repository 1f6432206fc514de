"""``PlatformTransport``: standard IPMI answered by translation onto plain I2C devices.

It implements the same :class:`~chassisctl.transport.base.Transport` as the
SSIF and IPMB backends, so ``power``, ``sensors``, ``bmc info`` and
``serve`` work unchanged: each request goes to the node selected by
``node=`` (a name or an id; the first node by default), whose
:class:`~chassisctl.bmc.responder.Responder` (the one every chassisctl BMC
uses) asks a :class:`~chassisctl.platform.node_model.PlatformModel` for the
answer.  Each node has its own SDR repository (the chassis-wide sensors, then
its own, in topology order), its own SEL and its own FRU 0.

Every request is one locked session on the platform's state file (see
:mod:`chassisctl.platform.state`): the same lock serialises bus access
between chassisctl processes.  On the simulator the session also carries
the simulated devices' state between processes.
"""

from __future__ import annotations


from chassisctl.clock import Clock
from chassisctl.errors import UsageError
from chassisctl.ipmi.message import Request, Response
from chassisctl.transport.base import NodeInfo, Tracer, Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from chassisctl.bmc.sdr_repository import SdrRepository
    from chassisctl.config import BmcSettings
    from chassisctl.platform.description import NodeDecl, Platform
    from chassisctl.platform.node_model import NodeSensorRuntime
    from chassisctl.platform.power import NodePower
    from chassisctl.platform.sim import SimWorld
    from chassisctl.platform.state import PlatformState, PlatformStore
    from chassisctl.transport import Simulator
    from chassisctl.transport.bus import BusSpec

#: Room after the completion code in one reply (LAN and in-process carry this much).
MAX_RESPONSE_DATA = 252
#: FRU images are re-read from the EEPROM after this many seconds.
FRU_CACHE_S = 5.0
#: A pending power-cycle step closer than this is completed when the transport closes.
CLOSE_WAIT_LIMIT_S = 60.0


class NodeRuntime:
    """One node: its power control and its SDR repository, each when first asked for
    (a sensor reading needs neither power control nor its module)."""

    __slots__ = ("backend", "node", "_power", "_power_built", "power_sensor", "sdr", "fru_cache", "_synth")

    def __init__(self, backend: PlatformTransport, node: NodeDecl, power_sensor: int,
                 sdr: SdrRepository | None = None) -> None:
        self.backend = backend
        self.node = node
        self._power: NodePower | None = None
        self._power_built = False  # built on first use: power status needs it, sensors do not
        self.power_sensor = power_sensor
        self.sdr = sdr
        self.fru_cache: dict[int, tuple[float, bytes | None]] = {}
        self._synth: tuple[dict[int, NodeSensorRuntime], list[bytes]] | None = None

    @property
    def power(self) -> NodePower | None:
        """The node's power control (None: its description declares none)."""
        if not self._power_built:
            power = None
            if self.node.power is not None:
                from chassisctl.platform.power import NodePower

                power = NodePower(self.backend.hw, self.node, self.backend.clock)
            self._power, self._power_built = power, True
        return self._power

    @property
    def sensors(self) -> dict[int, NodeSensorRuntime]:
        return self._synthesised()[0]

    @property
    def records(self) -> list[bytes]:
        return self._synthesised()[1]

    def _synthesised(self) -> tuple[dict[int, NodeSensorRuntime], list[bytes]]:
        if self._synth is None:
            self._synth = _synthesise(self.backend, self.node, self.power_sensor)
        return self._synth


class PlatformTransport(Transport):
    kind = "platform"

    def __init__(self, platform: Platform, bus: Any, *, clock: Clock, bus_path: str = "sim:default",
                 store: PlatformStore | None = None, world: SimWorld | None = None,
                 sysfs_root: str = "/sys", root_bus: int = 0, tracer: Tracer | None = None) -> None:
        from chassisctl.platform.readers import Hardware

        super().__init__()
        self.platform = platform
        self.clock = clock
        self.bus_path = bus_path
        self.store = store
        self.world = world
        self.simulated = world is not None
        self.tracer = tracer
        self.hw = Hardware(platform, bus, clock, sysfs_root=sysfs_root, root_bus=root_bus, tracer=tracer)
        self._runtimes: dict[str, NodeRuntime] = {}
        self._state: PlatformState | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._dirty = False
        self._closed = False

    # -- Transport ----------------------------------------------------------------------
    @classmethod
    def open(cls, settings: BmcSettings, spec: BusSpec, *, clock: Clock, tracer: Tracer | None = None,
             simulator: Simulator | None = None) -> PlatformTransport:
        """The platform ``settings.platform`` names, on the bus ``spec``.

        On a ``sim[:NAME]`` bus the description's own simulated twins stand in
        for the devices (:mod:`chassisctl.platform.sim`); a caller that hands
        in no simulator opts out of simulation, as for the other backends.
        """
        if spec.simulated and simulator is None:
            raise UsageError(f"{spec.path}: no simulator is available in this context")
        return open_platform(settings, spec, clock=clock, tracer=tracer)

    def nodes(self) -> list[NodeInfo]:
        return [NodeInfo(n.name, n.id) for n in self.platform.nodes]

    def describe(self) -> str:
        return f"platform {self.platform.name} on {self.bus_path}"

    def identity(self) -> str:
        return f"platform:{self.platform.name}:{self.platform.digest[:16]}:{self.bus_path}"

    def node(self, selector: str | int | None) -> NodeDecl:
        try:
            return self.platform.node(selector)
        except KeyError:
            known = ", ".join(f"{n.name} ({n.id})" for n in self.platform.nodes)
            raise UsageError(f"node {selector!r}: no such node in {self.platform.name} (known: {known})") from None

    def transact(self, request: Request, *, node: str | int | None = None,
                 timeout: float | None = None) -> Response:
        from chassisctl.bmc.responder import SEL_WRITES, Responder
        from chassisctl.platform.node_model import PlatformModel

        rt = self.runtime(self.node(node))
        self.stats.count(request)
        before = self.hw.bus.transactions
        try:
            with self._session() as state:
                now = self.clock.time()
                self._run_pending(state, now)
                node_state = state.node(rt.node.name, self.platform.sel_capacity)
                model = PlatformModel(self, rt, node_state, now)
                responder = Responder(model, lambda: self._sdr(rt, state), node_state.sel,
                                      max_response_data=MAX_RESPONSE_DATA)
                response = responder.handle(request, now)
                if response.cc == 0 and (request.netfn, request.cmd) in SEL_WRITES:
                    self.mark_dirty()  # the SEL changed through a client, not the model: persist it
                if responder.last_exception is not None:
                    self.trace(f"platform: internal error answering {request.name}: "
                               f"{responder.last_exception!r}")
        finally:
            self.stats.bus_transactions += self.hw.bus.transactions - before
        return response

    def poll(self, *, sensors: bool = False) -> float | None:
        """Periodic work for a long-running owner (``serve``): call every second or so.

        Runs due power-cycle "on" steps and reads every node's power state, so
        power transitions reach the SEL even when nobody asks; with
        ``sensors`` it also reads every sensor (threshold crossings).  Returns
        the wall-clock time of the next pending step, if any.
        """
        from chassisctl.platform.node_model import PlatformModel

        with self._session() as state:
            now = self.clock.time()
            self._run_pending(state, now)
            for node in self.platform.nodes:
                rt = self.runtime(node)
                model = PlatformModel(self, rt, state.node(node.name, self.platform.sel_capacity), now)
                if rt.power is not None:
                    model.chassis_status()
                if sensors:
                    for number in rt.sensors:
                        model.read_sensor(number)
            due = [n.power.pending_on for n in state.nodes.values() if n.power.pending_on is not None]
        return min(due) if due else None

    def close(self) -> None:
        """Finish a power cycle in progress (never leave a node off halfway), release the bus."""
        if self._closed:
            return
        self._closed = True
        try:
            self._finish_pending()
        finally:
            try:
                self.hw.topology.deselect_all()
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
            if self.world is not None:
                self.world.close()
            close = getattr(self.hw.bus.inner, "close", None)
            if callable(close):
                close()

    def _finish_pending(self) -> None:
        state = self._state
        if state is None:
            return
        due = [n.power.pending_on for n in state.nodes.values() if n.power.pending_on is not None]
        if not due:
            return
        wait = max(due) - self.clock.time()
        if wait > CLOSE_WAIT_LIMIT_S:
            return
        if wait > 0:
            self.clock.sleep(wait)
        with self._session() as state:
            self._run_pending(state, self.clock.time())

    def exclusive(self):
        """Hold the bus (and the state) for a block of direct device access: yields the hardware."""
        import contextlib

        @contextlib.contextmanager
        def held():
            with self._session():
                try:
                    yield self.hw
                finally:
                    self.hw.topology.deselect_all()
        return held()

    # -- helpers the model uses -----------------------------------------------------------
    def mark_dirty(self) -> None:
        self._dirty = True

    def trace(self, text: str) -> None:
        if self.tracer is not None:
            self.tracer(text)

    def runtime(self, node: NodeDecl) -> NodeRuntime:
        rt = self._runtimes.get(node.name)
        if rt is None:
            rt = self._runtimes[node.name] = _build_runtime(self, node)
        return rt

    def _run_pending(self, state: PlatformState, now: float) -> None:
        from chassisctl.platform.node_model import PlatformModel

        for name, node_state in state.nodes.items():
            if node_state.power.pending_on is not None and now >= node_state.power.pending_on:
                try:
                    rt = self.runtime(self.platform.node(name))
                except KeyError:
                    continue
                PlatformModel(self, rt, node_state, now).run_pending()

    def _sdr(self, rt: NodeRuntime, state: PlatformState) -> SdrRepository:
        from chassisctl.bmc.sdr_repository import SdrRepository

        if rt.sdr is None:
            rt.sdr = SdrRepository(rt.records, state.sdr_addition, state.sdr_erase)
        rt.sdr.addition_ts, rt.sdr.erase_ts = state.sdr_addition, state.sdr_erase
        return rt.sdr

    def fru_image(self, rt: NodeRuntime, fru_id: int) -> bytes | None:
        fru = next((f for f in self.platform.node_frus(rt.node.name) if f.id == fru_id), None)
        if fru is None:
            return None
        now = self.clock.monotonic()
        cached = rt.fru_cache.get(fru_id)
        if cached is not None and now - cached[0] < FRU_CACHE_S:
            return cached[1]
        from chassisctl.platform.fru_eeprom import fru_problems, read_fru

        image = read_fru(self.hw, self.platform.devices[fru.device], trace=self.trace)
        rt.fru_cache[fru_id] = (now, image)
        if image is not None and self.tracer is not None:
            for problem in fru_problems(image):  # served as stored; reported, never repaired
                self.trace(f"platform: FRU {fru.device}: {problem}")
        return image

    # -- the state session ----------------------------------------------------------------
    def _session(self):
        import contextlib

        @contextlib.contextmanager
        def session():
            if self.store is None:
                state = self._load_memory()
                self._dirty = False
                yield state
                self._after(state)
                return
            with self.store.session() as foreign:
                if foreign:
                    self.hw.topology.invalidate()
                state = self._load()
                self._dirty = False
                try:
                    yield state
                finally:
                    self._after(state)
                    if self._dirty or state.dirty:
                        self.store.save(state.to_json())
                        self._stamp = self.store.stamp()
                    state.dirty = False
                    self._dirty = False
        return session()

    def _after(self, state: PlatformState) -> None:
        if self.world is not None:
            snapshot = self.world.snapshot()
            if snapshot != state.sim.get("devices"):
                state.dirty = True
            # Equal or not, keep the world's own objects: an untouched twin hands back the
            # very same snapshot next time, and dicts compare identical values by identity.
            state.sim["devices"] = snapshot

    def _load_memory(self) -> PlatformState:
        from chassisctl.platform.state import PlatformState

        if self._state is None:
            self._state = PlatformState.fresh(self.platform.digest, self.clock.time(),
                                              [n.name for n in self.platform.nodes], self.platform.sel_capacity)
            self._sync_sim(self._state, first=True)
        return self._state

    def _load(self) -> PlatformState:
        from chassisctl.platform.state import PlatformState

        assert self.store is not None
        stamp = self.store.stamp()
        if self._state is not None and stamp is not None and stamp == self._stamp:
            return self._state
        doc = self.store.load()
        now = self.clock.time()
        if doc is None:
            state = PlatformState.fresh(self.platform.digest, now, [n.name for n in self.platform.nodes],
                                        self.platform.sel_capacity)
        else:
            state = PlatformState.from_json(doc, self.store.path)
            if state.digest != self.platform.digest:
                # The description changed: new SDRs, so clients must re-read them.
                state.digest = self.platform.digest
                state.sdr_addition = max(int(now), state.sdr_addition + 1)
                state.dirty = True
        first = self._state is None
        self._state, self._stamp = state, stamp
        self._sync_sim(state, first=first)
        return state

    def _sync_sim(self, state: PlatformState, *, first: bool) -> None:
        """Bring the simulated devices in line with the state document."""
        world = self.world
        if world is None:
            return
        from chassisctl.platform.sim import ONE_SHOT, build_world

        sim = state.sim
        generation = int(sim.get("generation", 0))
        if first:
            world.generation = generation  # the twins were just built from the seeds
        if generation != world.generation:
            # `sim reset` (or a first look at a reset world): twins back to the seeds.
            fresh = build_world(self.platform, clock=self.clock, name=world.bus.name, tracer=self.tracer)
            world.close()
            world.twins, world.sysfs_root, world._sysfs = fresh.twins, fresh.sysfs_root, fresh._sysfs
            world.bay, world.responding = fresh.bay, fresh.responding
            world.bus.root = fresh.bus.root
            world.generation = generation
            self.hw.reset_caches(str(world.sysfs_root or self.hw.sysfs_root))
            if sim.get("devices"):
                world.restore(sim["devices"])
        else:
            world.restore(sim.get("devices") or {})
        overrides = sim.get("overrides") or {}
        world.apply({d: {k: v for k, v in kv.items() if k not in ONE_SHOT} for d, kv in overrides.items()})
        shots = {d: {k: v for k, v in kv.items() if k in ONE_SHOT} for d, kv in overrides.items()}
        for name, values in shots.items():
            for key, value in values.items():
                world.set(self.platform.devices[name], key, value)
                del overrides[name][key]
                state.dirty = True


# --- building the per-node SDR repository ----------------------------------------------------


def synth_decl(platform: Platform, node: NodeDecl, number: int, sensor, step: float | None = None,
               ordinals: dict[str, int] | None = None) -> Any:
    """Platform sensor -> the shared synthesis description (:mod:`chassisctl.bmc.synth`).

    ``step`` is the reading's step when already known (from the synthesis
    cache); otherwise the factors are computed to find it.  ``ordinals`` is
    :func:`_ordinals` of the platform when the caller has it (one pass over
    the devices for a whole repository instead of one per sensor).
    """
    from chassisctl.bmc.synth import SensorDecl
    from chassisctl.platform import schema

    stype, _unit, entity_id = schema.SENSOR_TYPES[sensor.type]
    dev = platform.devices[sensor.device]
    if sensor.entity is not None:
        entity = sensor.entity
    elif dev.kind_entry.entity_id is not None:
        entity = (dev.kind_entry.entity_id, (ordinals or _ordinals(platform))[dev.name])
    elif sensor.type == "fan":
        entity = (0x1D, 1)
    else:
        entity = (entity_id, node.entity_instance)
    if sensor.discrete:
        return SensorDecl(number, sensor.name, stype, entity[0], entity[1], reading_type=0x6F,
                          discrete_mask=0x000F)
    hysteresis = 1
    if sensor.hysteresis:
        import math

        from chassisctl.bmc.synth import aligned_factors

        if step is None:
            step = aligned_factors(*sensor.range, sensor.resolution).step
        hysteresis = max(1, min(255, math.ceil(sensor.hysteresis / step - 1e-9)))
    return SensorDecl(number, sensor.name, stype, entity[0], entity[1], unit=sensor.unit, range=sensor.range,
                      thresholds=dict(sensor.thresholds), hysteresis=hysteresis, resolution=sensor.resolution,
                      percentage=sensor.percentage)


def _ordinals(platform: Platform) -> dict[str, int]:
    """Each device's place among the devices of its family, from 1 (power supply 1, 2, ...)."""
    seen: dict[str, int] = {}
    out: dict[str, int] = {}
    for d in platform.devices.values():
        family = d.family
        seen[family] = out[d.name] = seen.get(family, 0) + 1
    return out


def _build_runtime(backend: PlatformTransport, node: NodeDecl) -> NodeRuntime:
    used = {ns.number for ns in backend.platform.node_sensors[node.name]}
    power_sensor = next(n for n in range(0xFE, 0, -1) if n not in used)
    return NodeRuntime(backend, node, power_sensor)


def _synthesise(backend: PlatformTransport, node: NodeDecl,
                power_sensor: int) -> tuple[dict[int, NodeSensorRuntime], list[bytes]]:
    """The node's SDR repository: MC locator, sensors in topology order, power unit, FRU locators.

    Synthesis depends only on the description, so its outcome is cached
    under the description's digest (and the code's version): a warm command
    restores records, factors and raw thresholds instead of searching for
    factors again.
    """
    from chassisctl.bmc.synth import SensorDecl, from_document, repository, to_document
    from chassisctl.fileio import load_cache, store_cache
    from chassisctl.platform.node_model import NodeSensorRuntime

    platform = backend.platform
    node_sensors = platform.node_sensors[node.name]
    ordinals = _ordinals(platform)
    power = SensorDecl(power_sensor, f"{node.name} Power"[:16], 0x09, 0x07, node.entity_instance,
                       reading_type=0x6F, event_only=True)
    path, key = _synth_cache(platform, node, power_sensor)
    doc = load_cache(path, key, SYNTH_CACHE_FORMAT)
    records = synth = None
    if doc is not None:
        try:
            steps = {int(n): s for n, s in doc["steps"].items()}
            decls = [synth_decl(platform, node, ns.number, ns.decl, step=steps.get(ns.number), ordinals=ordinals)
                     for ns in node_sensors] + [power]
            records, synth = from_document(doc, decls)
        except (KeyError, TypeError, ValueError):
            records = synth = None  # not what this description gives: synthesise afresh
    if records is None or synth is None:
        decls = [synth_decl(platform, node, ns.number, ns.decl, ordinals=ordinals) for ns in node_sensors] + [power]
        frus = platform.node_frus(node.name)
        records, synth = repository(decls, bmc_name=node.name[:16], fru_ids=[(f.id, f.name) for f in frus],
                                    entity=(0x07, node.entity_instance))
        doc = to_document(records, synth)
        stored: dict[str, float] = {}
        for ns in node_sensors:
            conversion = synth[ns.number].conversion
            if conversion is not None:
                stored[str(ns.number)] = conversion.step
        doc["steps"] = stored
        store_cache(path, key, SYNTH_CACHE_FORMAT, doc)
    sensors = {ns.number: NodeSensorRuntime(ns.number, ns.decl, synth[ns.number]) for ns in node_sensors}
    return sensors, records


#: Layout version of the synthesised-SDR cache files.
SYNTH_CACHE_FORMAT = 1


def _synth_cache(platform: Platform, node: NodeDecl, power_sensor: int) -> tuple[Any, str]:
    """Where a node's synthesised SDRs are cached, and their key (description digest, node, code version)."""
    from chassisctl import __version__
    from chassisctl.config import xdg_path

    name = f"sdr-{platform.digest[:24]}-{node.id}.json"
    return xdg_path("CACHE", "platform", name), f"{platform.digest}:{node.name}:{power_sensor}:{__version__}"


# --- opening -------------------------------------------------------------------------------------


def store_for(platform: Platform, spec: BusSpec) -> PlatformStore:
    """The state file of ``platform`` on the bus ``spec``."""
    from chassisctl.platform.state import PlatformStore, state_directory, state_name

    return PlatformStore(state_directory(), state_name(platform.name, spec.path))


def open_platform(settings: BmcSettings, spec: BusSpec, *, clock: Clock, tracer: Tracer | None = None,
                  store: bool = True) -> PlatformTransport:
    """The platform named by ``settings.platform`` on the bus ``spec`` (simulated or real)."""
    from chassisctl.platform.description import load_platform

    if not settings.platform:
        raise UsageError("no platform description named (--platform NAME|FILE)")
    platform = load_platform(settings.platform)
    the_store = store_for(platform, spec) if store else None
    if spec.sim is not None:
        from chassisctl.platform.sim import SIM_ROOT_BUS, build_world

        world = build_world(platform, clock=clock, name=spec.sim, tracer=tracer)
        transport = PlatformTransport(platform, world.bus, clock=clock, bus_path=spec.path, store=the_store,
                                      world=world, sysfs_root=str(world.sysfs_root or "/sys"),
                                      root_bus=SIM_ROOT_BUS, tracer=tracer)
    else:
        from chassisctl.transport.bus import open_bus

        bus = open_bus(spec)
        transport = PlatformTransport(platform, bus, clock=clock, bus_path=spec.path, store=the_store,
                                      root_bus=spec.number or 0, tracer=tracer)
    return transport
