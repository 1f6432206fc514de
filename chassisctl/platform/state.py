"""What a translated platform remembers between processes.

``chassisctl --platform X power off`` and the next ``power status`` are two
processes, and ``serve`` runs beside the CLI, so per node the SEL, the last
observed power state, a pending power-cycle step, the power-good deadline
and each sensor's last threshold status live in
``$XDG_STATE_HOME/chassisctl/platform/<platform>.<bus>.json`` with the SDR
repository timestamps (moved only when the description's text changes) and,
on the simulator, the simulated devices' state and operator overrides.

The file is a :class:`~chassisctl.state_store.StateStore` (``fcntl`` lock,
atomic rename), as the simulated chassis' is. Its lock doubles as the bus
lock: every request holds it for its I2C transactions, so two chassisctl
processes never interleave a pointer write and a read. The lock file also
records which process held it last; a process that finds someone else's mark
forgets its cached mux channels, because the other process may have switched
them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from chassisctl.bmc.bmc_model import boot_from_json, boot_to_json
from chassisctl.bmc.sel_store import SelStore
from chassisctl.errors import StateError
from chassisctl.state_store import StateStore

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

FORMAT = 1


def state_directory() -> str:
    from chassisctl.config import xdg_path

    return xdg_path("STATE", "platform")


_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def state_name(platform: str, bus_path: str) -> str:
    """``compute-4n.sim-default``, ``switch-1u.i2c-3``: one file per platform and bus."""
    # re.sub(r"[^A-Za-z0-9_.-]", "-", ...) without compiling a pattern in every command
    where = "".join(c if c in _SAFE else "-" for c in bus_path.replace("/dev/", "").replace("sim:", "sim-"))
    return f"{platform}.{where}"[:64]


class PlatformStore(StateStore):
    """A :class:`StateStore` whose lock also tells whether another process used the bus."""

    owner = "platform"

    def __init__(self, directory: Path | str, name: str) -> None:
        super().__init__(directory, name)
        self._mark = f"{os.getpid()}:{id(self)}:"
        self._seq = 0

    @contextlib.contextmanager
    def session(self) -> Iterator[bool]:
        """Hold the lock; yields True when another process held it since our last session."""
        with self.lock_fd() as fd:
            try:
                last = os.pread(fd, 128, 0).decode("ascii", "replace")
            except OSError:
                last = ""
            foreign = last != f"{self._mark}{self._seq}"
            self._seq += 1
            mark = f"{self._mark}{self._seq}".encode()
            try:
                os.pwrite(fd, mark, 0)
                os.ftruncate(fd, len(mark))
            except OSError:
                pass
            yield foreign


class PowerState:
    """One node's power bookkeeping (times are wall-clock seconds).

    The state classes here are plain: every platform command loads them, and
    a dataclass costs more to define at import than the command spends on it.
    """

    __slots__ = ("last_on", "pg_deadline", "pending_on", "last_cause", "fault")

    def __init__(self, last_on: bool | None = None, pg_deadline: float | None = None,
                 pending_on: float | None = None, last_cause: str | None = None, fault: bool = False) -> None:
        self.last_on = last_on
        #: "on" while an on request waits for power good.
        self.pg_deadline = pg_deadline
        #: The "on" step of a power cycle, due at this time.
        self.pending_on = pending_on
        self.last_cause = last_cause
        self.fault = fault

    def __repr__(self) -> str:
        return f"PowerState({self.to_json()!r})"

    def __eq__(self, other: object) -> bool:
        return self.to_json() == other.to_json() if other.__class__ is self.__class__ else NotImplemented

    __hash__ = None  # type: ignore[assignment] # equal by value and mutable, so unhashable (as a dataclass with eq)

    def to_json(self) -> dict[str, Any]:
        return {"last_on": self.last_on, "pg_deadline": self.pg_deadline, "pending_on": self.pending_on,
                "last_cause": self.last_cause, "fault": self.fault}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PowerState:
        from chassisctl.fileio import finite

        def when(key: str) -> float | None:
            value = doc.get(key)
            return None if value is None else finite(value)

        last_on, cause = doc.get("last_on"), doc.get("last_cause")
        if last_on is not None and not isinstance(last_on, bool) or cause is not None and not isinstance(cause, str):
            raise ValueError("power: last_on or last_cause of the wrong type")
        return cls(last_on, when("pg_deadline"), when("pending_on"), cause, bool(doc.get("fault", False)))


class NodeState:
    __slots__ = ("sel", "sensor_status", "power", "boot")

    def __init__(self, sel: SelStore, sensor_status: dict[int, int] | None = None, power: PowerState | None = None,
                 boot: dict[int, tuple[bytes, bool]] | None = None) -> None:
        self.sel = sel
        self.sensor_status: dict[int, int] = {} if sensor_status is None else sensor_status
        self.power = PowerState() if power is None else power
        #: System boot options clients set (parameter -> (data, invalid)).
        self.boot: dict[int, tuple[bytes, bool]] = {} if boot is None else boot

    def __repr__(self) -> str:
        return f"NodeState({self.to_json()!r})"

    def to_json(self) -> dict[str, Any]:
        return {"sel": self.sel.to_dict(), "sensor_status": {str(k): v for k, v in self.sensor_status.items()},
                "power": self.power.to_json(), "boot": boot_to_json(self.boot)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> NodeState:
        return cls(SelStore.from_dict(doc["sel"]), {int(k): int(v) for k, v in doc.get("sensor_status", {}).items()},
                   PowerState.from_json(doc.get("power", {})), boot_from_json(doc.get("boot", {})))


class PlatformState:
    __slots__ = ("digest", "sdr_addition", "sdr_erase", "nodes", "sim", "dirty")

    def __init__(self, digest: str, sdr_addition: int, sdr_erase: int, nodes: dict[str, NodeState],
                 sim: dict[str, Any] | None = None, dirty: bool = False) -> None:
        self.digest = digest
        self.sdr_addition = sdr_addition
        self.sdr_erase = sdr_erase
        self.nodes = nodes
        #: Simulator section: {"generation": n, "overrides": {dev: {key: value}}, "devices": {dev: snapshot}}.
        self.sim: dict[str, Any] = {} if sim is None else sim
        self.dirty = dirty

    def __repr__(self) -> str:
        return f"PlatformState(digest={self.digest!r}, nodes={list(self.nodes)!r}, dirty={self.dirty})"

    @classmethod
    def fresh(cls, digest: str, now: float, nodes: list[str], sel_capacity: int) -> PlatformState:
        ts = int(now)
        return cls(digest, ts, ts, {n: NodeState(SelStore(sel_capacity)) for n in nodes}, dirty=True)

    def node(self, name: str, sel_capacity: int) -> NodeState:
        if name not in self.nodes:
            self.nodes[name] = NodeState(SelStore(sel_capacity))
            self.dirty = True
        return self.nodes[name]

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "digest": self.digest,
                "sdr": {"addition": self.sdr_addition, "erase": self.sdr_erase},
                "nodes": {k: v.to_json() for k, v in self.nodes.items()}, "sim": self.sim}

    @classmethod
    def from_json(cls, doc: dict[str, Any], path: Path | str) -> PlatformState:
        try:
            if doc.get("format") != FORMAT:
                raise ValueError(f"format {doc.get('format')!r}")
            return cls(str(doc["digest"]), int(doc["sdr"]["addition"]), int(doc["sdr"]["erase"]),
                       {str(k): NodeState.from_json(v) for k, v in doc["nodes"].items()},
                       dict(doc.get("sim") or {}))
        except StateError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"platform state {path} has an unexpected layout ({exc}); left untouched",
                             hint=f"move it away to start afresh: mv {path} {path}.bad") from None
