"""Assembling the embedded simulated chassis behind a simulated I2C bus.

``open_simulated("default")`` loads the profile, synthesises the SDR
repository and FRU image, attaches an SSIF slave (or an IPMB responder) at
the BMC's address on a :class:`SimulatedSMBus`, and returns the bus: the
production SSIF/IPMB transports then talk to it exactly as to hardware.

Each request is one locked read-modify-write of the state file, so
``power off`` in one process and ``power status`` in the next agree, and
concurrent commands never corrupt it.  The file is re-read only when it
changed since this process last saw it.
"""

from __future__ import annotations

import contextlib
import functools
import os

from chassisctl.clock import Clock
from chassisctl.ipmi.codes import AppCmdInt, CompletionCodeInt, NetFnInt, SensorCmdInt, StorageCmdInt
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.message import Request
from chassisctl.ipmi.ssif import decode_request, encode_response
from chassisctl.sim.faults import Faults
from chassisctl.sim.profile import Profile, load_profile
from chassisctl.state_store import StateStore

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

if TYPE_CHECKING:
    from chassisctl.bmc.sdr_repository import SdrRepository
    from chassisctl.bmc.synth import SynthSensor
    from chassisctl.sim.bmc import SimState
    from chassisctl.sim.physics import PhysicalModel

# The BMC model and the physics (sim.bmc, bmc.bmc_model, sim.physics) are
# imported when the first request needs them, or before it in the bus's idle
# time (SimChassis.prepare), not to open the bus.

PROFILE_ENV = "CHASSISCTL_SIM_PROFILE"
#: Layout version of the synthesised-SDR cache files.
SYNTH_CACHE_FORMAT = 1
PACE_ENV = "CHASSISCTL_SIM_PACE"
#: Idle-time preparation (:meth:`SimChassis.prepare`) starts a piece only with this much
#: of the bus's wait left (seconds): the state file and the responder...
PREPARE_MIN = 0.0002
#: ...and the SDR synthesis, which ``power status`` does not need, only with this much.
PREPARE_SYNTH_MIN = 0.0005
#: 8-bit IPMB address of the simulated satellite controller (a PSU manager).
SATELLITE_ADDR = 0x72


def build_fru(profile: Profile) -> bytes:
    from chassisctl.ipmi.fru import build

    f = profile.fru
    board = {"manufacturer": f.get("board_manufacturer", "chassisctl"),
             "product_name": f.get("board_product", "SIM-MB"),
             "serial": f.get("board_serial", "SIM0"), "part_number": f.get("board_part", "MB-0")}
    product = {"manufacturer": f.get("product_manufacturer", "chassisctl"),
               "product_name": f.get("product_name", profile.name),
               "part_number": f.get("product_part", "SIM"), "version": f.get("product_version", "1"),
               "serial": f.get("product_serial", "SIM0")}
    chassis = {"chassis_type": int(f.get("chassis_type", 0x17)), "part_number": f.get("chassis_part", "CH-0"),
               "serial": f.get("chassis_serial", "CHS0")}
    return build(board=board, product=product, chassis=chassis)


class SimChassis:
    """One simulated chassis: profile, physics, persisted state, responder."""

    def __init__(self, profile: Profile, store: StateStore | None, clock: Clock,
                 faults: Faults | None = None) -> None:
        self.profile = profile
        self.store = store
        self.clock = clock
        self.faults = faults or Faults()
        self.max_response_data = profile.bmc.max_response - 3
        self._state: SimState | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._sdr: SdrRepository | None = None
        #: What :meth:`prepare` has left to do, with the wait each piece needs.
        self._unprepared = [(self._prepare_model, PREPARE_MIN), (self._prepare_state, PREPARE_MIN),
                            (self._prepare_responder, PREPARE_MIN), (self._prepare_synth, PREPARE_SYNTH_MIN)]

    # -- set-up while the bus is busy -------------------------------------------
    def prepare(self, until: float) -> bool:
        """The bus is busy until clock time ``until``: do the next pieces of first-request set-up.

        It is the very work the first request would do after its STOP, on
        top of the modelled turnaround (~2 ms on this machine class): read
        the state file under the lock (the request reads it again only if
        it changed meanwhile, as between any two requests), load the SDR
        synthesis from its cache, import the model and the responder.  A piece starts
        only while enough of the wait is left, so one that is not needed
        (the synthesis, by ``power status``) costs nothing.  Returns True
        while pieces are left.
        """
        while self._unprepared:
            piece, need = self._unprepared[0]
            if until - self.clock.monotonic() < need:
                return True
            del self._unprepared[0]
            try:
                piece()
            except Exception:  # noqa: BLE001 - the first request does the same work and reports the error
                self._unprepared.clear()
        return False

    def _prepare_model(self) -> None:
        import chassisctl.sim.bmc  # noqa: F401 - the model, imported now: every request builds one

        self.physics  # noqa: B018 - a cached property: built now, used by every request

    def _prepare_state(self) -> None:
        if self._state is None and self.store is not None:
            with self.store.locked():
                self._load(self.clock.time())

    def _prepare_responder(self) -> None:
        import chassisctl.bmc.responder  # noqa: F401 - imported now, used by the first request

    def _prepare_synth(self) -> None:
        self._repository  # noqa: B018 - a cached property: built now, used by the first sensor request

    # -- static parts, built on first use ----------------------------------------
    @functools.cached_property
    def physics(self) -> PhysicalModel:
        from chassisctl.sim.physics import PhysicalModel

        return PhysicalModel(self.profile)

    @functools.cached_property
    def satellite(self) -> _Satellite:
        return _Satellite(self)

    @functools.cached_property
    def _repository(self) -> tuple[list[bytes], dict[int, SynthSensor]]:
        """The synthesised SDRs, from the cache when this profile (by digest) was synthesised before.

        Every request after 5 s of quiet scans the sensors, so without the
        cache an occasional ``power status`` would redo the synthesis (exact
        fractions, factor search, SDR record classes) each time.
        """
        from chassisctl.bmc.synth import from_document, repository, to_document
        from chassisctl.fileio import load_cache, store_cache
        from chassisctl.sim.bmc import sensor_decl

        decls = [sensor_decl(s) for s in self.profile.sensors]
        path, key = _synth_cache(self.profile)
        doc = load_cache(path, key, SYNTH_CACHE_FORMAT)
        if doc is not None:
            try:
                return from_document(doc, decls)
            except (KeyError, TypeError, ValueError):
                pass  # not what these declarations give: synthesise afresh
        records, synth = repository(decls, fru_ids=[(self.profile.fru_id, "Chassis FRU")])
        store_cache(path, key, SYNTH_CACHE_FORMAT, to_document(records, synth))
        return records, synth

    @property
    def records(self) -> list[bytes]:
        return self._repository[0]

    @property
    def synth(self) -> dict[int, SynthSensor]:
        return self._repository[1]

    @functools.cached_property
    def fru_image(self) -> bytes:
        return build_fru(self.profile)

    # -- state ---------------------------------------------------------------
    def _fresh(self, now: float) -> SimState:
        from chassisctl.sim.bmc import SimState

        ts = int(now)
        return SimState(timeline=self.physics.steady_timeline(now), sdr_addition=ts, sdr_erase=ts,
                        profile_digest=self.profile.digest, dirty=True)

    def _load(self, now: float) -> SimState:
        if self.store is None:
            if self._state is None:
                self._state = self._fresh(now)
            return self._state
        stamp = self.store.stamp()
        if self._state is not None and stamp is not None and stamp == self._stamp:
            return self._state
        doc = self.store.load()
        if doc is None:
            state = self._fresh(now)
        else:
            state = _from_doc(doc, self.store.path)
            if state.profile_digest != self.profile.digest:
                # a new repository: its addition timestamp must move even within the same second
                addition = max(int(now), state.sdr_addition + 1)
                state.profile_digest, state.sdr_addition, state.dirty = self.profile.digest, addition, True
        self._state, self._stamp = state, stamp
        return state

    def _save(self, state: SimState) -> None:
        if self.store is not None and state.dirty:
            self.store.save({"chassis": state.to_json()})
            self._stamp = self.store.stamp()
        state.dirty = False

    def sdr(self, state: SimState) -> SdrRepository:
        if self._sdr is None:
            from chassisctl.bmc.sdr_repository import SdrRepository

            self._sdr = SdrRepository(self.records, state.sdr_addition, state.sdr_erase)
        return self._sdr

    # -- the BMC ----------------------------------------------------------------
    def handle(self, request: Request) -> Any:
        """Answer one IPMI request (the SSIF/IPMB slaves call :meth:`handle_payload`)."""
        if self.faults.take("busy_cc"):
            return request.reply(CompletionCodeInt.NODE_BUSY)
        now = self.clock.time()
        lock = self.store.locked() if self.store is not None else contextlib.nullcontext()
        with lock:
            from chassisctl.sim.bmc import SimBmcModel

            state = self._load(now)
            model = SimBmcModel(self, state, now)
            was_on = state.timeline.on
            if self.physics.advance(state.timeline, now):
                state.dirty = True
                model.on_transition(was_on)
            model.scan()
            if (request.netfn, request.cmd) == (NetFnInt.STORAGE, StorageCmdInt.GET_SDR) \
                    and self.faults.take("lost_reservation"):
                self.sdr(state).reserve()  # someone else reserved: the caller's is now stale
            if (request.netfn, request.cmd) == (NetFnInt.APP, AppCmdInt.SEND_MESSAGE):
                response = self.satellite.bridge(request, now)
            else:
                from chassisctl.bmc.responder import SEL_WRITES, Responder

                response = Responder(model, lambda: self.sdr(state), state.sel,
                                     max_response_data=self.max_response_data).handle(request, now)
                if response.cc == CompletionCodeInt.OK and (request.netfn, request.cmd) in SEL_WRITES:
                    state.dirty = True  # the SEL changed through a client, not the model: persist it
            self._save(state)
        return response

    def handle_payload(self, payload: bytes) -> bytes:
        try:
            request = decode_request(payload)
        except DecodeError:
            netfn = payload[0] >> 2 if payload else 0
            cmd = payload[1] if len(payload) > 1 else 0
            return encode_response(Request(netfn & ~1, cmd).reply(CompletionCodeInt.REQUEST_DATA_LENGTH_INVALID))
        if (request.netfn, request.cmd) == (NetFnInt.SENSOR_EVENT, SensorCmdInt.GET_SENSOR_READING) \
                and request.data[:1] and request.data[0] in self.faults.dead_sensors:
            return b""  # fault dead_sensor: the device behind it hangs, no answer at all
        return encode_response(self.handle(request))


def _from_doc(doc: dict[str, Any], path: Path | str) -> SimState:
    from chassisctl.errors import StateError
    from chassisctl.sim.bmc import SimState

    try:
        return SimState.from_json(doc["chassis"])
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"simulator state {path} has an unexpected layout ({exc.__class__.__name__}); "
                         "left untouched", hint=f"move it away to start afresh: mv {path} {path}.bad") from None


class _Satellite:
    """A satellite controller behind the BMC (IPMB channel 7), for Send Message."""

    CHANNEL = 7

    def __init__(self, chassis: SimChassis) -> None:
        from chassisctl.bmc.bmc_model import BaseModel
        from chassisctl.ipmi.app import DeviceId, DeviceSupport

        self.chassis = chassis
        device = DeviceId(device_id=0x72, device_revision=1, provides_device_sdrs=False, firmware_major=1,
                          firmware_minor=0x05, ipmi_version=0x51, additional_support=DeviceSupport.SENSOR,
                          manufacturer_id=chassis.profile.bmc.manufacturer_id, product_id=0x0072)
        self.model = BaseModel(device)

    def bridge(self, request: Request, now: float):
        from chassisctl.bmc.responder import SSIF_SINGLE_PART_DATA, Responder
        from chassisctl.bmc.sdr_repository import SdrRepository
        from chassisctl.ipmi import ipmb

        try:
            channel, _track, inner = ipmb.decode_send_message_request(request)
        except DecodeError:
            return request.reply(CompletionCodeInt.REQUEST_DATA_LENGTH_INVALID)
        if channel != self.CHANNEL or inner.rs_sa != SATELLITE_ADDR:
            return request.reply(0x83)  # NAK on write: nobody at that address
        responder = Responder(self.model, SdrRepository([], 0, 0), None, max_response_data=SSIF_SINGLE_PART_DATA)
        answer = responder.handle(inner.to_request(), now)
        frame = inner.reply(answer.cc, answer.data)
        return request.reply(CompletionCodeInt.OK, frame.encode())


class SimulatedWorld:
    """What ``open_transport`` needs: the bus, and the host's /dev/ipmb-N twin."""

    __slots__ = ("bus", "chassis", "ipmb_device")

    def __init__(self, bus: Any, chassis: SimChassis, ipmb_device: Any = None) -> None:
        self.bus = bus
        self.chassis = chassis
        self.ipmb_device = ipmb_device


def _synth_cache(profile: Profile) -> tuple[str, str]:
    """Where the profile's synthesised SDRs are cached, and their key: the
    profile's digest and the synthesising code's version (a new release may
    compute other factors)."""
    from chassisctl import __version__
    from chassisctl.config import xdg_path

    return xdg_path("CACHE", "sim", f"sdr-{profile.digest[:24]}.json"), f"{profile.digest}:{__version__}"


def state_directory() -> str:
    from chassisctl.config import xdg_path

    return xdg_path("STATE", "sim")


def open_simulated(name: str = "default", *, transport: str = "ssif", clock: Clock,
                   ipmb_my_addr: int = 0x08, profile: Profile | None = None,
                   faults: Faults | None = None, pace: bool | None = None,
                   store: StateStore | None | bool = True) -> SimulatedWorld:
    """A simulated bus with the chassis' BMC on it, speaking ``transport``."""
    from chassisctl.sim.bus import SimulatedSMBus

    profile = profile or load_profile(os.environ.get(PROFILE_ENV))
    faults = faults if faults is not None else _env_faults()
    if store is True:
        store = StateStore(state_directory(), name)
    chassis = SimChassis(profile, store or None, clock, faults)
    if pace is None:
        pace = profile.pace and os.environ.get(PACE_ENV, "1") not in ("0", "false", "no")
    bus = SimulatedSMBus(name, clock=clock, faults=faults, clock_hz=profile.clock_hz, pace=pace)
    addr = profile.bmc.ssif_address
    world = SimulatedWorld(bus, chassis)
    if transport == "ipmb":
        from chassisctl.sim.ipmb_slave import IpmbResponder, SimIpmbDevice

        bus.root.attach(addr, IpmbResponder(chassis.handle_payload, clock, my_addr=addr << 1,
                                            turnaround=profile.bmc.turnaround, faults=faults))
        world.ipmb_device = SimIpmbDevice(bus, my_addr=ipmb_my_addr << 1, clock=clock)
    else:
        from chassisctl.ipmi.ssif import SsifCapabilities, TransactionSupport
        from chassisctl.sim.ssif_slave import SsifSlave

        caps = SsifCapabilities(
            TransactionSupport.START_MIDDLE_END if profile.bmc.multipart else TransactionSupport.SINGLE_PART,
            profile.bmc.pec, 0, profile.bmc.max_request, profile.bmc.max_response)
        bus.root.attach(addr, SsifSlave(chassis.handle_payload, clock, addr=addr, capabilities=caps,
                                        turnaround=profile.bmc.turnaround, faults=faults,
                                        prepare=chassis.prepare))
    return world


def _env_faults() -> Faults:
    from chassisctl.errors import UsageError

    try:
        return Faults.from_env(os.environ)
    except ValueError as exc:
        raise UsageError(f"CHASSISCTL_SIM_FAULTS: {exc}") from None

