"""UDP edge of the IPMI-over-LAN endpoint: an asyncio service around ``LanServer``.

The service owns the socket and the timer; ``LanServer`` owns every
protocol decision.  Each :class:`RequestReceived` is handed to ``handler``
(an ``async`` callable, typically the bus worker that bridges onto the I2C
BMC) in its own task, so a slow bus never stalls logins, pings or other
sessions; the reply goes back through ``LanServer.respond``.  Time is
``loop.time()`` (``time.monotonic`` on the standard loops) everywhere.

The socket is a plain non-blocking UDP socket watched with ``add_reader``
rather than asyncio's datagram transport: that transport reads every
datagram into a fresh 256 KiB buffer, which glibc maps and unmaps each
time (measured: 20-25 us of the ~95 us of CPU serve spent per Get Device
ID, nearly as much as the protocol core), and takes one trip through the
event loop per datagram.  Here each wake-up reads up to
:data:`RECV_BATCH` datagrams of at most :data:`RECV_SIZE` bytes; each is
answered (replies sent) before the next is read, exactly as before.

Logging goes to the ``chassisctl.serve.ipmi`` logger: one line per refusal
(WARNING for failed logins and privilege refusals, INFO for the rest), one
per session opened or closed.  Repeated rate-limited refusals from one
source are logged once per :data:`RATE_LIMIT_LOG_INTERVAL` at WARNING, the
others at DEBUG, so a password-guessing flood cannot flood the journal.
"""

from __future__ import annotations

import array
import asyncio
import collections
import contextvars
import fcntl
import ipaddress
import logging
import os
import socket
import termios
import uuid
import weakref
from typing import Awaitable, Callable

from chassisctl.errors import TimeoutFailure
from chassisctl.ipmi.codes import CompletionCode
from chassisctl.ipmi.lan import (
    LanConfig,
    LanServer,
    Refused,
    RefusalReason,
    RequestReceived,
    SessionClosed,
    SessionOpened,
)
from chassisctl.ipmi.message import Request, Response

Handler = Callable[[Request], Awaitable[Response]]
#: Answers from memory without a task, or None to go to ``handler``.
FastHandler = Callable[[Request], "Response | None"]

#: The event being handled, for handlers that key fairness on the session.
current_event: contextvars.ContextVar[RequestReceived | None] = contextvars.ContextVar(
    "current_event", default=None)

LOGGER_NAME = "chassisctl.serve.ipmi"
RATE_LIMIT_LOG_INTERVAL = 10.0
#: Requests executing at once; beyond this the console gets C0h (node busy).
MAX_IN_FLIGHT = 64
#: Bytes read per datagram: any UDP datagram whole, so an oversized one is
#: refused with its real size.  (Below glibc's 128 KiB mmap threshold: a
#: 64 KiB read costs what a 2 KiB one does, a 256 KiB one ~12 us more.)
RECV_SIZE = 65536
#: Datagrams read per wake-up before other callbacks (handler tasks, timers) run.
RECV_BATCH = 32
#: Replies held while the socket's send buffer is full; beyond this they are
#: dropped (the console retransmits and gets the cached reply).
SEND_QUEUE_LIMIT = 1024

_WARN = frozenset({
    RefusalReason.WRONG_PASSWORD,
    RefusalReason.UNKNOWN_USER,
    RefusalReason.DISABLED_USER,
    RefusalReason.PRIVILEGE_TOO_LOW,
    RefusalReason.RATE_LIMITED,
    RefusalReason.NO_RESOURCES,
})


class _RandomPool:
    """``os.urandom``, read :data:`POOL_SIZE` bytes at a time (one per service:
    not shared between event-loop threads).

    Every AES reply takes a fresh 16-byte IV; one getrandom() per reply was
    ~0.5 us of a ~17 us request (measured in-process).  Pools are emptied in a
    forked child, so two processes never hand out the same bytes.
    """

    POOL_SIZE = 4096

    def __init__(self) -> None:
        self._buf = b""
        self._pos = 0
        _POOLS.add(self)

    def _forget(self) -> None:
        self._buf, self._pos = b"", 0

    def __call__(self, n: int) -> bytes:
        pos = self._pos
        end = pos + n
        if end > len(self._buf):
            if n > self.POOL_SIZE:
                return os.urandom(n)
            self._buf, pos, end = os.urandom(self.POOL_SIZE), 0, n
        self._pos = end
        return self._buf[pos:end]


_POOLS: weakref.WeakSet[_RandomPool] = weakref.WeakSet()
os.register_at_fork(after_in_child=lambda: [pool._forget() for pool in _POOLS])


def _queued(sock: socket.socket, buf: array.array) -> bool:
    """Whether a datagram waits on ``sock`` (FIONREAD, into ``buf``).

    Asked once per wake-up, after the first datagram: a wake-up with one
    datagram then ends without a recvfrom that fails with EAGAIN (raising and
    catching BlockingIOError cost ~4 us, the ioctl ~1 us: one session's server
    CPU per request went ~72 -> ~68 us).  Asking after every datagram cost
    more than it saved at 16 sessions.  An empty datagram reads as 0 here;
    the socket stays readable, so the loop calls us again for it."""
    try:
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, buf, True)
    except OSError:
        return True  # no FIONREAD: let recvfrom tell
    return buf[0] > 0


def _fmt_addr(addr: object) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        host = str(addr[0])
        return f"[{host}]:{addr[1]}" if ":" in host else f"{host}:{addr[1]}"
    return str(addr)


class IpmiLanService:
    def __init__(
        self,
        config: LanConfig,
        handler: Handler,
        *,
        logger: logging.Logger | None = None,
        guid: bytes | None = None,
        random_bytes: Callable[[int], bytes] | None = None,
        fast_handler: FastHandler | None = None,
    ) -> None:
        self.config = config
        self.handler = handler
        self.fast_handler = fast_handler
        self.logger = logger or logging.getLogger(LOGGER_NAME)
        # By default os.urandom through a pool: session IDs, RAKP challenges, AES IVs.
        self.server = LanServer(config, random_bytes=random_bytes or _RandomPool(),
                                guid=guid or uuid.uuid4().bytes)
        self._sock: socket.socket | None = None
        self._send_queue: collections.deque[tuple[bytes, object]] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._tasks: set[asyncio.Task] = set()
        self._rate_logged: dict[object, float] = {}
        self._fionread = array.array("i", [0])

    # --- life cycle -------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        host, port = self.config.host, self.config.port
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            if self.config.interface:
                # Only the management port: SO_BINDTODEVICE (needs CAP_NET_RAW).
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, self.config.interface.encode())
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise _bind_error(exc, host, port, self.config.interface) from None
        self._sock = sock
        loop.add_reader(sock.fileno(), self._readable)
        self.logger.info("IPMI over LAN listening on %s (cipher suites %s)", _fmt_addr(self.address),
                         ", ".join(map(str, self.config.cipher_suites)) or "none")

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        sock, self._sock = self._sock, None
        if sock is not None:
            assert self._loop is not None
            self._loop.remove_reader(sock.fileno())
            if self._send_queue:
                self._loop.remove_writer(sock.fileno())
                self._send_queue.clear()
            sock.close()

    @property
    def address(self) -> tuple:
        """The bound (host, port[, ...]) — useful with port 0."""
        if self._sock is None:
            raise RuntimeError("service not started")
        return self._sock.getsockname()

    async def __aenter__(self) -> IpmiLanService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- plumbing ------------------------------------------------------------------

    def _now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    def _readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        for i in range(RECV_BATCH):
            try:
                data, addr = sock.recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # ICMP errors reported on the socket, etc.
                self.logger.debug("socket error: %s", exc)
                break
            self._datagram(data, addr, arm=False)
            if self._sock is None:
                return
            if i == 0 and not _queued(sock, self._fionread):
                break  # the usual wake-up: one datagram
        self._arm_timer()

    def _datagram(self, data: bytes, addr: object, arm: bool = True) -> None:
        now = self._loop.time()  # type: ignore[union-attr]
        try:
            self.server.receive_datagram(data, addr, now)
        except Exception:  # a bug: log it, keep serving everyone else
            self.logger.exception("internal error on a datagram from %s", _fmt_addr(addr))
        self._flush(arm, now)

    def _flush(self, arm: bool = True, now: float | None = None) -> None:
        """Act on the server's events and send its datagrams; ``now`` is the
        time of the datagram just received, if any (a fast reply goes out with it)."""
        server = self.server
        while (event := server.next_event()) is not None:
            if isinstance(event, RequestReceived):
                self._dispatch(event, now)
            elif isinstance(event, Refused):
                self._log_refused(event)
            elif isinstance(event, SessionOpened):
                self.logger.info("session %08x opened for %r from %s (%s, %s)", event.session_id, event.user,
                                 _fmt_addr(event.addr), event.protocol, event.privilege.name)
            elif isinstance(event, SessionClosed):
                self.logger.info("session %08x of %r from %s %s", event.session_id, event.user,
                                 _fmt_addr(event.addr), event.reason)
        out = server.datagrams_to_send()
        if self._sock is not None:
            for packet, addr in out:
                self._send(packet, addr)
        if arm:
            self._arm_timer()

    def _send(self, packet: bytes, addr: object) -> None:
        queue = self._send_queue
        if queue:
            if len(queue) < SEND_QUEUE_LIMIT:
                queue.append((packet, addr))
            return
        try:
            self._sock.sendto(packet, addr)  # type: ignore[union-attr]
        except (BlockingIOError, InterruptedError):
            queue.append((packet, addr))
            assert self._loop is not None and self._sock is not None
            self._loop.add_writer(self._sock.fileno(), self._writable)
        except OSError as exc:
            self.logger.debug("socket error sending to %s: %s", _fmt_addr(addr), exc)

    def _writable(self) -> None:
        sock, queue = self._sock, self._send_queue
        if sock is None:
            return
        while queue:
            packet, addr = queue[0]
            try:
                sock.sendto(packet, addr)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.logger.debug("socket error sending to %s: %s", _fmt_addr(addr), exc)
            queue.popleft()
        assert self._loop is not None
        self._loop.remove_writer(sock.fileno())

    def _arm_timer(self) -> None:
        # Deadlines only move later with activity, so an armed timer that is
        # not later than the next deadline is kept: firing early is harmless
        # (handle_timer reaps nothing and the timer is re-armed).
        when = self.server.get_timer()
        if when is None or (self._timer_at is not None and self._timer_at <= when):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        if self._loop is not None:
            self._timer = self._loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        self.server.handle_timer(self._now())
        self._flush()

    def _log_refused(self, event: Refused) -> None:
        who = f" user {event.user!r}" if event.user is not None else ""
        if event.session_id is not None:
            who += f" session {event.session_id:08x}"
        detail = f": {event.detail}" if event.detail else ""
        # Failed logins are WARNING; a command refused inside a session is INFO
        # (a read-only account meeting a probe is routine, not an attack).
        level = logging.WARNING if event.reason in _WARN and event.session_id is None else logging.INFO
        if event.reason is RefusalReason.RATE_LIMITED:
            source = event.addr[0] if isinstance(event.addr, tuple) else event.addr
            now = self._now()
            last = self._rate_logged.get(source)
            if last is not None and now - last < RATE_LIMIT_LOG_INTERVAL:
                level = logging.DEBUG
            else:
                self._rate_logged[source] = now
                if len(self._rate_logged) > 1024:
                    self._rate_logged.clear()
        self.logger.log(level, "refused %s from %s%s%s", event.reason.value, _fmt_addr(event.addr), who, detail)

    def _dispatch(self, event: RequestReceived, now: float | None = None) -> None:
        if self.fast_handler is not None:
            try:
                response = self.fast_handler(event.request)
            except Exception:
                self.logger.exception("fast path failed on %s", event.request.name)
                response = None
            if response is not None:
                self.server.respond(event, response, self._now() if now is None else now)
                return
        if len(self._tasks) >= MAX_IN_FLIGHT:
            self.server.respond(event, event.request.reply(CompletionCode.NODE_BUSY), self._now())
            return
        token = current_event.set(event)
        try:
            task = asyncio.ensure_future(self._run(event))
        finally:
            current_event.reset(token)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, event: RequestReceived) -> None:
        request = event.request
        try:
            response = await self.handler(request)
        except asyncio.CancelledError:
            raise
        except TimeoutFailure:
            response = request.reply(CompletionCode.TIMEOUT)
        except Exception:
            self.logger.exception("handler failed on %s from %s", request.name, _fmt_addr(event.addr))
            response = request.reply(CompletionCode.UNSPECIFIED)
        self.server.respond(event, response, self._now())
        self._flush()


def _bind_error(exc: OSError, host: str, port: int, interface: str | None):
    """A one-line, documented failure for the things that stop a bind."""
    import errno

    from chassisctl.errors import ConfigError, PermissionDenied

    where = f"{host}:{port}" + (f" on {interface}" if interface else "")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PermissionDenied(f"cannot listen on {where}: permission denied",
                                hint="ports below 1024 and --ipmi-interface need root or "
                                     "CAP_NET_BIND_SERVICE / CAP_NET_RAW")
    if exc.errno == errno.ENODEV:
        return ConfigError(f"cannot listen on {where}: no such network interface {interface!r}")
    if exc.errno == errno.EADDRINUSE:
        return ConfigError(f"cannot listen on {where}: address already in use",
                           hint="another BMC emulator or serve instance? choose another --ipmi-listen port")
    if exc.errno == errno.EADDRNOTAVAIL:
        return ConfigError(f"cannot listen on {where}: no such local address")
    return ConfigError(f"cannot listen on {where}: {exc.strerror}")
