"""Names for the codes SDRs and events carry: sensor types, entities, states.

IPMI v2.0 tables 42-1 (event/reading type codes), 42-2 (generic discrete
offsets), 42-3 (sensor types and their sensor-specific offsets) and 43-13
(entity IDs).  The single source of this vocabulary: a sensor listing, the
SEL decoder (:mod:`chassisctl.ipmi.sel`) and the simulator's descriptions
all read these tables.  Where texts differ between the spec and ipmitool,
the wording operators know from ipmitool output wins ("Presence detected",
"Power Supply AC lost").  Only the offsets chassis tools meet in practice
are spelt out; the rest print as ``state <n>`` (or, in the SEL, with their
raw codes).

Threshold event offsets (type 01h, "Upper Critical going high") are not
states a reading can assert: they name event directions, and live with
the SEL code that prints them.
"""

from __future__ import annotations

from chassisctl.lazy_enum import enum_getattr



class SensorTypeInt:
    """SensorType as plain ints (:class:`SensorType` is the IntEnum of this table)."""

    TEMPERATURE = 0x01
    VOLTAGE = 0x02
    CURRENT = 0x03
    FAN = 0x04
    PHYSICAL_SECURITY = 0x05
    PLATFORM_SECURITY = 0x06
    PROCESSOR = 0x07
    POWER_SUPPLY = 0x08
    POWER_UNIT = 0x09
    COOLING_DEVICE = 0x0A
    OTHER_UNITS = 0x0B
    MEMORY = 0x0C
    DRIVE_SLOT = 0x0D
    BUTTON = 0x14
    WATCHDOG2 = 0x23
    ENTITY_PRESENCE = 0x25
    BATTERY = 0x29


class EventReadingTypeInt:
    """EventReadingType as plain ints (:class:`EventReadingType` is the IntEnum of this table)."""

    UNSPECIFIED = 0x00
    THRESHOLD = 0x01
    SENSOR_SPECIFIC = 0x6F


class EntityIdInt:
    """EntityId as plain ints (:class:`EntityId` is the IntEnum of this table)."""

    PROCESSOR = 0x03
    SYSTEM_MANAGEMENT_MODULE = 0x06
    SYSTEM_BOARD = 0x07
    MEMORY_MODULE = 0x08
    POWER_SUPPLY = 0x0A
    SYSTEM_CHASSIS = 0x17
    FAN = 0x1D
    AIR_INLET = 0x37


_SENSOR_TYPES: tuple[str, ...] = (
    "reserved",
    "Temperature",
    "Voltage",
    "Current",
    "Fan",
    "Physical Security",
    "Platform Security",
    "Processor",
    "Power Supply",
    "Power Unit",
    "Cooling Device",
    "Other Units-based Sensor",
    "Memory",
    "Drive Slot / Bay",
    "POST Memory Resize",
    "System Firmware Progress",
    "Event Logging Disabled",
    "Watchdog 1",
    "System Event",
    "Critical Interrupt",
    "Button / Switch",
    "Module / Board",
    "Microcontroller / Coprocessor",
    "Add-in Card",
    "Chassis",
    "Chip Set",
    "Other FRU",
    "Cable / Interconnect",
    "Terminator",
    "System Boot / Restart Initiated",
    "Boot Error",
    "Base OS Boot / Installation Status",
    "OS Stop / Shutdown",
    "Slot / Connector",
    "System ACPI Power State",
    "Watchdog 2",
    "Platform Alert",
    "Entity Presence",
    "Monitor ASIC / IC",
    "LAN",
    "Management Subsystem Health",
    "Battery",
    "Session Audit",
    "Version Change",
    "FRU State",
)


def sensor_type_name(code: int) -> str:
    if 0 <= code < len(_SENSOR_TYPES):
        return _SENSOR_TYPES[code]
    return f"OEM ({code:02X}h)" if code >= 0xC0 else f"reserved ({code:02X}h)"


_ENTITIES: tuple[str, ...] = (
    "unspecified",
    "other",
    "unknown",
    "processor",
    "disk or disk bay",
    "peripheral bay",
    "system management module",
    "system board",
    "memory module",
    "processor module",
    "power supply",
    "add-in card",
    "front panel board",
    "back panel board",
    "power system board",
    "drive backplane",
    "system internal expansion board",
    "other system board",
    "processor board",
    "power unit / power domain",
    "power module / DC-to-DC converter",
    "power management / power distribution board",
    "chassis back panel board",
    "system chassis",
    "sub-chassis",
    "other chassis board",
    "disk drive bay",
    "peripheral bay",
    "device bay",
    "fan / cooling device",
    "cooling unit / cooling domain",
    "cable / interconnect",
    "memory device",
    "system management software",
    "system firmware",
    "operating system",
    "system bus",
    "group",
    "remote management communication device",
    "external environment",
    "battery",
    "processing blade",
    "connectivity switch",
    "processor / memory module",
    "I/O module",
    "processor / I/O module",
    "management controller firmware",
    "IPMI channel",
    "PCI bus",
    "PCI Express bus",
    "SCSI bus (parallel)",
    "SATA / SAS bus",
    "processor / front-side bus",
    "real time clock",
    "reserved",
    "air inlet",
)

#: DCMI's entity IDs (DCMI v1.5 §6.6), used by some BMCs instead of 37h / 03h / 07h.
_DCMI_ENTITIES = {0x40: "air inlet", 0x41: "processor", 0x42: "baseboard"}


def entity_name(code: int) -> str:
    if 0 <= code < len(_ENTITIES):
        return _ENTITIES[code]
    if code in _DCMI_ENTITIES:
        return _DCMI_ENTITIES[code]
    if 0x90 <= code <= 0xAF:
        return f"chassis-specific ({code:02X}h)"
    if 0xB0 <= code <= 0xCF:
        return f"board-set specific ({code:02X}h)"
    if code >= 0xD0:
        return f"OEM ({code:02X}h)"
    return f"reserved ({code:02X}h)"


def event_reading_type_name(code: int) -> str:
    if code == 0x00:
        return "unspecified"
    if code == 0x01:
        return "threshold"
    if 0x02 <= code <= 0x0C:
        return "generic discrete"
    if code == 0x6F:
        return "sensor-specific"
    if 0x70 <= code <= 0x7F:
        return "OEM"
    return f"reserved ({code:02X}h)"


#: Generic discrete offsets by event/reading type 02h-0Ch (table 42-2).
GENERIC_OFFSETS: dict[int, tuple[str, ...]] = {
    0x02: ("Transition to Idle", "Transition to Active", "Transition to Busy"),
    0x03: ("State Deasserted", "State Asserted"),
    0x04: ("Predictive Failure deasserted", "Predictive Failure asserted"),
    0x05: ("Limit Not Exceeded", "Limit Exceeded"),
    0x06: ("Performance Met", "Performance Lags"),
    0x07: (
        "Transition to OK",
        "Transition to Non-Critical from OK",
        "Transition to Critical from less severe",
        "Transition to Non-recoverable from less severe",
        "Transition to Non-Critical from more severe",
        "Transition to Critical from Non-recoverable",
        "Transition to Non-recoverable",
        "Monitor",
        "Informational",
    ),
    0x08: ("Device Absent", "Device Present"),
    0x09: ("Device Disabled", "Device Enabled"),
    0x0A: (
        "Transition to Running",
        "Transition to In Test",
        "Transition to Power Off",
        "Transition to On Line",
        "Transition to Off Line",
        "Transition to Off Duty",
        "Transition to Degraded",
        "Transition to Power Save",
        "Install Error",
    ),
    0x0B: (
        "Fully Redundant",
        "Redundancy Lost",
        "Redundancy Degraded",
        "Non-redundant: Sufficient Resources from Redundant",
        "Non-redundant: Sufficient Resources from Insufficient Resources",
        "Non-redundant: Insufficient Resources",
        "Redundancy Degraded from Fully Redundant",
        "Redundancy Degraded from Non-redundant",
    ),
    0x0C: ("D0 Power State", "D1 Power State", "D2 Power State", "D3 Power State"),
}

#: Sensor-specific offsets (event/reading type 6Fh) by sensor type (table 42-3).
SENSOR_SPECIFIC_OFFSETS: dict[int, tuple[str, ...]] = {
    0x05: (
        "General Chassis intrusion",
        "Drive Bay intrusion",
        "I/O Card area intrusion",
        "Processor area intrusion",
        "LAN Leash Lost",
        "Unauthorized dock",
        "FAN area intrusion",
    ),
    0x07: (
        "IERR",
        "Thermal Trip",
        "FRB1/BIST failure",
        "FRB2/Hang in POST failure",
        "FRB3/Processor Startup/Initialization failure",
        "Configuration Error",
        "SM BIOS Uncorrectable CPU-complex Error",
        "Presence detected",
        "Disabled",
        "Terminator Presence Detected",
        "Throttled",
        "Uncorrectable Machine Check Exception",
        "Correctable Machine Check Error",
    ),
    0x08: (
        "Presence detected",
        "Failure detected",
        "Predictive failure",
        "Power Supply AC lost",
        "AC lost or out-of-range",
        "AC out-of-range, but present",
        "Configuration error",
        "Power Supply Inactive",
    ),
    0x09: (
        "Power Off / Power Down",
        "Power Cycle",
        "240VA Power Down",
        "Interlock Power Down",
        "AC lost",
        "Soft Power Control Failure",
        "Power Unit Failure detected",
        "Predictive Failure",
    ),
    0x0C: (
        "Correctable ECC",
        "Uncorrectable ECC",
        "Parity",
        "Memory Scrub Failed",
        "Memory Device Disabled",
        "Correctable ECC logging limit reached",
        "Presence detected",
        "Configuration error",
        "Spare",
        "Throttled",
        "Critical Overtemperature",
    ),
    0x0D: (
        "Drive Present",
        "Drive Fault",
        "Predictive Failure",
        "Hot Spare",
        "Parity Check In Progress",
        "In Critical Array",
        "In Failed Array",
        "Rebuild In Progress",
        "Rebuild Aborted",
    ),
    0x0F: ("System Firmware Error", "System Firmware Hang", "System Firmware Progress"),
    0x10: (
        "Correctable Memory Error Logging Disabled",
        "Event Type Logging Disabled",
        "Log Area Reset/Cleared",
        "All Event Logging Disabled",
        "SEL Full",
        "SEL Almost Full",
        "Correctable Machine Check Error Logging Disabled",
    ),
    0x12: (
        "System Reconfigured",
        "OEM System Boot Event",
        "Undetermined system hardware failure",
        "Entry added to Auxiliary Log",
        "PEF Action",
        "Timestamp Clock Sync",
    ),
    0x14: (
        "Power Button pressed",
        "Sleep Button pressed",
        "Reset Button pressed",
        "FRU latch open",
        "FRU service request button",
    ),
    0x1D: (
        "Initiated by power up",
        "Initiated by hard reset",
        "Initiated by warm reset",
        "User requested PXE boot",
        "Automatic boot to diagnostic",
        "OS / run-time software initiated hard reset",
        "OS / run-time software initiated warm reset",
        "System Restart",
    ),
    0x23: (
        "Timer expired",
        "Hard Reset",
        "Power Down",
        "Power Cycle",
        "reserved",
        "reserved",
        "reserved",
        "reserved",
        "Timer interrupt",
    ),
    0x25: ("Entity Present", "Entity Absent", "Entity Disabled"),
    0x29: ("Low (predictive failure)", "Failed", "Presence detected"),
}


def offset_table(event_reading_type: int, sensor_type: int) -> tuple[str, ...] | None:
    """The offset texts for a generic (02h-0Ch) or sensor-specific (6Fh)
    reading type, or None when no table names them."""
    if event_reading_type == 0x6F:
        return SENSOR_SPECIFIC_OFFSETS.get(sensor_type)
    return GENERIC_OFFSETS.get(event_reading_type)


def state_text(event_reading_type: int, sensor_type: int, offset: int) -> str | None:
    """Text for one discrete offset, or None when no table names it."""
    table = offset_table(event_reading_type, sensor_type) or ()
    return table[offset] if 0 <= offset < len(table) else None


def state_texts(event_reading_type: int, sensor_type: int, state_bits: int) -> list[str]:
    """Texts of every asserted offset in a 15-bit discrete state mask."""
    out = []
    for offset in range(15):
        if state_bits >> offset & 1:
            out.append(state_text(event_reading_type, sensor_type, offset) or f"state {offset}")
    return out


TYPE_CHECKING = False
if TYPE_CHECKING:
    import enum

    # What mypy sees; at run time each enum is built from its plain-int
    # table on first use (chassisctl.lazy_enum).
    class SensorType(SensorTypeInt, enum.IntEnum): ...

    class EventReadingType(EventReadingTypeInt, enum.IntEnum): ...

    class EntityId(EntityIdInt, enum.IntEnum): ...


__getattr__ = enum_getattr(__name__, globals(), {
    "SensorType": ("IntEnum", SensorTypeInt, None),
    "EventReadingType": ("IntEnum", EventReadingTypeInt, None),
    "EntityId": ("IntEnum", EntityIdInt, None),
})
