"""Reaching a device behind PCA954x muxes, without leaving a mux on the wrong channel.

A :class:`MuxPath` names a device's position as hops from the root adapter
(never a kernel bus number, which shifts with probe order).  The
:class:`TopologyManager` owns the muxes on the paths it is given: it caches
each one's control value, writes only when the wanted value differs (as the
kernel's pca954x driver does), isolates other muxes it left connected on the
segments of the path (their downstream devices would collide), and, when
anything inside ``select()`` fails, writes 00h to the muxes it touched so a
failing transaction (a stuck channel, a dead device) never leaves the bus
routed into trouble.  A mux write that fails makes its cached state unknown.

It orders nothing itself: the caller serialises transactions on the bus.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from chassisctl.namedtuple import NamedTuple

from chassisctl.devices.pca954x import Kind, encode_channels
from chassisctl.errors import ChassisError
from chassisctl.platform.drivers._base import Bus
from chassisctl.i2c_errors import NotAnswering
from chassisctl.platform.drivers.pca954x import Pca954x

#: A segment is identified by the (mux address, channel) hops that reach it.
SegmentKey = tuple[tuple[int, int], ...]


class Hop(NamedTuple):
    addr: int
    channel: int
    kind: Kind = Kind.PCA9548


class MuxPath:
    """Hops from the root adapter to a device's segment; empty = the root itself.

    A plain immutable class, not a NamedTuple: a path is not a sequence of
    its one field (``len``, truth and iteration would mislead).
    """

    __slots__ = ("hops",)
    hops: tuple[Hop, ...]

    def __init__(self, hops: tuple[Hop, ...] = ()) -> None:
        object.__setattr__(self, "hops", tuple(hops))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"MuxPath is immutable; cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        return self.hops == other.hops if other.__class__ is self.__class__ else NotImplemented

    def __hash__(self) -> int:
        return hash(self.hops)

    def __repr__(self) -> str:
        return f"MuxPath(hops={self.hops!r})"

    @classmethod
    def of(cls, *hops: tuple[int, int] | tuple[int, int, Kind]) -> MuxPath:
        return cls(tuple(Hop(*h) for h in hops))

    @classmethod
    def parse(cls, text: str, kind: Kind = Kind.PCA9548) -> MuxPath:
        """``"70:1/71:3"`` (hex mux address : channel), ``""`` for the root."""
        hops = []
        for part in filter(None, text.split("/")):
            addr, sep, channel = part.partition(":")
            if not sep:
                raise ValueError(f"mux hop {part!r} is not ADDR:CHANNEL")
            hops.append(Hop(int(addr, 16), int(channel), kind))
        return cls(tuple(hops))

    def segment(self, depth: int | None = None) -> SegmentKey:
        """Key of the segment after ``depth`` hops (all of them by default)."""
        return tuple((h.addr, h.channel) for h in self.hops[:depth])

    def __str__(self) -> str:
        return "/".join(f"{h.addr:02x}:{h.channel}" for h in self.hops) or "root"


class TopologyManager:
    """Routes the bus along mux paths; ``with manager.select(path): ...``.

    Used as a context manager itself, it returns every mux to 00h on exit.
    """

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        #: segment -> mux address -> (kind, control value or None if unknown)
        self._state: dict[SegmentKey, dict[int, tuple[Kind, int | None]]] = {}

    def cached(self, segment: SegmentKey, addr: int) -> int | None:
        """The cached control value of a mux (None: unknown or never written)."""
        return self._state.get(segment, {}).get(addr, (Kind.PCA9548, None))[1]

    def invalidate(self) -> None:
        """Forget every cached value (e.g. after a mux reset): next select rewrites."""
        for muxes in self._state.values():
            for addr, (kind, _) in muxes.items():
                muxes[addr] = (kind, None)

    def _write(self, segment: SegmentKey, addr: int, kind: Kind, value: int) -> None:
        muxes = self._state.setdefault(segment, {})
        if muxes.get(addr, (kind, None))[1] == value:
            return
        muxes[addr] = (kind, None)  # unknown until the write is acknowledged
        Pca954x(self.bus, addr, kind).write_control(value)
        muxes[addr] = (kind, value)

    def _route(self, path: MuxPath, touched: list[tuple[SegmentKey, Hop]]) -> None:
        for depth, hop in enumerate(path.hops):
            segment = path.segment(depth)
            for addr, (kind, value) in list(self._state.get(segment, {}).items()):
                if addr != hop.addr and value != 0:
                    try:
                        self._write(segment, addr, kind, 0x00)  # its channels would collide with ours
                    except NotAnswering:
                        pass  # gone (reset or unpowered): stays unknown, retried next time
            touched.append((segment, hop))
            self._write(segment, hop.addr, hop.kind, encode_channels(hop.kind, {hop.channel}))

    def _unwind(self, touched: list[tuple[SegmentKey, Hop]]) -> None:
        """Best effort, deepest first: 00h to every mux touched, if it still ACKs."""
        for segment, hop in reversed(touched):
            try:
                self._write(segment, hop.addr, hop.kind, 0x00)
            except ChassisError:
                pass  # cached state is already "unknown"

    @contextmanager
    def select(self, path: MuxPath) -> Iterator[None]:
        """Route the bus to ``path`` for the block; on any failure, deselect and re-raise."""
        touched: list[tuple[SegmentKey, Hop]] = []
        try:
            self._route(path, touched)
            yield
        except BaseException:
            self._unwind(touched)
            raise

    def deselect_all(self) -> None:
        """Return every mux this manager has touched to 00h, deepest segments first.

        Raises the first failure after trying all of them.
        """
        first: ChassisError | None = None
        for segment in sorted(self._state, key=len, reverse=True):
            for addr, (kind, value) in list(self._state[segment].items()):
                if value == 0:
                    continue
                try:
                    self._route(MuxPath(tuple(Hop(a, c, self._kind(segment[:i], a))
                                              for i, (a, c) in enumerate(segment))), [])
                    self._write(segment, addr, kind, 0x00)
                except ChassisError as exc:
                    first = first or exc
        if first is not None:
            raise first

    def _kind(self, segment: SegmentKey, addr: int) -> Kind:
        return self._state.get(segment, {}).get(addr, (Kind.PCA9548, None))[0]

    def __enter__(self) -> TopologyManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.deselect_all()
