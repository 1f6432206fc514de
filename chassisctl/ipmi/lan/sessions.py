"""Session state: sequence windows, reply caches, the bounded session table
and the per-source login-failure limiter.  Pure data structures over ``now``.

Sequence windows (IPMI v2.0 §6.12.13 and §6.12.12 as we read them; the note
``ipmi-lan.md`` §13 lists the RMCP+ width as unverified):

* IPMI 1.5 sessions accept a number up to 8 ahead of the highest seen, or up
  to 7 behind it if not seen yet.
* RMCP+ sessions use a 32-wide window: up to 16 ahead, up to 15 behind, each
  number accepted once; separate windows for authenticated and
  unauthenticated packets (§13.6: separate counters).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from chassisctl.ipmi.codes import Privilege
from chassisctl.ipmi.lan.config import LanUser
from chassisctl.ipmi.rmcpplus import CipherSuite, SessionMac

_MASK32 = 0xFFFFFFFF

NEW, DUPLICATE, OUTSIDE = 0, 1, 2


class SeqWindow:
    """Sliding replay window over 32-bit sequence numbers (0 never valid)."""

    __slots__ = ("highest", "seen", "ahead", "behind")

    def __init__(self, highest: int, *, ahead: int, behind: int) -> None:
        self.highest = highest & _MASK32
        self.seen = 1  # bit i = highest - i was seen
        self.ahead = ahead
        self.behind = behind

    def check(self, seq: int) -> int:
        """Classify and record ``seq``: NEW, DUPLICATE or OUTSIDE."""
        if seq == 0:
            return OUTSIDE
        d = (seq - self.highest) & _MASK32
        if 0 < d <= self.ahead:
            self.seen = ((self.seen << d) | 1) & ((1 << (self.behind + 1)) - 1)
            self.highest = seq
            return NEW
        back = (self.highest - seq) & _MASK32
        if back <= self.behind:
            bit = 1 << back
            if self.seen & bit:
                return DUPLICATE
            self.seen |= bit
            return NEW
        return OUTSIDE


def next_seq(seq: int) -> int:
    """The next outbound sequence number, skipping 0 on wrap."""
    return (seq + 1) & _MASK32 or 1


class ReplyCache:
    """The last few requests of a session and their replies.

    Keyed on the exact request message bytes (they carry the rqSeq), so a
    retransmission is answered from here and never executed twice.  A value
    of ``None`` means "still being executed".  A plain dict kept in
    insertion order (a re-put key moves to the end): every session request
    passes through here, and OrderedDict's move_to_end cost more than the rest.
    """

    __slots__ = ("_entries", "size", "ttl")

    def __init__(self, size: int = 16, ttl: float = 15.0) -> None:
        self._entries: dict[bytes, tuple[float, bytes | None]] = {}
        self.size = size
        self.ttl = ttl

    def lookup(self, key: bytes, now: float) -> tuple[bool, bytes | None]:
        entry = self._entries.get(key)
        if entry is None or now - entry[0] > self.ttl:
            return False, None
        return True, entry[1]

    def put(self, key: bytes, now: float, reply: bytes | None) -> None:
        entries = self._entries
        entries.pop(key, None)
        entries[key] = (now, reply)
        if len(entries) > self.size:
            del entries[next(iter(entries))]


@dataclass(slots=True, eq=False)
class Session:
    """An active session (IPMI 1.5 or RMCP+)."""

    bmc_sid: int
    #: The ID outbound packets carry: the console's for RMCP+, ours for v1.5.
    console_sid: int
    addr: object
    user: LanUser
    handle: int
    max_privilege: Privilege
    privilege: Privilege
    last_seen: float
    #: RMCP+ only
    suite: CipherSuite | None = None
    k1: bytes = b""
    k2: bytes = b""
    #: Integrity (keyed HMAC, suites with integrity) and AES-CBC-128 state
    #: (suites with confidentiality), built once at login.
    mac: SessionMac | None = None
    aes: object = None
    #: IPMI 1.5 only
    auth_type: int = 0
    password16: bytes = b""
    out_seq: int = 1
    out_seq_unauth: int = 1
    window: SeqWindow = field(default_factory=lambda: SeqWindow(0, ahead=16, behind=15))
    window_unauth: SeqWindow = field(default_factory=lambda: SeqWindow(0, ahead=16, behind=15))
    cache: ReplyCache = field(default_factory=ReplyCache)
    #: RAKP 3 auth code and the RAKP 4 we answered, to repeat it for a retransmitted RAKP 3.
    rakp3_code: bytes = b""
    rakp4_reply: bytes = b""
    closed: bool = False

    @property
    def is_v15(self) -> bool:
        return self.suite is None


@dataclass(slots=True, eq=False)
class Handshake:
    """A login in progress: RMCP+ Open Session .. RAKP 3, or a v1.5 challenge."""

    bmc_sid: int
    addr: object
    created: float
    console_sid: int = 0
    suite: CipherSuite | None = None
    requested_privilege: int = 0
    #: after RAKP 1
    rakp1: bytes = b""
    rm: bytes = b""
    rc: bytes = b""
    role: int = 0
    user: LanUser | None = None
    rakp2_reply: bytes = b""
    #: IPMI 1.5 challenge
    auth_type: int = 0
    challenge: bytes = b""
    #: A failed Activate Session: retransmissions are dropped quietly until it expires.
    failed: bool = False


class SessionTable:
    """Active sessions (bounded), and half-open handshakes (bounded, LRU)."""

    def __init__(self, max_sessions: int, max_handshakes: int) -> None:
        self.max_sessions = max_sessions
        self.max_handshakes = max_handshakes
        self.sessions: dict[int, Session] = {}
        self.handshakes: OrderedDict[int, Handshake] = OrderedDict()

    def id_in_use(self, sid: int) -> bool:
        return sid == 0 or sid in self.sessions or sid in self.handshakes

    def free_handle(self) -> int:
        used = {s.handle for s in self.sessions.values()}
        for h in range(1, 64):
            if h not in used:
                return h
        raise RuntimeError("no free session handle")  # bounded by max_sessions <= 62

    def add_handshake(self, hs: Handshake) -> Handshake | None:
        """Add ``hs``; return the oldest handshake evicted to make room."""
        evicted = None
        if len(self.handshakes) >= self.max_handshakes:
            _, evicted = self.handshakes.popitem(last=False)
        self.handshakes[hs.bmc_sid] = hs
        return evicted

    def has_room(self, now: float, stale_after: float) -> bool:
        return len(self.sessions) < self.max_sessions or self._stalest(now, stale_after) is not None

    def make_room(self, now: float, stale_after: float) -> Session | None:
        """Evict the longest-idle session if the table is full and it is stale."""
        if len(self.sessions) < self.max_sessions:
            return None
        victim = self._stalest(now, stale_after)
        if victim is not None:
            self.remove(victim)
        return victim

    def _stalest(self, now: float, stale_after: float) -> Session | None:
        if not self.sessions:
            return None
        victim = min(self.sessions.values(), key=lambda s: s.last_seen)
        return victim if now - victim.last_seen >= stale_after else None

    def add(self, session: Session) -> None:
        self.sessions[session.bmc_sid] = session

    def remove(self, session: Session) -> None:
        session.closed = True
        self.sessions.pop(session.bmc_sid, None)

    def by_handle(self, handle: int) -> Session | None:
        for s in self.sessions.values():
            if s.handle == handle:
                return s
        return None


class FailureLimiter:
    """Token bucket per source IP, spent by failed logins.

    A source with an empty bucket has its login packets dropped until the
    bucket refills.  Bounded: at most ``max_sources`` buckets are kept
    (full buckets are forgotten first, then the oldest).
    """

    def __init__(self, burst: int, per_second: float, max_sources: int = 4096) -> None:
        self.burst = float(burst)
        self.rate = per_second
        self.max_sources = max_sources
        self._buckets: OrderedDict[object, tuple[float, float]] = OrderedDict()

    def _level(self, source: object, now: float) -> float:
        entry = self._buckets.get(source)
        if entry is None:
            return self.burst
        tokens, then = entry
        return min(self.burst, tokens + (now - then) * self.rate)

    def allowed(self, source: object, now: float) -> bool:
        return self._level(source, now) >= 1.0

    def failed(self, source: object, now: float) -> None:
        tokens = max(0.0, self._level(source, now) - 1.0)
        self._buckets[source] = (tokens, now)
        self._buckets.move_to_end(source)
        if len(self._buckets) > self.max_sources:
            for key in [k for k in self._buckets if self._level(k, now) >= self.burst]:
                del self._buckets[key]
            while len(self._buckets) > self.max_sources:
                self._buckets.popitem(last=False)
