"""Session state: sequence windows, reply caches, the bounded session table
and the per-source login-failure limiter.  Pure data structures over ``now``.

The table is the part strangers and careless accounts aim at, so its limits
are per source and per user (IPMI v2.0 leaves the policy to the BMC):

* Logins in progress are bounded per source (:data:`HANDSHAKES_PER_SOURCE`,
  or the per-address session limit if larger) and in all
  (:data:`MAX_HANDSHAKES`).  A source over its bound drops its *own* oldest
  login, so a flood of Open Session Requests from one address never pushes
  out another address's login; only a flood from hundreds of addresses
  reaches the global bound.  A dropped or expired login is never a failed
  login (:class:`FailureLimiter` counts only wrong passwords, unknown users
  and refused roles): otherwise a stranger could spend a victim's budget.
* Sessions are capped per user name and per source address
  (:meth:`SessionTable.admission`): a login at its cap replaces that user's
  (or address's) own longest-idle session.  The cap only ever costs its
  holder, never locks anyone out, and clients that never close their
  sessions (pyghmi) recycle their own.  One slot stays for an administrator
  while the rest hold lower-privilege sessions.  When the table (or the
  non-administrator part) is full, the longest-idle session of whichever
  user or source holds the most goes; if everyone holds one, only a stale
  session is evicted, else the login is refused.

Sequence windows (IPMI v2.0 §6.12.13 and §6.12.12 as we read them; the
RMCP+ width of 32 is what ipmitool and FreeIPMI tolerate, not a figure
checked against the spec text):

* IPMI 1.5 sessions accept a number up to 8 ahead of the highest seen, or up
  to 7 behind it if not seen yet.
* RMCP+ sessions use a 32-wide window: up to 16 ahead, up to 15 behind, each
  number accepted once; separate windows for authenticated and
  unauthenticated packets (§13.6: separate counters).
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from dataclasses import dataclass, field

from chassisctl.ipmi.codes import Privilege
from chassisctl.ipmi.lan.config import LanUser
from chassisctl.ipmi.rmcpplus import AesCbc128, CipherSuite, SessionMac

_MASK32 = 0xFFFFFFFF

NEW, DUPLICATE, OUTSIDE = 0, 1, 2

#: Logins one source may have in progress at once (more when it may hold more sessions).
HANDSHAKES_PER_SOURCE = 4
#: Logins in progress from every source together: bounds memory when a flood
#: comes from many (spoofed) addresses.  ~300 bytes each.
MAX_HANDSHAKES = 1024


def source_of(addr: object) -> object:
    """The key per-source limits and budgets are kept under: the IP address,
    not the port; for IPv6 its /64 (one host usually owns a whole /64, so
    an address per packet must not mean a budget per packet); an
    IPv4-mapped IPv6 address is its IPv4 address."""
    if not isinstance(addr, tuple) or not addr:
        return addr
    host = addr[0]
    if not isinstance(host, str) or ":" not in host:
        return host
    try:
        ip = ipaddress.IPv6Address(host.partition("%")[0])
    except ValueError:
        return host
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return f"{ipaddress.IPv6Address(int(ip) >> 64 << 64).compressed}/64"


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
    aes: AesCbc128 | None = None
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
    #: :func:`source_of` ``addr``, set by :meth:`SessionTable.add_handshake`.
    source: object = None


@dataclass(frozen=True, slots=True)
class Admission:
    """Whether a new session may be added, and which sessions must go first."""

    ok: bool
    victims: tuple[Session, ...] = ()
    #: Which limit refused it: "reserve" (the slot kept for an administrator)
    #: or "table"; "" when admitted.
    limit: str = ""


class SessionTable:
    """Active sessions and logins in progress, with the limits in the module docstring."""

    def __init__(self, max_sessions: int, *, per_user: int | None = None, per_source: int | None = None,
                 max_handshakes: int = MAX_HANDSHAKES, handshakes_per_source: int | None = None) -> None:
        self.max_sessions = max_sessions
        self.per_user = per_user or max_sessions
        self.per_source = per_source or max_sessions
        self.max_handshakes = max_handshakes
        self.handshakes_per_source = handshakes_per_source or max(HANDSHAKES_PER_SOURCE, self.per_source)
        self.sessions: dict[int, Session] = {}
        #: Every login in progress by BMC session ID, oldest first (the expiry order).
        self.handshakes: OrderedDict[int, Handshake] = OrderedDict()
        self._pending: dict[object, OrderedDict[int, Handshake]] = {}

    def id_in_use(self, sid: int) -> bool:
        return sid == 0 or sid in self.sessions or sid in self.handshakes

    def free_handle(self) -> int:
        used = {s.handle for s in self.sessions.values()}
        for h in range(1, 64):
            if h not in used:
                return h
        raise RuntimeError("no free session handle")  # bounded by max_sessions <= 62

    # --- logins in progress -------------------------------------------------------------

    def add_handshake(self, hs: Handshake) -> list[Handshake]:
        """Add ``hs``; return what was dropped to make room: the same source's
        oldest login when that source is at its bound, else the oldest of all
        when the table is.  Never another source's login while the table has room."""
        hs.source = source_of(hs.addr)
        dropped = []
        mine = self._pending.get(hs.source)
        if mine is not None and len(mine) >= self.handshakes_per_source:
            dropped.append(self.pop_handshake(next(iter(mine))))
        elif len(self.handshakes) >= self.max_handshakes:
            dropped.append(self.pop_handshake(next(iter(self.handshakes))))
        self.handshakes[hs.bmc_sid] = hs
        self._pending.setdefault(hs.source, OrderedDict())[hs.bmc_sid] = hs
        return [h for h in dropped if h is not None]

    def pop_handshake(self, sid: int) -> Handshake | None:
        hs = self.handshakes.pop(sid, None)
        if hs is not None:
            mine = self._pending.get(hs.source)
            if mine is not None:
                mine.pop(sid, None)
                if not mine:
                    del self._pending[hs.source]
        return hs

    def expire_handshakes(self, created_until: float) -> list[Handshake]:
        """Drop and return the logins started at or before ``created_until``."""
        out = []
        while self.handshakes:
            first = next(iter(self.handshakes.values()))
            if first.created > created_until:
                break
            self.pop_handshake(first.bmc_sid)
            out.append(first)
        return out

    def pending_from(self, source: object) -> int:
        """Logins in progress from ``source`` (a :func:`source_of` key)."""
        return len(self._pending.get(source, ()))

    # --- sessions -----------------------------------------------------------------------

    def admission(self, user: str | None, source: object, admin: bool, now: float,
                  stale_after: float) -> Admission:
        """May a session for ``user`` (None: not known yet) from ``source`` be
        added, and at whose expense?  Pure: nothing is evicted here.

        ``admin``: the login negotiated the administrator role, so it may take
        the slot kept for one.  Victims are sessions the caller must close
        first, in order; see the module docstring for the policy.
        """
        live = list(self.sessions.values())
        victims: list[Session] = []

        def own_cap(mine: list[Session], cap: int) -> None:
            while len(mine) >= cap:  # at its cap: its own longest-idle session makes room
                victim = _idlest(mine)
                mine.remove(victim)
                victims.append(victim)
                live.remove(victim)

        if user is not None:
            own_cap([s for s in live if s.user.name == user], self.per_user)
        own_cap([s for s in live if source_of(s.addr) == source], self.per_source)
        if not admin and self.max_sessions > 1:
            lower = [s for s in live if s.max_privilege < Privilege.ADMINISTRATOR]
            if len(lower) >= self.max_sessions - 1:
                victim = _victim(lower, now, stale_after)
                if victim is None:
                    return Admission(False, limit="reserve")
                victims.append(victim)
                live.remove(victim)
        if len(live) >= self.max_sessions:
            victim = _victim(live, now, stale_after)
            if victim is None:
                return Admission(False, limit="table")
            victims.append(victim)
        return Admission(True, tuple(victims))

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


def _idlest(sessions: list[Session]) -> Session:
    return min(sessions, key=lambda s: s.last_seen)


def _victim(pool: list[Session], now: float, stale_after: float) -> Session | None:
    """The longest-idle session of the user or source holding the most of
    ``pool``; when everyone holds one, the longest-idle session if stale."""
    groups: dict[tuple[str, object], list[Session]] = {}
    for s in pool:
        groups.setdefault(("user", s.user.name), []).append(s)
        groups.setdefault(("source", source_of(s.addr)), []).append(s)
    if not groups:
        return None
    heaviest = max(groups.values(), key=lambda g: (len(g), now - _idlest(g).last_seen))
    victim = _idlest(heaviest)
    return victim if len(heaviest) >= 2 or now - victim.last_seen >= stale_after else None


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
