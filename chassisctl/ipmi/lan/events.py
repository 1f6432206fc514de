"""Events :class:`~chassisctl.ipmi.lan.server.LanServer` hands to its owner.

Frozen dataclasses, one per thing the application must act on or log:
a request to execute (:class:`RequestReceived`, answered with
``LanServer.respond``), a refusal (one :class:`Refused` per refused datagram
or login, so one log line each), and session life-cycle notes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from chassisctl.ipmi.codes import Privilege
from chassisctl.ipmi.message import Request

Addr = Any  # whatever the socket layer uses: (host, port) or (host, port, flow, scope)


class RefusalReason(enum.StrEnum):
    WRONG_PASSWORD = "wrong password"
    UNKNOWN_USER = "unknown user"
    DISABLED_USER = "disabled user"
    PRIVILEGE_TOO_LOW = "privilege too low"
    SUITE_NOT_OFFERED = "cipher suite not offered"
    AUTH_TYPE_NOT_OFFERED = "auth type not offered"
    REPLAYED = "replayed or out-of-window packet"
    MALFORMED = "malformed datagram"
    RATE_LIMITED = "rate-limited"
    UNKNOWN_SESSION = "unknown session"
    BAD_INTEGRITY = "integrity check failed"
    NO_RESOURCES = "session table full"
    #: A login that got RAKP 2 and then went quiet (the console's password is
    #: wrong, or it gave up).  Logged, never counted as a failed login.
    ABANDONED = "login abandoned after RAKP 2"
    NOT_ALLOWED_OUTSIDE_SESSION = "command not allowed outside a session"


@dataclass(frozen=True, slots=True)
class RequestReceived:
    """An authenticated request for the application to execute and answer."""

    #: Opaque; give the event back to ``LanServer.respond``.
    handle: object
    addr: Addr
    session_id: int
    privilege: Privilege
    request: Request
    rq_seq: int
    user: str


@dataclass(frozen=True, slots=True)
class Refused:
    addr: Addr
    reason: RefusalReason
    detail: str = ""
    user: str | None = None
    #: The session it happened in; ``None`` for logins and sessionless packets.
    session_id: int | None = None


@dataclass(frozen=True, slots=True)
class SessionOpened:
    addr: Addr
    session_id: int
    user: str
    privilege: Privilege
    #: "rmcp+ suite 17" or "ipmi1.5 md5".
    protocol: str


@dataclass(frozen=True, slots=True)
class SessionClosed:
    addr: Addr
    session_id: int
    user: str
    #: "closed" (Close Session), "timeout" (idle), "evicted" (to make room: a full table, or a
    #: login over its user's or address's cap replacing that one's idlest session).
    reason: str


Event = RequestReceived | Refused | SessionOpened | SessionClosed
