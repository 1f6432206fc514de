"""The control socket end to end: the server in serve, the CLI's client."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path

import pytest

from chassisctl.control.client import QueryFailed, query
from chassisctl.errors import ConfigError, PermissionDenied, ProtocolError, UnreachableError
from chassisctl.serve.control import ControlServer, peer_allowed


def _run(server: ControlServer, *calls):
    """Start ``server``, run each blocking call in a thread, stop; return the results."""

    async def main():
        await server.start()
        try:
            return [await asyncio.to_thread(call) for call in calls]
        finally:
            await server.stop()

    return asyncio.run(main())


def test_queries_round_trip_and_the_socket_is_0660(tmp_path: Path) -> None:
    path = tmp_path / "run" / "c.sock"
    server = ControlServer(path)
    server.register("echo", lambda args: {"got": args})

    async def later(args):
        await asyncio.sleep(0)
        return [1, 2]

    server.register("later", later)
    mode = []
    ping, echo, slow = _run(server, lambda: (mode.append(stat.S_IMODE(path.stat().st_mode)),
                                             query("ping", socket_path=path))[1],
                            lambda: query("echo", {"a": 1}, socket_path=path),
                            lambda: query("later", socket_path=path))
    assert mode == [0o660]
    assert ping["pid"] == os.getpid() and "echo" in ping["queries"]
    assert echo == {"got": {"a": 1}} and slow == [1, 2]
    assert not path.exists()  # removed on stop


def test_unknown_queries_and_failing_handlers_are_answered_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "c.sock"
    server = ControlServer(path)
    server.register("boom", lambda args: 1 / 0)

    def unknown():
        with pytest.raises(QueryFailed, match="unknown query 'nope'"):
            query("nope", socket_path=path)

    def boom():
        with pytest.raises(QueryFailed, match="ZeroDivisionError"):
            query("boom", socket_path=path)

    _run(server, unknown, boom, lambda: query("ping", socket_path=path))


def test_garbage_from_a_client_gets_an_error_line(tmp_path: Path) -> None:
    path = tmp_path / "c.sock"

    def raw():
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(path))
            s.sendall(b"not json\n")
            return s.recv(4096)

    (reply,) = _run(ControlServer(path), raw)
    assert b'"ok":false' in reply.replace(b" ", b"") and b"bad-request" in reply


def test_no_agent_is_exit_69_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(UnreachableError, match="no chassisctl serve is answering") as info:
        query("ping", socket_path=tmp_path / "missing.sock")
    assert info.value.exit_code == 69 and "chassisctl serve" in str(info.value)


def test_a_stale_socket_is_replaced_and_a_live_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # left behind, nobody listening
    first = ControlServer(path)

    def second_refused():
        with pytest.raises(ConfigError, match="another chassisctl serve"):
            asyncio.run(ControlServer(path).start())
        return query("ping", socket_path=path)

    _run(first, second_refused)


def test_a_regular_file_in_the_way_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.sock"
    path.write_text("precious")
    with pytest.raises(ConfigError, match="not a socket"):
        asyncio.run(ControlServer(path).start())
    assert path.read_text() == "precious"


def test_a_bad_reply_is_a_protocol_error(tmp_path: Path) -> None:
    path = tmp_path / "c.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen(1)

    import threading

    def serve_junk():
        conn, _ = listener.accept()
        conn.recv(4096)
        conn.sendall(b"<html>\n")
        conn.close()

    thread = threading.Thread(target=serve_junk)
    thread.start()
    try:
        with pytest.raises(ProtocolError, match="bad reply"):
            query("ping", socket_path=path)
    finally:
        thread.join(5)
        listener.close()


def test_peer_rule() -> None:
    assert peer_allowed(0, 0, None)
    assert peer_allowed(os.geteuid(), 12345, None)
    stranger = 54321 if os.geteuid() != 54321 else 54322
    assert not peer_allowed(stranger, 54321, None)
    assert peer_allowed(stranger, 4242, 4242)
    assert not peer_allowed(stranger, 4243, 4242)


root_only = pytest.mark.skipif(os.geteuid() != 0 and os.environ.get("CI") != "true",
                               reason="needs root to act as another uid")


def _as_nobody(path: Path) -> str:
    """Run the client in a child that dropped to uid/gid 65534; its outcome as text."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                result = f"ok {query('ping', socket_path=path)['pid']}"
            except Exception as exc:  # noqa: BLE001 - reported to the parent as text
                result = f"{type(exc).__name__}: {exc}"
            os.write(write, result.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        out = fh.read()
    os.waitpid(pid, 0)
    return out


@pytest.mark.root
@root_only
def test_a_stranger_is_refused_by_the_mode_and_by_peer_credentials() -> None:
    import tempfile

    where = Path(tempfile.mkdtemp(prefix="chassisctl-ctl-", dir="/tmp"))
    where.chmod(0o755)  # the stranger may reach the socket; only its mode and serve stand in the way
    path = where / "c.sock"
    server = ControlServer(path, group="no-such-group-here")

    def both():
        by_mode = _as_nobody(path)
        path.chmod(0o666)  # an admin loosened it by hand: SO_PEERCRED still refuses
        by_creds = _as_nobody(path)
        return by_mode, by_creds

    try:
        ((by_mode, by_creds),) = _run(server, both)
    finally:
        where.rmdir()
    assert by_mode.startswith("PermissionDenied") and "permission denied" in by_mode, by_mode
    assert by_creds.startswith("PermissionDenied") and "refused us: not root" in by_creds, by_creds


@pytest.mark.root
@root_only
def test_a_foreign_owned_socket_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "c.sock"
    impostor = socket.socket(socket.AF_UNIX)
    impostor.bind(str(path))
    impostor.listen(1)
    try:
        os.chown(path, 54321, 54321)
        with pytest.raises(PermissionDenied, match="refusing to trust it"):
            query("ping", socket_path=path)
        with pytest.raises(PermissionDenied, match="belongs to uid 54321"):
            asyncio.run(ControlServer(path).start())
    finally:
        impostor.close()
