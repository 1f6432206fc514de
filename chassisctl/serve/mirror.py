"""What LAN clients talk to: one node's BMC, cached where that is safe.

Ten Prometheus scrapers and a FreeIPMI SDR walk must not become ten bus
scans, and Get Device ID must not cost an SSIF round trip.  So:

* identity (Get Device ID, GUIDs) is read once and answered from memory;
* the SDR repository is walked once (through the SDR cache the CLI uses),
  mirrored locally with the BMC's own record IDs and timestamps (FreeIPMI
  and chassisctl key their caches on those), and served with large partial
  reads and local reservations;
* sensor readings come from one scan of every sensor, shared by all
  clients and repeated at most once per poll interval;
* Chassis Control and everything else go to the BMC through the bus
  worker, never retried; a power command invalidates the cached status.

When the I2C BMC answers C1h for FRU, SEL or boot options, serve answers
those itself from a local store, because LAN clients expect them.

A BMC that does not answer is not a reason to stop serving: on real chassis
the BMC often boots after the host, or resets under load.  The mirror is
*up* once identity and SDRs have been read, *down* before that and after a
bus failure that a Get Device ID probe confirms.  While down, everything not
held in memory is answered at once with :data:`BMC_DOWN_CC` (no bus time,
no client timeout), and :meth:`BmcMirror.watch` retries with back-off; the
change is logged once each way.

:meth:`BmcMirror.fast` runs on the LAN receive thread and, through
:meth:`handle`, on the event loop; the answers that change state (SDR
reservations, the local SEL and boot options) take ``_lock``.  Everything
else it reads is replaced whole by the bus thread, never edited in place.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chassisctl.errors import BusIOError, ChassisError, ProtocolError, TimeoutFailure, UnreachableError
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi.codes import (AppCmd, ChassisCmd, CompletionCode, NetFn, SensorCmd,
                                   StorageCmd)
from chassisctl.ipmi.message import Request, Response
from chassisctl.serve.worker import BusWorker
from chassisctl.transport.base import Transport

if TYPE_CHECKING:
    import asyncio

    from chassisctl.bmc.sdr_repository import SdrRepository
    from chassisctl.bmc.sel_store import SelStore

#: Room for data in one LAN reply (IPMI 1.5 message length is one byte).
LAN_MAX_RESPONSE_DATA = 247
SENSOR_DEADLINE = 0.25
#: The answer to anything that needs the BMC while it does not answer: "command
#: not supported in present state" (IPMI v2.0 table 5-2), what OpenBMC answers
#: while its host interface is down.  Clients report it at once instead of
#: waiting out their retransmissions.
BMC_DOWN_CC = 0xD5
#: Retry delays while the BMC is down: doubling from the first to the ceiling.
RETRY_FIRST = 1.0
RETRY_MAX = 30.0
#: Failures that mean "the BMC is not answering (yet)": serve keeps running.
#: Anything else (configuration, permission, corrupt local state) still stops it.
BMC_ABSENT = (UnreachableError, TimeoutFailure, BusIOError, ProtocolError, CompletionCodeError)

STATIC = {(NetFn.APP, AppCmd.GET_DEVICE_ID), (NetFn.APP, AppCmd.GET_DEVICE_GUID),
          (NetFn.APP, AppCmd.GET_SYSTEM_GUID)}
SDR_COMMANDS = {(NetFn.STORAGE, StorageCmd.GET_SDR_REPOSITORY_INFO),
                (NetFn.STORAGE, StorageCmd.RESERVE_SDR_REPOSITORY),
                (NetFn.STORAGE, StorageCmd.GET_SDR)}
#: Command groups serve answers itself when the BMC lacks them (C1h).
FALLBACK_GROUPS: dict[str, set[tuple[int, int]]] = {
    "fru": {(NetFn.STORAGE, c) for c in (StorageCmd.GET_FRU_INVENTORY_AREA_INFO, StorageCmd.READ_FRU_DATA)},
    "sel": {(NetFn.STORAGE, c) for c in (StorageCmd.GET_SEL_INFO, StorageCmd.RESERVE_SEL,
                                         StorageCmd.GET_SEL_ENTRY, StorageCmd.ADD_SEL_ENTRY,
                                         StorageCmd.CLEAR_SEL, StorageCmd.GET_SEL_TIME,
                                         StorageCmd.SET_SEL_TIME)},
    "boot": {(NetFn.CHASSIS, ChassisCmd.GET_SYSTEM_BOOT_OPTIONS),
             (NetFn.CHASSIS, ChassisCmd.SET_SYSTEM_BOOT_OPTIONS)},
}
_GROUP_OF = {key: group for group, keys in FALLBACK_GROUPS.items() for key in keys}
#: fast()'s keys, built once (it runs on every LAN request).
_SENSOR_READING = (int(NetFn.SENSOR_EVENT), int(SensorCmd.GET_SENSOR_READING))
_CHASSIS_STATUS = (int(NetFn.CHASSIS), int(ChassisCmd.GET_CHASSIS_STATUS))


def _command_key(request: Request) -> tuple[int, int, bytes]:
    """What identifies a command: group-extension commands (2Ch) mean
    different things per group byte (PICMG 00h, DCMI DCh…)."""
    group = request.data[:1] if request.netfn == NetFn.GROUP_EXTENSION else b""
    return (request.netfn, request.cmd, group)


def _failure_response(request: Request, exc: ChassisError) -> Response:
    """A bus-level failure as the completion code a LAN client understands."""
    cc = CompletionCode.TIMEOUT if isinstance(exc, TimeoutFailure) else CompletionCode.RESPONSE_UNAVAILABLE
    return request.reply(cc)


class BmcMirror:
    def __init__(self, transport: Transport, worker: BusWorker, *, node: str | int | None = None,
                 name: str = "bmc", poll_interval: float = 1.0, fru_image: bytes | None = None,
                 clock: Callable[[], float] = time.monotonic, logger: logging.Logger | None = None,
                 sdr_cache: Any = None) -> None:
        self.transport = transport
        self.worker = worker
        self.node = node
        self.name = name
        self.poll_interval = poll_interval
        self.clock = clock
        self.logger = logger or logging.getLogger("chassisctl.serve")
        self.sdr_cache = sdr_cache
        self._static: dict[tuple[int, int], Response] = {}
        self._sdr: SdrRepository | None = None
        self._sdr_stamp: tuple[int, int, int] | None = None
        self._sensors: list[tuple[int, int]] = []
        self.sensor_names: list[str] = []
        self._readings: dict[tuple[int, int], Response] = {}
        self._scanned_at = float("-inf")
        self._scan_future: asyncio.Future[None] | None = None
        self._status: tuple[float, Response] | None = None
        self._lacks: set[str] = set()
        #: Commands the BMC answered C1h (invalid command): it will not learn them
        #: while serve runs, so ipmitool's PICMG/HPM/DCMI probes stop costing bus time.
        self._unsupported: set[tuple[int, int, bytes]] = set()
        self._local = _LocalBmc(fru_image)
        self._lock = threading.Lock()
        self.scans = 0
        #: One record per sensor the CLI's ``sensors`` shows, for :meth:`sensor_values`.
        self._records: list[Any] = []
        #: Non-linear factors learned on the bus thread, by sensor number (CacheEntry's shape).
        self._factors = _FactorStore()
        #: (the readings dict it came from, SensorValues) for :meth:`sensor_values`.
        self._decoded: tuple[dict, list] | None = None
        #: False until identity and SDRs are read, and while a lost BMC is retried.
        self.up = False
        #: Why the BMC is down (for status), and since when (monotonic).
        self.down_reason: str | None = None
        self.down_since: float | None = None
        self._suspect: Any = None  # asyncio.Event, made on the loop by watch()
        self._was_up = False
        #: Called on the event loop each time the BMC comes up (the unit updates GUID and names).
        self.on_up: Callable[[BmcMirror], None] | None = None

    # -- start-up and availability ---------------------------------------------
    async def start(self) -> None:
        """Read identity and SDRs.  A BMC that does not answer (yet) is logged
        and left to :meth:`watch`; only other errors (configuration,
        permission, corrupt local state) are raised."""
        try:
            await self._connect()
        except BMC_ABSENT as exc:
            self._went_down(exc, "does not answer yet")

    async def _connect(self) -> None:
        await self.worker.run(("static", self.name), self._load_static)
        await self.worker.run(("sdr", self.name), self._load_sdr)
        self._came_up()

    def _came_up(self) -> None:
        if self.down_since is not None:
            self.logger.warning("%s: the BMC answers %s %.1f s; serving it", self.name,
                                "again after" if self._was_up else "after", self.clock() - self.down_since)
        self.up, self.down_reason, self.down_since, self._was_up = True, None, None, True
        if self.on_up is not None:
            self.on_up(self)

    def _went_down(self, exc: BaseException, how: str = "stopped answering") -> None:
        if self.down_since is None:
            self.logger.warning("%s: the BMC %s (%s); LAN requests that need it get %02Xh until it answers, "
                                "retrying", self.name, how, exc, BMC_DOWN_CC)
            self.down_since = self.clock()
        self.up, self.down_reason = False, str(exc)

    def _suspect_bus(self, exc: BaseException) -> None:
        """A bus failure: have :meth:`watch` ask whether the BMC is still there."""
        if self.up and isinstance(exc, BMC_ABSENT) and self._suspect is not None:
            self._suspect.set()

    async def watch(self) -> None:
        """For serve's lifetime: probe the BMC after a failure, and while it is
        down retry (identity and SDRs) with back-off until it answers."""
        import asyncio

        self._suspect = asyncio.Event()
        delay = RETRY_FIRST
        while True:
            if self.up:
                await self._suspect.wait()
                self._suspect.clear()
                try:
                    await self.worker.run(("probe", self.name), self._probe)
                except BMC_ABSENT as exc:
                    self._went_down(exc)
                    delay = RETRY_FIRST
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)
            try:
                await self._connect()
            except BMC_ABSENT as exc:
                self.down_reason = str(exc)
                self.logger.debug("%s: the BMC still does not answer: %s", self.name, exc)
            else:
                delay = RETRY_FIRST

    def _probe(self) -> None:
        """Runs on the bus thread: is the BMC there?  Get Device ID, answered with 00h."""
        request = Request(NetFn.APP, AppCmd.GET_DEVICE_ID)
        response = self._transact(request)
        if not response.ok:
            raise CompletionCodeError(response.cc, request.name)

    def _transact(self, request: Request, timeout: float | None = None) -> Response:
        return self.transport.transact(request, node=self.node, timeout=timeout)

    def _load_static(self) -> None:
        for netfn, cmd in STATIC:
            request = Request(netfn, cmd)
            try:
                response = self._transact(request)
            except ChassisError as exc:
                if (netfn, cmd) == (NetFn.APP, AppCmd.GET_DEVICE_ID):
                    raise
                self.logger.info("%s: %s unavailable (%s)", self.name, request.name, exc)
                continue
            if (netfn, cmd) == (NetFn.APP, AppCmd.GET_DEVICE_ID) and not response.ok:
                # "initialising" (D2h), "busy" (C0h)...: not an identity to keep answering with
                raise CompletionCodeError(response.cc, request.name)
            if response.ok or response.cc == CompletionCode.INVALID_COMMAND:
                self._static[(netfn, cmd)] = response  # a transient error is asked again

    def _load_sdr(self) -> None:
        from chassisctl.bmc.sdr_repository import SdrRepository
        from chassisctl.client.sensors import load_repository
        from chassisctl.ipmi.sdr import CompactSensorRecord

        repo = load_repository(self.transport, node=self.node, cache=self.sdr_cache)
        entry = repo.entry
        self._sdr = SdrRepository(entry.records, entry.addition, entry.erase, shared_reservations=True)
        self._sdr_stamp = (entry.count, entry.addition, entry.erase)
        numbers, names = [], []
        for record in repo.sensors():
            if record.owner_id != 0x20:
                continue  # satellite-owned: forwarded on demand, not scanned
            # a Compact record may stand for several sensors; a Full record is one
            shared = ([(i.sensor_number, i.name) for i in record.instances()]
                      if isinstance(record, CompactSensorRecord) else [(record.sensor_number, record.id_string)])
            for number, name in shared:
                numbers.append((record.owner_lun, number))
                names.append(name)
        self._sensors, self.sensor_names = numbers, names
        self._records = [r for r in repo.sensors() if r.owner_id == 0x20]
        self._readings.clear()
        self._scanned_at = float("-inf")

    # -- answering -------------------------------------------------------------
    def fast(self, request: Request) -> Response | None:
        """An answer from memory when one is valid right now, else None."""
        key = (request.netfn, request.cmd)
        cached = self._static.get(key)
        if cached is not None and not request.data:
            if cached.lun == request.lun:
                return cached  # Responses are immutable: no copy needed
            return Response(cached.netfn, cached.cmd, cached.cc, cached.data, request.lun)
        if key in SDR_COMMANDS and self._sdr is not None:
            with self._lock:
                return self._sdr_answer(request, self._sdr)
        if key == _SENSOR_READING and len(request.data) == 1:
            if self.clock() - self._scanned_at < self.poll_interval:
                cached = self._readings.get((request.lun, request.data[0]))
                if cached is not None:
                    return cached
        if key == _CHASSIS_STATUS and self._status is not None:
            at, cached = self._status
            if self.clock() - at < self.poll_interval:
                return cached
        if _GROUP_OF.get(key) in self._lacks:
            with self._lock:
                return self._local.handle(request)
        if _command_key(request) in self._unsupported:
            return request.reply(CompletionCode.INVALID_COMMAND)
        if not self.up:
            return request.reply(BMC_DOWN_CC)  # nothing in memory, and the BMC does not answer
        return None

    async def handle(self, request: Request, key: Any = None) -> Response:
        answer = self.fast(request)
        if answer is not None:
            return answer
        what = (request.netfn, request.cmd)
        if what == (NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_READING) and len(request.data) == 1 \
                and (request.lun, request.data[0]) in set(self._sensors):
            await self._scan()
            cached = self._readings.get((request.lun, request.data[0]))
            if cached is not None:
                return cached
        response = await self._forward(request, key)
        if what == (NetFn.CHASSIS, ChassisCmd.CHASSIS_CONTROL):
            self._status = None
            self._scanned_at = float("-inf")
        elif what == (NetFn.CHASSIS, ChassisCmd.GET_CHASSIS_STATUS) and response.ok:
            self._status = (self.clock(), response)
        group = _GROUP_OF.get(what)
        if response.cc == CompletionCode.INVALID_COMMAND and not group:
            self._unsupported.add(_command_key(request))
        if group and response.cc == CompletionCode.INVALID_COMMAND:
            self.logger.info("%s: the BMC lacks %s commands; serve answers them itself", self.name, group)
            self._lacks.add(group)
            with self._lock:
                return self._local.handle(request)
        return response

    async def _forward(self, request: Request, key: Any) -> Response:
        try:
            return await self.worker.run(key or ("lan", self.name), self._transact, request)
        except ChassisError as exc:
            self.logger.warning("%s: %s failed on the bus: %s", self.name, request.name, exc)
            self._suspect_bus(exc)
            return _failure_response(request, exc)

    def _sdr_answer(self, request: Request, sdr: SdrRepository) -> Response:
        from chassisctl.bmc.responder import Responder

        responder = Responder(self._local.model, sdr, None, max_response_data=LAN_MAX_RESPONSE_DATA)
        return responder.handle(request, time.time())

    # -- the shared sensor scan --------------------------------------------------
    async def _scan(self) -> None:
        """One bus scan of every sensor, shared by whoever asks meanwhile."""
        import asyncio

        if self._scan_future is None:
            self._scan_future = asyncio.ensure_future(self._run_scan())
        future = self._scan_future
        try:
            await asyncio.shield(future)
        finally:
            if future.done() and self._scan_future is future:
                self._scan_future = None

    async def _run_scan(self) -> None:
        stale, failure = await self.worker.run(("poll", self.name), self._scan_on_bus)
        if failure is not None:
            self._suspect_bus(failure)
        if stale:
            self.logger.info("%s: SDR repository changed; re-reading it", self.name)
            await self.worker.run(("sdr", self.name), self._load_sdr)

    def _scan_on_bus(self) -> tuple[bool, ChassisError | None]:
        """Runs on the bus thread: repository check + one reading per sensor.

        Returns (the repository changed, the bus error every reading failed
        with, if every one did: a reason to ask whether the BMC is gone)."""
        from chassisctl.ipmi.sensor_cmds import get_sensor_reading
        from chassisctl.ipmi.storage import SdrRepositoryInfo, get_sdr_repository_info

        stale = False
        try:
            info_rsp = self._transact(get_sdr_repository_info())
            if info_rsp.ok:
                info = SdrRepositoryInfo.decode(info_rsp.data)
                stale = (info.count, info.last_addition, info.last_erase) != self._sdr_stamp
        except ChassisError:
            pass
        readings: dict[tuple[int, int], Response] = {}
        failure: ChassisError | None = None
        answered = 0
        for lun, number in self._sensors:
            request = get_sensor_reading(number)
            request = Request(request.netfn, request.cmd, request.data, lun)
            try:
                readings[(lun, number)] = self._transact(request, SENSOR_DEADLINE)
                answered += 1
            except ChassisError as exc:
                readings[(lun, number)] = _failure_response(request, exc)
                failure = exc
        self._readings = readings
        self._scanned_at = self.clock()
        self.scans += 1
        self._learn_factors(readings)
        return stale, (failure if not answered else None)

    def _learn_factors(self, readings: dict[tuple[int, int], Response]) -> None:
        """Non-linear sensors need Get Sensor Reading Factors per raw value;
        ask on the bus thread, once per range, so :meth:`sensor_values` never has to."""
        from chassisctl.client.sensors import SensorReader
        from chassisctl.ipmi.conversion import NON_LINEAR
        from chassisctl.ipmi.sdr import FullSensorRecord

        reader = SensorReader(self.transport, node=self.node, entry=self._factors,
                              deadline=SENSOR_DEADLINE)
        for record in self._records:
            if not isinstance(record, FullSensorRecord) or record.linearization not in NON_LINEAR:
                continue
            response = readings.get((record.owner_lun, record.sensor_number))
            if response is not None and response.ok and response.data:
                reader.learn_factors(record, response.data[0])

    def sensor_values(self) -> tuple[float, list[Any]]:
        """(monotonic time of the scan, one SensorValue per sensor) from the last
        scan, decoded without touching the bus: what metrics and ``status`` show."""
        from chassisctl.client.sensors import SensorReader

        readings, at = self._readings, self._scanned_at
        memo = self._decoded
        if memo is not None and memo[0] is readings:
            return at, memo[1]  # the same scan: decoded once, whoever asks (metrics, status)
        values = []
        for record in self._records:
            cached = readings.get((record.owner_lun, record.sensor_number))
            reader = SensorReader(_Answered(cached), entry=self._factors,
                                  deadline=SENSOR_DEADLINE)
            values.append(reader.read_one(record))
        self._decoded = (readings, values)
        return at, values

    async def refresh(self, max_age: float) -> None:
        """Scan again, and read the chassis status, when older than ``max_age`` seconds
        (not while the BMC is down: :meth:`watch` is already asking)."""
        if not self.up:
            return
        if self.clock() - self._scanned_at >= max_age:
            await self._scan()
        if self._status is None or self.clock() - self._status[0] >= max_age:
            request = Request(NetFn.CHASSIS, ChassisCmd.GET_CHASSIS_STATUS)
            response = await self._forward(request, ("poll", self.name))
            if response.ok:
                self._status = (self.clock(), response)

    def power(self) -> str | None:
        """"on" or "off" from the last Get Chassis Status, None when never read."""
        if self._status is None or not self._status[1].data:
            return None
        return "on" if self._status[1].data[0] & 0x01 else "off"

    @property
    def scanned_at(self) -> float:
        return self._scanned_at


class _FactorStore:
    """Where SensorReader keeps learned non-linear factors (a CacheEntry's ``factors``)."""

    def __init__(self) -> None:
        self.factors: dict[str, list[list[Any]]] = {}


class _Answered:
    """A transport that answers Get Sensor Reading with one cached response
    and nothing else: decoding a scan must never reach the bus."""

    def __init__(self, response: Response | None) -> None:
        self.response = response

    def transact(self, request: Request, *, node: Any = None, timeout: float | None = None) -> Response:
        r = self.response
        if r is not None and (request.netfn, request.cmd) == _SENSOR_READING:
            return Response(r.netfn, r.cmd, r.cc, r.data, request.lun)
        raise TimeoutFailure("not in the last scan")


class _LocalBmc:
    """serve's own answers for FRU, SEL and boot options a BMC lacks."""

    def __init__(self, fru_image: bytes | None) -> None:
        from chassisctl.bmc.bmc_model import BaseModel

        class Model(BaseModel):
            def fru_image(self, fru_id: int) -> bytes | None:
                return fru_image if fru_id == 0 else None

        self.model = Model()
        self._sel: SelStore | None = None

    def handle(self, request: Request) -> Response:
        from chassisctl.bmc.responder import Responder
        from chassisctl.bmc.sdr_repository import SdrRepository
        from chassisctl.bmc.sel_store import SelStore

        if self._sel is None:
            self._sel = SelStore()
        responder = Responder(self.model, functools.partial(SdrRepository, ()), self._sel,
                              max_response_data=LAN_MAX_RESPONSE_DATA)
        return responder.handle(request, time.time())
