"""Chassis Identify and the power restore policy (Chassis Control is in :mod:`power`)."""

from __future__ import annotations

from chassisctl.client.call import call
from chassisctl.transport.base import Transport

#: CLI name -> Set Power Restore Policy value (ipmitool's names).
POLICIES = {"always-off": 0, "previous": 1, "always-on": 2}
#: Get Chassis Status restore policy (bits 6:5) -> CLI name.
POLICY_NAMES = {0: "always-off", 1: "previous", 2: "always-on", 3: "unknown"}



def _missing(transport: Transport, what: str) -> str:
    if transport.kind == "platform":
        return f"the platform description declares no {what}"
    return f"this BMC has no {what}"


def _identify_hints(transport: Transport) -> dict[int, str]:
    return {0xC1: _missing(transport, "chassis identify light"),
            0xCC: "the BMC does not take this identify interval or force-on"}


def identify(transport: Transport, *, seconds: int | None = None, force: bool = False,
             node: str | int | None = None) -> None:
    """Light the identify LED for ``seconds`` (None: the BMC's default, 15 s; 0: off),
    or until turned off (``force``)."""
    from chassisctl.ipmi.chassis_settings import chassis_identify

    call(transport, chassis_identify(seconds, force), node=node, hints=_identify_hints(transport))


def set_policy(transport: Transport, policy: str, *, node: str | int | None = None) -> list[str]:
    """Set the restore policy; returns the policies the chassis supports."""
    from chassisctl.ipmi.chassis_settings import PolicyReply, PolicySupport, set_power_restore_policy

    reply = call(transport, set_power_restore_policy(POLICIES[policy]), PolicyReply.decode, node=node,
                 hints={0xC1: _missing(transport, "power restore policy setting")})
    names = {PolicySupport.STAY_OFF: "always-off", PolicySupport.RESTORE_PREVIOUS: "previous",
             PolicySupport.POWER_ON: "always-on"}
    return [name for flag, name in names.items() if reply.supported & flag]
