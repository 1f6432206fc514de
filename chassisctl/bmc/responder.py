"""BMC-side IPMI: one request in, one well-formed response out.

:class:`Responder` answers standard commands from a :class:`BmcModel`, an
:class:`SdrRepository` and an optional :class:`SelStore`.  Dispatch is the
table :data:`HANDLERS` from (netFn, cmd) to a handler; each handler parses
the request data, asks the model or a store, and returns the reply object
(anything with ``encode()``) or an ``int`` completion code.  Around them:

* unknown command -> C1h; request data of the wrong size -> C7h; a bad
  field -> CCh;
* a reply longer than ``max_response_data`` -> CAh, so nothing ever goes
  out that the transport cannot carry;
* an exception from the model (a bug) -> FFh, kept in :attr:`last_exception`
  — :meth:`Responder.handle` itself never raises.

``max_response_data`` is the room after the completion code in one reply:
29 on single-part SSIF (32 − netFn − cmd − CC); LAN can carry far more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from chassisctl.bmc.model import BmcModel
from chassisctl.bmc.sdr_repository import SdrRepository
from chassisctl.bmc.sel_store import SelStore
from chassisctl.ipmi import app, chassis, dcmi, sensor_cmds, storage
from chassisctl.ipmi.app import Guid, SelfTestResult, SystemInterface
from chassisctl.ipmi.codes import AppCmd, ChassisCmd, DcmiCmd, NetFn, SensorCmd, StorageCmd
from chassisctl.ipmi.codes import CompletionCode as CC
from chassisctl.ipmi.errors import DataLengthError, DecodeError
from chassisctl.ipmi.message import Request, Response

#: Single-part SSIF: a 32-byte block minus netFn/LUN, cmd and CC.
SSIF_SINGLE_PART_DATA = 29


class _Encodable(Protocol):
    def encode(self) -> bytes: ...


Result = _Encodable | int
Handler = Callable[["Responder", bytes, float], Result]


def _no_data(data: bytes, what: str) -> None:
    if data:
        raise DataLengthError(f"{what} takes no request data")


class Responder:
    def __init__(
        self,
        model: BmcModel,
        sdr: SdrRepository | Callable[[], SdrRepository],
        sel: SelStore | None = None,
        *,
        max_response_data: int,
    ) -> None:
        if max_response_data < 18:
            raise ValueError("max_response_data below 18 cannot carry a SEL entry or power reading")
        self.model = model
        self._sdr = sdr
        self.sel = sel
        self.max_response_data = max_response_data
        self.last_exception: BaseException | None = None

    @property
    def sdr(self) -> SdrRepository:
        """The repository; a factory is called on first use (building one can be costly)."""
        if callable(self._sdr):
            self._sdr = self._sdr()
        return self._sdr

    def handle(self, request: Request, now: float) -> Response:
        key = (request.netfn, request.cmd)
        handler = HANDLERS.get(key)
        if handler is None or (self.sel is None and key in SEL_COMMANDS):
            return request.reply(CC.INVALID_COMMAND)
        try:
            result = handler(self, bytes(request.data), now)
            if isinstance(result, int):
                return request.reply(result & 0xFF)
            data = result.encode()
        except DataLengthError:
            return request.reply(CC.REQUEST_DATA_LENGTH_INVALID)
        except DecodeError:
            return request.reply(CC.INVALID_DATA_FIELD)
        except Exception as exc:  # a model bug must not kill the server
            self.last_exception = exc
            return request.reply(CC.UNSPECIFIED)
        if len(data) > self.max_response_data:
            return request.reply(CC.CANNOT_RETURN_REQUESTED_BYTES)
        return request.reply(CC.OK, data)

    def handle_payload(self, payload: bytes, now: float) -> bytes:
        """KCS/SSIF payload ``netFn<<2|LUN, cmd, data`` in, response payload
        ``(netFn|1)<<2|LUN, cmd, CC, data`` out.  Fewer than 2 bytes is not a
        request at all: :class:`DecodeError` (the transport drops it)."""
        if len(payload) < 2:
            raise DecodeError(f"request payload of {len(payload)} bytes")
        rsp = self.handle(Request(payload[0] >> 2, payload[1], bytes(payload[2:]), payload[0] & 0x03), now)
        return bytes([rsp.netfn << 2 | rsp.lun, rsp.cmd, rsp.cc]) + rsp.data

    # -- App ------------------------------------------------------------
    def _get_device_id(self, data: bytes, now: float) -> Result:
        _no_data(data, "Get Device ID")
        return self.model.device_id()

    def _get_device_guid(self, data: bytes, now: float) -> Result:
        _no_data(data, "Get Device GUID")
        return Guid(self.model.device_guid())

    def _get_system_guid(self, data: bytes, now: float) -> Result:
        _no_data(data, "Get System GUID")
        return Guid(self.model.system_guid())

    def _get_self_test(self, data: bytes, now: float) -> Result:
        _no_data(data, "Get Self Test Results")
        return SelfTestResult(*self.model.self_test())

    def _get_sys_intf_caps(self, data: bytes, now: float) -> Result:
        if app.parse_system_interface_capabilities(data) != SystemInterface.SSIF:
            return CC.INVALID_DATA_FIELD  # this BMC is not on a KCS/SMIC interface
        caps = self.model.ssif_capabilities()
        return CC.INVALID_COMMAND if caps is None else caps

    # -- Chassis --------------------------------------------------------
    def _get_chassis_status(self, data: bytes, now: float) -> Result:
        _no_data(data, "Get Chassis Status")
        return self.model.chassis_status()

    def _chassis_control(self, data: bytes, now: float) -> Result:
        return self.model.chassis_control(chassis.parse_chassis_control(data))

    def _get_boot_options(self, data: bytes, now: float) -> Result:
        return self.model.get_boot_option(chassis.GetBootOptionsRequest.decode(data).selector)

    def _set_boot_options(self, data: bytes, now: float) -> Result:
        req = chassis.SetBootOptionsRequest.decode(data)
        return self.model.set_boot_option(req.selector, req.data, req.invalid)

    # -- Sensor/Event ---------------------------------------------------
    def _get_sensor_reading(self, data: bytes, now: float) -> Result:
        return self.model.read_sensor(sensor_cmds.parse_sensor_number(data))

    def _get_sensor_thresholds(self, data: bytes, now: float) -> Result:
        return self.model.sensor_thresholds(sensor_cmds.parse_sensor_number(data))

    def _get_sensor_hysteresis(self, data: bytes, now: float) -> Result:
        return self.model.sensor_hysteresis(sensor_cmds.parse_get_sensor_hysteresis(data))

    def _get_sensor_event_enable(self, data: bytes, now: float) -> Result:
        return self.model.sensor_event_enable(sensor_cmds.parse_sensor_number(data))

    def _get_reading_factors(self, data: bytes, now: float) -> Result:
        req = sensor_cmds.ReadingFactorsRequest.decode(data)
        return self.model.sensor_reading_factors(req.number, req.reading)

    # -- Storage: SDR ---------------------------------------------------
    def _get_sdr_info(self, data: bytes, now: float) -> Result:
        _no_data(data, "Get SDR Repository Info")
        return self.sdr.info()

    def _reserve_sdr(self, data: bytes, now: float) -> Result:
        _no_data(data, "Reserve SDR Repository")
        return storage.Reservation(self.sdr.reserve())

    def _get_sdr(self, data: bytes, now: float) -> Result:
        return self.sdr.get(storage.RecordRead.decode(data), max_response_data=self.max_response_data)

    # -- Storage: SEL (only dispatched when there is a SEL) --------------
    @property
    def _sel(self) -> SelStore:
        assert self.sel is not None
        return self.sel

    def _get_sel_info(self, data: bytes, now: float) -> Result:
        _no_data(data, "Get SEL Info")
        return self._sel.info()

    def _reserve_sel(self, data: bytes, now: float) -> Result:
        _no_data(data, "Reserve SEL")
        return storage.Reservation(self._sel.reserve())

    def _get_sel_entry(self, data: bytes, now: float) -> Result:
        return self._sel.get(storage.RecordRead.decode(data), max_response_data=self.max_response_data)

    def _add_sel_entry(self, data: bytes, now: float) -> Result:
        rid = self._sel.add(storage.parse_add_sel_entry(data), now)
        return CC.OUT_OF_SPACE if rid is None else storage.RecordId(rid)

    def _clear_sel(self, data: bytes, now: float) -> Result:
        return self._sel.clear(storage.ClearSelRequest.decode(data), now)

    def _get_sel_time(self, data: bytes, now: float) -> Result:
        _no_data(data, "Get SEL Time")
        return storage.SelTime(self._sel.time(now))

    def _set_sel_time(self, data: bytes, now: float) -> Result:
        self._sel.set_time(storage.SelTime.decode(data).seconds, now)
        return CC.OK

    # -- Storage: FRU ---------------------------------------------------
    def _fru_area_info(self, data: bytes, now: float) -> Result:
        image = self.model.fru_image(storage.parse_fru_id(data))
        return CC.NOT_PRESENT if image is None else storage.FruAreaInfo(len(image))

    def _read_fru(self, data: bytes, now: float) -> Result:
        req = storage.ReadFruRequest.decode(data)
        image = self.model.fru_image(req.fru_id)
        if image is None:
            return CC.NOT_PRESENT
        if req.offset >= len(image):
            return CC.PARAMETER_OUT_OF_RANGE
        # More than fits, or past the end: fewer bytes, never an error
        # (pyghmi gives up on C8h/CAh instead of asking for less).
        n = min(req.count, len(image) - req.offset, self.max_response_data - 1)
        return storage.FruData(image[req.offset : req.offset + n])

    # -- DCMI -----------------------------------------------------------
    def _dcmi_capabilities(self, data: bytes, now: float) -> Result:
        return self.model.dcmi_capabilities(dcmi.parse_get_dcmi_capabilities(data))

    def _dcmi_power_reading(self, data: bytes, now: float) -> Result:
        req = dcmi.PowerReadingRequest.decode(data)
        if req.mode != dcmi.PowerReadingMode.SYSTEM_POWER_STATISTICS:
            return CC.INVALID_DATA_FIELD
        return self.model.power_reading()


#: (netFn, cmd) -> handler.  Adding a command is one line here plus a method.
HANDLERS: dict[tuple[int, int], Handler] = {
    (NetFn.APP, AppCmd.GET_DEVICE_ID): Responder._get_device_id,
    (NetFn.APP, AppCmd.GET_DEVICE_GUID): Responder._get_device_guid,
    (NetFn.APP, AppCmd.GET_SYSTEM_GUID): Responder._get_system_guid,
    (NetFn.APP, AppCmd.GET_SELF_TEST_RESULTS): Responder._get_self_test,
    (NetFn.APP, AppCmd.GET_SYSTEM_INTERFACE_CAPABILITIES): Responder._get_sys_intf_caps,
    (NetFn.CHASSIS, ChassisCmd.GET_CHASSIS_STATUS): Responder._get_chassis_status,
    (NetFn.CHASSIS, ChassisCmd.CHASSIS_CONTROL): Responder._chassis_control,
    (NetFn.CHASSIS, ChassisCmd.GET_SYSTEM_BOOT_OPTIONS): Responder._get_boot_options,
    (NetFn.CHASSIS, ChassisCmd.SET_SYSTEM_BOOT_OPTIONS): Responder._set_boot_options,
    (NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_READING): Responder._get_sensor_reading,
    (NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_THRESHOLDS): Responder._get_sensor_thresholds,
    (NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_HYSTERESIS): Responder._get_sensor_hysteresis,
    (NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_EVENT_ENABLE): Responder._get_sensor_event_enable,
    (NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_READING_FACTORS): Responder._get_reading_factors,
    (NetFn.STORAGE, StorageCmd.GET_SDR_REPOSITORY_INFO): Responder._get_sdr_info,
    (NetFn.STORAGE, StorageCmd.RESERVE_SDR_REPOSITORY): Responder._reserve_sdr,
    (NetFn.STORAGE, StorageCmd.GET_SDR): Responder._get_sdr,
    (NetFn.STORAGE, StorageCmd.GET_SEL_INFO): Responder._get_sel_info,
    (NetFn.STORAGE, StorageCmd.RESERVE_SEL): Responder._reserve_sel,
    (NetFn.STORAGE, StorageCmd.GET_SEL_ENTRY): Responder._get_sel_entry,
    (NetFn.STORAGE, StorageCmd.ADD_SEL_ENTRY): Responder._add_sel_entry,
    (NetFn.STORAGE, StorageCmd.CLEAR_SEL): Responder._clear_sel,
    (NetFn.STORAGE, StorageCmd.GET_SEL_TIME): Responder._get_sel_time,
    (NetFn.STORAGE, StorageCmd.SET_SEL_TIME): Responder._set_sel_time,
    (NetFn.STORAGE, StorageCmd.GET_FRU_INVENTORY_AREA_INFO): Responder._fru_area_info,
    (NetFn.STORAGE, StorageCmd.READ_FRU_DATA): Responder._read_fru,
    (NetFn.GROUP_EXTENSION, DcmiCmd.GET_DCMI_CAPABILITIES): Responder._dcmi_capabilities,
    (NetFn.GROUP_EXTENSION, DcmiCmd.GET_POWER_READING): Responder._dcmi_power_reading,
}

#: Commands answered C1h when the responder has no SEL.
SEL_COMMANDS = frozenset(
    (NetFn.STORAGE, c)
    for c in (
        StorageCmd.GET_SEL_INFO,
        StorageCmd.RESERVE_SEL,
        StorageCmd.GET_SEL_ENTRY,
        StorageCmd.ADD_SEL_ENTRY,
        StorageCmd.CLEAR_SEL,
        StorageCmd.GET_SEL_TIME,
        StorageCmd.SET_SEL_TIME,
    )
)
