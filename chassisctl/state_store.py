"""Memory between processes: one locked JSON document per chassis, replaced atomically.

``chassisctl power off`` and the next ``chassisctl power status`` are
separate processes, so what a chassis must remember lives in a file: the
simulated chassis keeps its power timeline, SEL and SDR repository
timestamps in ``$XDG_STATE_HOME/chassisctl/sim/<name>.json``
(:mod:`chassisctl.sim.chassis`), a translated platform its per-node state in
``$XDG_STATE_HOME/chassisctl/platform/<platform>.<bus>.json``
(:mod:`chassisctl.platform.state`).  This module sits below both, so real
hardware never depends on the simulator for it.  Every access holds an
``fcntl`` lock on a sibling ``.lock`` file (the data file itself is replaced
by rename, so it cannot carry the lock), and writes go to a temporary file
that is fsynced and renamed over the old one: a crash or a concurrent
command never leaves a torn file.  A file that exists but does not
parse is reported and left untouched — nothing already stored is lost.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterator

from chassisctl.errors import StateError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

SCHEMA = 1
#: What a name may hold (set operations, not a regex: compiling one is ~0.1 ms a process).
NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def check_name(name: str) -> str:
    """Simulator and platform names become file names: keep them tame."""
    if not 1 <= len(name) <= 64 or not NAME_CHARS.issuperset(name) or name.startswith("."):
        from chassisctl.errors import UsageError

        raise UsageError(f"simulator name {name!r}: use 1-64 letters, digits, '.', '_' or '-'")
    return name


class StateStore:
    """Locked, atomic load/save of one state document."""

    #: Whose state this is, for messages.
    owner = "simulator"

    def __init__(self, directory: Path | str, name: str) -> None:
        # Strings joined with os.path: the everyday commands never import pathlib.
        self.directory = directory
        self.path = os.path.join(directory, f"{check_name(name)}.json")
        self.lock_path = os.path.join(directory, f"{name}.lock")

    @contextlib.contextmanager
    def lock_fd(self) -> Iterator[int]:
        """Hold the exclusive lock; yields the lock file's descriptor."""
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
        try:
            try:
                fd = os.open(self.lock_path, flags, 0o600)
            except FileNotFoundError:
                # The directory first: a platform takes this lock once per request, and
                # makedirs on a directory that exists costs a raised and caught EEXIST.
                os.makedirs(self.directory, exist_ok=True)
                fd = os.open(self.lock_path, flags, 0o600)
        except OSError as exc:
            raise StateError(f"{self.owner} state directory {self.directory}: {exc.strerror}",
                             hint="check XDG_STATE_HOME and its permissions") from None
        try:
            import fcntl  # a shared library: loaded when a lock is first taken, not to open a simulator

            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    @contextlib.contextmanager
    def locked(self) -> Iterator[StateStore]:
        """Hold the exclusive lock for a read-modify-write."""
        with self.lock_fd():
            yield self

    def stamp(self) -> tuple[int, int, int] | None:
        """The file's identity now (None when absent): same stamp, same document, no re-read."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def load(self) -> dict[str, Any] | None:
        """The stored document, None when there is none yet."""
        from chassisctl.fileio import json_loads, read_capped

        hint = f"move it away to start afresh: mv {self.path} {self.path}.bad"
        try:
            raw = read_capped(self.path, f"{self.owner} state", lambda m: StateError(m, hint=hint))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"{self.owner} state {self.path} is unreadable: {exc.strerror}") from None
        try:
            doc = json_loads(raw, str(self.path), StateError)
            if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
                raise StateError("unexpected schema")
        except StateError as exc:
            # NaN, 1e999 and nesting past the cap are corrupt too: a NaN "since"
            # would otherwise fail far away, as an internal error.
            why = exc.message.removeprefix(f"{self.path}: ")
            raise StateError(f"{self.owner} state {self.path} is corrupt ({why}); left untouched",
                             hint=hint) from None
        return doc

    def save(self, doc: dict[str, Any]) -> None:
        """Atomically replace the document (caller holds :meth:`locked`)."""
        from chassisctl.fileio import atomic_write

        doc = {**doc, "schema": SCHEMA}
        try:
            atomic_write(self.path, json.dumps(doc, separators=(",", ":"), sort_keys=True), fsync=True)
        except OSError as exc:
            what = "disk full" if exc.errno == errno.ENOSPC else exc.strerror
            raise StateError(f"cannot write {self.owner} state {self.path}: {what}") from None
