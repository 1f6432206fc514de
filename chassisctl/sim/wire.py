"""What crossed the simulated wire, and how long it took at a given SCL clock.

Each transaction is recorded as the bytes a logic analyser would show
(address bytes with their R/W bit, data, the PEC byte, ACK/NAK), so tests
assert exact bytes and ``--debug`` prints them.  The timing model counts
SCL clocks (I2C-bus specification UM10204 §3.1): 9 per byte (8 bits + ACK) and
one clock per START, repeated START and STOP, i.e. ``bytes*9 + 2`` bits for
a write and ``bytes*9 + 3`` for a block read.  That is what makes "40
sensors at 100 kHz cost 63 ms of wire" a number the benchmarks can check.
"""

from __future__ import annotations

from chassisctl.namedtuple import NamedTuple

STANDARD_MODE = 100_000
FAST_MODE = 400_000
FAST_MODE_PLUS = 1_000_000
CLOCKS_PER_BYTE = 9
#: SMBus t_TIMEOUT: a slave stretching SCL longer than this gets the bus reset.
SMBUS_TIMEOUT = 0.035


class WirePart(NamedTuple):
    """One address phase (START or repeated START) and the bytes after it."""

    addr: int
    read: bool
    data: bytes = b""
    #: False when nobody acknowledged the address byte.
    acked: bool = True
    #: Index in ``data`` of a written byte that was NAKed, if any.
    nak_at: int | None = None

    @property
    def address_byte(self) -> int:
        return (self.addr << 1) | int(self.read)


class WireTransaction(NamedTuple):
    """START ... STOP as seen on the wire, plus what the master reported."""

    parts: tuple[WirePart, ...]
    #: True when the last byte of the last part is a PEC byte.
    pec: bool = False
    #: errno name the master's transfer ended with ("ENXIO", "EBADMSG"...).
    error: str | None = None
    #: Who drove the transaction: "host", or a simulated device acting as master.
    master: str = "host"
    #: Extra seconds the bus was held (clock stretching until t_TIMEOUT).
    stretch: float = 0.0
    #: "R" or "W": what the master meant to do, even if a NAK cut it short.
    kind: str | None = None

    @property
    def is_read(self) -> bool:
        if self.kind is not None:
            return self.kind == "R"
        return any(p.read for p in self.parts)

    @property
    def is_write(self) -> bool:
        return (self.kind == "W") if self.kind is not None else bool(self.parts) and not self.is_read

    @property
    def direction(self) -> str:
        return "R" if self.is_read else "W"

    @property
    def addr(self) -> int | None:
        return self.parts[0].addr if self.parts else None

    @property
    def command(self) -> int | None:
        """The first byte written after the first address (SMBus command code)."""
        if self.parts and not self.parts[0].read and self.parts[0].data:
            return self.parts[0].data[0]
        return None

    @property
    def acked(self) -> bool:
        """True when every address and written byte was acknowledged."""
        return all(p.acked and p.nak_at is None for p in self.parts)

    @property
    def wire_bytes(self) -> bytes:
        out = bytearray()
        for part in self.parts:
            out.append(part.address_byte)
            out += part.data
        return bytes(out)

    @property
    def bits(self) -> int:
        """SCL clocks: 9 per byte, one per START/Sr and one for the STOP."""
        if not self.parts:
            return 0
        return len(self.wire_bytes) * CLOCKS_PER_BYTE + len(self.parts) + 1

    def __str__(self) -> str:
        if not self.parts:
            return f"-- bus not available ({self.error})" if self.error else "--"
        words: list[str] = []
        last = len(self.parts) - 1
        for index, part in enumerate(self.parts):
            words += ["S" if index == 0 else "Sr", f"{part.address_byte:02X}"]
            if not part.acked:
                words.append("NAK")
                break
            for i, byte in enumerate(part.data):
                text = f"{byte:02X}"
                if self.pec and index == last and i == len(part.data) - 1:
                    text = f"[{text}]"
                words.append(text)
                if part.nak_at == i:
                    words.append("NAK")
                    break
        words.append("P")
        text = " ".join(words)
        if self.master != "host":
            text = f"{self.master}: {text}"
        return f"{text} ({self.error})" if self.error else text


class WireTiming:
    """Converts transactions to seconds at one SCL frequency."""

    __slots__ = ("clock_hz", "total")

    def __init__(self, clock_hz: int = STANDARD_MODE, total: float = 0.0) -> None:
        if clock_hz <= 0:
            raise ValueError(f"SCL clock must be positive, not {clock_hz}")
        self.clock_hz = clock_hz
        #: Accumulated seconds of every transaction measured so far.
        self.total = total

    def __repr__(self) -> str:
        return f"WireTiming(clock_hz={self.clock_hz}, total={self.total})"

    def seconds(self, txn: WireTransaction) -> float:
        return txn.bits / self.clock_hz + txn.stretch

    def account(self, txn: WireTransaction) -> float:
        """Seconds ``txn`` occupied the bus, added to :attr:`total`."""
        seconds = self.seconds(txn)
        self.total += seconds
        return seconds


def write_bits(nbytes: int) -> int:
    """Clocks of a plain write of ``nbytes`` (address byte included): START + bytes + STOP."""
    return nbytes * CLOCKS_PER_BYTE + 2


def read_bits(nbytes: int) -> int:
    """Clocks of a write-then-read with one repeated START (SMBus block read)."""
    return nbytes * CLOCKS_PER_BYTE + 3
