"""Resetting the BMC itself (Cold Reset, Warm Reset).

A BMC may restart before its answer leaves it, so a reset that was
delivered but never answered (:class:`~chassisctl.errors.OutcomeUnknown`) is
reported as sent-but-unanswered rather than as a failure — the way
``ipmitool mc reset cold`` treats it.  Like every non-idempotent request it
is never re-sent.
"""

from __future__ import annotations

from chassisctl.client.call import call
from chassisctl.errors import OutcomeUnknown
from chassisctl.transport.base import Transport

KINDS = ("warm", "cold")


def reset(transport: Transport, kind: str, *, node: str | int | None = None) -> bool:
    """Send a ``kind`` reset; True when the BMC answered it, False when it went silent."""
    from chassisctl.ipmi.app import cold_reset, warm_reset

    request = cold_reset() if kind == "cold" else warm_reset()
    why = ("chassisctl translates IPMI for this platform itself: there is no BMC firmware to reset"
           if transport.kind == "platform" else f"this BMC does not implement {request.name}")
    try:
        call(transport, request, node=node, hints={0xC1: why})
    except OutcomeUnknown:
        return False
    return True
