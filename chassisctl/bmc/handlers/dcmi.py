"""Group Extension netFn (2Ch), DCMI group (DCh): capabilities and power reading."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chassisctl.ipmi import dcmi
from chassisctl.ipmi.codes import CompletionCodeInt as CC
from chassisctl.ipmi.codes import DcmiCmdInt

if TYPE_CHECKING:
    from chassisctl.bmc.responder import Handler, Responder, Result


def get_dcmi_capabilities(rsp: Responder, data: bytes, now: float) -> Result:
    return rsp.model.dcmi_capabilities(dcmi.parse_get_dcmi_capabilities(data))


def get_power_reading(rsp: Responder, data: bytes, now: float) -> Result:
    req = dcmi.PowerReadingRequest.decode(data)
    if req.mode != dcmi.PowerReadingMode.SYSTEM_POWER_STATISTICS:
        return CC.INVALID_DATA_FIELD
    return rsp.model.power_reading()


HANDLERS: dict[int, Handler] = {
    DcmiCmdInt.GET_DCMI_CAPABILITIES: get_dcmi_capabilities,
    DcmiCmdInt.GET_POWER_READING: get_power_reading,
}
