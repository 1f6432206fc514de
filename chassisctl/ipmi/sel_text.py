"""Names for sensor types and event offsets (IPMI v2.0 tables 42-1 to 42-3).

Data, not branches: :func:`event_text` looks an offset up by event/reading
type (threshold, generic discrete) or, for sensor-specific events (6Fh), by
sensor type.  Anything not in a table still gets a description with the raw
codes, so no event is ever printed as nothing.
"""

from __future__ import annotations

SENSOR_TYPES: dict[int, str] = {
    0x01: "Temperature", 0x02: "Voltage", 0x03: "Current", 0x04: "Fan",
    0x05: "Physical Security", 0x06: "Platform Security", 0x07: "Processor",
    0x08: "Power Supply", 0x09: "Power Unit", 0x0A: "Cooling Device", 0x0B: "Other Units",
    0x0C: "Memory", 0x0D: "Drive Slot / Bay", 0x0E: "POST Memory Resize",
    0x0F: "System Firmware Progress", 0x10: "Event Logging Disabled", 0x11: "Watchdog 1",
    0x12: "System Event", 0x13: "Critical Interrupt", 0x14: "Button / Switch",
    0x15: "Module / Board", 0x16: "Microcontroller / Coprocessor", 0x17: "Add-in Card",
    0x18: "Chassis", 0x19: "Chip Set", 0x1A: "Other FRU", 0x1B: "Cable / Interconnect",
    0x1C: "Terminator", 0x1D: "System Boot / Restart Initiated", 0x1E: "Boot Error",
    0x1F: "Base OS Boot / Installation Status", 0x20: "OS Stop / Shutdown",
    0x21: "Slot / Connector", 0x22: "System ACPI Power State", 0x23: "Watchdog 2",
    0x24: "Platform Alert", 0x25: "Entity Presence", 0x26: "Monitor ASIC / IC", 0x27: "LAN",
    0x28: "Management Subsystem Health", 0x29: "Battery", 0x2A: "Session Audit",
    0x2B: "Version Change", 0x2C: "FRU State",
}

#: Event/reading type 01h, offsets 00h-0Bh.
THRESHOLD_OFFSETS = tuple(
    f"{side} {level} going {way}"
    for side in ("Lower", "Upper")
    for level in ("Non-critical", "Critical", "Non-recoverable")
    for way in ("low", "high")
)

#: Generic discrete event/reading types 02h-0Ch.
GENERIC_OFFSETS: dict[int, tuple[str, ...]] = {
    0x02: ("Transition to Idle", "Transition to Active", "Transition to Busy"),
    0x03: ("State Deasserted", "State Asserted"),
    0x04: ("Predictive Failure deasserted", "Predictive Failure asserted"),
    0x05: ("Limit Not Exceeded", "Limit Exceeded"),
    0x06: ("Performance Met", "Performance Lags"),
    0x07: ("Transition to OK", "Transition to Non-Critical from OK",
           "Transition to Critical from less severe", "Transition to Non-recoverable from less severe",
           "Transition to Non-Critical from more severe", "Transition to Critical from Non-recoverable",
           "Transition to Non-recoverable", "Monitor", "Informational"),
    0x08: ("Device Absent", "Device Present"),
    0x09: ("Device Disabled", "Device Enabled"),
    0x0A: ("Transition to Running", "Transition to In Test", "Transition to Power Off",
           "Transition to On Line", "Transition to Off Line", "Transition to Off Duty",
           "Transition to Degraded", "Transition to Power Save", "Install Error"),
    0x0B: ("Fully Redundant", "Redundancy Lost", "Redundancy Degraded",
           "Non-redundant: Sufficient Resources from Redundant",
           "Non-redundant: Sufficient Resources from Insufficient Resources",
           "Non-redundant: Insufficient Resources", "Redundancy Degraded from Fully Redundant",
           "Redundancy Degraded from Non-redundant"),
    0x0C: ("D0 Power State", "D1 Power State", "D2 Power State", "D3 Power State"),
}

#: Sensor-specific offsets (event/reading type 6Fh) for the types chassis tools meet.
SENSOR_SPECIFIC_OFFSETS: dict[int, tuple[str, ...]] = {
    0x05: ("General Chassis intrusion", "Drive Bay intrusion", "I/O Card area intrusion",
           "Processor area intrusion", "LAN Leash Lost", "Unauthorized dock", "FAN area intrusion"),
    0x08: ("Presence detected", "Power Supply Failure detected", "Predictive Failure",
           "Power Supply input lost (AC/DC)", "Power Supply input lost or out-of-range",
           "Power Supply input out-of-range, but present", "Configuration error",
           "Power Supply Inactive"),
    0x09: ("Power Off / Power Down", "Power Cycle", "240VA Power Down", "Interlock Power Down",
           "AC lost", "Soft Power Control Failure", "Power Unit Failure detected",
           "Predictive Failure"),
    0x0F: ("System Firmware Error", "System Firmware Hang", "System Firmware Progress"),
    0x10: ("Correctable Memory Error Logging Disabled", "Event Type Logging Disabled",
           "Log Area Reset/Cleared", "All Event Logging Disabled", "SEL Full", "SEL Almost Full",
           "Correctable Machine Check Error Logging Disabled"),
    0x12: ("System Reconfigured", "OEM System Boot Event", "Undetermined system hardware failure",
           "Entry added to Auxiliary Log", "PEF Action", "Timestamp Clock Sync"),
    0x1D: ("Initiated by power up", "Initiated by hard reset", "Initiated by warm reset",
           "User requested PXE boot", "Automatic boot to diagnostic",
           "OS / run-time software initiated hard reset", "OS / run-time software initiated warm reset",
           "System Restart"),
    0x25: ("Entity Present", "Entity Absent", "Entity Disabled"),
}

#: Sensor types whose event data 2 carries a code worth showing (firmware progress/error).
_SHOW_DATA2 = {0x0F}


def sensor_type_name(code: int) -> str:
    if code in SENSOR_TYPES:
        return SENSOR_TYPES[code]
    return f"OEM sensor type {code:#04x}" if code >= 0xC0 else f"Sensor type {code:#04x}"


def _lookup(table: tuple[str, ...], offset: int) -> str:
    return table[offset] if offset < len(table) else f"Reserved offset {offset:#04x}"


def event_text(sensor_type: int, event_type: int, offset: int, extension: int | None = None) -> str:
    """Text of one event offset.  ``extension`` is event data 2 when data 1
    says it holds a sensor-specific extension code (bits 7:6 = 11b)."""
    if event_type == 0x01:
        return _lookup(THRESHOLD_OFFSETS, offset)
    if event_type in GENERIC_OFFSETS:
        return _lookup(GENERIC_OFFSETS[event_type], offset)
    if event_type == 0x6F:
        table = SENSOR_SPECIFIC_OFFSETS.get(sensor_type)
        if table is None:
            return f"Sensor-specific offset {offset:#04x}"
        text = _lookup(table, offset)
        if sensor_type in _SHOW_DATA2 and extension is not None:
            text += f" (code {extension:#04x})"
        return text
    if 0x70 <= event_type <= 0x7F:
        return f"OEM event type {event_type:#04x}, offset {offset:#04x}"
    return f"Event type {event_type:#04x}, offset {offset:#04x}"
