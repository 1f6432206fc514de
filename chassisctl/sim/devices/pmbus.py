"""PMBus PSU / hot-swap controller model, driven at the SMBus wire level.

Engineering values set by the test or the physical model
(``psu.set("READ_PIN", 487.5)``) are encoded at read time in LINEAR11,
LINEAR16 per VOUT_MODE, or DIRECT when coefficients are given.  Status bits
latch until CLEAR_FAULTS; conditions that persist (``set_condition``) stay
visible after it.  Unsupported commands are acknowledged, read as FFh and set
STATUS_CML "invalid command" plus CML in STATUS_WORD, which is how the kernel
probes for them.  With ``pec=True`` the model advertises PEC in CAPABILITY,
appends a PEC byte to every read (computed over the wire bytes, so it needs
its own address) and checks the PEC of writes that carry one.  A PSU that is
not ``present`` NAKs its address.
"""

from __future__ import annotations

from collections.abc import Mapping

from chassisctl.devices import pmbus as pm
from chassisctl.devices.pmbus import CODES, NAMES, CmlBit, Code, DirectCoefficients, InputBit, IoutBit, KindName
from chassisctl.devices.pmbus import VoutBit, WordBit
from chassisctl.ipmi.pec import crc8
from chassisctl.sim.devices._twin import DeclaredDevice, Twin, TwinWorld

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Data bytes of the write commands the model accepts (PEC excluded).
#: (Plain ints throughout: the codec's enum classes are built only where a name is printed.)
WRITE_LENGTHS = {Code.PAGE: 1, Code.OPERATION: 1, Code.ON_OFF_CONFIG: 1, Code.CLEAR_FAULTS: 0, Code.VOUT_COMMAND: 2}
STATUS_REGS = (Code.STATUS_VOUT, Code.STATUS_IOUT, Code.STATUS_INPUT, Code.STATUS_TEMPERATURE,
               Code.STATUS_CML, Code.STATUS_OTHER, Code.STATUS_FANS_1_2, Code.STATUS_FANS_3_4)
OPERATION_ON = 0x80


def _code(name: str | int) -> int:
    """A command code by name or number (KeyError / ValueError for unknown ones, as ``Cmd`` gives)."""
    if isinstance(name, str):
        return CODES[name]
    if name not in NAMES:
        raise ValueError(f"{name!r} is not a valid Cmd")
    return int(name)


class _Page:
    def __init__(self, vout_mode: int) -> None:
        #: The VOUT_MODE byte (checked), decoded only when a VOUT command needs it.
        self.vout_mode_byte = pm.check_vout_mode(vout_mode)
        self._vout_mode: pm.VoutMode | None = None
        self.values: dict[int, float] = {}
        self.latched: dict[int, int] = dict.fromkeys(STATUS_REGS, 0)
        self.live: dict[int, int] = dict.fromkeys(STATUS_REGS, 0)
        self.operation = OPERATION_ON

    @property
    def vout_mode(self) -> pm.VoutMode:
        if self._vout_mode is None:
            self._vout_mode = pm.decode_vout_mode(self.vout_mode_byte)
        return self._vout_mode

    def status(self, reg: int) -> int:
        return self.latched[reg] | self.live[reg]


class PmbusSim(Twin):
    """A PMBus device at ``addr`` with ``pages`` output rails."""

    def __init__(self, addr: int, *, pages: int = 1, vout_mode: int = 0x17, pec: bool = False,
                 strings: dict[str, str] | None = None,
                 direct: dict[int, DirectCoefficients] | None = None, revision: int = 0x22,
                 force_linear11: bool = False) -> None:
        self.addr = addr
        self.present = True
        self.pec_capable = pec
        self.ac_ok = True
        self.revision = revision
        self.direct = dict(direct or {})
        self.force_linear11 = force_linear11  # READ_VOUT in LINEAR11, as some devices do
        self.strings = {CODES[name]: text.encode("ascii") for name, text in (strings or {}).items()}
        self.pages = [_Page(vout_mode) for _ in range(pages)]
        self.page = 0
        self.pec_errors_to_inject = 0
        self._cmd: int | None = None
        self._rx = bytearray()
        self._writing = False
        self._out = b""
        self._pos = 0
        self._pec_index = -1

    # -- what tests and the physical model call ----------------------------------
    def _pages(self, page: int | None) -> list[_Page]:
        return self.pages if page is None else [self.pages[page]]

    def set(self, name: str | int, value: float, page: int | None = None) -> None:
        """Engineering value of a READ_x/MFR_x command (on every page unless ``page``)."""
        cmd = _code(name)
        for p in self._pages(page):
            p.values[cmd] = value

    def unset(self, name: str | int, page: int | None = None) -> None:
        cmd = _code(name)
        for p in self._pages(page):
            p.values.pop(cmd, None)

    def latch(self, reg: int, flags: int, page: int | None = None) -> None:
        """A fault that happened once: latched until CLEAR_FAULTS."""
        for p in self._pages(page):
            p.latched[reg] |= int(flags)

    def set_condition(self, reg: int, flags: int, page: int | None = None) -> None:
        """A condition that persists (latches, and stays visible after CLEAR_FAULTS)."""
        for p in self._pages(page):
            p.live[reg] = int(flags)
            p.latched[reg] |= int(flags)

    def set_ac(self, ok: bool) -> None:
        """AC input lost or back: input UV fault, unit off, power not good, VIN ≈ 0."""
        self.ac_ok = ok
        flags = 0 if ok else InputBit.UV_FAULT | InputBit.UNIT_OFF_LOW_INPUT
        self.set_condition(Code.STATUS_INPUT, flags)
        if not ok:
            self.set("READ_VIN", 0.0)
            self.set("READ_PIN", 0.0)

    def corrupt_pec(self, n: int = 1) -> None:
        """The next ``n`` PEC bytes sent are wrong."""
        self.pec_errors_to_inject += n

    def status_word(self, page: int = 0) -> int:
        p = self.pages[page]
        s = p.status
        word = 0
        if p.operation & OPERATION_ON == 0 or not self.ac_ok:
            word |= WordBit.OFF
        if s(Code.STATUS_VOUT) & VoutBit.OV_FAULT:
            word |= WordBit.VOUT_OV_FAULT
        if s(Code.STATUS_IOUT) & IoutBit.OC_FAULT:
            word |= WordBit.IOUT_OC_FAULT
        if s(Code.STATUS_INPUT) & InputBit.UV_FAULT:
            word |= WordBit.VIN_UV_FAULT
        if s(Code.STATUS_TEMPERATURE):
            word |= WordBit.TEMPERATURE
        if s(Code.STATUS_CML):
            word |= WordBit.CML
        high = 0
        for flag, reg in ((WordBit.VOUT, Code.STATUS_VOUT), (WordBit.IOUT_POUT, Code.STATUS_IOUT),
                          (WordBit.INPUT, Code.STATUS_INPUT), (WordBit.OTHER, Code.STATUS_OTHER)):
            if s(reg):
                high |= flag
        if s(Code.STATUS_FANS_1_2) | s(Code.STATUS_FANS_3_4):
            high |= WordBit.FANS
        if word & WordBit.OFF or word & WordBit.VOUT_OV_FAULT:
            high |= WordBit.POWER_GOOD_N
        if high & ~WordBit.POWER_GOOD_N and not word & 0x3E:
            word |= WordBit.NONE_OF_THE_ABOVE
        return word | high

    # -- encoding ------------------------------------------------------------------
    def _word(self, cmd: int, value: float, p: _Page) -> bytes:
        if cmd in self.direct:
            raw = pm.encode_direct(value, self.direct[cmd])
        elif pm.kind_of(cmd) == KindName.VOUT and not self.force_linear11:
            raw = pm.encode_vout(value, p.vout_mode)
        else:
            raw = pm.encode_linear11(value)
        return raw.to_bytes(2, "little")

    def _response(self, cmd: int) -> bytes | None:
        p = self.pages[self.page if self.page < len(self.pages) else 0]
        if cmd in p.values:
            return self._word(cmd, p.values[cmd], p)
        if cmd in self.strings:
            data = self.strings[cmd]
            return bytes([len(data)]) + data
        if cmd in STATUS_REGS:
            return bytes([p.status(cmd)])
        page_index = self.pages.index(p)
        fixed: dict[int, bytes] = {
            Code.PAGE: bytes([self.page]),
            Code.OPERATION: bytes([p.operation]),
            Code.CAPABILITY: bytes([(0x80 if self.pec_capable else 0) | 0x10]),
            Code.VOUT_MODE: bytes([p.vout_mode_byte]),
            Code.STATUS_BYTE: bytes([self.status_word(page_index) & 0xFF]),
            Code.STATUS_WORD: self.status_word(page_index).to_bytes(2, "little"),
            Code.PMBUS_REVISION: bytes([self.revision]),
        }
        return fixed.get(cmd)

    def _invalid(self, flag: int) -> None:
        for p in self.pages:
            p.latched[Code.STATUS_CML] |= flag

    # -- I2cSlave --------------------------------------------------------------------
    def start(self, read: bool) -> bool:
        if not self.present:
            self._writing = False
            return False
        if not read:
            self._commit()
            self._writing, self._rx = True, bytearray()
            return True
        wire = bytearray()
        if self._writing and len(self._rx) == 1:  # command byte, then repeated START
            self._cmd = self._rx[0]
            wire += bytes([self.addr << 1, self._cmd])
        else:
            self._commit()
        self._writing, self._rx = False, bytearray()
        wire.append((self.addr << 1) | 1)
        data = self._response(self._cmd) if self._cmd is not None else None
        if data is None:
            self._invalid(CmlBit.INVALID_COMMAND)
            self._out, self._pos, self._pec_index = b"", 0, -1
            return True
        pec_byte = crc8(wire + data)
        self._out, self._pos, self._pec_index = data + bytes([pec_byte]), 0, len(data)
        return True

    def write_byte(self, value: int) -> bool:
        self._rx.append(value & 0xFF)
        return True

    def read_byte(self) -> int:
        if self._pos >= len(self._out) or (self._pos == self._pec_index and not self.pec_capable):
            self._pos += 1
            return 0xFF
        value = self._out[self._pos]
        if self._pos == self._pec_index and self.pec_errors_to_inject > 0:
            self.pec_errors_to_inject -= 1
            value ^= 0xFF
        self._pos += 1
        return value

    def stop(self) -> None:
        self._commit()

    def _commit(self) -> None:
        if not self._writing or not self._rx:
            self._writing = False
            return
        rx, self._rx, self._writing = bytes(self._rx), bytearray(), False
        cmd, data = rx[0], rx[1:]
        self._cmd = cmd
        if cmd not in WRITE_LENGTHS:
            if data:
                self._invalid(CmlBit.INVALID_COMMAND)
            return  # a bare command byte only sets the command for a later read
        want = WRITE_LENGTHS[cmd]
        if len(data) == want + 1:
            if not self.pec_capable or crc8(bytes([self.addr << 1]) + rx[:-1]) != data[-1]:
                self._invalid(CmlBit.PEC_FAILED)
                return
            data = data[:-1]
        elif len(data) != want:
            if data:  # a bare command byte just sets the command for a later read
                self._invalid(CmlBit.INVALID_DATA)
            return
        self._execute(cmd, data)

    def _execute(self, cmd: int, data: bytes) -> None:
        if cmd == Code.PAGE:
            if data[0] < len(self.pages) or data[0] == 0xFF:
                self.page = data[0]
            else:
                self._invalid(CmlBit.INVALID_DATA)
        elif cmd == Code.CLEAR_FAULTS:
            for p in self.pages if self.page == 0xFF else [self.pages[self.page]]:
                p.latched = dict(p.live)  # conditions still present latch again at once
        elif cmd == Code.OPERATION:
            for p in self._pages(None if self.page == 0xFF else self.page):
                p.operation = data[0]
        elif cmd == Code.VOUT_COMMAND:
            p = self.pages[self.page if self.page < len(self.pages) else 0]
            p.values[Code.READ_VOUT] = pm.decode_vout(int.from_bytes(data, "little"), p.vout_mode)

    # -- Twin ----------------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeclaredDevice, world: TwinWorld) -> PmbusSim:
        """Encoded as the description says the part encodes (VOUT_MODE, LINEAR11 or DIRECT)."""
        fmt = dev.option("vout_format")
        direct: dict[int, DirectCoefficients] = {CODES[k]: DirectCoefficients(v["m"], v["b"], v["R"])
                                                    for k, v in (dev.option("direct") or {}).items()}
        mode = dev.sim.get("vout_mode", 0x40 if fmt == "direct" else 0x17)
        return cls(dev.address, pec=bool(dev.option("pec")), vout_mode=mode, direct=direct,
                   force_linear11=fmt == "linear11", pages=max(1, dev.options.get("page", 0) + 1))

    def apply(self, key: str, value: Any, dev: DeclaredDevice, world: TwinWorld) -> None:
        """``READ_*`` values, ``MFR_*`` strings, ``STATUS_*`` conditions, ``ac_ok`` and ``pec_error``."""
        if key.startswith("READ_"):
            self.set(key, float(value))
        elif key.startswith("MFR_"):
            self.strings[CODES[key]] = str(value).encode("ascii")
        elif key.startswith("STATUS_"):
            self.set_condition(CODES[key], int(value))
        elif key == "ac_ok":
            if bool(value) != self.ac_ok or not value:
                self.set_ac(bool(value))
        elif key == "pec_error":
            self.corrupt_pec(int(value))

    def snapshot(self, dev: DeclaredDevice, epoch: float) -> dict[str, Any] | None:
        return {"page": self.page, "pec_errors": self.pec_errors_to_inject,
                "pages": [{"operation": p.operation, "latched": {str(int(k)): v for k, v in p.latched.items() if v}}
                          for p in self.pages]}

    def restore(self, snapshot: Mapping[str, Any], dev: DeclaredDevice, epoch: float) -> None:
        self.page = int(snapshot.get("page", 0))
        self.pec_errors_to_inject = int(snapshot.get("pec_errors", 0))
        for page, doc in zip(self.pages, snapshot.get("pages", []), strict=False):  # a shorter snapshot keeps the rest
            page.operation = int(doc.get("operation", 0x80))
            latched = {int(k): int(v) for k, v in doc.get("latched", {}).items()}
            for reg in page.latched:
                page.latched[reg] = latched.get(int(reg), 0) | page.live[reg]
