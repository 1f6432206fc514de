"""ReadySet: many datagram sockets read through one descriptor, in one pass."""

from __future__ import annotations

import errno
import select
import socket

import pytest

from chassisctl.net.readyset import ReadySet


@pytest.fixture
def pairs():
    made = [socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM) for _ in range(3)]
    for ours, _ in made:
        ours.setblocking(False)
    yield made
    for a, b in made:
        a.close()
        b.close()


def readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def test_one_descriptor_readable_while_any_socket_is(pairs) -> None:
    ready: ReadySet[str] = ReadySet()
    for n, (ours, _) in enumerate(pairs):
        ready.add(f"p{n}", ours)
    assert len(ready) == 3 and not readable(ready.fileno())
    pairs[1][1].send(b"x")
    assert readable(ready.fileno())
    assert ready.drain() == ([("p1", b"x")], [])
    assert not readable(ready.fileno()) and ready.drain() == ([], [])
    ready.close()


def test_drain_reads_every_socket_in_arrival_order(pairs) -> None:
    ready: ReadySet[str] = ReadySet()
    for n, (ours, _) in enumerate(pairs):
        ready.add(f"p{n}", ours)
    for n, (_, theirs) in enumerate(pairs):
        for i in range(3):
            theirs.send(f"{n}.{i}".encode())
    frames, errors = ready.drain()
    assert errors == []
    assert sorted(frames) == [(f"p{n}", f"{n}.{i}".encode()) for n in range(3) for i in range(3)]
    for n in range(3):  # within a socket, in the order they came
        assert [f for k, f in frames if k == f"p{n}"] == [f"{n}.{i}".encode() for i in range(3)]
    ready.close()


def test_a_flooded_socket_is_read_a_bounded_amount_per_pass(pairs) -> None:
    ready: ReadySet[str] = ReadySet()
    ready.add("busy", pairs[0][0])
    ready.add("quiet", pairs[1][0])
    for i in range(10):
        pairs[0][1].send(bytes([i]))
    pairs[1][1].send(b"q")
    frames, _ = ready.drain(per_socket=4)
    assert [f for k, f in frames if k == "busy"] == [bytes([i]) for i in range(4)]
    assert ("quiet", b"q") in frames
    assert readable(ready.fileno())                      # the rest waits for the next pass
    frames, _ = ready.drain(per_socket=4)
    assert [f for _, f in frames] == [bytes([i]) for i in range(4, 8)]
    ready.close()


def test_discarded_sockets_are_not_read_and_keys_can_be_reused(pairs) -> None:
    ready: ReadySet[str] = ReadySet()
    ready.add("a", pairs[0][0])
    ready.discard("a")
    ready.discard("never-added")
    pairs[0][1].send(b"x")
    assert len(ready) == 0 and ready.drain() == ([], [])
    ready.add("a", pairs[1][0])                          # same key, another socket
    ready.add("a", pairs[2][0])                          # replaced again
    pairs[1][1].send(b"old")
    pairs[2][1].send(b"new")
    assert ready.drain() == ([("a", b"new")], [])
    ready.close()


def test_a_socket_closed_before_discard_is_forgotten_quietly(pairs) -> None:
    ready: ReadySet[str] = ReadySet()
    extra = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    ready.add("gone", extra[0])
    extra[0].close()
    extra[1].close()
    ready.discard("gone")
    assert len(ready) == 0
    ready.close()


class _Failing:
    """A readable descriptor whose reads fail, as a packet socket's do when its interface goes."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def fileno(self) -> int:
        return self._sock.fileno()

    def recv(self, size: int) -> bytes:
        raise OSError(errno.ENETDOWN, "Network is down")


def test_a_failing_socket_is_reported_and_the_others_still_read(pairs) -> None:
    ready: ReadySet[str] = ReadySet()
    ready.add("bad", _Failing(pairs[0][0]))  # type: ignore[arg-type]
    ready.add("good", pairs[1][0])
    pairs[0][1].send(b"x")
    pairs[1][1].send(b"y")
    frames, errors = ready.drain()
    assert frames == [("good", b"y")]
    assert [(k, e.errno) for k, e in errors] == [("bad", errno.ENETDOWN)]
    ready.close()
