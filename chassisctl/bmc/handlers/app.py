"""App netFn (06h): device identity, resets, GUIDs, self test, SSIF capabilities."""

from __future__ import annotations


from chassisctl.bmc.handlers import no_data
from chassisctl.ipmi import app
from chassisctl.ipmi.app import Guid, SelfTestResult, SystemInterface
from chassisctl.ipmi.codes import AppCmdInt
from chassisctl.ipmi.codes import CompletionCodeInt as CC

TYPE_CHECKING = False

if TYPE_CHECKING:
    from chassisctl.bmc.responder import Handler, Responder, Result


def get_device_id(rsp: Responder, data: bytes, now: float) -> Result:
    no_data(data, "Get Device ID")
    return rsp.model.device_id()


def cold_reset(rsp: Responder, data: bytes, now: float) -> Result:
    no_data(data, "Cold Reset")
    return rsp.model.bmc_reset(cold=True)


def warm_reset(rsp: Responder, data: bytes, now: float) -> Result:
    no_data(data, "Warm Reset")
    return rsp.model.bmc_reset(cold=False)


def get_device_guid(rsp: Responder, data: bytes, now: float) -> Result:
    no_data(data, "Get Device GUID")
    return Guid(rsp.model.device_guid())


def get_system_guid(rsp: Responder, data: bytes, now: float) -> Result:
    no_data(data, "Get System GUID")
    return Guid(rsp.model.system_guid())


def get_self_test_results(rsp: Responder, data: bytes, now: float) -> Result:
    no_data(data, "Get Self Test Results")
    return SelfTestResult(*rsp.model.self_test())


def get_system_interface_capabilities(rsp: Responder, data: bytes, now: float) -> Result:
    if app.parse_system_interface_capabilities(data) != SystemInterface.SSIF:
        return CC.INVALID_DATA_FIELD  # this BMC is not on a KCS/SMIC interface
    caps = rsp.model.ssif_capabilities()
    return CC.INVALID_COMMAND if caps is None else caps


HANDLERS: dict[int, Handler] = {
    AppCmdInt.GET_DEVICE_ID: get_device_id,
    AppCmdInt.COLD_RESET: cold_reset,
    AppCmdInt.WARM_RESET: warm_reset,
    AppCmdInt.GET_DEVICE_GUID: get_device_guid,
    AppCmdInt.GET_SYSTEM_GUID: get_system_guid,
    AppCmdInt.GET_SELF_TEST_RESULTS: get_self_test_results,
    AppCmdInt.GET_SYSTEM_INTERFACE_CAPABILITIES: get_system_interface_capabilities,
}
