"""AT24-class I2C EEPROMs: geometry per part and transfer planning.

What the part is cannot be probed safely (an 8-bit access to a 16-bit part
writes garbage), so the description names it and this table says the rest:
size, word-address width, block bits borrowed from the I2C address
(24c04/08/16) and page size.  Plans never cross a block and writes never
cross a page, because a page write wraps to the start of its page.
"""

from __future__ import annotations

from chassisctl.namedtuple import NamedTuple

#: The Linux driver's read chunk (``io_limit``).
IO_LIMIT = 128
#: Typical write-cycle time, and how long the driver keeps retrying a NAK.
WRITE_CYCLE_S = 0.005
WRITE_TIMEOUT_S = 0.025


class Part(NamedTuple):
    name: str
    size: int
    addr_width: int  # word-address bytes: 1 or 2 (MSB first)
    page_size: int  # typical (unverified per vendor)
    block_bits: int = 0  # low I2C address bits used as memory address bits 10:8

    @property
    def block_size(self) -> int:
        """Bytes reachable through one I2C address."""
        return 256 if self.addr_width == 1 else self.size

    @property
    def addresses(self) -> int:
        return 1 << self.block_bits


PARTS: dict[str, Part] = {
    p.name: p
    for p in (
        Part("24c01", 128, 1, 8),
        Part("24c02", 256, 1, 8),
        Part("24c04", 512, 1, 16, 1),
        Part("24c08", 1024, 1, 16, 2),
        Part("24c16", 2048, 1, 16, 3),
        Part("24c32", 4096, 2, 32),
        Part("24c64", 8192, 2, 32),
        Part("24c128", 16384, 2, 64),
        Part("24c256", 32768, 2, 64),
        Part("24c512", 65536, 2, 128),
    )
}


def part(name: str) -> Part:
    try:
        return PARTS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown EEPROM part {name!r} (known: {', '.join(PARTS)})") from None


class Chunk(NamedTuple):
    """One transfer: the I2C address to use, the word address to send, and how much."""

    i2c_addr: int
    word_addr: bytes
    offset: int
    length: int


def check_base(p: Part, base_addr: int) -> None:
    if base_addr & (p.addresses - 1):
        raise ValueError(f"{p.name} at {base_addr:#04x}: base address must have its {p.block_bits} low bits clear")


def locate(p: Part, base_addr: int, offset: int) -> tuple[int, bytes]:
    """(I2C address, word-address bytes) for a byte offset in the part."""
    check_base(p, base_addr)
    if not 0 <= offset < p.size:
        raise ValueError(f"offset {offset} outside {p.name} (size {p.size})")
    if p.addr_width == 2:
        return base_addr, offset.to_bytes(2, "big")
    return base_addr | (offset >> 8), bytes([offset & 0xFF])


def _plan(p: Part, base_addr: int, offset: int, length: int, boundary: int, limit: int) -> list[Chunk]:
    """Transfers of at most ``limit`` bytes that never cross a multiple of ``boundary``."""
    if length < 0 or offset < 0 or offset + length > p.size:
        raise ValueError(f"{offset}+{length} outside {p.name} (size {p.size})")
    chunks = []
    pos, end = offset, offset + length
    while pos < end:
        n = min(end - pos, boundary - pos % boundary, limit)
        i2c_addr, word = locate(p, base_addr, pos)
        chunks.append(Chunk(i2c_addr, word, pos, n))
        pos += n
    return chunks


def plan_read(p: Part, base_addr: int, offset: int, length: int, max_chunk: int = IO_LIMIT) -> list[Chunk]:
    """Reads of at most ``max_chunk`` bytes that never cross a block (I2C address)."""
    if max_chunk < 1:
        raise ValueError("max_chunk must be positive")
    return _plan(p, base_addr, offset, length, p.block_size, max_chunk)


def plan_write(p: Part, base_addr: int, offset: int, length: int, max_chunk: int | None = None) -> list[Chunk]:
    """Writes that never cross a page boundary (and are at most ``max_chunk`` bytes)."""
    if max_chunk is not None and max_chunk < 1:
        raise ValueError("max_chunk must be positive")
    return _plan(p, base_addr, offset, length, p.page_size, p.page_size if max_chunk is None else max_chunk)
