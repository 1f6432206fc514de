"""PCA954x switch/mux model: one control register, channel segments, stuck lines.

The model is a :class:`~chassisctl.sim.i2c.MuxSlave`: the bus asks it for the
segments it connects right now, so devices are visible only while their
channel is selected (several channels of a switch = the union).

Stuck channel: :class:`ChannelSegment` carries a documented ``stuck``
attribute meaning "a device on this segment holds SDA low".  The semantics a
bus should give it: any transaction started while a stuck segment is connected
fails with ETIMEDOUT, except one addressed to the mux that connects it, whose
control register stays reachable: the switch sits above the stuck segment,
so a master can still deselect the channel and free the rest of the bus.
:meth:`Pca954xSim.stuck_connected` reports the condition so a bus can check
it without knowing the model's internals.
"""

from __future__ import annotations


from chassisctl.devices.pca954x import Kind, decode_channels
from chassisctl.sim.devices._twin import DeclaredDevice, Twin, TwinWorld
from chassisctl.sim.i2c import Segment

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class ChannelSegment(Segment):
    """A channel's segment; ``stuck = True`` models SDA held low on it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.stuck = False


class Pca954xSim(Twin):
    """``mux_reachable_when_stuck=False`` makes even the mux's own address time out."""

    def __init__(self, kind: Kind = Kind.PCA9548, name: str = "mux", *,
                 mux_reachable_when_stuck: bool = True) -> None:
        self.kind = kind
        self.present = True
        self.control = 0x00
        self.mux_reachable_when_stuck = mux_reachable_when_stuck
        self.channels = [ChannelSegment(f"{name}.{n}") for n in range(kind.spec.channels)]
        self.writes: list[int] = []
        self._pending: int | None = None
        self._writing = False
        #: (kind, control) -> connected channel numbers, in order: the bus asks on every
        #: transfer (several times), the control byte changes only when a mux is switched.
        self._decoded: tuple[Any, int, tuple[int, ...]] | None = None

    def channel(self, n: int) -> ChannelSegment:
        return self.channels[n]

    def _connected(self) -> tuple[int, ...]:
        kind, control, decoded = self._decoded or (None, -1, ())
        if kind is not self.kind or control != self.control:
            decoded = tuple(sorted(decode_channels(self.kind, self.control)))  # raises on reserved bits
            self._decoded = (self.kind, self.control, decoded)
        return decoded

    def selected(self) -> frozenset[int]:
        return frozenset(self._connected())

    def downstream(self) -> list[Segment]:
        return [self.channels[n] for n in self._connected()]

    def stuck_connected(self) -> bool:
        return any(self.channels[n].stuck for n in self._connected())

    def reset(self) -> None:
        """The RESET pin: all channels isolated."""
        self.control = 0x00

    # -- I2cSlave -----------------------------------------------------------------
    def start(self, read: bool) -> bool:
        self._commit()
        if not self.present:
            return False
        self._writing = not read
        return True

    def write_byte(self, value: int) -> bool:
        self._pending = value & 0xFF  # the last byte of a write wins, as on the chip
        return True

    def read_byte(self) -> int:
        return self.control

    def stop(self) -> None:
        self._commit()

    def _commit(self) -> None:
        if self._writing and self._pending is not None:
            spec = self.kind.spec
            value = self._pending & ~spec.interrupt_mask
            if spec.is_mux:
                value &= spec.enable_bit | (spec.enable_bit - 1)
            else:
                value &= (1 << spec.channels) - 1
            self.control = value
            self.writes.append(value)
        self._writing, self._pending = False, None

    # -- Twin ----------------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeclaredDevice, world: TwinWorld) -> Pca954xSim:
        return cls(Kind.from_name(dev.kind), dev.name)

    def apply(self, key: str, value: Any, dev: DeclaredDevice, world: TwinWorld) -> None:
        """``stuck_channel``: a device on that channel holds SDA low (-1: none)."""
        for n, segment in enumerate(self.channels):
            segment.stuck = n == int(value)
