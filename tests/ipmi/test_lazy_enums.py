"""The enum views built on first use (chassisctl.lazy_enum) are the classes the
``class X(enum.IntEnum)`` statements used to make: same members, order,
values, module, repr and pickling, and the plain-int tables agree with them."""

from __future__ import annotations

import enum
import importlib
import pickle

import pytest

from chassisctl.lazy_enum import enum_getattr

#: (module, enum name, plain table name, enum base)
VIEWS = [("chassisctl.ipmi.codes", n, f"{n}Int", enum.IntEnum) for n in (
    "NetFn", "Privilege", "ChassisCmd", "SensorCmd", "AppCmd", "StorageCmd", "TransportCmd", "DcmiCmd",
    "CompletionCode")] + [
    ("chassisctl.ipmi.names", "SensorType", "SensorTypeInt", enum.IntEnum),
    ("chassisctl.ipmi.names", "EventReadingType", "EventReadingTypeInt", enum.IntEnum),
    ("chassisctl.ipmi.names", "EntityId", "EntityIdInt", enum.IntEnum),
    ("chassisctl.ipmi.units", "Unit", "UnitInt", enum.IntEnum),
    ("chassisctl.ipmi.units", "ModifierRelation", "ModifierRelationInt", enum.IntEnum),
    ("chassisctl.ipmi.units", "RateUnit", "RateUnitInt", enum.IntEnum),
    ("chassisctl.ipmi.sdr_format", "RecordType", "RecordTypeInt", enum.IntEnum),
    ("chassisctl.ipmi.sdr_format", "IdType", "IdTypeInt", enum.IntEnum),
    ("chassisctl.ipmi.sdr", "McCapability", "McCapabilityInt", enum.IntFlag),
    ("chassisctl.ipmi.storage", "SdrRepoSupport", "SdrRepoSupportInt", enum.IntFlag),
    ("chassisctl.ipmi.ssif", "SsifCmd", "SsifCmdInt", enum.IntEnum),
    ("chassisctl.ipmi.ssif", "TransactionSupport", "TransactionSupportInt", enum.IntEnum),
    ("chassisctl.ipmi.conversion", "AnalogFormat", "AnalogFormatInt", enum.IntEnum),
    ("chassisctl.ipmi.conversion", "Linearization", "LinearizationInt", enum.IntEnum),
]

#: Re-exports: (module, name, the module that builds it).
REEXPORTS = [("chassisctl.ipmi.sdr", "IdType", "chassisctl.ipmi.sdr_format"),
             ("chassisctl.ipmi.sdr", "RecordType", "chassisctl.ipmi.sdr_format"),
             ("chassisctl.ipmi.sensor", "AnalogFormat", "chassisctl.ipmi.conversion"),
             ("chassisctl.ipmi.sensor", "Linearization", "chassisctl.ipmi.conversion")]


@pytest.mark.parametrize("module, name, origin", REEXPORTS, ids=lambda v: v if isinstance(v, str) else "")
def test_reexport_is_the_same_class(module, name, origin) -> None:
    assert getattr(importlib.import_module(module), name) is getattr(importlib.import_module(origin), name)


@pytest.mark.parametrize("module, name, table, base", VIEWS, ids=lambda v: v if isinstance(v, str) else "")
def test_view_matches_its_table(module, name, table, base) -> None:
    mod = importlib.import_module(module)
    cls = getattr(mod, name)
    plain = getattr(mod, table)
    assert issubclass(cls, base)
    assert cls.__module__ == module and cls.__qualname__ == name
    expected = [(k, v) for k, v in vars(plain).items() if not k.startswith("_")]
    assert [(m.name, m.value) for m in cls] == expected
    for k, v in expected:
        member = getattr(cls, k)
        assert member == v and cls(v) is member
        assert repr(member) == f"<{name}.{k}: {v}>"
        assert pickle.loads(pickle.dumps(member)) is member
    assert getattr(mod, name) is cls  # built once, then a module global


def test_privilege_doc_kept() -> None:
    from chassisctl.ipmi.codes import Privilege

    assert Privilege.__doc__ and "privilege" in Privilege.__doc__


def test_unknown_name_is_an_attribute_error() -> None:
    getattr_ = enum_getattr("m", {}, {})
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        getattr_("Nope")


def test_command_info_privilege_prints_as_before() -> None:
    from chassisctl.ipmi.codes import Privilege, command_info

    info = command_info(0x06, 0x01)
    assert info.privilege == Privilege.USER and Privilege(info.privilege).name == "USER"


def test_a_module_calling_its_getattr_gets_the_one_class() -> None:
    from chassisctl.ipmi import ssif, storage

    assert ssif.__getattr__("TransactionSupport") is ssif.TransactionSupport is ssif.__getattr__("TransactionSupport")
    assert storage.__getattr__("SdrRepoSupport") is storage.SdrRepoSupport


def test_status_on_plain_ints_matches_the_threshold_flags() -> None:
    """sensor.status tests the crossed thresholds as ints now; the IntFlag answer for every byte."""
    from chassisctl.ipmi.sensor import status
    from chassisctl.ipmi.sensor_cmds import ReadingFlags, SensorReading, Threshold

    def by_flags(reading: SensorReading) -> str:
        if not reading.flags & ReadingFlags.SCANNING_ENABLED:
            return "ns"
        if reading.flags & ReadingFlags.UNAVAILABLE:
            return "na"
        crossed = reading.thresholds
        for mask, word in ((Threshold.LNR | Threshold.UNR, "nr"), (Threshold.LC | Threshold.UC, "cr"),
                           (Threshold.LNC | Threshold.UNC, "nc")):
            if crossed & mask:
                return word
        return "ok"

    for flags in range(0, 256, 0x20):
        for state in (b"", *(bytes([b, 0x80]) for b in range(256))):
            reading = SensorReading.decode(bytes([0x10, flags]) + state)
            assert status(reading) == by_flags(reading), (flags, state)
            assert reading.events_enabled == bool(reading.flags & ReadingFlags.EVENTS_ENABLED)
