"""A minimal sans-I/O RMCP+ console (the client side), for tests and benchmarks.

Not a general client: it logs in with one suite, sends requests one at a
time and decodes replies.  Each step returns the datagram to send; feed the
answer back to the matching ``got_*`` method.  Useful where the real clients
cannot go: raw replays, floods, throughput without client-side stalls.
"""

from __future__ import annotations

from collections.abc import Callable

from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.rmcp import BMC_ADDR, REMOTE_CONSOLE_ADDR, LanMessage, decode_lan_message, encode_lan_message
from chassisctl.ipmi.rmcpplus import (
    CIPHER_SUITES,
    ConfAlg,
    OpenSessionRequest,
    PayloadType,
    Rakp1,
    Rakp3,
    check_trailer,
    decode_open_session_response,
    decode_rakp2,
    decode_rakp4,
    decode_rmcpplus_header,
    decrypt_aes_cbc_128,
    derive_k,
    encode_open_session_request,
    encode_rakp1,
    encode_rakp3,
    encode_rmcpplus,
    encrypt_aes_cbc_128,
    rakp2_auth_code,
    rakp3_auth_code,
    rakp4_icv,
    session_integrity_key,
)


class LoginFailed(Exception):
    def __init__(self, step: str, status: int) -> None:
        super().__init__(f"{step} status {status:02X}h")
        self.step = step
        self.status = status


class RmcpPlusConsole:
    def __init__(self, username: bytes, password: bytes, *, suite: int = 17, privilege: int = 4,
                 random_bytes: Callable[[int], bytes], kg: bytes | None = None, console_sid: int = 0xA0A1A2A3) -> None:
        self.username = username
        self.password = password
        self.suite = CIPHER_SUITES[suite]
        self.privilege = privilege
        self.kg = kg
        self.random = random_bytes
        self.console_sid = console_sid
        self.bmc_sid = 0
        self.granted_privilege = 0
        self.seq = 0
        self.rq_seq = 0
        self.k1 = self.k2 = b""

    # --- login ----------------------------------------------------------------------

    def open_session(self, tag: int = 0, requested_privilege: int = 0) -> bytes:
        s = self.suite
        req = OpenSessionRequest(tag, requested_privilege, self.console_sid, s.auth, s.integrity, s.confidentiality)
        return encode_rmcpplus(PayloadType.OPEN_SESSION_REQUEST, 0, 0, encode_open_session_request(req))

    def got_open_session(self, datagram: bytes) -> bytes:
        """Check the response; return RAKP 1."""
        hdr = decode_rmcpplus_header(datagram)
        rsp = decode_open_session_response(hdr.payload(datagram))
        if rsp.status:
            raise LoginFailed("Open Session", rsp.status)
        self.bmc_sid = rsp.bmc_session_id
        self.granted_privilege = rsp.privilege
        self.rm = self.random(16)
        self.role = self.privilege | 0x10  # name-only lookup
        msg = Rakp1(0, self.bmc_sid, self.rm, self.role, self.username)
        return encode_rmcpplus(PayloadType.RAKP1, 0, 0, encode_rakp1(msg))

    def got_rakp2(self, datagram: bytes) -> bytes:
        """Verify RAKP 2; return RAKP 3."""
        hdr = decode_rmcpplus_header(datagram)
        m = decode_rakp2(hdr.payload(datagram))
        if m.status:
            raise LoginFailed("RAKP 2", m.status)
        auth = self.suite.auth
        expect = rakp2_auth_code(auth, self.password, self.console_sid, self.bmc_sid, self.rm, m.rc, m.guid,
                                 self.role, self.username)
        if expect != m.auth_code:
            raise LoginFailed("RAKP 2 auth code", 0x0F)
        self.rc, self.guid = m.rc, m.guid
        code = rakp3_auth_code(auth, self.password, m.rc, self.console_sid, self.role, self.username)
        sik = session_integrity_key(auth, self.kg if self.kg is not None else self.password, self.rm, m.rc,
                                    self.role, self.username)
        self.sik = sik
        self.k1, self.k2 = derive_k(auth, sik, 1), derive_k(auth, sik, 2)
        return encode_rmcpplus(PayloadType.RAKP3, 0, 0, encode_rakp3(Rakp3(0, 0, self.bmc_sid, code)))

    def got_rakp4(self, datagram: bytes) -> None:
        hdr = decode_rmcpplus_header(datagram)
        m = decode_rakp4(hdr.payload(datagram))
        if m.status:
            raise LoginFailed("RAKP 4", m.status)
        if m.icv != rakp4_icv(self.suite.auth, self.sik, self.rm, self.bmc_sid, self.guid):
            raise LoginFailed("RAKP 4 ICV", 0x0F)

    # --- session traffic -----------------------------------------------------------------

    def request(self, netfn: int, cmd: int, data: bytes = b"", *, seq: int | None = None,
                rq_seq: int | None = None) -> bytes:
        """A session datagram carrying one request (next sequence numbers unless given)."""
        if seq is None:
            self.seq += 1
            seq = self.seq
        if rq_seq is None:
            self.rq_seq = (self.rq_seq + 1) & 0x3F
            rq_seq = self.rq_seq
        msg = encode_lan_message(LanMessage(BMC_ADDR, netfn, 0, REMOTE_CONSOLE_ADDR, rq_seq, 0, cmd, data))
        s = self.suite
        if s.confidentiality == ConfAlg.AES_CBC_128:
            msg = encrypt_aes_cbc_128(self.k2, self.random(16), msg)
        return encode_rmcpplus(PayloadType.IPMI, self.bmc_sid, seq, msg,
                               encrypted=s.confidentiality != ConfAlg.NONE, integrity=s.integrity, k1=self.k1)

    def sessionless(self, netfn: int, cmd: int, data: bytes = b"") -> bytes:
        msg = encode_lan_message(LanMessage(BMC_ADDR, netfn, 0, REMOTE_CONSOLE_ADDR, 0, 0, cmd, data))
        return encode_rmcpplus(PayloadType.IPMI, 0, 0, msg)

    def decode(self, datagram: bytes) -> LanMessage:
        """Verify and decrypt a reply; its ``data`` starts with the completion code."""
        hdr = decode_rmcpplus_header(datagram)
        s = self.suite
        if hdr.session_id not in (0, self.console_sid):
            raise DecodeError("reply for another session")
        if hdr.session_id and s.integrity and not check_trailer(datagram, hdr, s.integrity, self.k1):
            raise DecodeError("reply AuthCode invalid")
        payload = hdr.payload(datagram)
        if hdr.encrypted:
            payload = decrypt_aes_cbc_128(self.k2, payload)
        self.last_reply_seq = hdr.seq
        return decode_lan_message(payload)


def split_reply(msg: LanMessage) -> tuple[int, bytes]:
    """(completion code, data) of a decoded reply."""
    if not msg.data:
        raise DecodeError("reply without a completion code")
    return msg.data[0], msg.data[1:]


def login(console: RmcpPlusConsole, exchange: Callable[[bytes], bytes]) -> None:
    """Run the whole login with ``exchange(datagram) -> reply datagram``."""
    rakp1 = console.got_open_session(exchange(console.open_session()))
    rakp3 = console.got_rakp2(exchange(rakp1))
    console.got_rakp4(exchange(rakp3))


__all__ = ["LoginFailed", "RmcpPlusConsole", "login", "split_reply"]
