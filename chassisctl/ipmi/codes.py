"""Network functions, the command registry and completion codes, as data.

The registry answers the questions several layers ask about a request
without each keeping its own list: its name (``--debug`` traces, logs), the
lowest session privilege allowed to send it over LAN (``serve``), and whether
re-sending it after an unanswered write is harmless (the SSIF transport: a
Chassis Control must never be sent twice).  :class:`CompletionCodeError`
is what a client raises when the answer carries a completion code other than
00h.
"""

from __future__ import annotations

from chassisctl.namedtuple import NamedTuple

from chassisctl.errors import ChassisError, ExitCode
from chassisctl.lazy_enum import enum_getattr



class NetFnInt:
    """NetFn as plain ints (:class:`NetFn` is the IntEnum of this table)."""

    CHASSIS = 0x00
    BRIDGE = 0x02
    SENSOR_EVENT = 0x04
    APP = 0x06
    FIRMWARE = 0x08
    STORAGE = 0x0A
    TRANSPORT = 0x0C
    GROUP_EXTENSION = 0x2C
    OEM_GROUP = 0x2E


class PrivilegeInt:
    """Session privilege levels (IPMI v2.0 §6.8); 0 in Open Session = highest.

    Plain ints (:class:`Privilege` is the IntEnum of this table)."""

    CALLBACK = 1
    USER = 2
    OPERATOR = 3
    ADMINISTRATOR = 4
    OEM = 5


#: Group extension identifier carried as the first data byte of DCMI commands.
DCMI_GROUP = 0xDC


class ChassisCmdInt:
    """ChassisCmd as plain ints (:class:`ChassisCmd` is the IntEnum of this table)."""

    GET_CHASSIS_CAPABILITIES = 0x00
    GET_CHASSIS_STATUS = 0x01
    CHASSIS_CONTROL = 0x02
    CHASSIS_RESET = 0x03
    CHASSIS_IDENTIFY = 0x04
    SET_POWER_RESTORE_POLICY = 0x06
    GET_SYSTEM_RESTART_CAUSE = 0x07
    SET_SYSTEM_BOOT_OPTIONS = 0x08
    GET_SYSTEM_BOOT_OPTIONS = 0x09
    GET_POH_COUNTER = 0x0F


class SensorCmdInt:
    """SensorCmd as plain ints (:class:`SensorCmd` is the IntEnum of this table)."""

    SET_EVENT_RECEIVER = 0x00
    GET_EVENT_RECEIVER = 0x01
    PLATFORM_EVENT = 0x02
    GET_DEVICE_SDR_INFO = 0x20
    GET_DEVICE_SDR = 0x21
    RESERVE_DEVICE_SDR_REPOSITORY = 0x22
    GET_SENSOR_READING_FACTORS = 0x23
    SET_SENSOR_HYSTERESIS = 0x24
    GET_SENSOR_HYSTERESIS = 0x25
    SET_SENSOR_THRESHOLDS = 0x26
    GET_SENSOR_THRESHOLDS = 0x27
    SET_SENSOR_EVENT_ENABLE = 0x28
    GET_SENSOR_EVENT_ENABLE = 0x29
    GET_SENSOR_EVENT_STATUS = 0x2B
    GET_SENSOR_READING = 0x2D
    GET_SENSOR_TYPE = 0x2F


class AppCmdInt:
    """AppCmd as plain ints (:class:`AppCmd` is the IntEnum of this table)."""

    GET_DEVICE_ID = 0x01
    COLD_RESET = 0x02
    WARM_RESET = 0x03
    GET_SELF_TEST_RESULTS = 0x04
    SET_ACPI_POWER_STATE = 0x06
    GET_ACPI_POWER_STATE = 0x07
    GET_DEVICE_GUID = 0x08
    RESET_WATCHDOG_TIMER = 0x22
    SET_WATCHDOG_TIMER = 0x24
    GET_WATCHDOG_TIMER = 0x25
    SET_BMC_GLOBAL_ENABLES = 0x2E
    GET_BMC_GLOBAL_ENABLES = 0x2F
    CLEAR_MESSAGE_FLAGS = 0x30
    GET_MESSAGE_FLAGS = 0x31
    GET_MESSAGE = 0x33
    SEND_MESSAGE = 0x34
    READ_EVENT_MESSAGE_BUFFER = 0x35
    GET_SYSTEM_GUID = 0x37
    GET_CHANNEL_AUTH_CAPABILITIES = 0x38
    GET_SESSION_CHALLENGE = 0x39
    ACTIVATE_SESSION = 0x3A
    SET_SESSION_PRIVILEGE_LEVEL = 0x3B
    CLOSE_SESSION = 0x3C
    GET_SESSION_INFO = 0x3D
    SET_CHANNEL_ACCESS = 0x40
    GET_CHANNEL_ACCESS = 0x41
    GET_CHANNEL_INFO = 0x42
    SET_USER_ACCESS = 0x43
    GET_USER_ACCESS = 0x44
    SET_USER_NAME = 0x45
    GET_USER_NAME = 0x46
    SET_USER_PASSWORD = 0x47
    GET_CHANNEL_CIPHER_SUITES = 0x54
    GET_SYSTEM_INTERFACE_CAPABILITIES = 0x57
    SET_SYSTEM_INFO_PARAMETERS = 0x58
    GET_SYSTEM_INFO_PARAMETERS = 0x59


class StorageCmdInt:
    """StorageCmd as plain ints (:class:`StorageCmd` is the IntEnum of this table)."""

    GET_FRU_INVENTORY_AREA_INFO = 0x10
    READ_FRU_DATA = 0x11
    WRITE_FRU_DATA = 0x12
    GET_SDR_REPOSITORY_INFO = 0x20
    GET_SDR_REPOSITORY_ALLOCATION_INFO = 0x21
    RESERVE_SDR_REPOSITORY = 0x22
    GET_SDR = 0x23
    GET_SEL_INFO = 0x40
    GET_SEL_ALLOCATION_INFO = 0x41
    RESERVE_SEL = 0x42
    GET_SEL_ENTRY = 0x43
    ADD_SEL_ENTRY = 0x44
    DELETE_SEL_ENTRY = 0x46
    CLEAR_SEL = 0x47
    GET_SEL_TIME = 0x48
    SET_SEL_TIME = 0x49


class TransportCmdInt:
    """TransportCmd as plain ints (:class:`TransportCmd` is the IntEnum of this table)."""

    SET_LAN_CONFIGURATION_PARAMETERS = 0x01
    GET_LAN_CONFIGURATION_PARAMETERS = 0x02


class DcmiCmdInt:
    """DcmiCmd as plain ints (:class:`DcmiCmd` is the IntEnum of this table)."""

    GET_DCMI_CAPABILITIES = 0x01
    GET_POWER_READING = 0x02


class CommandInfo(NamedTuple):
    """One registry entry (a NamedTuple: the table below builds ~90 at import)."""

    name: str
    #: Lowest session privilege that may send it over LAN (IPMI v2.0 App. G).
    privilege: int
    #: True when executing it twice has the same effect as once.
    idempotent: bool


_U, _O, _A = PrivilegeInt.USER, PrivilegeInt.OPERATOR, PrivilegeInt.ADMINISTRATOR

#: (netfn, cmd) -> CommandInfo.  Reads are idempotent; anything that changes
#: state, or reserves (a reservation cancels other holders'), is not.
_N, _S, _APP, _ST, _CH, _T, _D, _P = (NetFnInt, SensorCmdInt, AppCmdInt, StorageCmdInt, ChassisCmdInt, TransportCmdInt,
                                       DcmiCmdInt, PrivilegeInt)

COMMANDS: dict[tuple[int, int], CommandInfo] = {
    (_N.CHASSIS, _CH.GET_CHASSIS_CAPABILITIES): CommandInfo("Get Chassis Capabilities", _U, True),
    (_N.CHASSIS, _CH.GET_CHASSIS_STATUS): CommandInfo("Get Chassis Status", _U, True),
    (_N.CHASSIS, _CH.CHASSIS_CONTROL): CommandInfo("Chassis Control", _O, False),
    (_N.CHASSIS, _CH.CHASSIS_RESET): CommandInfo("Chassis Reset", _O, False),
    (_N.CHASSIS, _CH.CHASSIS_IDENTIFY): CommandInfo("Chassis Identify", _O, False),
    (_N.CHASSIS, _CH.SET_POWER_RESTORE_POLICY): CommandInfo("Set Power Restore Policy", _O, False),
    (_N.CHASSIS, _CH.GET_SYSTEM_RESTART_CAUSE): CommandInfo("Get System Restart Cause", _U, True),
    (_N.CHASSIS, _CH.SET_SYSTEM_BOOT_OPTIONS): CommandInfo("Set System Boot Options", _O, False),
    (_N.CHASSIS, _CH.GET_SYSTEM_BOOT_OPTIONS): CommandInfo("Get System Boot Options", _O, True),
    (_N.CHASSIS, _CH.GET_POH_COUNTER): CommandInfo("Get POH Counter", _U, True),
    (_N.SENSOR_EVENT, _S.SET_EVENT_RECEIVER): CommandInfo("Set Event Receiver", _A, False),
    (_N.SENSOR_EVENT, _S.GET_EVENT_RECEIVER): CommandInfo("Get Event Receiver", _U, True),
    (_N.SENSOR_EVENT, _S.PLATFORM_EVENT): CommandInfo("Platform Event", _O, False),
    (_N.SENSOR_EVENT, _S.GET_DEVICE_SDR_INFO): CommandInfo("Get Device SDR Info", _U, True),
    (_N.SENSOR_EVENT, _S.GET_DEVICE_SDR): CommandInfo("Get Device SDR", _U, True),
    (_N.SENSOR_EVENT, _S.RESERVE_DEVICE_SDR_REPOSITORY):
        CommandInfo("Reserve Device SDR Repository", _U, False),
    (_N.SENSOR_EVENT, _S.GET_SENSOR_READING_FACTORS): CommandInfo("Get Sensor Reading Factors", _U, True),
    (_N.SENSOR_EVENT, _S.SET_SENSOR_HYSTERESIS): CommandInfo("Set Sensor Hysteresis", _O, False),
    (_N.SENSOR_EVENT, _S.GET_SENSOR_HYSTERESIS): CommandInfo("Get Sensor Hysteresis", _U, True),
    (_N.SENSOR_EVENT, _S.SET_SENSOR_THRESHOLDS): CommandInfo("Set Sensor Thresholds", _O, False),
    (_N.SENSOR_EVENT, _S.GET_SENSOR_THRESHOLDS): CommandInfo("Get Sensor Thresholds", _U, True),
    (_N.SENSOR_EVENT, _S.SET_SENSOR_EVENT_ENABLE): CommandInfo("Set Sensor Event Enable", _O, False),
    (_N.SENSOR_EVENT, _S.GET_SENSOR_EVENT_ENABLE): CommandInfo("Get Sensor Event Enable", _U, True),
    (_N.SENSOR_EVENT, _S.GET_SENSOR_EVENT_STATUS): CommandInfo("Get Sensor Event Status", _U, True),
    (_N.SENSOR_EVENT, _S.GET_SENSOR_READING): CommandInfo("Get Sensor Reading", _U, True),
    (_N.SENSOR_EVENT, _S.GET_SENSOR_TYPE): CommandInfo("Get Sensor Type", _U, True),
    (_N.APP, _APP.GET_DEVICE_ID): CommandInfo("Get Device ID", _U, True),
    (_N.APP, _APP.COLD_RESET): CommandInfo("Cold Reset", _A, False),
    (_N.APP, _APP.WARM_RESET): CommandInfo("Warm Reset", _A, False),
    (_N.APP, _APP.GET_SELF_TEST_RESULTS): CommandInfo("Get Self Test Results", _U, True),
    (_N.APP, _APP.SET_ACPI_POWER_STATE): CommandInfo("Set ACPI Power State", _A, False),
    (_N.APP, _APP.GET_ACPI_POWER_STATE): CommandInfo("Get ACPI Power State", _U, True),
    (_N.APP, _APP.GET_DEVICE_GUID): CommandInfo("Get Device GUID", _U, True),
    (_N.APP, _APP.RESET_WATCHDOG_TIMER): CommandInfo("Reset Watchdog Timer", _O, False),
    (_N.APP, _APP.SET_WATCHDOG_TIMER): CommandInfo("Set Watchdog Timer", _O, False),
    (_N.APP, _APP.GET_WATCHDOG_TIMER): CommandInfo("Get Watchdog Timer", _U, True),
    (_N.APP, _APP.SET_BMC_GLOBAL_ENABLES): CommandInfo("Set BMC Global Enables", _A, False),
    (_N.APP, _APP.GET_BMC_GLOBAL_ENABLES): CommandInfo("Get BMC Global Enables", _U, True),
    (_N.APP, _APP.CLEAR_MESSAGE_FLAGS): CommandInfo("Clear Message Flags", _A, False),
    (_N.APP, _APP.GET_MESSAGE_FLAGS): CommandInfo("Get Message Flags", _A, True),
    (_N.APP, _APP.GET_MESSAGE): CommandInfo("Get Message", _A, False),
    (_N.APP, _APP.SEND_MESSAGE): CommandInfo("Send Message", _U, False),
    (_N.APP, _APP.READ_EVENT_MESSAGE_BUFFER): CommandInfo("Read Event Message Buffer", _A, False),
    (_N.APP, _APP.GET_SYSTEM_GUID): CommandInfo("Get System GUID", _U, True),
    (_N.APP, _APP.GET_CHANNEL_AUTH_CAPABILITIES):
        CommandInfo("Get Channel Authentication Capabilities", _P.CALLBACK, True),
    (_N.APP, _APP.GET_SESSION_CHALLENGE): CommandInfo("Get Session Challenge", _P.CALLBACK, False),
    (_N.APP, _APP.ACTIVATE_SESSION): CommandInfo("Activate Session", _P.CALLBACK, False),
    (_N.APP, _APP.SET_SESSION_PRIVILEGE_LEVEL):
        CommandInfo("Set Session Privilege Level", _P.CALLBACK, False),
    (_N.APP, _APP.CLOSE_SESSION): CommandInfo("Close Session", _P.CALLBACK, False),
    (_N.APP, _APP.GET_SESSION_INFO): CommandInfo("Get Session Info", _U, True),
    (_N.APP, _APP.SET_CHANNEL_ACCESS): CommandInfo("Set Channel Access", _A, False),
    (_N.APP, _APP.GET_CHANNEL_ACCESS): CommandInfo("Get Channel Access", _U, True),
    (_N.APP, _APP.GET_CHANNEL_INFO): CommandInfo("Get Channel Info", _U, True),
    (_N.APP, _APP.SET_USER_ACCESS): CommandInfo("Set User Access", _A, False),
    (_N.APP, _APP.GET_USER_ACCESS): CommandInfo("Get User Access", _O, True),
    (_N.APP, _APP.SET_USER_NAME): CommandInfo("Set User Name", _A, False),
    (_N.APP, _APP.GET_USER_NAME): CommandInfo("Get User Name", _O, True),
    (_N.APP, _APP.SET_USER_PASSWORD): CommandInfo("Set User Password", _A, False),
    (_N.APP, _APP.GET_CHANNEL_CIPHER_SUITES): CommandInfo("Get Channel Cipher Suites", _P.CALLBACK, True),
    (_N.APP, _APP.GET_SYSTEM_INTERFACE_CAPABILITIES): CommandInfo("Get System Interface Capabilities", _U, True),
    (_N.APP, _APP.SET_SYSTEM_INFO_PARAMETERS): CommandInfo("Set System Info Parameters", _A, False),
    (_N.APP, _APP.GET_SYSTEM_INFO_PARAMETERS): CommandInfo("Get System Info Parameters", _U, True),
    (_N.STORAGE, _ST.GET_FRU_INVENTORY_AREA_INFO): CommandInfo("Get FRU Inventory Area Info", _U, True),
    (_N.STORAGE, _ST.READ_FRU_DATA): CommandInfo("Read FRU Data", _U, True),
    (_N.STORAGE, _ST.WRITE_FRU_DATA): CommandInfo("Write FRU Data", _O, False),
    (_N.STORAGE, _ST.GET_SDR_REPOSITORY_INFO): CommandInfo("Get SDR Repository Info", _U, True),
    (_N.STORAGE, _ST.GET_SDR_REPOSITORY_ALLOCATION_INFO):
        CommandInfo("Get SDR Repository Allocation Info", _U, True),
    (_N.STORAGE, _ST.RESERVE_SDR_REPOSITORY): CommandInfo("Reserve SDR Repository", _U, False),
    (_N.STORAGE, _ST.GET_SDR): CommandInfo("Get SDR", _U, True),
    (_N.STORAGE, _ST.GET_SEL_INFO): CommandInfo("Get SEL Info", _U, True),
    (_N.STORAGE, _ST.GET_SEL_ALLOCATION_INFO): CommandInfo("Get SEL Allocation Info", _U, True),
    (_N.STORAGE, _ST.RESERVE_SEL): CommandInfo("Reserve SEL", _U, False),
    (_N.STORAGE, _ST.GET_SEL_ENTRY): CommandInfo("Get SEL Entry", _U, True),
    (_N.STORAGE, _ST.ADD_SEL_ENTRY): CommandInfo("Add SEL Entry", _O, False),
    (_N.STORAGE, _ST.DELETE_SEL_ENTRY): CommandInfo("Delete SEL Entry", _O, False),
    (_N.STORAGE, _ST.CLEAR_SEL): CommandInfo("Clear SEL", _O, False),
    (_N.STORAGE, _ST.GET_SEL_TIME): CommandInfo("Get SEL Time", _U, True),
    (_N.STORAGE, _ST.SET_SEL_TIME): CommandInfo("Set SEL Time", _O, False),
    (_N.TRANSPORT, _T.SET_LAN_CONFIGURATION_PARAMETERS):
        CommandInfo("Set LAN Configuration Parameters", _A, False),
    (_N.TRANSPORT, _T.GET_LAN_CONFIGURATION_PARAMETERS):
        CommandInfo("Get LAN Configuration Parameters", _O, True),
    # Group extension discovery: ipmitool probes PICMG/VSO properties (cmd 00h,
    # group byte 00h/03h) and HPM.x capabilities (3Eh) at every privilege level.
    (_N.GROUP_EXTENSION, 0x00): CommandInfo("Get Group Extension Properties", _U, True),
    (_N.GROUP_EXTENSION, 0x3E): CommandInfo("Get HPM.x Capabilities", _U, True),
    (_N.GROUP_EXTENSION, _D.GET_DCMI_CAPABILITIES): CommandInfo("Get DCMI Capabilities", _U, True),
    (_N.GROUP_EXTENSION, _D.GET_POWER_READING): CommandInfo("DCMI Get Power Reading", _U, True),
}

#: Unknown and OEM commands: assume the worst (admin only, never re-sent).
UNKNOWN_COMMAND = CommandInfo("Unknown command", _A, False)


def command_info(netfn: int, cmd: int) -> CommandInfo:
    """Registry lookup; unknown commands get :data:`UNKNOWN_COMMAND`.

    A response netFn (odd) is looked up as its request netFn.
    """
    return COMMANDS.get((netfn & ~1, cmd), UNKNOWN_COMMAND)


def command_name(netfn: int, cmd: int) -> str:
    info = COMMANDS.get((netfn & ~1, cmd))
    return info.name if info else f"netFn {netfn:02X}h cmd {cmd:02X}h"


class CompletionCodeInt:
    """CompletionCode as plain ints (:class:`CompletionCode` is the IntEnum of this table)."""

    OK = 0x00
    NODE_BUSY = 0xC0
    INVALID_COMMAND = 0xC1
    INVALID_FOR_LUN = 0xC2
    TIMEOUT = 0xC3
    OUT_OF_SPACE = 0xC4
    RESERVATION_CANCELLED = 0xC5
    REQUEST_DATA_TRUNCATED = 0xC6
    REQUEST_DATA_LENGTH_INVALID = 0xC7
    REQUEST_DATA_FIELD_LENGTH_EXCEEDED = 0xC8
    PARAMETER_OUT_OF_RANGE = 0xC9
    CANNOT_RETURN_REQUESTED_BYTES = 0xCA
    NOT_PRESENT = 0xCB
    INVALID_DATA_FIELD = 0xCC
    ILLEGAL_FOR_SENSOR_OR_RECORD_TYPE = 0xCD
    RESPONSE_UNAVAILABLE = 0xCE
    DUPLICATED_REQUEST = 0xCF
    SDR_REPOSITORY_IN_UPDATE_MODE = 0xD0
    FIRMWARE_UPDATE_MODE = 0xD1
    BMC_INITIALIZING = 0xD2
    DESTINATION_UNAVAILABLE = 0xD3
    INSUFFICIENT_PRIVILEGE = 0xD4
    NOT_SUPPORTED_IN_PRESENT_STATE = 0xD5
    SUBFUNCTION_DISABLED = 0xD6
    UNSPECIFIED = 0xFF


#: Spec names (IPMI v2.0 table 5-2), as operators see them in ipmitool.
_CC_NAMES: dict[int, str] = {
    0x00: "Command completed normally",
    0xC0: "Node busy",
    0xC1: "Invalid command",
    0xC2: "Command invalid for given LUN",
    0xC3: "Timeout while processing command",
    0xC4: "Out of space",
    0xC5: "Reservation cancelled or invalid reservation ID",
    0xC6: "Request data truncated",
    0xC7: "Request data length invalid",
    0xC8: "Request data field length limit exceeded",
    0xC9: "Parameter out of range",
    0xCA: "Cannot return number of requested data bytes",
    0xCB: "Requested sensor, data, or record not present",
    0xCC: "Invalid data field in request",
    0xCD: "Command illegal for specified sensor or record type",
    0xCE: "Command response could not be provided",
    0xCF: "Cannot execute duplicated request",
    0xD0: "SDR repository in update mode",
    0xD1: "Device in firmware update mode",
    0xD2: "BMC initialization in progress",
    0xD3: "Destination unavailable",
    0xD4: "Insufficient privilege level",
    0xD5: "Command not supported in present state",
    0xD6: "Command sub-function has been disabled or is unavailable",
    0xFF: "Unspecified error",
}


def cc_name(cc: int) -> str:
    """Spec name of a completion code; 01h-7Eh are OEM, 80h-BEh command-specific."""
    if cc in _CC_NAMES:
        return _CC_NAMES[cc]
    if 0x01 <= cc <= 0x7E:
        return "OEM completion code"
    if 0x80 <= cc <= 0xBE:
        return "Command-specific completion code"
    return "Reserved completion code"


class CompletionCodeError(ChassisError):
    """The BMC answered, but with a completion code other than 00h."""

    exit_code = ExitCode.COMPLETION_CODE
    code = "completion-code"

    def __init__(self, cc: int, what: str, *, hint: str | None = None) -> None:
        super().__init__(f"{what}: BMC answered {cc:02X}h ({cc_name(cc)})", hint=hint)
        self.cc = cc


TYPE_CHECKING = False
if TYPE_CHECKING:
    import enum

    # What mypy sees: the IntEnums with their tables' names as members.  At
    # run time each is built from its plain-int table on first use
    # (``__getattr__`` below).

    class NetFn(NetFnInt, enum.IntEnum): ...

    class Privilege(enum.IntEnum):
        # Spelled out: callers type values as Privilege members (a mixin's
        # attributes are not members to mypy).
        CALLBACK = 1
        USER = 2
        OPERATOR = 3
        ADMINISTRATOR = 4
        OEM = 5

    class ChassisCmd(ChassisCmdInt, enum.IntEnum): ...

    class SensorCmd(SensorCmdInt, enum.IntEnum): ...

    class AppCmd(AppCmdInt, enum.IntEnum): ...

    class StorageCmd(StorageCmdInt, enum.IntEnum): ...

    class TransportCmd(TransportCmdInt, enum.IntEnum): ...

    class DcmiCmd(DcmiCmdInt, enum.IntEnum): ...

    class CompletionCode(CompletionCodeInt, enum.IntEnum): ...


__getattr__ = enum_getattr(__name__, globals(), {
    "NetFn": ("IntEnum", NetFnInt, None),
    "Privilege": ("IntEnum", PrivilegeInt, "Session privilege levels (IPMI v2.0 §6.8); 0 in Open Session = highest."),
    "ChassisCmd": ("IntEnum", ChassisCmdInt, None),
    "SensorCmd": ("IntEnum", SensorCmdInt, None),
    "AppCmd": ("IntEnum", AppCmdInt, None),
    "StorageCmd": ("IntEnum", StorageCmdInt, None),
    "TransportCmd": ("IntEnum", TransportCmdInt, None),
    "DcmiCmd": ("IntEnum", DcmiCmdInt, None),
    "CompletionCode": ("IntEnum", CompletionCodeInt, None),
})
