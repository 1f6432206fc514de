"""IPMB frames (checksums, sequence numbers, matching) and Send Message bridging.

IPMB is what a BMC speaks to satellite controllers, and what chassisctl
speaks directly over ``/dev/ipmb-N``; its frames also travel *inside* SSIF
and LAN requests when a request is bridged with Send Message (App 34h).
Both checksums are checked because hardware silently drops bad frames, and
so must every receiver here.  Layouts (IPMB v1.0 request and response
messages, as Linux's ``ipmi_ipmb`` and OpenBMC's ``ipmbbridged`` send them;
byte 0 is the I2C address byte itself, 8-bit, and the checksums are two's
complement: chk1 over bytes 0-1, chk2 over the rest)::

    request : rsSA | netFn<<2|rsLUN | chk1 | rqSA | rqSeq<<2|rqLUN | cmd | data... | chk2
    response: rqSA | (netFn|1)<<2|rqLUN | chk1 | rsSA | rqSeq<<2|rsLUN | cmd | CC | data... | chk2
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable

from chassisctl.ipmi.codes import AppCmdInt, NetFnInt
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.message import Request, Response

#: rqSeq is six bits wide.
SEQ_MODULUS = 64
#: Shortest frames: a request without data, a response with only the CC.
MIN_REQUEST = 7
MIN_RESPONSE = 8
#: Send Message data byte 1, bits 7:6.
TRACK_REQUEST = 0x01


def checksum(data: Iterable[int]) -> int:
    """The byte that makes ``sum(data) + checksum`` zero modulo 256."""
    return -sum(data) & 0xFF


def _field(value: int, bits: int, name: str) -> int:
    if not 0 <= value < (1 << bits):
        raise ValueError(f"IPMB {name}={value!r} does not fit in {bits} bits")
    return value


def _check_frame(frame: bytes, minimum: int, what: str) -> bytes:
    frame = bytes(frame)
    if len(frame) < minimum:
        raise DecodeError(f"IPMB {what} of {len(frame)} bytes; at least {minimum} needed")
    if sum(frame[:3]) & 0xFF:
        raise DecodeError(f"IPMB {what}: header checksum {frame[2]:02X}h is wrong")
    if sum(frame[3:]) & 0xFF:
        raise DecodeError(f"IPMB {what}: data checksum {frame[-1]:02X}h is wrong")
    return frame


def _assemble(head: tuple[int, int], body: bytes) -> bytes:
    return bytes((head[0], head[1], checksum(head))) + body + bytes((checksum(body),))


@dataclass(frozen=True, slots=True)
class IpmbRequest:
    """One IPMB request frame; addresses are 8-bit (the BMC is 20h)."""

    rs_sa: int
    netfn: int
    rs_lun: int
    rq_sa: int
    rq_seq: int
    rq_lun: int
    cmd: int
    data: bytes = b""

    def encode(self) -> bytes:
        head = (_field(self.rs_sa, 8, "rsSA"),
                _field(self.netfn, 6, "netFn") << 2 | _field(self.rs_lun, 2, "rsLUN"))
        body = bytes((_field(self.rq_sa, 8, "rqSA"),
                      _field(self.rq_seq, 6, "rqSeq") << 2 | _field(self.rq_lun, 2, "rqLUN"),
                      _field(self.cmd, 8, "cmd"))) + bytes(self.data)
        return _assemble(head, body)

    @classmethod
    def decode(cls, frame: bytes) -> IpmbRequest:
        frame = _check_frame(frame, MIN_REQUEST, "request")
        if frame[1] & 0x04:
            raise DecodeError(f"IPMB request with response netFn byte {frame[1]:02X}")
        return cls(frame[0], frame[1] >> 2, frame[1] & 3, frame[3], frame[4] >> 2, frame[4] & 3,
                   frame[5], frame[6:-1])

    @classmethod
    def from_request(cls, request: Request, *, rs_sa: int, rq_sa: int, rq_seq: int,
                     rq_lun: int = 0) -> IpmbRequest:
        return cls(rs_sa, request.netfn, request.lun, rq_sa, rq_seq, rq_lun, request.cmd, bytes(request.data))

    def to_request(self) -> Request:
        return Request(self.netfn, self.cmd, self.data, self.rs_lun)

    def reply(self, cc: int, data: bytes = b"") -> IpmbResponse:
        """The responder's frame for this request (addresses and LUNs swapped back)."""
        return IpmbResponse(self.rq_sa, self.netfn | 1, self.rq_lun, self.rs_sa, self.rq_seq,
                            self.rs_lun, self.cmd, cc, bytes(data))


@dataclass(frozen=True, slots=True)
class IpmbResponse:
    """One IPMB response frame, addressed back to the requester (``rq_sa``)."""

    rq_sa: int
    netfn: int
    rq_lun: int
    rs_sa: int
    rq_seq: int
    rs_lun: int
    cmd: int
    cc: int
    data: bytes = b""

    def encode(self) -> bytes:
        head = (_field(self.rq_sa, 8, "rqSA"),
                _field(self.netfn, 6, "netFn") << 2 | _field(self.rq_lun, 2, "rqLUN"))
        body = bytes((_field(self.rs_sa, 8, "rsSA"),
                      _field(self.rq_seq, 6, "rqSeq") << 2 | _field(self.rs_lun, 2, "rsLUN"),
                      _field(self.cmd, 8, "cmd"), _field(self.cc, 8, "CC"))) + bytes(self.data)
        return _assemble(head, body)

    @classmethod
    def decode(cls, frame: bytes) -> IpmbResponse:
        frame = _check_frame(frame, MIN_RESPONSE, "response")
        if not frame[1] & 0x04:
            raise DecodeError(f"IPMB response with request netFn byte {frame[1]:02X}")
        return cls(frame[0], frame[1] >> 2, frame[1] & 3, frame[3], frame[4] >> 2, frame[4] & 3,
                   frame[5], frame[6], frame[7:-1])

    def answers(self, request: IpmbRequest) -> bool:
        """The matching rule: rsSA, netFn|1, cmd, rqSeq and both LUNs must agree.

        Anything else is a late answer to an earlier try, or someone else's,
        and is dropped by the caller.
        """
        return (self.rs_sa == request.rs_sa and self.rq_sa == request.rq_sa
                and self.netfn == request.netfn | 1 and self.cmd == request.cmd
                and self.rq_seq == request.rq_seq and self.rq_lun == request.rq_lun
                and self.rs_lun == request.rs_lun)

    def to_response(self) -> Response:
        return Response(self.netfn, self.cmd, self.cc, self.data, self.rs_lun)


def decode_frame(frame: bytes) -> IpmbRequest | IpmbResponse:
    """Either kind of frame, told apart by the netFn parity."""
    if len(frame) >= 2 and frame[1] & 0x04:
        return IpmbResponse.decode(frame)
    return IpmbRequest.decode(frame)


# --------------------------------------------------------------------------
# Bridging (Send Message 34h / Get Message 33h)


def send_message_request(inner: IpmbRequest, *, channel: int, track: bool = True) -> Request:
    """Send Message wrapping the complete frame ``inner`` for ``channel``.

    With tracking the BMC remembers ``inner``'s rqSA/rqSeq and routes the
    satellite's answer back to us (nested, or via Get Message).
    """
    head = (TRACK_REQUEST if track else 0) << 6 | _field(channel, 4, "channel")
    return Request(NetFnInt.APP, AppCmdInt.SEND_MESSAGE, bytes((head,)) + inner.encode())


def decode_send_message_request(request: Request) -> tuple[int, bool, IpmbRequest]:
    """The BMC side: ``(channel, tracking, inner frame)`` of a Send Message."""
    if len(request.data) < 1 + MIN_REQUEST:
        raise DecodeError(f"Send Message with {len(request.data)} data bytes carries no IPMB frame")
    head = request.data[0]
    return head & 0x0F, (head >> 6) == TRACK_REQUEST, IpmbRequest.decode(request.data[1:])


def _frame_after(data: bytes, inner: IpmbRequest) -> IpmbResponse:
    """Decode a response frame that may or may not start with its address byte."""
    try:
        frame = IpmbResponse.decode(data)
    except DecodeError:
        # Get Message style: the BMC's own address (the frame's rqSA) is left out.
        frame = IpmbResponse.decode(bytes((inner.rq_sa,)) + data)
    if not frame.answers(inner):
        raise DecodeError(
            f"bridged response (seq {frame.rq_seq}, netFn {frame.netfn:02X}h cmd {frame.cmd:02X}h "
            f"from {frame.rs_sa:02X}h) does not answer the request sent to {inner.rs_sa:02X}h")
    return frame


def nested_response(response: Response, inner: IpmbRequest) -> IpmbResponse | None:
    """The satellite's answer nested in a Send Message response, if any.

    ``None`` when the Send Message response carries nothing beyond its
    completion code: that BMC delivers the answer later, via Get Message.
    Call only for a completion code of 00h.
    """
    if not response.data:
        return None
    return _frame_after(response.data, inner)


def get_message_request() -> Request:
    return Request(NetFnInt.APP, AppCmdInt.GET_MESSAGE)


def decode_get_message(response: Response, inner: IpmbRequest) -> tuple[int, IpmbResponse]:
    """``(channel, frame)`` of a Get Message response carrying a bridged answer.

    Get Message data is the channel byte followed by the IPMB frame without
    its first byte (the BMC's own address, the rqSA it was sent to).
    """
    if len(response.data) < 1 + MIN_RESPONSE - 1:
        raise DecodeError(f"Get Message with {len(response.data)} data bytes carries no IPMB response")
    return response.data[0] & 0x0F, _frame_after(response.data[1:], inner)


def encode_get_message_data(channel: int, frame: IpmbResponse, privilege: int = 0) -> bytes:
    """The BMC side: Get Message response data for a received bridged answer."""
    return bytes((_field(privilege, 4, "privilege") << 4 | _field(channel, 4, "channel"),)) + frame.encode()[1:]
