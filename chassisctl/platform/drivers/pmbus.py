"""PMBus PSU / hot-swap controller driver.

Presence is a distinct outcome: a NAK raises :class:`NotAnswering` (or makes
:meth:`PmbusDevice.present` return False), never a reading of 0, while a bus
timeout stays a bus fault.  Paged devices get PAGE written and read back
before every access, because another master (or the kernel's cache) may have
moved it.  CLEAR_FAULTS is refused unless the description declares the device
owned: clearing faults a kernel driver reports would hide them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from chassisctl.namedtuple import NamedTuple

from chassisctl.devices import pmbus as pm
from chassisctl.devices.pmbus import CODES, NAMES, Code, DirectCoefficients, KindName, WordBit, flag_names
from chassisctl.devices.pmbus import Fans12Bit, InputBit, IoutBit, TemperatureBit, VoutBit
from chassisctl.devices.smbus import check_byte, check_word
from chassisctl.platform.drivers._base import Bus, I2cDevice, NotOwned, VerifyFailed
from chassisctl.i2c_errors import NotAnswering, bus_io
from chassisctl.platform.schema import PSU_FAILURE, PSU_INPUT_LOST, PSU_PREDICTIVE, PSU_PRESENT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from chassisctl.devices.pmbus import Cmd, StatusWord
    from chassisctl.platform.description import DeviceDecl
    from chassisctl.platform.readers import Hardware


class VoutFormat(enum.Enum):
    VOUT_MODE = "vout_mode"  # as the device's VOUT_MODE says (normal)
    LINEAR11 = "linear11"  # devices that send LINEAR11 in READ_VOUT anyway
    DIRECT = "direct"  # DIRECT with the coefficients given for the command


class PmbusStatus(NamedTuple):
    """STATUS_WORD (or STATUS_BYTE) plus the STATUS_x registers its summary bits point at.

    :meth:`PmbusDevice.status` gives the flag classes (``StatusWord``,
    ``Cmd``, ``StatusInput`` ...); the PSU sensor reads the same registers
    as plain ints, which :func:`psu_bits` accepts as well.
    """

    word: StatusWord | int
    details: tuple[tuple[Cmd | int, enum.IntFlag | int], ...] = ()

    @property
    def power_good(self) -> bool:
        return not self.word & WordBit.POWER_GOOD_N and not self.word & WordBit.OFF

    def detail(self, reg: int) -> enum.IntFlag | int | None:
        return next((flags for cmd, flags in self.details if cmd == reg), None)

    @property
    def names(self) -> frozenset[str]:
        """Every set flag, sub-register flags prefixed ``STATUS_X.``."""
        names = set(pm.flag_names(pm.StatusWord(self.word)))
        summary = {reg: flags for _, reg, flags in pm.SUMMARY}
        for cmd, flags in self.details:
            names.update(f"{NAMES[cmd]}.{n}" for n in pm.flag_names(getattr(pm, summary[cmd])(flags)))
        return frozenset(names)


class PmbusDevice(I2cDevice):
    family = "pmbus"

    def __init__(self, bus: Bus, addr: int, *, pec: bool = False, page: int | None = None,
                 vout_format: VoutFormat = VoutFormat.VOUT_MODE,
                 direct_coefficients: Mapping[int, DirectCoefficients] | None = None,
                 owned: bool = False) -> None:
        super().__init__(bus, addr)
        if page is not None and not 0 <= page <= 0xFE:
            raise ValueError(f"PAGE must be 00h..FEh, not {page}")
        self.pec = pec
        self.page = page
        self.vout_format = vout_format
        self.direct = dict(direct_coefficients or {})
        self.owned = owned
        self._vout_mode: pm.VoutMode | None = None

    # -- transport ------------------------------------------------------------------
    @contextmanager
    def _transaction(self, what: str) -> Iterator[None]:
        """Errno translation, the PEC setting for this device, and PAGE selection."""
        with bus_io(self._what(what)):
            previous = self.bus.pec
            if bool(previous) != self.pec:
                self.bus.pec = self.pec
            try:
                if self.page is not None:
                    self._select_page()
                yield
            finally:
                if bool(previous) != self.pec:
                    self.bus.pec = previous

    def _select_page(self) -> None:
        assert self.page is not None
        self.bus.write_byte_data(self.addr, Code.PAGE, self.page)
        got = self.bus.read_byte_data(self.addr, Code.PAGE)
        if got != self.page:
            raise VerifyFailed(self._what(f"PAGE reads back {got:02X}h after writing {self.page:02X}h"))

    def read_byte(self, cmd: int) -> int:
        with self._transaction(f"read {_name(cmd)}"):
            return int(self.bus.read_byte_data(self.addr, cmd))

    def read_word(self, cmd: int) -> int:
        """Raw word as smbus2 assembles it (the wire is LSB first; so is PMBus)."""
        with self._transaction(f"read {_name(cmd)}"):
            return int(self.bus.read_word_data(self.addr, cmd))

    # -- presence ---------------------------------------------------------------------
    def present(self) -> bool:
        """True if the device acknowledges a STATUS_BYTE read; False on a NAK.

        Any other failure (timeout, PEC, busy bus) is raised: it says nothing
        about the bay.
        """
        try:
            self.read_byte(Code.STATUS_BYTE)
        except NotAnswering:
            return False
        return True

    # -- values -----------------------------------------------------------------------
    def vout_mode(self) -> pm.VoutMode:
        """VOUT_MODE of this device's page (read once, then cached)."""
        if self._vout_mode is None:
            self._vout_mode = pm.decode_vout_mode(self.read_byte(Code.VOUT_MODE))
        return self._vout_mode

    def read(self, cmd: int) -> float:
        """Engineering value of a numeric command (V, A, W, °C, RPM)."""
        kind = pm.kind_of(cmd)
        if kind not in (KindName.LINEAR11, KindName.VOUT):
            raise ValueError(f"{_name(cmd)} is not a numeric PMBus command")
        coefficients = self.direct.get(cmd)
        if kind == KindName.VOUT and self.vout_format is VoutFormat.VOUT_MODE:
            mode = self.vout_mode()
            return pm.decode_vout(self.read_word(cmd), mode, coefficients)
        word = self.read_word(cmd)
        if coefficients is not None:
            return pm.decode_direct(word, coefficients)
        if kind == KindName.VOUT and self.vout_format is VoutFormat.DIRECT:
            raise ValueError(f"{_name(cmd)}: DIRECT format declared without coefficients")
        return pm.decode_linear11(word)

    def read_string(self, cmd: int) -> str:
        """An MFR_* block string (count byte first on the wire)."""
        with self._transaction(f"read {_name(cmd)}"):
            data = self.bus.read_block_data(self.addr, cmd)
        return pm.decode_block_string(data)

    def capability(self) -> pm.Capability:
        return pm.decode_capability(self.read_byte(Code.CAPABILITY))

    # -- status -------------------------------------------------------------------------
    def status(self) -> PmbusStatus:
        """STATUS_WORD (falling back to STATUS_BYTE on FFFFh) and the registers it points at.

        All-ones in both means no device drove the bus: reported as not answering.
        """
        word, details = self._status_registers()
        flags = {reg: name for _, reg, name in pm.SUMMARY}
        return PmbusStatus(pm.StatusWord(word), tuple((pm.Cmd(reg), pm.decode_status(getattr(pm, flags[reg]), value))
                                                      for reg, value in details))

    def _status_registers(self) -> tuple[int, tuple[tuple[int, int], ...]]:
        """:meth:`status` as plain ints: the word and (register, byte) per summary bit set."""
        word = self.read_word(Code.STATUS_WORD)
        check_word(word)
        if word == 0xFFFF:
            word = self.read_byte(Code.STATUS_BYTE)
            check_byte(word)
            if word == 0xFF:
                raise NotAnswering(self._what("status reads all ones"), hint="floating bus or device in reset")
        details = []
        for bit, reg, _ in pm.SUMMARY:
            if word & bit:
                value = self.read_byte(reg)
                check_byte(value)
                details.append((reg, value))
        return word, tuple(details)

    def clear_faults(self) -> None:
        """CLEAR_FAULTS (Send Byte) — only on a device chassisctl owns."""
        if not self.owned:
            raise NotOwned(self._what("CLEAR_FAULTS refused"),
                           hint="the device is not declared owned; its kernel driver may be reporting these faults")
        with self._transaction("CLEAR_FAULTS"):
            self.bus.write_byte(self.addr, Code.CLEAR_FAULTS)

    # -- DriverHooks -------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeviceDecl, hw: Hardware) -> PmbusDevice:
        direct: dict[int, DirectCoefficients] = {CODES[k]: DirectCoefficients(v["m"], v["b"], v["R"])
                                                    for k, v in (dev.option("direct") or {}).items()}
        return cls(hw.bus, dev.address, pec=bool(dev.option("pec")), page=dev.option("page"),
                   vout_format=VoutFormat(dev.option("vout_format")), direct_coefficients=direct, owned=dev.owned)

    def sample(self, hw: Hardware, dev: DeviceDecl, reading: str) -> float | None:
        return self.read(CODES[reading])

    def state(self, hw: Hardware, dev: DeviceDecl, reading: str) -> int:
        """The PSU status sensor: presence, failure, predictive failure, input lost (type 08h offsets)."""
        present = hw.present_field(dev)
        if present is False:
            return 0  # empty bay: not present, nothing else to say (and nothing to NAK)
        try:
            with hw.at(dev):
                status = PmbusStatus(*self._status_registers())  # plain ints: no enum classes built
        except NotAnswering:
            # In the bay (per the CPLD) but silent: its controller is unpowered (AC lost).
            return (1 << PSU_PRESENT | 1 << PSU_INPUT_LOST) if present else 0
        return psu_bits(status)

    def probe(self, hw: Hardware, dev: DeviceDecl, regs: dict[str, str]) -> str:
        word = self.read_word(Code.STATUS_WORD)
        regs["STATUS_WORD"] = f"{word:04X}h"
        flags = pm.decode_status_word(word)
        return "STATUS_WORD " + (", ".join(sorted(flag_names(flags))) or "clear") if flags is not None \
            else "STATUS_WORD FFFFh (floating bus?)"

    def forget(self) -> None:
        self._vout_mode = None


def _name(cmd: int) -> str:
    name = NAMES.get(cmd)
    return name if name is not None else f"command {cmd:02X}h"


def psu_bits(status: PmbusStatus) -> int:
    """PMBus status (word + STATUS_x details) as the PSU sensor's offsets (sensor type 08h)."""
    word = status.word
    bits = 1 << PSU_PRESENT
    vin = status.detail(Code.STATUS_INPUT) or 0
    input_lost = bool(word & WordBit.VIN_UV_FAULT or vin & (InputBit.UV_FAULT
                                                               | InputBit.UNIT_OFF_LOW_INPUT))
    if input_lost:
        bits |= 1 << PSU_INPUT_LOST
    vout = status.detail(Code.STATUS_VOUT) or 0
    iout = status.detail(Code.STATUS_IOUT) or 0
    temp = status.detail(Code.STATUS_TEMPERATURE) or 0
    fans = status.detail(Code.STATUS_FANS_1_2) or 0
    failure = (word & (WordBit.VOUT_OV_FAULT | WordBit.IOUT_OC_FAULT)
               or vout & (VoutBit.OV_FAULT | VoutBit.UV_FAULT)
               or iout & (IoutBit.OC_FAULT | IoutBit.OC_LV_FAULT | IoutBit.POUT_OP_FAULT)
               or temp & TemperatureBit.OT_FAULT
               or fans & (Fans12Bit.FAN1_FAULT | Fans12Bit.FAN2_FAULT)
               or (not input_lost and word & (WordBit.POWER_GOOD_N | WordBit.OFF)))
    if failure:
        bits |= 1 << PSU_FAILURE
    warning = (vout & (VoutBit.OV_WARNING | VoutBit.UV_WARNING)
               or iout & (IoutBit.OC_WARNING | IoutBit.POUT_OP_WARNING)
               or temp & (TemperatureBit.OT_WARNING | TemperatureBit.UT_WARNING)
               or fans & (Fans12Bit.FAN1_WARNING | Fans12Bit.FAN2_WARNING)
               or vin & (InputBit.OV_WARNING | InputBit.UV_WARNING | InputBit.IIN_OC_WARNING
                         | InputBit.PIN_OP_WARNING))
    if warning:
        bits |= 1 << PSU_PREDICTIVE
    return bits
