"""AT24 EEPROM model: word-address pointer, page-wrapping writes, write-cycle NAK.

A part with block bits (24c04/08/16) answers at several I2C addresses, so the
model exposes one slave view per address sharing the memory; ``attach`` puts
them all on a segment.  After a write with data the part NAKs every address
for ``write_cycle_s`` of the injected clock, as a real part does while it
programs the cells.
"""

from __future__ import annotations

from collections.abc import Callable

from chassisctl.clock import Clock
from chassisctl.devices.at24 import WRITE_CYCLE_S, Part, part as lookup_part
from chassisctl.sim.devices._twin import DeclaredDevice, Twin, TwinWorld
from chassisctl.sim.i2c import Segment

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class At24Sim(Twin):
    """``data`` is the initial content, or a function returning it: then it is
    made when the memory is first used (a FRU image costs its codec's import)."""

    def __init__(self, part: str | Part, clock: Clock, *, data: bytes | Callable[[], bytes] = b"",
                 write_cycle_s: float = WRITE_CYCLE_S) -> None:
        self.part = lookup_part(part) if isinstance(part, str) else part
        self.clock = clock
        self._memory: bytearray | None = None
        self._data = data
        if not callable(data):
            self._materialise()
        self.write_cycle_s = write_cycle_s
        self.present = True
        self.pointer = 0
        self.busy_until = float("-inf")
        self.writes = 0  # completed write cycles, for tests
        self.views = [_At24View(self, block) for block in range(self.part.addresses)]
        #: The memory before ``corrupt_checksum`` flipped a byte of it.
        self._pristine: bytes | None = None

    @property
    def memory(self) -> bytearray:
        return self._memory if self._memory is not None else self._materialise()

    @memory.setter
    def memory(self, value: bytearray) -> None:
        self._memory = value

    def _materialise(self) -> bytearray:
        data = self._data() if callable(self._data) else self._data
        if len(data) > self.part.size:
            raise ValueError(f"{len(data)} bytes do not fit a {self.part.name}")
        self._memory = bytearray(data) + b"\xff" * (self.part.size - len(data))
        return self._memory

    def attach(self, segment: Segment, base_addr: int) -> None:
        for block, view in enumerate(self.views):
            segment.attach(base_addr + block, view)

    @property
    def busy(self) -> bool:
        return self.clock.monotonic() < self.busy_until

    def _program(self, start: int, data: bytes) -> None:
        """Page write: the address wraps within the page, never into the next one."""
        page = self.part.page_size
        base = start & ~(page - 1)
        for i, value in enumerate(data):
            self.memory[base | ((start + i) & (page - 1))] = value
        self.pointer = base | ((start + len(data)) & (page - 1))
        self.busy_until = self.clock.monotonic() + self.write_cycle_s
        self.writes += 1

    # -- Twin ----------------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeclaredDevice, world: TwinWorld) -> At24Sim:
        """Holding the FRU image its ``[device.sim.fru]`` fields build (else blank, FFh)."""
        fru = dev.sim.get("fru", {})
        if not fru:
            return cls(dev.option("part"), world.clock)

        def image() -> bytes:  # built (FRU codec and all) when something first reads the part
            from chassisctl.ipmi.fru import build

            return build(board=fru.get("board"), product=fru.get("product"), chassis=fru.get("chassis"))

        return cls(dev.option("part"), world.clock, data=image)

    def place(self, segment: Segment, address: int) -> None:
        self.attach(segment, address)

    def apply(self, key: str, value: Any, dev: DeclaredDevice, world: TwinWorld) -> None:
        """``corrupt_checksum``: flip (or restore) the checksum byte of the board area, else the header's."""
        image = self._pristine
        if image is None:
            image = self._pristine = bytes(self.memory)
        self.memory[:] = image
        if value:
            board = image[3] * 8 if len(image) > 8 else 0
            at = board + image[board + 1] * 8 - 1 if board and image[board] == 1 else 7
            self.memory[at] ^= 0xFF


class _At24View:
    """The part as seen at one I2C address (one 256-byte block for 1-byte parts)."""

    def __init__(self, chip: At24Sim, block: int) -> None:
        self.chip = chip
        self.block = block
        self._addr_bytes: list[int] = []
        self._data = bytearray()
        self._writing = False

    def start(self, read: bool) -> bool:
        self.stop()
        chip = self.chip
        if not chip.present or chip.busy:
            return False
        self._writing = not read
        self._addr_bytes, self._data = [], bytearray()
        return True

    def write_byte(self, value: int) -> bool:
        chip = self.chip
        width = chip.part.addr_width
        if len(self._addr_bytes) < width:
            self._addr_bytes.append(value & 0xFF)
            if len(self._addr_bytes) == width:
                word = int.from_bytes(bytes(self._addr_bytes), "big")
                if width == 1:
                    word |= self.block << 8
                chip.pointer = word & (chip.part.size - 1)
            return True
        self._data.append(value & 0xFF)
        return True

    def read_byte(self) -> int:
        chip = self.chip
        value = chip.memory[chip.pointer]
        chip.pointer = (chip.pointer + 1) % chip.part.size
        return value

    def stop(self) -> None:
        if self._writing and self._data:
            self.chip._program(self.chip.pointer, bytes(self._data))
        self._writing, self._data = False, bytearray()
