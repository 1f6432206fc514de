"""PmbusDevice against the simulated PSU: formats, PAGE, status, presence, PEC, ownership."""

import pytest

from chassisctl.clock import FakeClock
from chassisctl.devices.pmbus import Cmd, DirectCoefficients, StatusCml, StatusInput, StatusIout, StatusWord
from chassisctl.platform.drivers._base import NotOwned, VerifyFailed
from chassisctl.i2c_errors import BusTimeout, NotAnswering, PecMismatch
from chassisctl.platform.drivers.pmbus import PmbusDevice, VoutFormat
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.devices.pmbus import PmbusSim
from chassisctl.sim.i2c import Segment

ADDR = 0x58


def make(sim: PmbusSim) -> SimulatedSMBus:
    root = Segment()
    root.attach(sim.addr, sim)
    return SimulatedSMBus(root=root, clock=FakeClock())


def wire(bus: SimulatedSMBus, n: int = 1) -> list[str]:
    return [str(t) for t in bus.transcript][-n:]


def test_read_pin_with_pec_matches_the_worked_bytes() -> None:
    psu = PmbusSim(ADDR, pec=True)
    psu.set("READ_PIN", 487.5)
    bus = make(psu)
    assert PmbusDevice(bus, ADDR, pec=True).read(Cmd.READ_PIN) == 487.5
    assert wire(bus) == ["S B0 97 Sr B1 CF FB [B5] P"]
    assert not bus.pec  # the bus setting is restored


@pytest.mark.parametrize(("mode", "volts"), [(0x17, 12.0), (0x13, 1.2), (0x16, 5.0)])
def test_read_vout_uses_vout_mode(mode: int, volts: float) -> None:
    psu = PmbusSim(ADDR, vout_mode=mode)
    psu.set("READ_VOUT", volts)
    bus = make(psu)
    dev = PmbusDevice(bus, ADDR)
    assert dev.read(Cmd.READ_VOUT) == pytest.approx(volts, abs=2**-12)
    assert dev.read(Cmd.READ_VOUT) == pytest.approx(volts, abs=2**-12)
    assert sum(t.command == Cmd.VOUT_MODE for t in bus.transcript) == 1  # cached


def test_linear11_vout_override_and_direct_coefficients() -> None:
    volts = DirectCoefficients(19199, 0, -2)
    amps = DirectCoefficients(807, 20475, -1)
    hsc = PmbusSim(0x10, direct={Cmd.READ_VIN: volts, Cmd.READ_IOUT: amps, Cmd.READ_VOUT: volts})
    hsc.set("READ_VIN", 12.0)
    hsc.set("READ_IOUT", 10.0)
    hsc.set("READ_VOUT", 12.0)
    bus = make(hsc)
    dev = PmbusDevice(bus, 0x10, vout_format=VoutFormat.DIRECT,
                      direct_coefficients={Cmd.READ_VIN: volts, Cmd.READ_IOUT: amps, Cmd.READ_VOUT: volts})
    assert dev.read(Cmd.READ_VIN) == pytest.approx(12.0006, abs=1e-4)
    assert wire(bus) == ["S 20 88 Sr 21 00 09 P"]
    assert dev.read(Cmd.READ_IOUT) == pytest.approx(10.006, abs=1e-3)
    assert dev.read(Cmd.READ_VOUT) == pytest.approx(12.0006, abs=1e-4)

    odd = PmbusSim(0x59, force_linear11=True)
    odd.set("READ_VOUT", 12.0)
    bus = make(odd)
    assert PmbusDevice(bus, 0x59, vout_format=VoutFormat.LINEAR11).read(Cmd.READ_VOUT) == 12.0
    assert all(t.command != Cmd.VOUT_MODE for t in bus.transcript)
    with pytest.raises(ValueError):
        PmbusDevice(bus, 0x59).read(Cmd.STATUS_BYTE)  # not a numeric command
    with pytest.raises(ValueError):
        PmbusDevice(bus, 0x59, vout_format=VoutFormat.DIRECT).read(Cmd.READ_VOUT)  # no coefficients


def test_strings_and_capability() -> None:
    psu = PmbusSim(ADDR, pec=True, strings={"MFR_ID": "ACME", "MFR_MODEL": "DPS-750XB"})
    bus = make(psu)
    dev = PmbusDevice(bus, ADDR, pec=True)
    assert dev.read_string(Cmd.MFR_MODEL) == "DPS-750XB"
    assert wire(bus)[0].startswith("S B0 9A Sr B1 09 44 50 53")
    assert dev.capability().pec


def test_ac_loss_status() -> None:
    psu = PmbusSim(ADDR)
    psu.set("READ_VIN", 230.0)
    bus = make(psu)
    dev = PmbusDevice(bus, ADDR)
    assert dev.status().power_good
    psu.set_ac(False)
    status = dev.status()
    assert status.word == StatusWord.INPUT | StatusWord.VIN_UV_FAULT | StatusWord.OFF | StatusWord.POWER_GOOD_N
    assert status.detail(Cmd.STATUS_INPUT) == StatusInput.UV_FAULT | StatusInput.UNIT_OFF_LOW_INPUT
    assert not status.power_good
    assert "STATUS_INPUT.UV_FAULT" in status.names
    assert dev.read(Cmd.READ_VIN) == 0.0


def test_latched_faults_clear_only_when_owned() -> None:
    psu = PmbusSim(ADDR, pec=True)
    bus = make(psu)
    psu.latch(Cmd.STATUS_IOUT, StatusIout.OC_FAULT)
    shared = PmbusDevice(bus, ADDR, pec=True)
    with pytest.raises(NotOwned):
        shared.clear_faults()
    assert all(t.command != Cmd.CLEAR_FAULTS for t in bus.transcript)
    assert shared.status().detail(Cmd.STATUS_IOUT) == StatusIout.OC_FAULT  # still latched
    owned = PmbusDevice(bus, ADDR, pec=True, owned=True)
    owned.clear_faults()
    assert wire(bus)[0].startswith("S B0 03 [")  # Send Byte with PEC, which the device checked
    assert owned.status().word == StatusWord(0)


def test_persistent_condition_survives_clear_faults() -> None:
    psu = PmbusSim(ADDR)
    bus = make(psu)
    psu.set_ac(False)
    dev = PmbusDevice(bus, ADDR, owned=True)
    dev.clear_faults()
    assert dev.status().word & StatusWord.VIN_UV_FAULT
    psu.set_ac(True)
    assert dev.status().word & StatusWord.INPUT  # latched until cleared
    dev.clear_faults()
    assert dev.status().word == StatusWord(0)


def test_absent_psu_is_a_distinct_outcome() -> None:
    psu = PmbusSim(ADDR)
    psu.set("READ_PIN", 100.0)
    bus = make(psu)
    dev = PmbusDevice(bus, ADDR)
    assert dev.present()
    psu.present = False  # bay emptied (or the µC lost its standby power)
    assert not dev.present()
    with pytest.raises(NotAnswering):
        dev.read(Cmd.READ_PIN)
    psu.present = True
    bus.faults.timeout()
    with pytest.raises(BusTimeout):  # a bus fault says nothing about the bay
        dev.present()


def test_pec_mismatch_is_reported_and_transient() -> None:
    psu = PmbusSim(ADDR, pec=True)
    psu.set("READ_PIN", 487.5)
    bus = make(psu)
    dev = PmbusDevice(bus, ADDR, pec=True)
    psu.corrupt_pec()
    with pytest.raises(PecMismatch):
        dev.read(Cmd.READ_PIN)
    assert wire(bus)[0].endswith("(EBADMSG)")
    assert dev.read(Cmd.READ_PIN) == 487.5


def test_pec_requested_from_a_device_without_pec() -> None:
    psu = PmbusSim(ADDR, pec=False)
    psu.set("READ_PIN", 487.5)
    bus = make(psu)
    with pytest.raises(PecMismatch):
        PmbusDevice(bus, ADDR, pec=True).read(Cmd.READ_PIN)
    assert PmbusDevice(bus, ADDR).read(Cmd.READ_PIN) == 487.5


def test_unsupported_command_sets_cml() -> None:
    bus = make(PmbusSim(ADDR))
    dev = PmbusDevice(bus, ADDR)
    assert dev.read_word(Cmd.READ_FAN_SPEED_3) == 0xFFFF
    status = dev.status()
    assert status.word & StatusWord.CML
    assert status.detail(Cmd.STATUS_CML) == StatusCml.INVALID_COMMAND


def test_paged_reads_write_and_verify_page_first() -> None:
    psu = PmbusSim(ADDR, pages=2)
    psu.set("READ_VOUT", 12.0, page=0)
    psu.set("READ_VOUT", 3.3, page=1)
    bus = make(psu)
    rail = PmbusDevice(bus, ADDR, page=1)
    assert rail.read(Cmd.READ_VOUT) == pytest.approx(3.3, abs=2**-9)
    assert wire(bus, 3) == ["S B0 00 01 P", "S B0 00 Sr B1 01 P", "S B0 8B Sr B1 9A 06 P"]
    assert PmbusDevice(bus, ADDR, page=0).read(Cmd.READ_VOUT) == 12.0
    with pytest.raises(VerifyFailed):
        PmbusDevice(bus, ADDR, page=5).read(Cmd.READ_VOUT)  # the device refuses the page


class _FloatingStatus(PmbusSim):
    """A device whose STATUS_WORD reads FFFFh (and optionally STATUS_BYTE FFh)."""

    def __init__(self, byte_too: bool) -> None:
        super().__init__(ADDR)
        self.byte_too = byte_too

    def _response(self, cmd: int) -> bytes | None:
        if cmd == Cmd.STATUS_WORD or (self.byte_too and cmd == Cmd.STATUS_BYTE):
            return b"\xff\xff"[: 2 if cmd == Cmd.STATUS_WORD else 1]
        return super()._response(cmd)


def test_status_word_all_ones_falls_back_then_gives_up() -> None:
    psu = _FloatingStatus(byte_too=False)
    psu.latch(Cmd.STATUS_CML, StatusCml.OTHER_COMMUNICATION_FAULT)
    bus = make(psu)
    status = PmbusDevice(bus, ADDR).status()
    assert status.word == StatusWord.CML
    assert status.detail(Cmd.STATUS_CML) == StatusCml.OTHER_COMMUNICATION_FAULT
    with pytest.raises(NotAnswering):
        PmbusDevice(make(_FloatingStatus(byte_too=True)), ADDR).status()


def test_write_with_bad_pec_is_refused_by_the_model() -> None:
    from smbus2 import i2c_msg

    psu = PmbusSim(ADDR, pec=True)
    psu.latch(Cmd.STATUS_IOUT, StatusIout.OC_WARNING)
    bus = make(psu)
    bus.i2c_rdwr(i2c_msg.write(ADDR, bytes([Cmd.CLEAR_FAULTS, 0x00])))  # wrong PEC byte
    status = PmbusDevice(bus, ADDR, pec=True).status()
    assert status.detail(Cmd.STATUS_IOUT) == StatusIout.OC_WARNING  # not cleared
    assert status.detail(Cmd.STATUS_CML) == StatusCml.PEC_FAILED


_FAULTS = [(None, 0), (Cmd.STATUS_INPUT, StatusInput.UV_FAULT | StatusInput.UNIT_OFF_LOW_INPUT),
           (Cmd.STATUS_IOUT, StatusIout.OC_FAULT), (Cmd.STATUS_IOUT, StatusIout.OC_WARNING),
           (Cmd.STATUS_CML, StatusCml.PEC_FAILED), (Cmd.STATUS_TEMPERATURE, 0x40), (Cmd.STATUS_TEMPERATURE, 0x80),
           (Cmd.STATUS_FANS_1_2, 0x80), (Cmd.STATUS_FANS_1_2, 0x20), (Cmd.STATUS_VOUT, 0x80),
           (Cmd.STATUS_VOUT, 0x40), (Cmd.STATUS_INPUT, 0x02), (Cmd.STATUS_OTHER, 0x01)]


@pytest.mark.parametrize(("reg", "flags"), _FAULTS)
@pytest.mark.parametrize("ac_ok", [True, False])
def test_sensor_status_in_plain_ints_is_the_flag_classes_status(reg, flags, ac_ok) -> None:
    """The PSU sensor reads status as plain ints (no enum classes built); same registers, same answer."""
    from chassisctl.platform.drivers.pmbus import PmbusStatus, psu_bits

    psu = PmbusSim(ADDR)
    if reg is not None:
        psu.latch(reg, flags)
    psu.set_ac(ac_ok)
    bus = make(psu)
    dev = PmbusDevice(bus, ADDR)
    typed = dev.status()
    reads = len(bus.transcript)
    plain = PmbusStatus(*dev._status_registers())
    wire = [str(t) for t in bus.transcript]
    assert wire[reads:] == wire[:reads]  # the same reads, in the same order
    assert plain.word == typed.word and plain.details == typed.details
    assert psu_bits(plain) == psu_bits(typed)
    assert plain.names == typed.names and plain.power_good == typed.power_good


def test_pmbus_enum_views_match_the_plain_tables() -> None:
    """pmbus.Cmd, StatusWord ... are their plain tables (names, values, order) and pickle as pmbus's."""
    import pickle

    from chassisctl.devices import pmbus as pm

    assert [(m.name, m.value) for m in pm.Cmd] == list(pm.CODES.items())
    assert pm.Cmd(0x88).name == "READ_VIN" and pm.Cmd["PAGE"] == 0 and repr(pm.Cmd.PAGE) == "<Cmd.PAGE: 0>"
    assert pickle.loads(pickle.dumps(pm.StatusWord.OFF)) is pm.StatusWord.OFF
    assert pm.Cmd.__module__ == "chassisctl.devices.pmbus"
    for bit, reg, name in pm.SUMMARY:
        assert pm.SUMMARY_REGISTERS[pm.StatusWord(bit)] == (pm.Cmd(reg), getattr(pm, name))
    for code in range(256):
        assert pm.command_kind(code).value == pm.kind_of(code)
    assert pm.command_kind(Cmd.READ_VOUT) is pm.Kind.VOUT and pm.command_kind(0x88) is pm.Kind.LINEAR11
    with pytest.raises(AttributeError):
        pm.NoSuchThing  # noqa: B018
