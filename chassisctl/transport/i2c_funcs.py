"""Adapter functionality bits, as the I2C_FUNCS ioctl reports them.

The values are the kernel's ``I2C_FUNC_*`` (``include/uapi/linux/i2c.h``),
the same as ``smbus2.I2cFunc``: plain ints here so that the simulated bus and
the SSIF transport test them without importing smbus2 — and with it ctypes —
on every simulated command.  Real buses still come from smbus2.
"""

I2C = 0x00000001
SMBUS_PEC = 0x00000008
SMBUS_BLOCK_PROC_CALL = 0x00008000
SMBUS_QUICK = 0x00010000
SMBUS_READ_BYTE = 0x00020000
SMBUS_WRITE_BYTE = 0x00040000
SMBUS_READ_BYTE_DATA = 0x00080000
SMBUS_WRITE_BYTE_DATA = 0x00100000
SMBUS_READ_WORD_DATA = 0x00200000
SMBUS_WRITE_WORD_DATA = 0x00400000
SMBUS_PROC_CALL = 0x00800000
SMBUS_READ_BLOCK_DATA = 0x01000000
SMBUS_WRITE_BLOCK_DATA = 0x02000000
SMBUS_READ_I2C_BLOCK = 0x04000000
SMBUS_WRITE_I2C_BLOCK = 0x08000000
#: What "SMBus emulation" on a plain I2C adapter provides (I2C_FUNC_SMBUS_EMUL).
SMBUS_EMUL = 0x0EFF0008

_NAMES = {value: name for name, value in globals().items() if name.isupper() and name != "SMBUS_EMUL"}


def names(bits: int) -> str:
    """``"SMBUS_READ_BLOCK_DATA|SMBUS_PEC"`` for an error message."""
    found = [name for value, name in sorted(_NAMES.items()) if bits & value]
    return "|".join(found) or f"{bits:#x}"
