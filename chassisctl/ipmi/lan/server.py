"""``LanServer``: the sans-I/O IPMI-over-LAN endpoint.

Feed it datagrams with :meth:`LanServer.receive_datagram`; take replies from
:meth:`datagrams_to_send` and events from :meth:`next_event`; answer each
:class:`RequestReceived` with :meth:`respond`; call :meth:`handle_timer` at
:meth:`get_timer`.  It never touches a socket or a clock.

It answers by itself: ASF presence ping; the sessionless commands (Get
Channel Authentication Capabilities, Get Channel Cipher Suites, Get Session
Challenge); the IPMI 1.5 (Activate Session) and RMCP+ (Open Session, RAKP
1-4) logins; and, inside a session, the session and channel commands (Set
Session Privilege Level, Close Session, Get Session Info, Get Channel Info /
Access / Cipher Suites, Get User Access / Name, Get LAN Configuration
Parameters).  Any other authenticated request whose registry privilege the
session holds becomes a :class:`RequestReceived`; below it, D4h.

Decisions the clients made for us (what ipmitool, FreeIPMI and pyghmi accept;
IPMI v2.0 §13.17-13.23 for Open Session and RAKP):

* Open Session grants exactly the proposed suite or answers 11h; its max
  privilege is the level the session can reach (the highest enabled user's
  for a "0 = highest" proposal), never 0.
* RAKP 1 looks the user up by name whether or not the name-only bit is set
  (names are unique here); a role above the user's limit gets 0Ah, an
  unknown or disabled name 0Dh, a full table 01h (0Bh when the last slot
  is kept for an administrator).  A wrong RAKP 3 code gets RAKP 4 status 0Fh.
* Only a wrong password, an unknown or disabled user and a role above the
  user's limit count against a source's failed-login budget.  A login that
  expires or is dropped for room never does: counting them let a flood of
  Open Session Requests from anywhere spend a victim's budget.  (Rate-
  limiting RAKP 2 hand-outs bought nothing either: one RAKP 2 is enough
  for an offline password guess, IPMI v2.0 §13.31's known weakness.)
* Sessions are capped per user and per source, and logins in progress
  bounded per source (``sessions.py``), so no one account or address can
  hold the table.
* Sessions start at User (or the lower role asked for); Set Session
  Privilege Level raises them up to the role negotiated at login.
* A request whose exact bytes were seen recently in the session is answered
  from the reply cache (or dropped while it still executes): never executed
  twice, whether it came with the same or a fresh session sequence number.
"""

from __future__ import annotations

import hmac
import struct
from collections import deque
from collections.abc import Callable
from typing import Any

from chassisctl.ipmi.codes import AppCmd, NetFn, Privilege, TransportCmd, command_info, command_name
from chassisctl.ipmi.codes import CompletionCode as CC
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.lan import channel
from chassisctl.ipmi.lan.config import LanConfig, LanUser
from chassisctl.ipmi.lan.events import (
    Addr,
    Event,
    Refused,
    RefusalReason,
    RequestReceived,
    SessionClosed,
    SessionOpened,
)
from chassisctl.ipmi.lan.sessions import (
    NEW,
    OUTSIDE,
    Admission,
    FailureLimiter,
    Handshake,
    Session,
    SessionTable,
    SeqWindow,
    next_seq,
    source_of,
)
from chassisctl.ipmi.message import Request, Response
from chassisctl.ipmi.rmcp import (
    CLASS_ASF,
    CLASS_IPMI,
    RMCP_VERSION,
    ASF_PING,
    AuthType,
    LanMessage,
    asf_pong,
    decode_asf,
    decode_lan_message,
    decode_v15,
    encode_lan_response,
    encode_v15,
    pad16,
    v15_auth_code,
)
from chassisctl.ipmi.rmcpplus import (
    CIPHER_SUITES,
    AesCbc128,
    SessionMac,
    AuthAlg,
    ConfAlg,
    PayloadType,
    RmcpStatus,
    decode_open_session_request,
    decode_rakp1,
    decode_rakp3,
    rmcpplus_header_fields,
    derive_k,
    encode_open_session_response,
    encode_rakp2,
    encode_rakp4,
    encode_rmcpplus,
    rakp2_auth_code,
    rakp3_auth_code,
    rakp4_icv,
    session_integrity_key,
)

#: Largest datagram looked at; IPMI LAN messages are far smaller.
MAX_DATAGRAM = 1024

# The session path's constants as plain ints: an IntEnum member costs ~75 ns
# more per use than a module int, and every session request used several.
_APP = int(NetFn.APP)
_TRANSPORT = int(NetFn.TRANSPORT)
_CLOSE_SESSION = int(AppCmd.CLOSE_SESSION)
_RMCPP = int(AuthType.RMCPP)
_IPMI_PAYLOAD = int(PayloadType.IPMI)
_SESSIONLESS_CMDS = frozenset((AppCmd.GET_CHANNEL_AUTH_CAPABILITIES, AppCmd.GET_CHANNEL_CIPHER_SUITES))


class _Pending:
    """What ``respond`` needs to frame the reply to one request."""

    __slots__ = ("session", "message", "key")

    def __init__(self, session: Session, message: LanMessage, key: bytes) -> None:
        self.session = session
        self.message = message
        self.key = key


#: Why a login was refused for room: refusal reason, RMCP+ status (RAKP 2/4)
#: and IPMI 1.5 Activate Session completion code (IPMI v2.0 §22.17).
_LIMITS = {
    "reserve": (RefusalReason.NO_RESOURCES, RmcpStatus.NO_RESOURCES_FOR_ROLE, 0x83),
    "table": (RefusalReason.NO_RESOURCES, RmcpStatus.NO_RESOURCES, 0x81),
}
_LIMIT_DETAIL = {
    "reserve": "the last slot is kept for an administrator",
    "table": "every session is in use by a different user and address, none stale",
}


class LanServer:
    def __init__(self, config: LanConfig, *, random_bytes: Callable[[int], bytes], guid: bytes,
                 answer: Callable[[Request], Response | None] | None = None) -> None:
        """``answer``, when given, is offered each request before it becomes a
        :class:`RequestReceived`: a Response it returns is sent at once (cached
        for retransmissions like any reply), ``None`` lets the event through.
        For answers the owner holds in memory (identity, cached readings): a
        request answered there costs no event, no handle and no second call."""
        if len(guid) != 16:
            raise ValueError("the BMC GUID is 16 bytes")
        self.config = config
        self._random = random_bytes
        self._answer = answer
        self.guid = bytes(guid)
        self.table = SessionTable(config.max_sessions, per_user=config.max_sessions_per_user,
                                  per_source=config.max_sessions_per_address)
        self.limiter = FailureLimiter(config.login_failures_burst, config.login_failures_per_minute / 60.0)
        self._out: list[tuple[bytes, Addr]] = []
        self._events: deque[Event] = deque()
        self._lan_params = channel.lan_parameters_table(config)
        self._suites = {s: CIPHER_SUITES[s] for s in config.cipher_suites}
        #: Sessions idle this long may be evicted by a login at a limit.
        self.stale_after = config.session_timeout / 4
        #: App commands answered here; the session is None for the sessionless ones.
        self._local: dict[int, Callable[[Any, bytes], tuple[int, bytes]]] = {
            AppCmd.GET_CHANNEL_AUTH_CAPABILITIES: lambda s, d: channel.auth_capabilities(config, d),
            AppCmd.GET_CHANNEL_CIPHER_SUITES: lambda s, d: channel.cipher_suites(config, d),
            AppCmd.GET_CHANNEL_INFO: lambda s, d: channel.channel_info(config, d, len(self.table.sessions)),
            AppCmd.GET_CHANNEL_ACCESS: lambda s, d: channel.channel_access(config, d),
            AppCmd.GET_USER_ACCESS: lambda s, d: channel.user_access(config, d),
            AppCmd.GET_USER_NAME: lambda s, d: channel.user_name(config, d),
            AppCmd.SET_USER_PASSWORD: lambda s, d: channel.set_user_password(config, d),
            AppCmd.SET_USER_NAME: lambda s, d: (CC.SUBFUNCTION_DISABLED, b""),
            AppCmd.SET_USER_ACCESS: lambda s, d: (CC.SUBFUNCTION_DISABLED, b""),
            AppCmd.SET_CHANNEL_ACCESS: lambda s, d: (CC.SUBFUNCTION_DISABLED, b""),
            AppCmd.GET_SESSION_CHALLENGE: lambda s, d: (CC.NOT_SUPPORTED_IN_PRESENT_STATE, b""),
            AppCmd.ACTIVATE_SESSION: lambda s, d: (CC.NOT_SUPPORTED_IN_PRESENT_STATE, b""),
            AppCmd.SET_SESSION_PRIVILEGE_LEVEL: self._set_privilege,
            AppCmd.GET_SESSION_INFO: self._session_info,
        }

    # --- public API --------------------------------------------------------------

    def receive_datagram(self, data: bytes, addr: Addr, now: float) -> None:
        """Process one datagram; never raises on bad bytes (drops and refuses)."""
        try:
            if len(data) > MAX_DATAGRAM:
                raise DecodeError(f"datagram of {len(data)} bytes")
            if len(data) < 5 or data[0] != RMCP_VERSION:
                raise DecodeError("not an RMCP packet")
            cls = data[3]
            if cls == CLASS_IPMI:
                if data[4] == _RMCPP:
                    self._receive_v20(data, addr, now)
                else:
                    self._receive_v15(data, addr, now)
            elif cls == CLASS_ASF:
                self._receive_asf(data, addr)
            elif cls & 0x80:
                return  # an RMCP ACK from the console: nothing to do
            else:
                raise DecodeError(f"RMCP class {cls:02X}h")
        except DecodeError as exc:
            self._refuse(addr, RefusalReason.MALFORMED, str(exc))

    def next_event(self) -> Event | None:
        return self._events.popleft() if self._events else None

    def take_events(self) -> list[Event]:
        """Every pending event at once, oldest first (empty list if none)."""
        if not self._events:
            return []
        events = list(self._events)
        self._events.clear()
        return events

    def datagrams_to_send(self) -> list[tuple[bytes, Addr]]:
        out, self._out = self._out, []
        return out

    def respond(self, event: RequestReceived, response: Response, now: float) -> None:
        """Frame, protect and queue the reply to ``event``; cache it for retransmissions."""
        pending = event.handle
        if not isinstance(pending, _Pending):
            raise TypeError("respond() takes a RequestReceived from this server")
        session = pending.session
        if session.closed:
            return
        reply = encode_lan_response(pending.message, response.cc, response.data, response.lun)
        session.cache.put(pending.key, now, reply)
        self._send_in_session(session, reply)

    def get_timer(self) -> float | None:
        """The next time :meth:`handle_timer` has something to do, if any."""
        # Called after every batch of datagrams: one min() over the sessions, no list of deadlines.
        sessions = self.table.sessions
        when = min([s.last_seen for s in sessions.values()]) + self.config.session_timeout if sessions else None
        if self.table.handshakes:
            first = next(iter(self.table.handshakes.values())).created + self.config.handshake_timeout
            when = first if when is None else min(when, first)
        return when

    def handle_timer(self, now: float) -> None:
        """Reap idle sessions and half-open logins."""
        for hs in self.table.expire_handshakes(now - self.config.handshake_timeout):
            self._abandoned(hs)
        limit = now - self.config.session_timeout
        for session in [s for s in self.table.sessions.values() if s.last_seen <= limit]:
            self._close(session, "timeout")

    @property
    def active_sessions(self) -> int:
        return len(self.table.sessions)

    # --- helpers -------------------------------------------------------------------

    def _refuse(self, addr: Addr, reason: RefusalReason, detail: str = "", user: str | None = None,
                session_id: int | None = None) -> None:
        self._events.append(Refused(addr, reason, detail, user, session_id))

    def _abandoned(self, hs: Handshake) -> None:
        """A login that expired.  After RAKP 2 that usually means the console
        found our RAKP 2 code wrong (its password is wrong) or gave up: worth a
        log line, but never a failed login, since nothing proves who sent
        the Open Session (see the module docstring)."""
        if hs.rakp2_reply and hs.user is not None:
            self._refuse(hs.addr, RefusalReason.ABANDONED, "no RAKP 3 in time (wrong password on the console?)",
                         hs.user.name)

    def _new_sid(self) -> int:
        while True:
            sid = int.from_bytes(self._random(4), "little")
            if not self.table.id_in_use(sid):
                return sid

    def _login_failed(self, addr: Addr, now: float, reason: RefusalReason, detail: str, user: str | None) -> None:
        self.limiter.failed(source_of(addr), now)
        self._refuse(addr, reason, detail, user)

    def _rate_limited(self, addr: Addr, now: float) -> bool:
        if self.limiter.allowed(source_of(addr), now):
            return False
        self._refuse(addr, RefusalReason.RATE_LIMITED, "too many failed logins from this source")
        return True

    def _lookup_user(self, name: bytes) -> LanUser | None:
        if not name and not self.config.allow_anonymous:
            return None
        return self.config.user_by_name(name)

    def _close(self, session: Session, reason: str) -> None:
        self.table.remove(session)
        self._events.append(SessionClosed(session.addr, session.bmc_sid, session.user.name, reason))

    def _admission(self, user: str | None, addr: Addr, privilege: int, now: float) -> Admission:
        return self.table.admission(user, source_of(addr), privilege >= Privilege.ADMINISTRATOR, now,
                                    self.stale_after)

    def _admit(self, user: str, addr: Addr, privilege: int, now: float) -> Admission:
        """:meth:`_admission`, carried out: the victims are closed ("evicted")."""
        admission = self._admission(user, addr, privilege, now)
        for victim in admission.victims:
            self._close(victim, "evicted")
        return admission

    def _refuse_for_room(self, admission: Admission, addr: Addr, user: str | None) -> None:
        self._refuse(addr, _LIMITS[admission.limit][0], _LIMIT_DETAIL[admission.limit], user)

    def _reachable(self, requested: int) -> int:
        """Max privilege an Open Session Response promises (never 0)."""
        highest = self.config.highest_privilege
        return highest if requested == 0 else min(requested, highest)

    # --- ASF -------------------------------------------------------------------------

    def _receive_asf(self, data: bytes, addr: Addr) -> None:
        msg = decode_asf(data)
        if msg.msg_type != ASF_PING:
            return
        if data[2] != 0xFF:  # the sender asked for an RMCP ACK
            self._out.append((bytes((RMCP_VERSION, 0, data[2], 0x80 | CLASS_ASF)), addr))
        self._out.append((asf_pong(msg.tag, rmcp_seq=data[2]), addr))

    # --- IPMI 1.5 ---------------------------------------------------------------------

    def _receive_v15(self, data: bytes, addr: Addr, now: float) -> None:
        pkt = decode_v15(data)
        if pkt.session_id == 0:
            msg = decode_lan_message(pkt.message)
            if pkt.auth_type != AuthType.NONE or msg.netfn != _APP:
                self._refuse(addr, RefusalReason.NOT_ALLOWED_OUTSIDE_SESSION,
                             f"netFn {msg.netfn:02X}h cmd {msg.cmd:02X}h")
                return
            if msg.cmd == AppCmd.GET_CHANNEL_AUTH_CAPABILITIES:
                cc, body = channel.auth_capabilities(self.config, msg.data)
            elif msg.cmd == AppCmd.GET_SESSION_CHALLENGE:
                reply = self._session_challenge(msg, addr, now)
                if reply is None:
                    return
                cc, body = reply
            else:
                self._refuse(addr, RefusalReason.NOT_ALLOWED_OUTSIDE_SESSION, f"cmd {msg.cmd:02X}h")
                return
            self._out.append((encode_v15(AuthType.NONE, 0, 0, encode_lan_response(msg, cc, body)), addr))
            return

        session = self.table.sessions.get(pkt.session_id)
        if session is None or not session.is_v15:
            hs = self.table.handshakes.get(pkt.session_id)
            if hs is not None and hs.suite is None and hs.challenge:
                if not hs.failed:
                    self._activate_session(hs, pkt, addr, now)
            else:
                self._refuse(addr, RefusalReason.UNKNOWN_SESSION, f"session {pkt.session_id:08X}h")
            return
        if pkt.auth_type != session.auth_type:
            self._refuse(addr, RefusalReason.BAD_INTEGRITY, "auth type differs from the session's", session.user.name,
                         session.bmc_sid)
            return
        if session.auth_type != AuthType.NONE:
            expected = v15_auth_code(session.auth_type, session.password16, session.bmc_sid, pkt.message, pkt.seq)
            if not hmac.compare_digest(expected, pkt.auth_code or b""):
                self._refuse(addr, RefusalReason.BAD_INTEGRITY, "bad auth code", session.user.name, session.bmc_sid)
                return
        state = session.window.check(pkt.seq)
        if state == OUTSIDE:
            self._refuse(addr, RefusalReason.REPLAYED, f"sequence {pkt.seq}", session.user.name, session.bmc_sid)
            return
        msg = decode_lan_message(pkt.message)
        self._in_session(session, msg, pkt.message, state == NEW, addr, now)

    def _session_challenge(self, msg: LanMessage, addr: Addr, now: float) -> tuple[int, bytes] | None:
        data = msg.data
        if len(data) < 17:
            return CC.REQUEST_DATA_LENGTH_INVALID, b""
        auth = data[0] & 0x0F
        if auth not in self.config.ipmi15_auth_types:
            self._refuse(addr, RefusalReason.AUTH_TYPE_NOT_OFFERED, f"IPMI 1.5 auth type {auth:02X}h")
            return CC.INVALID_DATA_FIELD, b""
        if self._rate_limited(addr, now):
            return None
        name = data[1:17].rstrip(b"\0")
        user = self._lookup_user(name)
        shown = name.decode("utf-8", "replace")
        if user is None or not user.enabled:
            reason = RefusalReason.DISABLED_USER if user else RefusalReason.UNKNOWN_USER
            self._login_failed(addr, now, reason, "IPMI 1.5 Get Session Challenge", shown)
            if not name:
                return 0x82, b""  # null user name not enabled
            return 0x81, b""  # invalid user name
        hs = Handshake(self._new_sid(), addr, now, auth_type=auth, user=user, challenge=self._random(16))
        self.table.add_handshake(hs)  # what it drops for room is no one's failure
        return CC.OK, struct.pack("<I", hs.bmc_sid) + hs.challenge

    def _activate_session(self, hs: Handshake, pkt, addr: Addr, now: float) -> None:
        user = hs.user
        assert user is not None
        pw16 = pad16(user.password)
        if pkt.auth_type != hs.auth_type:
            self._refuse(addr, RefusalReason.AUTH_TYPE_NOT_OFFERED, "Activate Session auth type differs", user.name)
            return
        if hs.auth_type != AuthType.NONE:
            expected = v15_auth_code(hs.auth_type, pw16, hs.bmc_sid, pkt.message, pkt.seq)
            if not hmac.compare_digest(expected, pkt.auth_code or b""):
                # No reply (the spec has no code for it; FreeIPMI reports "password
                # verification timeout"); its retransmissions are dropped quietly.
                hs.failed = True
                self._login_failed(addr, now, RefusalReason.WRONG_PASSWORD, "IPMI 1.5 Activate Session", user.name)
                return
        msg = decode_lan_message(pkt.message)
        if msg.netfn != _APP or msg.cmd != AppCmd.ACTIVATE_SESSION:
            self._refuse(addr, RefusalReason.NOT_ALLOWED_OUTSIDE_SESSION, "expected Activate Session", user.name)
            return
        data = msg.data

        def reply(cc: int, body: bytes = b"", out_seq: int = 0) -> None:
            payload = encode_lan_response(msg, cc, body)
            code = (None if hs.auth_type == AuthType.NONE
                    else v15_auth_code(hs.auth_type, pw16, hs.bmc_sid, payload, out_seq))
            self._out.append((encode_v15(hs.auth_type, out_seq, hs.bmc_sid, payload, code), addr))

        if len(data) < 22:
            reply(CC.REQUEST_DATA_LENGTH_INVALID)
            return
        if data[0] & 0x0F != hs.auth_type or not hmac.compare_digest(data[2:18], hs.challenge):
            self.table.pop_handshake(hs.bmc_sid)
            self._login_failed(addr, now, RefusalReason.WRONG_PASSWORD, "IPMI 1.5 challenge mismatch", user.name)
            return
        requested = data[1] & 0x0F
        if not Privilege.CALLBACK <= requested <= Privilege.OEM:
            reply(CC.INVALID_DATA_FIELD)
            return
        if requested > user.privilege:
            self.table.pop_handshake(hs.bmc_sid)
            self._login_failed(addr, now, RefusalReason.PRIVILEGE_TOO_LOW,
                               f"asked for {Privilege(requested).name}, limit {user.privilege.name}", user.name)
            reply(0x86)
            return
        admission = self._admit(user.name, addr, requested, now)
        if not admission.ok:
            self._refuse_for_room(admission, addr, user.name)
            reply(_LIMITS[admission.limit][2])
            return
        (outbound,) = struct.unpack_from("<I", data, 18)
        inbound = int.from_bytes(self._random(4), "little") & 0x7FFFFFFF or 1
        self.table.pop_handshake(hs.bmc_sid)
        session = Session(
            bmc_sid=hs.bmc_sid,
            console_sid=hs.bmc_sid,
            addr=addr,
            user=user,
            handle=self.table.free_handle(),
            max_privilege=Privilege(requested),
            privilege=Privilege(min(requested, Privilege.USER)),
            last_seen=now,
            auth_type=hs.auth_type,
            password16=pw16,
            out_seq=outbound or 1,
            window=SeqWindow(inbound - 1, ahead=8, behind=7),
        )
        self.table.add(session)
        # The response already belongs to the session: it carries the console's
        # Initial Outbound Sequence Number (IPMI v2.0 §22.17, Activate Session), and the
        # session's later responses count up from it.  FreeIPMI anchors its
        # receive window on this header; a 0 here puts every later response
        # outside the window and it retransmits until the session times out.
        first = session.out_seq
        session.out_seq = next_seq(first)
        reply(CC.OK, bytes((hs.auth_type,)) + struct.pack("<II", session.bmc_sid, inbound) + bytes((requested,)),
              out_seq=first)
        self._events.append(SessionOpened(addr, session.bmc_sid, user.name, session.privilege,
                                          f"ipmi1.5 {AuthType(hs.auth_type).name.lower()}"))

    # --- RMCP+ -------------------------------------------------------------------------

    def _receive_v20(self, data: bytes, addr: Addr, now: float) -> None:
        # The header as a tuple, not an RmcpPlusHeader: this is every session packet's path.
        ptype_byte, sid, seq, offset, length = rmcpplus_header_fields(data)
        ptype = ptype_byte & 0x3F
        encrypted = ptype_byte & 0x80
        end = offset + length
        if sid == 0:
            if ptype_byte & 0xC0:
                raise DecodeError("protected RMCP+ packet outside a session")
            payload = data[offset:end]
            if ptype == PayloadType.OPEN_SESSION_REQUEST:
                self._open_session(payload, addr, now)
            elif ptype == PayloadType.RAKP1:
                self._rakp1(payload, addr, now)
            elif ptype == PayloadType.RAKP3:
                self._rakp3(payload, addr, now)
            elif ptype == PayloadType.IPMI:
                self._sessionless_v20(payload, addr)
            else:
                self._refuse(addr, RefusalReason.NOT_ALLOWED_OUTSIDE_SESSION, f"payload type {ptype:02X}h")
            return

        session = self.table.sessions.get(sid)
        if session is None or session.suite is None:
            self._refuse(addr, RefusalReason.UNKNOWN_SESSION, f"session {sid:08X}h")
            return
        if ptype != _IPMI_PAYLOAD:
            self._refuse(addr, RefusalReason.MALFORMED, f"payload type {ptype:02X}h not supported", session.user.name,
                         session.bmc_sid)
            return
        if session.mac is not None:  # the suite has integrity
            if not ptype_byte & 0x40:
                self._refuse(addr, RefusalReason.BAD_INTEGRITY, "unauthenticated packet in an integrity session",
                             session.user.name, session.bmc_sid)
                return
            if not session.mac.check(data, end):
                self._refuse(addr, RefusalReason.BAD_INTEGRITY, "bad AuthCode", session.user.name, session.bmc_sid)
                return
            state = session.window.check(seq)
        elif ptype_byte & 0x40:
            self._refuse(addr, RefusalReason.BAD_INTEGRITY, "authenticated packet, no integrity negotiated",
                         session.user.name, session.bmc_sid)
            return
        else:
            state = session.window_unauth.check(seq)
        if state == OUTSIDE:
            self._refuse(addr, RefusalReason.REPLAYED, f"sequence {seq}", session.user.name, session.bmc_sid)
            return
        payload = data[offset:end]
        if session.aes is not None:  # AES-CBC-128
            if not encrypted:
                self._refuse(addr, RefusalReason.BAD_INTEGRITY, "unencrypted packet in an AES session",
                             session.user.name, session.bmc_sid)
                return
            payload = session.aes.decrypt(payload)
        elif encrypted:
            raise DecodeError("encrypted packet, no confidentiality negotiated")
        msg = decode_lan_message(payload)
        self._in_session(session, msg, payload, state == NEW, addr, now)

    def _send_v20_sessionless(self, ptype: int, payload: bytes, addr: Addr) -> None:
        self._out.append((encode_rmcpplus(ptype, 0, 0, payload), addr))

    def _sessionless_v20(self, payload: bytes, addr: Addr) -> None:
        msg = decode_lan_message(payload)
        if msg.netfn != _APP or msg.cmd not in _SESSIONLESS_CMDS:
            self._refuse(addr, RefusalReason.NOT_ALLOWED_OUTSIDE_SESSION, f"netFn {msg.netfn:02X}h cmd {msg.cmd:02X}h")
            return
        cc, body = self._local[msg.cmd](None, msg.data)
        self._send_v20_sessionless(PayloadType.IPMI, encode_lan_response(msg, cc, body), addr)

    def _open_session(self, payload: bytes, addr: Addr, now: float) -> None:
        req = decode_open_session_request(payload)
        if self._rate_limited(addr, now):
            return

        def refuse(status: int, reason: RefusalReason, detail: str) -> None:
            self._refuse(addr, reason, detail)
            self._send_v20_sessionless(PayloadType.OPEN_SESSION_RESPONSE,
                                       encode_open_session_response(req.tag, status, 0, req.console_session_id), addr)

        suite = None
        if None not in (req.auth, req.integrity, req.confidentiality):
            for s in self._suites.values():
                if (s.auth, s.integrity, s.confidentiality) == (req.auth, req.integrity, req.confidentiality):
                    suite = s
                    break
        if suite is None:
            refuse(RmcpStatus.NO_CIPHER_SUITE_MATCH, RefusalReason.SUITE_NOT_OFFERED,
                   f"auth {req.auth} integrity {req.integrity} confidentiality {req.confidentiality}")
            return
        if req.privilege > Privilege.ADMINISTRATOR:
            refuse(RmcpStatus.INVALID_ROLE, RefusalReason.PRIVILEGE_TOO_LOW, f"privilege {req.privilege}")
            return
        if req.console_session_id == 0:
            refuse(RmcpStatus.ILLEGAL_PARAMETER, RefusalReason.MALFORMED, "console session ID 0")
            return
        # The user is not known yet: refuse only what no login could get, not
        # even an administrator's (the user and role are checked at RAKP 1).
        admission = self._admission(None, addr, Privilege.ADMINISTRATOR, now)
        if not admission.ok:
            refuse(RmcpStatus.NO_RESOURCES, _LIMITS[admission.limit][0], _LIMIT_DETAIL[admission.limit])
            return
        hs = Handshake(self._new_sid(), addr, now, console_sid=req.console_session_id, suite=suite,
                       requested_privilege=req.privilege)
        self.table.add_handshake(hs)  # what it drops for room is no one's failure
        self._send_v20_sessionless(
            PayloadType.OPEN_SESSION_RESPONSE,
            encode_open_session_response(req.tag, 0, self._reachable(req.privilege), req.console_session_id,
                                         hs.bmc_sid, suite),
            addr,
        )

    def _rakp1(self, payload: bytes, addr: Addr, now: float) -> None:
        m = decode_rakp1(payload)
        hs = self.table.handshakes.get(m.bmc_session_id)
        if hs is None or hs.suite is None:
            self._refuse(addr, RefusalReason.UNKNOWN_SESSION, f"RAKP 1 for session {m.bmc_session_id:08X}h")
            self._send_v20_sessionless(PayloadType.RAKP2, encode_rakp2(m.tag, RmcpStatus.INVALID_SESSION_ID, 0), addr)
            return
        if hs.rakp1 == payload and hs.rakp2_reply:  # a retransmitted RAKP 1
            self._out.append((hs.rakp2_reply, addr))
            return
        if self._rate_limited(addr, now):
            return
        shown = m.username.decode("utf-8", "replace")

        def fail(status: int, reason: RefusalReason, detail: str, counts: bool) -> None:
            self.table.pop_handshake(hs.bmc_sid)
            if counts:
                self._login_failed(addr, now, reason, detail, shown)
            else:
                self._refuse(addr, reason, detail, shown)
            self._send_v20_sessionless(PayloadType.RAKP2, encode_rakp2(m.tag, status, hs.console_sid), addr)

        user = self._lookup_user(m.username)
        if user is None:
            fail(RmcpStatus.UNAUTHORIZED_NAME, RefusalReason.UNKNOWN_USER, "RAKP 1", True)
            return
        if not user.enabled:
            fail(RmcpStatus.UNAUTHORIZED_NAME, RefusalReason.DISABLED_USER, "RAKP 1", True)
            return
        priv = m.role & 0x0F
        if not Privilege.CALLBACK <= priv <= Privilege.OEM:
            fail(RmcpStatus.INVALID_ROLE, RefusalReason.PRIVILEGE_TOO_LOW, f"role {m.role:02X}h", False)
            return
        if priv > user.privilege:
            fail(RmcpStatus.UNAUTHORIZED_ROLE, RefusalReason.PRIVILEGE_TOO_LOW,
                 f"asked for {Privilege(priv).name}, limit {user.privilege.name}", True)
            return
        admission = self._admission(user.name, addr, priv, now)
        if not admission.ok:
            reason, status, _ = _LIMITS[admission.limit]
            fail(status, reason, _LIMIT_DETAIL[admission.limit], False)
            return
        suite = hs.suite
        hs.rakp1, hs.rm, hs.role, hs.user = payload, m.rm, m.role, user
        hs.rc = self._random(16)
        code = rakp2_auth_code(suite.auth, user.password, hs.console_sid, hs.bmc_sid, hs.rm, hs.rc, self.guid,
                               hs.role, m.username)
        hs.rakp2_reply = encode_rmcpplus(PayloadType.RAKP2, 0, 0,
                                         encode_rakp2(m.tag, 0, hs.console_sid, hs.rc, self.guid, code))
        self._out.append((hs.rakp2_reply, addr))

    def _rakp3(self, payload: bytes, addr: Addr, now: float) -> None:
        m = decode_rakp3(payload)
        hs = self.table.handshakes.get(m.bmc_session_id)
        if hs is None or hs.user is None or hs.suite is None:
            session = self.table.sessions.get(m.bmc_session_id)
            if session is not None and session.rakp3_code and hmac.compare_digest(session.rakp3_code, m.auth_code):
                self._out.append((session.rakp4_reply, addr))  # a retransmitted RAKP 3
                return
            self._refuse(addr, RefusalReason.UNKNOWN_SESSION, f"RAKP 3 for session {m.bmc_session_id:08X}h")
            self._send_v20_sessionless(PayloadType.RAKP4, encode_rakp4(m.tag, RmcpStatus.INVALID_SESSION_ID, 0), addr)
            return
        user, suite = hs.user, hs.suite
        if m.status != 0:  # the console gave up (e.g. RAKP 2 code mismatch: wrong password on its side)
            self.table.pop_handshake(hs.bmc_sid)
            self._login_failed(addr, now, RefusalReason.WRONG_PASSWORD, f"console sent RAKP 3 status {m.status:02X}h",
                               user.name)
            return
        uname = user.name.encode()
        expected = rakp3_auth_code(suite.auth, user.password, hs.rc, hs.console_sid, hs.role, uname)
        if not hmac.compare_digest(expected, m.auth_code):
            self.table.pop_handshake(hs.bmc_sid)
            self._login_failed(addr, now, RefusalReason.WRONG_PASSWORD, "RAKP 3", user.name)
            self._send_v20_sessionless(PayloadType.RAKP4, encode_rakp4(m.tag, RmcpStatus.INVALID_ICV, hs.console_sid),
                                       addr)
            return
        admission = self._admit(user.name, addr, hs.role & 0x0F, now)
        if not admission.ok:
            self.table.pop_handshake(hs.bmc_sid)
            self._refuse_for_room(admission, addr, user.name)
            self._send_v20_sessionless(PayloadType.RAKP4, encode_rakp4(m.tag, _LIMITS[admission.limit][1],
                                                                       hs.console_sid), addr)
            return
        kg = self.config.kg if self.config.kg is not None else user.password
        sik = session_integrity_key(suite.auth, kg, hs.rm, hs.rc, hs.role, uname)
        icv = rakp4_icv(suite.auth, sik, hs.rm, hs.bmc_sid, self.guid)
        self.table.pop_handshake(hs.bmc_sid)
        priv = hs.role & 0x0F
        session = Session(
            bmc_sid=hs.bmc_sid,
            console_sid=hs.console_sid,
            addr=addr,
            user=user,
            handle=self.table.free_handle(),
            max_privilege=Privilege(priv),
            privilege=Privilege(min(priv, Privilege.USER)),
            last_seen=now,
            suite=suite,
            k1=derive_k(suite.auth, sik, 1) if suite.auth != AuthAlg.NONE else b"",
            k2=derive_k(suite.auth, sik, 2) if suite.auth != AuthAlg.NONE else b"",
            rakp3_code=m.auth_code,
        )
        if suite.integrity:
            session.mac = SessionMac(suite.integrity, session.k1)
        if suite.confidentiality == ConfAlg.AES_CBC_128:
            session.aes = AesCbc128(session.k2)
        session.rakp4_reply = encode_rmcpplus(PayloadType.RAKP4, 0, 0, encode_rakp4(m.tag, 0, hs.console_sid, icv))
        self.table.add(session)
        self._out.append((session.rakp4_reply, addr))
        self._events.append(SessionOpened(addr, session.bmc_sid, user.name, session.privilege,
                                          f"rmcp+ suite {suite.id}"))

    # --- inside a session ------------------------------------------------------------------

    def _in_session(self, session: Session, msg: LanMessage, raw: bytes, fresh: bool, addr: Addr,
                    now: float) -> None:
        found, cached = session.cache.lookup(raw, now)
        if found:
            if cached is not None:  # a retransmission: the same reply again, never re-executed
                self._send_in_session(session, cached, addr)
            return  # still executing: the reply will go out when it is ready
        if not fresh:
            self._refuse(addr, RefusalReason.REPLAYED, "duplicate sequence number", session.user.name, session.bmc_sid)
            return
        session.last_seen = now
        if addr != session.addr:
            # Follow a console whose address changed (NAT rebinding): only on a
            # fresh packet, so a replay from elsewhere cannot divert the replies.
            session.addr = addr
        netfn, cmd = msg.netfn, msg.cmd
        if netfn == _APP and cmd == _CLOSE_SESSION:
            self._close_session(session, msg)
            return
        info = command_info(netfn, cmd)
        if session.privilege < info.privilege:
            self._refuse(addr, RefusalReason.PRIVILEGE_TOO_LOW,
                         f"{command_name(netfn, cmd)} needs {Privilege(info.privilege).name}, session is "
                         f"{session.privilege.name}", session.user.name, session.bmc_sid)
            self._reply_local(session, msg, raw, CC.INSUFFICIENT_PRIVILEGE, b"", now)
            return
        if netfn == _APP:
            handler = self._local.get(cmd)
            if handler is not None:
                cc, body = handler(session, msg.data)
                self._reply_local(session, msg, raw, cc, body, now)
                return
        elif netfn == _TRANSPORT and msg.to_lun == 0:
            if cmd == TransportCmd.GET_LAN_CONFIGURATION_PARAMETERS:
                cc, body = channel.lan_parameter(self.config, msg.data, self._lan_params)
                self._reply_local(session, msg, raw, cc, body, now)
                return
            if cmd == TransportCmd.SET_LAN_CONFIGURATION_PARAMETERS:
                self._reply_local(session, msg, raw, CC.SUBFUNCTION_DISABLED, b"", now)
                return
        request = Request(netfn, cmd, msg.data, msg.to_lun)
        if self._answer is not None:
            response = self._answer(request)
            if response is not None:
                self._reply_local(session, msg, raw, response.cc, response.data, now, response.lun)
                return
        session.cache.put(raw, now, None)
        self._events.append(RequestReceived(_Pending(session, msg, raw), addr, session.bmc_sid, session.privilege,
                                            request, msg.seq, session.user.name))

    def _reply_local(self, session: Session, msg: LanMessage, raw: bytes, cc: int, body: bytes, now: float,
                     lun: int | None = None) -> None:
        reply = encode_lan_response(msg, cc, body, lun)
        session.cache.put(raw, now, reply)
        self._send_in_session(session, reply)

    def _send_in_session(self, session: Session, reply: bytes, addr: Addr = None) -> None:
        addr = session.addr if addr is None else addr
        suite = session.suite
        if suite is None:  # IPMI 1.5
            seq = session.out_seq
            session.out_seq = next_seq(seq)
            code = None
            if session.auth_type != AuthType.NONE:
                code = v15_auth_code(session.auth_type, session.password16, session.bmc_sid, reply, seq)
            self._out.append((encode_v15(session.auth_type, seq, session.bmc_sid, reply, code), addr))
            return
        aes = session.aes
        if aes is not None:
            reply = aes.encrypt(self._random(16), reply)
        mac = session.mac
        if mac is not None:
            seq = session.out_seq
            session.out_seq = (seq + 1) & 0xFFFFFFFF or 1  # next_seq, inline: every reply
        else:
            seq = session.out_seq_unauth
            session.out_seq_unauth = next_seq(seq)
        packet = encode_rmcpplus(_IPMI_PAYLOAD, session.console_sid, seq, reply, aes is not None,
                                 suite.integrity, b"", mac)
        self._out.append((packet, addr))

    def _set_privilege(self, session: Session, data: bytes) -> tuple[int, bytes]:
        if len(data) < 1:
            return CC.REQUEST_DATA_LENGTH_INVALID, b""
        level = data[0] & 0x0F
        if level == 0:
            return CC.OK, bytes((session.privilege,))
        if level > Privilege.OEM:
            return CC.INVALID_DATA_FIELD, b""
        if level > session.user.privilege:
            self._refuse(session.addr, RefusalReason.PRIVILEGE_TOO_LOW,
                         f"Set Session Privilege Level {Privilege(level).name}", session.user.name, session.bmc_sid)
            return 0x80, b""  # not available for this user
        if level > session.max_privilege:
            self._refuse(session.addr, RefusalReason.PRIVILEGE_TOO_LOW,
                         f"Set Session Privilege Level {Privilege(level).name} above the session limit",
                         session.user.name, session.bmc_sid)
            return 0x81, b""  # exceeds the limit negotiated at login
        session.privilege = Privilege(level)
        return CC.OK, bytes((level,))

    def _close_session(self, session: Session, msg: LanMessage) -> None:
        data = msg.data
        if len(data) < 4:
            self._send_in_session(session, encode_lan_response(msg, CC.REQUEST_DATA_LENGTH_INVALID, b""))
            return
        (sid,) = struct.unpack_from("<I", data)
        if sid == 0:
            target = self.table.by_handle(data[4]) if len(data) >= 5 else None
            missing = 0x88
        else:
            target = self.table.sessions.get(sid)
            missing = 0x87
        if target is None:
            self._send_in_session(session, encode_lan_response(msg, missing, b""))
            return
        if target is not session and session.privilege < Privilege.ADMINISTRATOR:
            self._send_in_session(session, encode_lan_response(msg, CC.INSUFFICIENT_PRIVILEGE, b""))
            return
        self._send_in_session(session, encode_lan_response(msg, CC.OK, b""))
        self._close(target, "closed")

    def _session_info(self, session: Session, data: bytes) -> tuple[int, bytes]:
        if len(data) < 1:
            return CC.REQUEST_DATA_LENGTH_INVALID, b""
        index = data[0]
        sessions = sorted(self.table.sessions.values(), key=lambda s: s.handle)
        if index == 0:
            target: Session | None = session
        elif index == 0xFE:
            target = self.table.by_handle(data[1]) if len(data) >= 2 else None
        elif index == 0xFF:
            target = self.table.sessions.get(struct.unpack_from("<I", data, 1)[0]) if len(data) >= 5 else None
        else:
            target = sessions[index - 1] if index <= len(sessions) else None
        head = bytes((session.handle, self.table.max_sessions, len(sessions)))
        if target is None:
            return CC.OK, head if index not in (0xFE, 0xFF) else b""
        aux = 0x00 if target.is_v15 else 0x10
        addr = target.addr
        ip = bytes(4)
        port = 0
        if isinstance(addr, tuple) and len(addr) >= 2:
            try:
                import ipaddress

                packed = ipaddress.ip_address(addr[0]).packed
                ip = packed if len(packed) == 4 else ip
            except ValueError:
                pass
            port = int(addr[1])
        return CC.OK, head + bytes((target.user.user_id, target.privilege, aux | self.config.channel)) + ip + bytes(
            6) + struct.pack(">H", port)
