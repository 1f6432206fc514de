"""Send Message bridging to a controller behind the BMC, for any transport.

The satellite's answer comes back one of two ways depending on the BMC:
nested in the Send Message response, or queued for Get Message (after
SMS_ATN).  Both are handled here once, on top of a transport's own
request/response exchange, so SSIF and IPMB bridge alike.  Re-sending
follows the *inner* request: bridging a Get Sensor Reading may be retried,
bridging a Chassis Control may not.
"""

from __future__ import annotations

from collections.abc import Callable

from chassisctl.clock import Clock
from chassisctl.errors import OutcomeUnknown, TimeoutFailure
from chassisctl.ipmi.codes import CompletionCodeInt
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.ipmb import (IpmbRequest, decode_get_message, get_message_request, nested_response,
                                  send_message_request)
from chassisctl.ipmi.message import Request, Response

#: Get Message completion code: the receive queue is empty.
QUEUE_EMPTY = 0x80
FIRST_POLL = 0.001
MAX_POLL = 0.02

#: ``exchange(request, idempotent, timeout) -> Response`` of the carrying transport.
Exchange = Callable[[Request, bool, float], Response]


def bridged_transact(exchange: Exchange, request: Request, *, channel: int, target_addr: int,
                     bmc_addr: int, seq: int, clock: Clock, timeout: float,
                     tracer: Callable[[str], None] | None = None) -> Response:
    """Send ``request`` to ``target_addr`` on ``channel`` through the BMC; its response.

    ``request.lun`` is the satellite's LUN.  A Send Message completion code
    other than 00h (e.g. 83h: the satellite NAKed) is returned as the
    response's completion code.
    """
    inner = IpmbRequest(target_addr, request.netfn, request.lun, bmc_addr, seq % 64, 0, request.cmd,
                        bytes(request.data))
    idempotent = request.idempotent
    deadline = clock.monotonic() + timeout
    outer = exchange(send_message_request(inner, channel=channel), idempotent, timeout)
    if outer.cc != CompletionCodeInt.OK:
        return Response(request.netfn | 1, request.cmd, outer.cc, b"", request.lun)
    nested = nested_response(outer, inner)
    if nested is not None:
        return nested.to_response()
    delay = FIRST_POLL
    while True:
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            what = (f"bridged {request.name} to {target_addr:02X}h on channel {channel}: "
                    f"no answer via Get Message within {timeout:g} s")
            if idempotent:
                raise TimeoutFailure(what)
            raise OutcomeUnknown(what, hint="it may have taken effect; verify before retrying")
        try:
            message = exchange(get_message_request(), False, remaining)
        except OutcomeUnknown as exc:
            if idempotent:
                raise TimeoutFailure(str(exc)) from exc
            raise
        if message.cc == QUEUE_EMPTY:
            clock.sleep(min(delay, max(remaining, 0.0)))
            delay = min(delay * 2, MAX_POLL)
            continue
        if message.cc != CompletionCodeInt.OK:
            return Response(request.netfn | 1, request.cmd, message.cc, b"", request.lun)
        try:
            _, frame = decode_get_message(message, inner)
        except DecodeError as exc:
            if tracer:
                tracer(f"bridge: dropping unrelated message ({exc})")
            continue
        return frame.to_response()
