"""Many receive sockets behind one file descriptor, drained in one pass.

A service with a socket per port (the LLDP agent: one AF_PACKET socket per
interface) would otherwise give the event loop one reader per socket, and
the loop would wake once per frame: at 64 ports with a frame per port per
second that is 64 wake-ups a second, and in Python a wake-up costs far more
than the frame it delivers (the interpreter and the kernel's scheduling,
~50-100 µs on a VM, against a few µs to read and refresh a neighbour).

:class:`ReadySet` is a level-triggered ``epoll(7)`` set of those sockets.
Its own descriptor becomes readable when any of them is, so the caller can
either watch that one descriptor (quiet: a frame wakes it) or not watch it
at all and call :meth:`ReadySet.drain` on a timer it wakes for anyway
(busy: every frame that came since is read in that one wake-up).  Reading
is ``recv`` until the socket says EAGAIN, bounded per socket so that one
flooded port cannot starve the others; what is left stays ready for the
next pass.
"""

from __future__ import annotations

import select
import socket
from typing import Generic, TypeVar
from collections.abc import Hashable

K = TypeVar("K", bound=Hashable)

#: Frames read from one socket per pass; more stay queued in the kernel.
PER_SOCKET = 64
#: Largest frame read (a jumbo frame); longer ones are truncated by the kernel.
MAX_FRAME = 9216


class ReadySet(Generic[K]):
    """Non-blocking sockets, each under a caller's key, read together."""

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._by_fd: dict[int, tuple[K, socket.socket]] = {}
        self._fd_of: dict[K, int] = {}

    def fileno(self) -> int:
        """Readable while any member socket is (hand it to an event loop)."""
        return self._epoll.fileno()

    def __len__(self) -> int:
        return len(self._by_fd)

    def add(self, key: K, sock: socket.socket) -> None:
        self.discard(key)
        fd = sock.fileno()
        self._epoll.register(fd, select.EPOLLIN)
        self._by_fd[fd] = (key, sock)
        self._fd_of[key] = fd

    def discard(self, key: K) -> None:
        """Forget ``key``'s socket (call before closing it); unknown keys are ignored."""
        fd = self._fd_of.pop(key, None)
        if fd is None:
            return
        del self._by_fd[fd]
        try:
            self._epoll.unregister(fd)
        except (OSError, ValueError):  # already closed: the kernel dropped it from the set
            pass

    def drain(self, per_socket: int = PER_SOCKET) -> tuple[list[tuple[K, bytes]], list[tuple[K, OSError]]]:
        """Everything waiting now: ``(frames, errors)``, each item under its socket's key.

        Frames come socket by socket, in arrival order within a socket.  A
        socket whose ``recv`` fails (an interface going away) contributes
        its error once per pass and is left for the caller to discard.
        """
        frames: list[tuple[K, bytes]] = []
        errors: list[tuple[K, OSError]] = []
        by_fd = self._by_fd
        for fd, _ in self._epoll.poll(0):
            item = by_fd.get(fd)
            if item is None:
                continue
            key, sock = item
            recv = sock.recv
            try:
                for _ in range(per_socket):
                    frames.append((key, recv(MAX_FRAME)))
            except (BlockingIOError, InterruptedError):
                pass
            except OSError as exc:
                errors.append((key, exc))
        return frames, errors

    def close(self) -> None:
        """Close the epoll set (not the member sockets: they are the caller's)."""
        self._by_fd.clear()
        self._fd_of.clear()
        self._epoll.close()
