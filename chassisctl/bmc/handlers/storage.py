"""Storage netFn (0Ah): SDR repository, SEL and FRU inventory.

SEL commands reach these handlers only when the responder has a SEL (the
responder answers C1h otherwise; see ``SEL_COMMANDS`` there).  The SEL and
FRU codecs are imported by the handlers that use them: a sensor listing
never loads them.
"""

from __future__ import annotations


from chassisctl.bmc.handlers import no_data
from chassisctl.ipmi import storage
from chassisctl.ipmi.codes import CompletionCodeInt as CC
from chassisctl.ipmi.codes import StorageCmdInt

TYPE_CHECKING = False

if TYPE_CHECKING:
    from chassisctl.bmc.responder import Handler, Responder, Result
    from chassisctl.bmc.sel_store import SelStore


# -- SDR -----------------------------------------------------------------------
def get_sdr_repository_info(rsp: Responder, data: bytes, now: float) -> Result:
    no_data(data, "Get SDR Repository Info")
    return rsp.sdr.info()


def reserve_sdr_repository(rsp: Responder, data: bytes, now: float) -> Result:
    no_data(data, "Reserve SDR Repository")
    return storage.Reservation(rsp.sdr.reserve())


def get_sdr(rsp: Responder, data: bytes, now: float) -> Result:
    return rsp.sdr.get(storage.RecordRead.decode(data), max_response_data=rsp.max_response_data)


# -- SEL (only dispatched when there is a SEL) -----------------------------------
def _sel(rsp: Responder) -> SelStore:
    assert rsp.sel is not None
    return rsp.sel


def get_sel_info(rsp: Responder, data: bytes, now: float) -> Result:
    no_data(data, "Get SEL Info")
    return _sel(rsp).info()


def reserve_sel(rsp: Responder, data: bytes, now: float) -> Result:
    no_data(data, "Reserve SEL")
    return storage.Reservation(_sel(rsp).reserve())


def get_sel_entry(rsp: Responder, data: bytes, now: float) -> Result:
    return _sel(rsp).get(storage.RecordRead.decode(data), max_response_data=rsp.max_response_data)


def add_sel_entry(rsp: Responder, data: bytes, now: float) -> Result:
    from chassisctl.ipmi import sel_cmds

    rid = _sel(rsp).add(sel_cmds.parse_add_sel_entry(data), now)
    return CC.OUT_OF_SPACE if rid is None else sel_cmds.RecordId(rid)


def clear_sel(rsp: Responder, data: bytes, now: float) -> Result:
    from chassisctl.ipmi import sel_cmds

    return _sel(rsp).clear(sel_cmds.ClearSelRequest.decode(data), now)


def get_sel_time(rsp: Responder, data: bytes, now: float) -> Result:
    from chassisctl.ipmi import sel_cmds

    no_data(data, "Get SEL Time")
    return sel_cmds.SelTime(_sel(rsp).time(now))


def set_sel_time(rsp: Responder, data: bytes, now: float) -> Result:
    from chassisctl.ipmi import sel_cmds

    _sel(rsp).set_time(sel_cmds.SelTime.decode(data).seconds, now)
    return CC.OK


# -- FRU -----------------------------------------------------------------------
def get_fru_inventory_area_info(rsp: Responder, data: bytes, now: float) -> Result:
    from chassisctl.ipmi import fru_cmds

    image = rsp.model.fru_image(fru_cmds.parse_fru_id(data))
    return CC.NOT_PRESENT if image is None else fru_cmds.FruAreaInfo(len(image))


def read_fru_data(rsp: Responder, data: bytes, now: float) -> Result:
    from chassisctl.ipmi import fru_cmds

    req = fru_cmds.ReadFruRequest.decode(data)
    image = rsp.model.fru_image(req.fru_id)
    if image is None:
        return CC.NOT_PRESENT
    if req.offset >= len(image):
        return CC.PARAMETER_OUT_OF_RANGE
    # More than fits, or past the end: fewer bytes, never an error
    # (pyghmi gives up on C8h/CAh instead of asking for less).
    n = min(req.count, len(image) - req.offset, rsp.max_response_data - 1)
    return fru_cmds.FruData(image[req.offset : req.offset + n])


HANDLERS: dict[int, Handler] = {
    StorageCmdInt.GET_SDR_REPOSITORY_INFO: get_sdr_repository_info,
    StorageCmdInt.RESERVE_SDR_REPOSITORY: reserve_sdr_repository,
    StorageCmdInt.GET_SDR: get_sdr,
    StorageCmdInt.GET_SEL_INFO: get_sel_info,
    StorageCmdInt.RESERVE_SEL: reserve_sel,
    StorageCmdInt.GET_SEL_ENTRY: get_sel_entry,
    StorageCmdInt.ADD_SEL_ENTRY: add_sel_entry,
    StorageCmdInt.CLEAR_SEL: clear_sel,
    StorageCmdInt.GET_SEL_TIME: get_sel_time,
    StorageCmdInt.SET_SEL_TIME: set_sel_time,
    StorageCmdInt.GET_FRU_INVENTORY_AREA_INFO: get_fru_inventory_area_info,
    StorageCmdInt.READ_FRU_DATA: read_fru_data,
}
