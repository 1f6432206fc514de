"""One request, one checked answer: the helper every operation goes through.

It turns the three ways a request can go wrong into the right exceptions —
no answer (raised by the transport), an answer to something else
(ProtocolError) and a non-zero completion code (CompletionCodeError, with an
operator hint where we know one) — so operations read as straight-line code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chassisctl.errors import ProtocolError
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi.message import Request, Response
from chassisctl.transport.base import Transacts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar, overload

    T = TypeVar("T")
else:
    # typing.overload's only run-time effect is a registry nothing here reads (and ruff
    # does not know this one: hence the F811 noqas below).
    def overload(function):
        return function


@overload
def call(transport: Transacts, request: Request, decode: Callable[[bytes], T], *, node: str | int | None = None,
         timeout: float | None = None, hints: Mapping[int, str] | None = None) -> T: ...


@overload
def call(transport: Transacts, request: Request, decode: None = None, *, node: str | int | None = None,  # noqa: F811 - overloads (see above)
         timeout: float | None = None, hints: Mapping[int, str] | None = None) -> bytes: ...


def call(transport: Transacts, request: Request, decode: Callable[[bytes], T] | None = None, *,  # noqa: F811 - overloads (see above)
         node: str | int | None = None, timeout: float | None = None,
         hints: Mapping[int, str] | None = None) -> T | bytes:
    """Send ``request``; return ``decode(data)`` (or the raw data)."""
    response = transport.transact(request, node=node, timeout=timeout)
    check(request, response, hints)
    return decode(response.data) if decode else response.data


def check(request: Request, response: Response, hints: Mapping[int, str] | None = None) -> None:
    if not response.answers(request):
        raise ProtocolError(f"{request.name}: the BMC answered netFn {response.netfn:02X}h "
                            f"cmd {response.cmd:02X}h instead")
    if response.cc:
        raise CompletionCodeError(response.cc, request.name, hint=(hints or {}).get(response.cc))
