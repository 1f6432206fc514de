"""UDP edge of the IPMI-over-LAN endpoint: a receive thread around ``LanServer``.

The service owns the socket; ``LanServer`` owns every protocol decision.
One thread blocks in ``recvfrom`` and, for each datagram, runs
``LanServer`` (with ``fast_handler`` as its synchronous ``answer``: cached
identity, SDRs and readings are answered right there) and sends the replies.
Requests that need the bus become :class:`RequestReceived` events handed to
the asyncio loop, where ``handler`` (typically the bus worker that bridges
onto the I2C BMC) runs each in its own task, so a slow bus never stalls
logins, pings or other sessions; the reply goes back through
``LanServer.respond``.  One lock keeps ``LanServer`` to one thread at a
time.  Time is ``time.monotonic`` (what asyncio's loops use) everywhere.

Why a thread rather than the event loop's reader: a Get Device ID costs
the thread one wake-up in ``recvfrom`` and one ``sendto``; through the
loop it also paid epoll, the loop's bookkeeping and a non-blocking read
that ends in EAGAIN (measured with ``bench/serve_lan.py``: about 8 us of
the ~70 us of server CPU per request with one session, the same as a bare
UDP echo shows).  ``LanServer`` is pure Python, so the GIL is held while it
runs either way; the thread only stops paying for the loop.

Under load the thread answers what is already queued as one batch (at most
:data:`BATCH`) and sends those replies back to back: waking a sleeping
console costs the sender ~10 us in ``sendto`` on the VMs measured, and a
batch pays it about once instead of once per reply (16 sessions: ~46k ->
~60k Get Device ID/s).  A datagram that finds the service idle is still
answered alone, at once.

The thread wakes at least every :data:`TICK` (``SO_RCVTIMEO``) to reap idle
sessions and half-open logins, and ``stop`` shuts the socket down, which
ends a blocked ``recvfrom`` at once on Linux.  A reply that finds the send
buffer full is dropped (``MSG_DONTWAIT``): the console retransmits and gets
the cached reply.

Logging goes to the ``chassisctl.serve.ipmi`` logger: one line per refusal
(WARNING for failed logins and privilege refusals, INFO for the rest), one
per session opened or closed.  Repeated rate-limited refusals from one
source are logged once per :data:`RATE_LIMIT_LOG_INTERVAL` at WARNING, the
others at DEBUG, so a password-guessing flood cannot flood the journal.
"""

from __future__ import annotations

import array
import asyncio
import contextvars
import errno
import fcntl
import ipaddress
import logging
import os
import socket
import struct
import termios
import threading
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

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
#: Most datagrams answered together before their replies are sent (only
#: datagrams already queued are batched; one arriving at an idle service is
#: answered alone, at once).
BATCH = 16
#: Longest the receive thread sleeps without looking at its timers (seconds);
#: shorter when the configured timeouts are (a quarter of the shortest).
TICK = 1.0

#: Refusals that are a failed login (counted for metrics).
_LOGIN_FAILURES = frozenset({
    RefusalReason.WRONG_PASSWORD, RefusalReason.UNKNOWN_USER, RefusalReason.DISABLED_USER,
    RefusalReason.PRIVILEGE_TOO_LOW, RefusalReason.RATE_LIMITED,
})
_WARN = frozenset({
    RefusalReason.WRONG_PASSWORD,
    RefusalReason.UNKNOWN_USER,
    RefusalReason.DISABLED_USER,
    RefusalReason.PRIVILEGE_TOO_LOW,
    RefusalReason.RATE_LIMITED,
    RefusalReason.NO_RESOURCES,
    RefusalReason.ABANDONED,  # most often a wrong password on the console: worth a warning, not a budget
})


class _RandomPool:
    """``os.urandom``, read :data:`POOL_SIZE` bytes at a time (one per service,
    called only by its ``LanServer``, so under the service's lock).

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
def _forget_pools() -> None:
    """A forked child must not hand out the random bytes its parent also holds."""
    for pool in _POOLS:
        pool._forget()


os.register_at_fork(after_in_child=_forget_pools)


def _queued(sock: socket.socket, buf: array.array) -> bool:
    """Whether a datagram waits on ``sock`` (FIONREAD, into ``buf``): about
    1 us, where a non-blocking recvfrom that finds nothing costs ~4 us
    (raising and catching BlockingIOError).  An empty datagram reads as 0
    here; the next blocking recvfrom returns it."""
    try:
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, buf, True)
    except OSError:
        return False
    return buf[0] > 0


def _fail(future: asyncio.Future, error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


def _fmt_addr(addr: object) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        host = str(addr[0])
        return f"[{host}]:{addr[1]}" if ":" in host else f"{host}:{addr[1]}"
    return str(addr)


class IpmiLanService:
    name = "ipmi-lan"

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
                                guid=guid or uuid.uuid4().bytes,
                                answer=self._answer_fast if fast_handler is not None else None)
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._next_tick = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()
        self._failed: asyncio.Future | None = None
        #: For metrics: sessions opened, and failed logins by reason (receive thread only writes).
        self.logins = 0
        self.login_failures: dict[str, int] = {}
        self._rate_logged: dict[object, float] = {}
        self.tick = max(0.05, min(TICK, config.handshake_timeout / 4, config.session_timeout / 4))

    # --- life cycle -------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        host, port = self.config.host, self.config.port
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if self.config.interface:
                # Only the management port: SO_BINDTODEVICE (needs CAP_NET_RAW).
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, self.config.interface.encode())
            sock.bind((host, port))
            whole, frac = divmod(self.tick, 1.0)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", int(whole), int(frac * 1e6)))
        except OSError as exc:
            sock.close()
            raise _bind_error(exc, host, port, self.config.interface) from None
        self._sock = sock
        self._stopping = False
        self._failed = self._loop.create_future()
        self._thread = threading.Thread(target=self._receive_thread, name="chassisctl-ipmi-lan", daemon=True)
        self._thread.start()
        self.logger.info("IPMI over LAN listening on %s (cipher suites %s)", _fmt_addr(self.address),
                         ", ".join(map(str, self.config.cipher_suites)) or "none")

    async def stop(self) -> None:
        sock, thread = self._sock, self._thread
        self._stopping = True
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked recvfrom (ENOTCONN on UDP, still wakes)
            except OSError:
                pass
        if thread is not None:
            await asyncio.to_thread(thread.join, 5.0)
            self._thread = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._sock = None
        if sock is not None:
            sock.close()

    @property
    def address(self) -> tuple:
        """The bound (host, port[, ...]) — useful with port 0."""
        if self._sock is None:
            raise RuntimeError("service not started")
        return self._sock.getsockname()

    def describe(self) -> str:
        return f"IPMI over LAN on {_fmt_addr(self.address)}" if self._sock is not None else "IPMI over LAN"

    def status(self) -> dict:
        """For the control socket: where it listens and how many sessions are open."""
        return {"listen": _fmt_addr(self.address) if self._sock is not None else None,
                "sessions": self.server.active_sessions, "logins": self.logins,
                "login_failures": sum(self.login_failures.values()),
                "state": "up" if self._sock is not None else "off"}

    async def __aenter__(self) -> IpmiLanService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_failed(self) -> None:
        """Return (raising what killed it) once the receive thread ends
        without being stopped: the supervisor then restarts the endpoint."""
        assert self._failed is not None, "not started"
        await asyncio.shield(self._failed)

    # --- the receive thread ---------------------------------------------------------

    def _receive_thread(self) -> None:
        error: BaseException = ConnectionError("the LAN socket went away")
        try:
            self._receive_loop()
        except BaseException as exc:  # noqa: BLE001 - reported to the supervisor, not lost
            error = exc
        if not self._stopping and self._loop is not None and self._failed is not None:
            self._loop.call_soon_threadsafe(_fail, self._failed, error)

    def _receive_loop(self) -> None:
        sock = self._sock
        assert sock is not None
        recvfrom = sock.recvfrom
        fionread = array.array("i", [0])
        self._next_tick = time.monotonic() + self.tick
        while not self._stopping:
            try:
                batch = [recvfrom(RECV_SIZE)]
            except (BlockingIOError, InterruptedError):  # SO_RCVTIMEO: time to look at the timers
                batch = []
            except OSError as exc:  # ICMP errors reported on the socket, etc.
                if self._stopping or exc.errno in (errno.EBADF, errno.ENOTSOCK):
                    break  # the socket is gone: nothing more will arrive
                self.logger.debug("socket error: %s", exc)
                continue
            if self._stopping:
                break
            # The first datagram after a wait is answered at once.  Under load,
            # what is queued by then is answered as one batch whose replies leave
            # back to back: each console is woken once per batch, not per reply.
            while True:
                self._answer_batch(batch)
                if not _queued(sock, fionread):
                    break
                batch = []
                for _ in range(BATCH):
                    try:
                        batch.append(recvfrom(RECV_SIZE, socket.MSG_DONTWAIT))
                    except OSError:
                        break
                if not batch:
                    break

    def _answer_batch(self, batch: list[tuple[bytes, Any]]) -> None:
        """Run ``batch`` through LanServer (and its timers when due), send the replies, act on the events."""
        server, now, addr = self.server, time.monotonic(), None
        try:
            with self._lock:
                for data, addr in batch:
                    server.receive_datagram(data, addr, now)
                if now >= self._next_tick:
                    self._next_tick = now + self.tick
                    server.handle_timer(now)
                out = server.datagrams_to_send()
                events = server.take_events()
        except Exception:  # a bug: log it, keep serving everyone else
            self.logger.exception("internal error on a datagram from %s", _fmt_addr(addr))
            return
        self._send_all(out)
        if events:
            self._act_on(events)

    def _send_all(self, out: list[tuple[bytes, Any]]) -> None:
        sock = self._sock
        if sock is None:
            return
        for packet, addr in out:
            try:
                sock.sendto(packet, socket.MSG_DONTWAIT, addr)
            except OSError as exc:  # send buffer full (the console retransmits), unreachable, closed
                self.logger.debug("socket error sending to %s: %s", _fmt_addr(addr), exc)

    def _act_on(self, events: list) -> None:
        """Log the server's events; hand requests to the event loop."""
        for event in events:
            if isinstance(event, RequestReceived):
                if self._loop is None:  # not started, or stopped: nobody to answer it
                    continue
                try:
                    self._loop.call_soon_threadsafe(self._dispatch, event)
                except RuntimeError:  # the loop closed under us: serve is stopping
                    pass
            elif isinstance(event, Refused):
                if event.reason in _LOGIN_FAILURES and event.session_id is None:
                    reason = event.reason.value
                    self.login_failures[reason] = self.login_failures.get(reason, 0) + 1
                self._log_refused(event)
            elif isinstance(event, SessionOpened):
                self.logins += 1
                self.logger.info("session %08x opened for %r from %s (%s, %s)", event.session_id, event.user,
                                 _fmt_addr(event.addr), event.protocol, event.privilege.name)
            elif isinstance(event, SessionClosed):
                self.logger.info("session %08x of %r from %s %s", event.session_id, event.user,
                                 _fmt_addr(event.addr), event.reason)

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
            now = time.monotonic()
            last = self._rate_logged.get(source)
            if last is not None and now - last < RATE_LIMIT_LOG_INTERVAL:
                level = logging.DEBUG
            else:
                self._rate_logged[source] = now
                if len(self._rate_logged) > 1024:
                    self._rate_logged.clear()
        self.logger.log(level, "refused %s from %s%s%s", event.reason.value, _fmt_addr(event.addr), who, detail)

    # --- requests that need the handler (event-loop side) --------------------------------

    def _answer_fast(self, request: Request) -> Response | None:
        """``fast_handler`` as LanServer's synchronous ``answer``; a failing
        fast path sends the request on to ``handler`` instead of dropping it."""
        if self.fast_handler is None:
            return None
        try:
            return self.fast_handler(request)
        except Exception:
            self.logger.exception("fast path failed on %s", request.name)
            return None

    def _respond(self, event: RequestReceived, response: Response) -> None:
        with self._lock:
            self.server.respond(event, response, time.monotonic())
            out = self.server.datagrams_to_send()
        self._send_all(out)

    def _dispatch(self, event: RequestReceived) -> None:
        if self._stopping:
            return
        if len(self._tasks) >= MAX_IN_FLIGHT:
            self._respond(event, event.request.reply(CompletionCode.NODE_BUSY))
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
        self._respond(event, response)


def _bind_error(exc: OSError, host: str, port: int, interface: str | None):
    """A one-line, documented failure for the things that stop a bind."""
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
