"""A pointer-register slave: the shape most of these devices share.

The first byte of a write transaction selects a register; further bytes are
data for it, committed at STOP or at a repeated START.  A read returns the
bytes of the pointed register, so a read without a preceding pointer write
returns the last pointed register (the LM75 detect routine relies on it).
"""

from __future__ import annotations


class PointerSlave:
    """Subclasses implement :meth:`read_register` and :meth:`write_register`.

    ``present = False`` makes the device NAK its address, as a removed part
    does.  ``auto_increment`` makes reads past a register's bytes continue
    with the next register (EMC2305, CPLDs); otherwise the register repeats.
    """

    auto_increment = False

    def __init__(self) -> None:
        self.present = True
        self.pointer = 0
        self._writing = False
        self._have_pointer = False
        self._pending = bytearray()
        self._out = b""
        self._pos = 0

    # -- hooks --------------------------------------------------------------
    def read_register(self, reg: int) -> bytes:
        raise NotImplementedError

    def write_register(self, reg: int, data: bytes) -> None:
        raise NotImplementedError

    def accepts_pointer(self, reg: int) -> bool:
        """False NAKs the pointer byte (a register the part does not have)."""
        return True

    # -- I2cSlave -----------------------------------------------------------
    def start(self, read: bool) -> bool:
        self._commit()
        if not self.present:
            return False
        if read:
            self._out, self._pos = self.read_register(self.pointer), 0
        else:
            self._writing, self._have_pointer = True, False
        return True

    def write_byte(self, value: int) -> bool:
        if not self._have_pointer:
            if not self.accepts_pointer(value):
                return False
            self.pointer, self._have_pointer = value & 0xFF, True
            return True
        self._pending.append(value & 0xFF)
        return True

    def read_byte(self) -> int:
        if self._pos >= len(self._out):
            if self.auto_increment:
                self.pointer = (self.pointer + 1) & 0xFF
                self._out, self._pos = self.read_register(self.pointer), 0
            else:
                self._pos = 0
        value = self._out[self._pos] if self._out else 0xFF
        self._pos += 1
        return value

    def stop(self) -> None:
        self._commit()

    def _commit(self) -> None:
        if self._writing and self._pending:
            self.write_register(self.pointer, bytes(self._pending))
        self._writing, self._pending = False, bytearray()
