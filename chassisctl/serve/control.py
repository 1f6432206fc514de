"""The control socket: a running ``serve`` answers questions about its state.

A Unix stream socket, mode 0660, group ``chassisctl`` when that group
exists, so an operator in the group can run ``chassisctl lldp neighbors``
without root, as ``lldpcli`` talks to ``lldpd``.  The file mode is the first
gate; ``SO_PEERCRED`` is the second, so a socket whose mode was loosened by
hand still refuses a stranger.  One JSON request line, one reply line
(:mod:`chassisctl.control.protocol`); services register the queries they
answer, and a slow or hostile client cannot hold the loop: every read is
bounded in size and time.
"""

from __future__ import annotations

import asyncio
import grp
import inspect
import logging
import os
import pwd
import socket
import stat
import struct
import time
from pathlib import Path
from typing import Any
from collections.abc import Awaitable, Callable

from chassisctl.control.protocol import (
    MAX_REQUEST, ControlProtocolError, decode_request, encode_error, encode_result)
from chassisctl.errors import ChassisError, ConfigError, PermissionDenied

Handler = Callable[[dict[str, Any]], Any | Awaitable[Any]]

GROUP = "chassisctl"
#: A client gets this long to send its request line.
READ_TIMEOUT = 5.0


class ControlServer:
    def __init__(self, paths: Path | list[Path], *, logger: logging.Logger | None = None,
                 group: str = GROUP) -> None:
        #: Candidates in order of preference (:func:`chassisctl.control.paths.socket_paths`);
        #: ``path`` is the one bound.
        self._candidates = [Path(p) for p in (paths if isinstance(paths, list) else [paths])]
        self.path = self._candidates[0]
        self.log = logger or logging.getLogger("chassisctl.serve.control")
        self._group = group
        self._gid: int | None = None
        self._handlers: dict[str, Handler] = {}
        self._server: asyncio.base_events.Server | None = None
        self.started = time.monotonic()
        self.register("ping", self._ping)

    def register(self, name: str, handler: Handler) -> None:
        """Answer query ``name`` with ``handler(args)`` (plain or async)."""
        if name in self._handlers and name != "ping":
            raise ValueError(f"control query {name!r} is registered twice")
        self._handlers[name] = handler

    def unregister(self, name: str) -> None:
        self._handlers.pop(name, None)

    @property
    def queries(self) -> list[str]:
        return sorted(self._handlers)

    def _ping(self, args: dict[str, Any]) -> dict[str, Any]:
        from chassisctl import __version__

        return {"version": __version__, "pid": os.getpid(),
                "uptime_s": round(time.monotonic() - self.started, 3), "queries": self.queries}

    async def start(self) -> None:
        for i, path in enumerate(self._candidates):
            self.path = path
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if os.access(path.parent, os.W_OK | os.X_OK):
                    break
                error = f"{path.parent} is not writable"
            except OSError as exc:
                error = f"cannot create {path.parent}: {exc.strerror}"
            if i == len(self._candidates) - 1:
                raise ConfigError(f"control socket: {error}",
                                  hint="set [serve] socket, or run under systemd with RuntimeDirectory=")
        self._clear_stale()
        old_umask = os.umask(0o117)  # never world-accessible, not even for an instant
        try:
            self._server = await asyncio.start_unix_server(self._serve_one, path=str(self.path),
                                                           limit=MAX_REQUEST + 1)
        except OSError as exc:
            raise ConfigError(f"control socket {self.path}: {exc.strerror}") from None
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o660)
        try:
            self._gid = grp.getgrnam(self._group).gr_gid
            os.chown(self.path, -1, self._gid)
        except (KeyError, OSError):
            self._gid = None
        self.started = time.monotonic()

    def _clear_stale(self) -> None:
        """Remove a socket a crashed serve left behind; refuse anything else."""
        try:
            st = self.path.lstat()
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(st.st_mode):
            raise ConfigError(f"control socket {self.path} exists and is not a socket",
                              hint="remove it or set [serve] socket")
        if st.st_uid not in (0, os.geteuid()):
            raise PermissionDenied(f"control socket {self.path} belongs to uid {st.st_uid}, not to us",
                                   hint="remove it or set [serve] socket")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.path))
            except OSError:
                self.path.unlink(missing_ok=True)
                return
        raise ConfigError(f"control socket {self.path} is in use: another chassisctl serve is running",
                          hint="stop it, or give this one its own [serve] socket")

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
            self.path.unlink(missing_ok=True)

    def _allowed(self, writer: asyncio.StreamWriter) -> bool:
        sock = writer.get_extra_info("socket")
        try:
            _pid, uid, gid = struct.unpack("3i", sock.getsockopt(
                socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
        except OSError:
            return False
        return peer_allowed(uid, gid, self._gid)

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
            except (TimeoutError, ValueError, asyncio.LimitOverrunError):
                writer.write(encode_error("bad-request", "no request line within the size and time limits"))
                return
            if not self._allowed(writer):  # after the read, so the client sees the reason, not EPIPE
                writer.write(encode_error("permission", "not root, not serve's user, not in group "
                                          f"{self._group}"))
                return
            writer.write(await self.answer(line))
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def answer(self, line: bytes) -> bytes:
        """The reply line for one request line (the loop-side half, testable alone)."""
        try:
            name, args = decode_request(line)
        except ControlProtocolError as exc:
            return encode_error("bad-request", str(exc))
        handler = self._handlers.get(name)
        if handler is None:
            return encode_error("unknown-query", f"unknown query {name!r} (this serve answers: "
                                f"{', '.join(self.queries)})")
        try:
            result = handler(args)
            if inspect.isawaitable(result):
                result = await result
            return encode_result(result)
        except ChassisError as exc:
            return encode_error(exc.code, str(exc))
        except Exception as exc:
            self.log.exception("control query %s failed", name)
            return encode_error("internal", f"{type(exc).__name__}: {exc}")


def peer_allowed(uid: int, gid: int, group_gid: int | None) -> bool:
    """Root, serve's own user, or a member of the control group."""
    if uid in (0, os.geteuid()):
        return True
    if group_gid is None:
        return False
    if gid == group_gid:
        return True
    try:
        name = pwd.getpwuid(uid).pw_name
        return name in grp.getgrgid(group_gid).gr_mem
    except KeyError:
        return False
