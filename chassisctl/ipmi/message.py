"""The plain IPMI request/response pair every layer passes around.

A :class:`Request` is what a KCS/SSIF payload carries (netFn, LUN, cmd,
data) without any transport framing; a :class:`Response` adds the completion
code.  Transports frame them (SSIF blocks, IPMB frames with checksums, RMCP+
payloads); backends answer them.  Keeping one type across all of those is
what lets ``serve`` hand a LAN request to an I2C BMC unchanged.

Both are NamedTuples: immutable and compared by value like the frozen
dataclasses they were, but built in C — ``serve`` builds a Request for every
LAN request it answers, and that was a measurable slice of each one.
"""

from __future__ import annotations

from chassisctl.namedtuple import NamedTuple

from chassisctl.ipmi.codes import CompletionCodeInt, command_info, command_name


class Request(NamedTuple):
    netfn: int
    cmd: int
    data: bytes = b""
    lun: int = 0

    @property
    def name(self) -> str:
        return command_name(self.netfn, self.cmd)

    @property
    def idempotent(self) -> bool:
        return command_info(self.netfn, self.cmd).idempotent

    def reply(self, cc: int = CompletionCodeInt.OK, data: bytes = b"") -> Response:
        """The response to this request with ``cc`` and ``data``."""
        return Response(self.netfn | 1, self.cmd, cc, bytes(data), self.lun)


class Response(NamedTuple):
    #: Response netFn: the request's netFn with bit 0 set.
    netfn: int
    cmd: int
    cc: int
    #: Data after the completion code.
    data: bytes = b""
    lun: int = 0

    @property
    def ok(self) -> bool:
        return self.cc == CompletionCodeInt.OK

    def answers(self, request: Request) -> bool:
        """True when this response belongs to ``request`` (netFn|1, cmd)."""
        return self.netfn == (request.netfn | 1) and self.cmd == request.cmd
