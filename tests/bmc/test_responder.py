"""Responder: dispatch, worked SSIF payloads, error codes, and a fuzz target."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.bmc.bmc_model import BaseModel
from chassisctl.bmc.responder import HANDLERS, SEL_COMMANDS, Responder
from chassisctl.bmc.sdr_repository import SdrRepository
from chassisctl.bmc.sel_store import SelStore
from chassisctl.ipmi import app, chassis, dcmi, fru_cmds, sel_cmds, sensor_cmds, sensor_params, storage
from chassisctl.ipmi.app import DeviceId, Guid
from chassisctl.ipmi.ssif import SsifCapabilities, TransactionSupport
from chassisctl.ipmi.chassis import BootDevice, BootFlags, ChassisAction, ChassisStatus
from chassisctl.ipmi.codes import COMMANDS, NetFn
from chassisctl.ipmi.codes import CompletionCode as CC
from chassisctl.ipmi.conversion import Conversion
from chassisctl.ipmi.dcmi import DcmiCapabilities, DcmiPowerReading
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.message import Request
from chassisctl.ipmi.sensor_cmds import SensorReading, SensorThresholds, Threshold
from chassisctl.ipmi.storage import LAST_RECORD, READ_ALL, RecordChunk

NOW = 1_767_225_600.0
# The 11 mandatory bytes of Get Device ID (IPMI v2.0 §20.1): device 20h, revision byte 81h, firmware 3.09,
# IPMI 2.0, support BFh, manufacturer 000157h (Intel), product 0100h (both LS byte first).
DEVICE_ID = bytes.fromhex("20 81 03 09 02 BF 57 01 00 00 01")
MC_LOCATOR = bytes.fromhex("01 00 51 12 0e 20 00 00 bf 00 00 00 06 01 00 c3") + b"BMC"
FULL = bytes.fromhex(
    "02 00 51 01 35 20 00 01 07 01 7f 68 01 01 80 0a 80 7a 38 38 00 01 00 00 01 00 00 00 00 00"
    " 07 28 50 10 ff 00 a0 90 70 00 00 00 02 02 00 00 00 ca") + b"Inlet Temp"
COMPACT = bytes.fromhex(
    "03 00 51 02 28 20 00 02 20 01 63 40 25 6f 03 00 03 00 03 00 00 00 00 00 00 00 00 00 00 00 00"
    " cd") + b"PSU1 Presence"


def _fru() -> bytes:
    """A 56-byte FRU image: the common header and a product area (FRU spec v1.0 §8, §12)."""
    def field(s: bytes) -> bytes:
        return bytes([0xC0 | len(s)]) + s
    area = b"\x01\x06\x00" + field(b"chassisctl") + field(b"FakeChassis") + field(b"PN-0001") \
        + field(b"v1") + field(b"SN0001") + b"\xc0\xc0\xc1"
    area += bytes([-sum(area) & 0xFF])
    return bytes.fromhex("01 00 00 00 01 00 00 fe") + area


FRU = _fru()
EVENT = bytes.fromhex("00 00 02 00 00 00 00 20 00 04 01 01 01 59 90 8A")


class Chassis(BaseModel):
    """A small chassis: power state, two sensors (one dead), a FRU, DCMI power."""

    def __init__(self) -> None:
        super().__init__(DeviceId.decode(DEVICE_ID), Guid.from_uuid("00112233-4455-6677-8899-aabbccddeeff").raw)
        self.on = False
        self.actions: list[ChassisAction] = []

    def ssif_capabilities(self) -> SsifCapabilities:
        return SsifCapabilities(TransactionSupport.SINGLE_PART, False, 0, 32, 32)

    def chassis_status(self) -> ChassisStatus:
        return ChassisStatus(power_on=self.on)

    def chassis_control(self, action: ChassisAction) -> int:
        if action in (ChassisAction.POWER_CYCLE, ChassisAction.HARD_RESET) and not self.on:
            return CC.NOT_SUPPORTED_IN_PRESENT_STATE
        self.actions.append(action)
        self.on = action != ChassisAction.POWER_DOWN and action != ChassisAction.SOFT_SHUTDOWN
        return CC.OK

    def read_sensor(self, number: int) -> SensorReading | int:
        if number == 0x30:
            return SensorReading.decode(bytes.fromhex("2A C0 00 80"))
        if number == 0x31:
            return SensorReading.not_available()
        return CC.NOT_PRESENT

    def sensor_thresholds(self, number: int) -> SensorThresholds | int:
        return SensorThresholds(Threshold.UC, uc=0x90) if number == 0x30 else CC.NOT_PRESENT

    def fru_image(self, fru_id: int) -> bytes | None:
        return FRU if fru_id == 0 else None

    def power_reading(self) -> DcmiPowerReading:
        return DcmiPowerReading(300, 200, 600, 500, int(NOW), 1000, True)

    def dcmi_capabilities(self, parameter: int) -> DcmiCapabilities | int:
        return DcmiCapabilities(b"\x00\x01\x00") if parameter == 1 else CC.INVALID_DATA_FIELD


def make(max_response_data: int = 29, sel: bool = True, model: BaseModel | None = None) -> Responder:
    sdr = SdrRepository([MC_LOCATOR, FULL, COMPACT], 1000, 1000)
    return Responder(model or Chassis(), sdr, SelStore() if sel else None, max_response_data=max_response_data)


def ok(responder: Responder, request: Request) -> bytes:
    rsp = responder.handle(request, NOW)
    assert rsp.answers(request) and rsp.cc == CC.OK, f"{request.name}: {rsp.cc:02X}h"
    return rsp.data


# -- worked SSIF payloads (netFn<<2|LUN, cmd, data; checked by hand) ---------


def test_worked_ssif_payloads() -> None:
    r = make()
    assert r.handle_payload(bytes.fromhex("18 01"), NOW) == bytes.fromhex("1C 01 00") + DEVICE_ID
    assert len(r.handle_payload(bytes.fromhex("18 01"), NOW)) == 0x0E  # SSIF count byte 0E
    assert r.handle_payload(bytes.fromhex("00 02 01"), NOW) == bytes.fromhex("04 02 00")
    assert r.handle_payload(bytes.fromhex("10 2D 30"), NOW) == bytes.fromhex("14 2D 00 2A C0 00 80")
    assert r.handle_payload(bytes.fromhex("18 57 00"), NOW) == bytes.fromhex("1C 57 00 00 00 20 20")


def test_payload_lun_and_short_payloads() -> None:
    r = make()
    assert r.handle_payload(bytes.fromhex("1A 01"), NOW)[:3] == bytes.fromhex("1E 01 00")
    with pytest.raises(DecodeError):
        r.handle_payload(b"\x18", NOW)


# -- dispatch and generic completion codes --------------------------------


def test_table_covers_registered_commands() -> None:
    assert set(HANDLERS) <= set(COMMANDS)
    assert SEL_COMMANDS <= set(HANDLERS)


def test_unknown_and_malformed() -> None:
    r = make()
    assert r.handle(Request(NetFn.APP, 0xF0), NOW).cc == CC.INVALID_COMMAND
    assert r.handle(Request(NetFn.OEM_GROUP, 0x01, b"\x01"), NOW).cc == CC.INVALID_COMMAND
    assert r.handle(Request(NetFn.APP, 0x01, b"\x00"), NOW).cc == CC.REQUEST_DATA_LENGTH_INVALID
    assert r.handle(Request(NetFn.CHASSIS, 0x02, b"\x09"), NOW).cc == CC.INVALID_DATA_FIELD
    assert r.handle(Request(NetFn.STORAGE, 0x23, b"\x00" * 5), NOW).cc == CC.REQUEST_DATA_LENGTH_INVALID
    assert r.handle(Request(NetFn.STORAGE, 0x47, bytes.fromhex("01 00 43 4C 58 AA")), NOW).cc == CC.INVALID_DATA_FIELD


def test_response_that_does_not_fit_is_cah() -> None:
    class Big(Chassis):
        def dcmi_capabilities(self, parameter: int) -> DcmiCapabilities:
            return DcmiCapabilities(bytes(26))

    assert make(model=Big()).handle(dcmi.get_dcmi_capabilities(), NOW).cc == CC.CANNOT_RETURN_REQUESTED_BYTES
    assert make(max_response_data=64, model=Big()).handle(dcmi.get_dcmi_capabilities(), NOW).cc == CC.OK
    with pytest.raises(ValueError):
        make(max_response_data=17)


def test_model_bug_is_ffh_not_an_exception() -> None:
    class Broken(Chassis):
        def chassis_status(self) -> ChassisStatus:
            raise RuntimeError("boom")

        def device_guid(self) -> bytes:
            return b"short"

    r = make(model=Broken())
    assert r.handle(chassis.get_chassis_status(), NOW).cc == CC.UNSPECIFIED
    assert isinstance(r.last_exception, RuntimeError)
    assert r.handle(app.get_device_guid(), NOW).cc == CC.UNSPECIFIED
    assert ok(r, app.get_device_id()) == DEVICE_ID


# -- App -------------------------------------------------------------------


def test_app_commands() -> None:
    r = make()
    guid = Guid.decode(ok(r, app.get_device_guid()))
    assert guid.text == "00112233-4455-6677-8899-aabbccddeeff"
    assert ok(r, app.get_system_guid()) == guid.raw
    assert app.SelfTestResult.decode(ok(r, app.get_self_test_results())).passed
    caps = SsifCapabilities.decode(ok(r, app.get_system_interface_capabilities()))
    assert caps.max_response == 32
    kcs = r.handle(app.get_system_interface_capabilities(app.SystemInterface.KCS), NOW)
    assert kcs.cc == CC.INVALID_DATA_FIELD
    base = make(model=BaseModel())
    assert base.handle(app.get_system_interface_capabilities(), NOW).cc == CC.INVALID_COMMAND
    assert DeviceId.decode(ok(base, app.get_device_id())).ipmi_version_text == "2.0"


# -- Chassis ----------------------------------------------------------------


def test_power_control_and_status() -> None:
    r = make()
    assert not ChassisStatus.decode(ok(r, chassis.get_chassis_status())).power_on
    assert r.handle(chassis.chassis_control(ChassisAction.POWER_CYCLE), NOW).cc == CC.NOT_SUPPORTED_IN_PRESENT_STATE
    ok(r, chassis.chassis_control(ChassisAction.POWER_UP))
    assert ChassisStatus.decode(ok(r, chassis.get_chassis_status())).power_on
    ok(r, chassis.chassis_control(ChassisAction.POWER_CYCLE))
    base = make(model=BaseModel())
    assert base.handle(chassis.get_chassis_status(), NOW).cc == CC.INVALID_COMMAND


def test_boot_options() -> None:
    r = make()
    flags = BootFlags(valid=True, device=BootDevice.PXE)
    ok(r, chassis.set_system_boot_options(5, flags.encode()))
    reply = ok(r, chassis.get_system_boot_options(5))
    assert reply == bytes.fromhex("01 05 80 04 00 00 00")
    assert BootFlags.decode(chassis.BootOptions.decode(reply).data).device is BootDevice.PXE
    assert ok(r, chassis.get_system_boot_options(0)) == bytes.fromhex("01 00 00")
    assert r.handle(chassis.get_system_boot_options(0x60), NOW).cc == 0x80
    assert r.handle(chassis.set_system_boot_options(5, b"\x80"), NOW).cc == CC.REQUEST_DATA_LENGTH_INVALID
    assert r.handle(chassis.set_system_boot_options(0, b"\x03"), NOW).cc == CC.INVALID_DATA_FIELD
    ok(r, chassis.set_system_boot_options(5, flags.encode(), invalid=True))
    assert chassis.BootOptions.decode(ok(r, chassis.get_system_boot_options(5))).invalid


# -- Sensors ----------------------------------------------------------------


def test_sensors_dead_one_does_not_stop_the_rest() -> None:
    r = make()
    assert r.handle(sensor_cmds.get_sensor_reading(0x31), NOW).cc == CC.OK
    dead = SensorReading.decode(ok(r, sensor_cmds.get_sensor_reading(0x31)))
    assert dead.unavailable
    assert SensorReading.decode(ok(r, sensor_cmds.get_sensor_reading(0x30))).raw == 0x2A
    assert r.handle(sensor_cmds.get_sensor_reading(0x99), NOW).cc == CC.NOT_PRESENT
    t = SensorThresholds.decode(ok(r, sensor_cmds.get_sensor_thresholds(0x30)))
    assert t.values(Conversion()) == {Threshold.UC: 0x90}  # M=1: values are the raw bytes
    assert r.handle(sensor_params.get_sensor_hysteresis(0x30), NOW).cc == CC.INVALID_COMMAND
    assert r.handle(sensor_params.get_sensor_event_enable(0x30), NOW).cc == CC.INVALID_COMMAND
    assert r.handle(sensor_cmds.get_sensor_reading_factors(0x30, 0x10), NOW).cc == CC.NOT_PRESENT


# -- SDR --------------------------------------------------------------------


def _ipmitool_style_walk(r: Responder) -> tuple[list[bytes], int]:
    """Header first, then chunks starting at FFh and halving on CAh."""
    resv = storage.Reservation.decode(ok(r, storage.reserve_sdr_repository())).reservation
    rid, records, trips, size = 0, [], 0, READ_ALL
    while rid != LAST_RECORD:
        head = RecordChunk.decode(ok(r, storage.get_sdr(resv, rid, 0, 5)))
        body, total = head.data, head.data[4] + 5
        while len(body) < total:
            count = READ_ALL if size == READ_ALL else min(size, total - len(body))
            rsp = r.handle(storage.get_sdr(resv, rid, len(body), count), NOW)
            trips += 1
            if rsp.cc == CC.CANNOT_RETURN_REQUESTED_BYTES:
                size = 126 if size == READ_ALL else size // 2 - 1
                continue
            assert rsp.cc == CC.OK
            body += RecordChunk.decode(rsp.data).data
        records.append(body)
        rid = head.next_record_id
    return records, trips


def test_sdr_walk_over_ssif_and_lan() -> None:
    ssif, lan = make(29), make(250)
    info = storage.SdrRepositoryInfo.decode(ok(ssif, storage.get_sdr_repository_info()))
    assert info.count == 3 and info.last_addition == 1000
    records, ssif_trips = _ipmitool_style_walk(ssif)
    assert records == [MC_LOCATOR, FULL, COMPACT]
    records, lan_trips = _ipmitool_style_walk(lan)
    assert records == [MC_LOCATOR, FULL, COMPACT]
    assert lan_trips == 3 < ssif_trips


def test_sdr_reservation_lost_on_change() -> None:
    r = make()
    resv = storage.Reservation.decode(ok(r, storage.reserve_sdr_repository())).reservation
    ok(r, storage.get_sdr(resv, 2, 5, 10))
    r.sdr.replace([MC_LOCATOR, FULL], NOW)
    assert r.handle(storage.get_sdr(resv, 2, 5, 10), NOW).cc == CC.RESERVATION_CANCELLED
    assert r.handle(storage.get_sdr(0, 2, 0, 5), NOW).cc == CC.OK
    assert storage.SdrRepositoryInfo.decode(ok(r, storage.get_sdr_repository_info())).last_addition == int(NOW)


# -- SEL --------------------------------------------------------------------


def test_sel_commands() -> None:
    r = make()
    assert sel_cmds.SelInfo.decode(ok(r, sel_cmds.get_sel_info())).count == 0
    assert r.handle(sel_cmds.get_sel_entry(0, 0), NOW).cc == CC.NOT_PRESENT
    rid = sel_cmds.RecordId.decode(ok(r, sel_cmds.add_sel_entry(EVENT))).record_id
    entry = RecordChunk.decode(ok(r, sel_cmds.get_sel_entry(0, 0)))
    assert entry.next_record_id == LAST_RECORD and entry.data[:2] == rid.to_bytes(2, "little")
    ok(r, sel_cmds.set_sel_time(5000))
    assert sel_cmds.SelTime.decode(ok(r, sel_cmds.get_sel_time())).seconds == 5000
    assert r.handle(sel_cmds.clear_sel(0x4242), NOW).cc == CC.RESERVATION_CANCELLED
    resv = storage.Reservation.decode(ok(r, sel_cmds.reserve_sel())).reservation
    assert sel_cmds.ClearSelProgress.decode(ok(r, sel_cmds.clear_sel(resv))).completed
    assert sel_cmds.SelInfo.decode(ok(r, sel_cmds.get_sel_info())).last_erase == 5000


def test_sel_full_is_c4h() -> None:
    r = Responder(Chassis(), SdrRepository(), SelStore(capacity=1), max_response_data=29)
    ok(r, sel_cmds.add_sel_entry(EVENT))
    assert r.handle(sel_cmds.add_sel_entry(EVENT), NOW).cc == CC.OUT_OF_SPACE


def test_no_sel_means_c1h_for_every_sel_command() -> None:
    r = make(sel=False)
    for netfn, cmd in SEL_COMMANDS:
        assert r.handle(Request(netfn, cmd, b"\x00" * 6), NOW).cc == CC.INVALID_COMMAND


# -- FRU --------------------------------------------------------------------


def test_fru_reads_clamp_instead_of_failing() -> None:
    assert len(FRU) == 56 and FRU[-1] == 0xC9  # the product area's zero checksum
    r = make(29)
    assert fru_cmds.FruAreaInfo.decode(ok(r, fru_cmds.get_fru_inventory_area_info(0))) == fru_cmds.FruAreaInfo(56)
    first = fru_cmds.FruData.decode(ok(r, fru_cmds.read_fru_data(0, 0, 0xFF))).data
    assert first == FRU[:28]  # asked 255, got what fits: 29 - count byte
    image = b""
    while len(image) < len(FRU):
        image += fru_cmds.FruData.decode(ok(r, fru_cmds.read_fru_data(0, len(image), 0x80))).data
    assert image == FRU
    assert fru_cmds.FruData.decode(ok(r, fru_cmds.read_fru_data(0, 50, 0x20))).data == FRU[50:]
    assert r.handle(fru_cmds.read_fru_data(0, 56, 1), NOW).cc == CC.PARAMETER_OUT_OF_RANGE
    assert r.handle(fru_cmds.read_fru_data(1, 0, 1), NOW).cc == CC.NOT_PRESENT
    assert r.handle(fru_cmds.get_fru_inventory_area_info(1), NOW).cc == CC.NOT_PRESENT
    whole = fru_cmds.FruData.decode(ok(make(250), fru_cmds.read_fru_data(0, 0, 0xFF))).data
    assert whole == FRU


# -- DCMI -------------------------------------------------------------------


def test_dcmi() -> None:
    r = make()
    reading = DcmiPowerReading.decode(ok(r, dcmi.get_power_reading()))
    assert reading.current == 300 and reading.active
    caps = DcmiCapabilities.decode(ok(r, dcmi.get_dcmi_capabilities(1)))
    assert caps.data == b"\x00\x01\x00"
    assert r.handle(dcmi.get_dcmi_capabilities(2), NOW).cc == CC.INVALID_DATA_FIELD
    assert r.handle(dcmi.get_power_reading(mode=2), NOW).cc == CC.INVALID_DATA_FIELD
    bad_group = Request(NetFn.GROUP_EXTENSION, 0x02, bytes.fromhex("DD 01 00 00"))
    assert r.handle(bad_group, NOW).cc == CC.INVALID_DATA_FIELD
    base = make(model=BaseModel())
    assert base.handle(dcmi.get_power_reading(), NOW).cc == CC.INVALID_COMMAND


# -- Fuzz -------------------------------------------------------------------

known = st.sampled_from(sorted(HANDLERS))
anything = st.tuples(st.integers(0, 0x3F), st.integers(0, 0xFF))


@settings(max_examples=400, deadline=None)
@given(
    key=known | anything,
    data=st.binary(max_size=20),
    lun=st.integers(0, 3),
    room=st.sampled_from([18, 29, 61, 250]),
    with_sel=st.booleans(),
    base=st.booleans(),
)
def test_handle_never_raises(key, data, lun, room, with_sel, base) -> None:
    r = make(room, with_sel, BaseModel() if base else Chassis())
    req = Request(key[0], key[1], data, lun)
    rsp = r.handle(req, NOW)
    assert rsp.answers(req) and rsp.lun == lun
    assert 0 <= rsp.cc <= 0xFF
    assert len(rsp.data) <= room
    assert rsp.cc == CC.OK or rsp.data == b""
    assert r.last_exception is None
    payload = bytes([key[0] << 2 | lun, key[1]]) + data
    assert r.handle_payload(payload, NOW)[:3] == bytes([(key[0] | 1) << 2 | lun, key[1], rsp.cc])
