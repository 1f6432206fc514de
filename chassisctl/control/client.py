"""Ask a running ``serve`` one question over its control socket.

Blocking and stdlib-only: a CLI command makes one round trip and exits, so
an event loop would only add start-up time.  Every failure is a
:class:`~chassisctl.errors.ChassisError` with its exit code: no daemon is
69 (with a hint), a socket we may not open is 77, a garbled reply 65.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Any
from collections.abc import Mapping

from chassisctl.control.paths import socket_path as _socket_path
from chassisctl.control.protocol import (
    MAX_REPLY, ControlProtocolError, decode_reply, encode_request)
from chassisctl.errors import (
    ChassisError, PermissionDenied, ProtocolError, TimeoutFailure, UnreachableError)


class QueryFailed(ChassisError):
    """serve answered, but with an error (an unknown query, a bad argument)."""

    code = "query-failed"


def query(name: str, args: dict[str, Any] | None = None, *,
          socket_path: str | os.PathLike[str] | None = None,
          serve_section: Mapping[str, Any] | None = None, timeout: float = 2.0) -> Any:
    """Send one query and return its ``result``."""
    path = Path(socket_path) if socket_path else _socket_path(None, serve_section)
    _check_owner(path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
            sock.sendall(encode_request(name, args))
            line = _read_line(sock)
        except TimeoutError:
            raise TimeoutFailure(f"{path}: chassisctl serve did not answer within {timeout:g} s") from None
        except OSError as exc:
            raise _connect_error(path, exc) from None
    try:
        ok, payload = decode_reply(line)
    except ControlProtocolError as exc:
        raise ProtocolError(f"{path}: bad reply from chassisctl serve: {exc}") from None
    if not ok:
        if payload["code"] == "permission":
            raise PermissionDenied(f"{path}: chassisctl serve refused us: {payload['message']}")
        raise QueryFailed(f"{name}: {payload['message']}")
    return payload


def _check_owner(path: Path) -> None:
    """Refuse to send questions (or believe answers) through a socket that
    neither root, we, nor the ``chassisctl`` service user created: anyone who
    could write to the directory could otherwise impersonate serve."""
    try:
        uid = path.lstat().st_uid
    except OSError:
        return  # connect() reports a missing socket with its own message
    if uid in (0, os.geteuid()):
        return
    import pwd

    try:
        if pwd.getpwuid(uid).pw_name == "chassisctl":
            return
    except KeyError:
        pass
    raise PermissionDenied(f"{path} belongs to uid {uid}, not to root or the chassisctl user: "
                           "refusing to trust it", hint="check who created it; serve runs as root")


def _read_line(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if chunk.endswith(b"\n") or size > MAX_REPLY:
            break
    return b"".join(chunks)


def _connect_error(path: Path, exc: OSError) -> ChassisError:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PermissionDenied(f"{path}: permission denied",
                                hint="run as root or as a member of the chassisctl group")
    if exc.errno in (errno.ENOENT, errno.ECONNREFUSED, errno.ENOTSOCK, errno.ENOTDIR):
        return UnreachableError(f"no chassisctl serve is answering at {path}",
                                hint="start it with 'chassisctl serve', or give its --socket")
    return UnreachableError(f"{path}: {exc.strerror or exc}")
