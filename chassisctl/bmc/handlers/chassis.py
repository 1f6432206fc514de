"""Chassis netFn (00h): status, control, identify, restore policy, boot options."""

from __future__ import annotations


from chassisctl.bmc.handlers import no_data
from chassisctl.ipmi import chassis
from chassisctl.ipmi.codes import ChassisCmdInt

TYPE_CHECKING = False

if TYPE_CHECKING:
    from chassisctl.bmc.responder import Handler, Responder, Result


def get_chassis_status(rsp: Responder, data: bytes, now: float) -> Result:
    no_data(data, "Get Chassis Status")
    return rsp.model.chassis_status()


def chassis_control(rsp: Responder, data: bytes, now: float) -> Result:
    return rsp.model.chassis_control(chassis.parse_chassis_control(data))


def chassis_identify(rsp: Responder, data: bytes, now: float) -> Result:
    from chassisctl.ipmi.chassis_settings import IdentifyRequest

    req = IdentifyRequest.decode(data)
    return rsp.model.identify(req.interval, req.force)


def set_power_restore_policy(rsp: Responder, data: bytes, now: float) -> Result:
    from chassisctl.ipmi.chassis_settings import parse_set_power_restore_policy

    return rsp.model.set_restore_policy(parse_set_power_restore_policy(data))


def get_system_boot_options(rsp: Responder, data: bytes, now: float) -> Result:
    from chassisctl.ipmi.boot_options import GetBootOptionsRequest

    return rsp.model.get_boot_option(GetBootOptionsRequest.decode(data).selector)


def set_system_boot_options(rsp: Responder, data: bytes, now: float) -> Result:
    from chassisctl.ipmi.boot_options import SetBootOptionsRequest

    req = SetBootOptionsRequest.decode(data)
    return rsp.model.set_boot_option(req.selector, req.data, req.invalid)


HANDLERS: dict[int, Handler] = {
    ChassisCmdInt.GET_CHASSIS_STATUS: get_chassis_status,
    ChassisCmdInt.CHASSIS_CONTROL: chassis_control,
    ChassisCmdInt.CHASSIS_IDENTIFY: chassis_identify,
    ChassisCmdInt.SET_POWER_RESTORE_POLICY: set_power_restore_policy,
    ChassisCmdInt.GET_SYSTEM_BOOT_OPTIONS: get_system_boot_options,
    ChassisCmdInt.SET_SYSTEM_BOOT_OPTIONS: set_system_boot_options,
}
