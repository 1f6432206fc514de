"""What a responder asks of the thing it manages.

A :class:`BmcModel` answers the questions behind IPMI commands: who the BMC
is, what state the chassis is in, what a sensor reads.  The simulated BMC,
a "platform" backend translating plain I2C devices, and ``serve`` filling in
what an I2C BMC lacks each implement it; the
:class:`~chassisctl.bmc.responder.Responder` turns it into wire answers.

Methods that can fail return either the reply object or an ``int``
completion code, so "no such sensor" (CBh), "not supported" (C1h) and
"not in this state" (D5h) stay answers, not exceptions.  :class:`BaseModel`
implements every method with a harmless default so a model overrides only
what it has.  A sensor whose device stopped answering should return
:meth:`SensorReading.not_available` — quickly: a dead sensor must never
stall or fail the rest.
"""

from __future__ import annotations

import functools

from chassisctl.ipmi.codes import CompletionCodeInt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the classes below only describe interfaces to the type checker

if TYPE_CHECKING:
    # Codecs load inside the methods that build replies: a model used only for
    # Get Chassis Status must not pay for the App, DCMI and sensor modules.
    from chassisctl.ipmi.app import DeviceId
    from chassisctl.ipmi.ssif import SsifCapabilities
    from chassisctl.ipmi.boot_options import BootOptions
    from chassisctl.ipmi.chassis import ChassisAction, ChassisStatus
    from chassisctl.ipmi.chassis_settings import PolicyReply
    from chassisctl.ipmi.dcmi import DcmiCapabilities, DcmiPowerReading
    from chassisctl.ipmi.sensor_cmds import SensorReading, SensorReadingFactors, SensorThresholds
    from chassisctl.ipmi.sensor_params import SensorEventEnable, SensorHysteresis

#: Configuration-parameter completion code "parameter not supported".
PARAMETER_NOT_SUPPORTED = 0x80


class BmcModel(Protocol):
    def device_id(self) -> DeviceId: ...

    def device_guid(self) -> bytes:
        """16 bytes as sent on the wire (see :class:`chassisctl.ipmi.app.GuidOrder`)."""
        ...

    def system_guid(self) -> bytes: ...

    def self_test(self) -> tuple[int, int]:
        """(code, detail) for Get Self Test Results; (55h, 0) = passed."""
        ...

    def ssif_capabilities(self) -> SsifCapabilities | None:
        """None when the BMC is not reached over SSIF (the command answers C1h)."""
        ...

    def chassis_status(self) -> ChassisStatus | int: ...

    def chassis_control(self, action: ChassisAction) -> int:
        """Completion code: 00h, or D5h e.g. for cycle/reset while off."""
        ...

    def identify(self, interval: int | None, force: bool) -> int:
        """Chassis Identify: ``interval`` seconds (None = 15, 0 = off) or on until
        turned off (``force``).  C1h when there is nothing to light."""
        ...

    def set_restore_policy(self, policy: int) -> PolicyReply | int:
        """Set (0-2) or just report (3) the power restore policy."""
        ...

    def bmc_reset(self, cold: bool) -> int:
        """Cold (True) or warm reset of the BMC itself."""
        ...

    def get_boot_option(self, selector: int) -> BootOptions | int:
        """80h for a parameter not supported."""
        ...

    def set_boot_option(self, selector: int, data: bytes, invalid: bool) -> int: ...

    def read_sensor(self, number: int) -> SensorReading | int:
        """CBh for no such sensor; a reading with the unavailable flag for a dead one."""
        ...

    def sensor_thresholds(self, number: int) -> SensorThresholds | int: ...

    def sensor_hysteresis(self, number: int) -> SensorHysteresis | int: ...

    def sensor_event_enable(self, number: int) -> SensorEventEnable | int: ...

    def sensor_reading_factors(self, number: int, raw: int) -> SensorReadingFactors | int:
        """Only for non-linear sensors; CDh (illegal for sensor type) otherwise."""
        ...

    def fru_image(self, fru_id: int) -> bytes | None:
        """The whole FRU inventory image, or None when there is no such FRU."""
        ...

    def dcmi_capabilities(self, parameter: int) -> DcmiCapabilities | int: ...

    def power_reading(self) -> DcmiPowerReading | int:
        """C1h when there is no power measurement."""
        ...


@functools.cache
def default_device_id() -> DeviceId:
    """The Device ID :class:`BaseModel` reports unless given one (built on first use)."""
    from chassisctl.ipmi.app import DeviceId, DeviceSupport

    return DeviceId(
        device_id=0x20,
        device_revision=1,
        provides_device_sdrs=False,
        firmware_major=0,
        firmware_minor=0x01,
        ipmi_version=0x02,
        additional_support=(
            DeviceSupport.SENSOR | DeviceSupport.SDR_REPOSITORY | DeviceSupport.SEL | DeviceSupport.FRU
            | DeviceSupport.CHASSIS
        ),
        manufacturer_id=0,
        product_id=0,
    )


def __getattr__(name: str) -> object:
    # DEFAULT_DEVICE_ID stays importable by name, built when first asked for.
    if name == "DEFAULT_DEVICE_ID":
        return default_device_id()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _boot_param_sizes() -> dict[int, int]:
    """Boot option parameters kept by :class:`BaseModel`, with their data sizes."""
    from chassisctl.ipmi.boot_options import BootParam

    return {
        BootParam.SET_IN_PROGRESS: 1,
        BootParam.BOOT_FLAG_VALID_CLEARING: 1,
        BootParam.BOOT_INFO_ACKNOWLEDGE: 2,
        BootParam.BOOT_FLAGS: 5,
    }


class BaseModel:
    """Every :class:`BmcModel` method with a default answer.

    Optional features answer C1h (invalid command) or CBh (not present);
    boot options (parameters 0, 3, 4 and 5) are kept in ``boot`` — a dict
    the owner may persist (see :func:`boot_to_json`), since models are often
    built per request — so ``bootdev``-style clients work against any model.
    """

    def __init__(self, device: DeviceId | None = None, guid: bytes = bytes(16),
                 boot: dict[int, tuple[bytes, bool]] | None = None) -> None:
        """``device`` defaults to :func:`default_device_id`."""
        if len(guid) != 16:
            raise ValueError("a GUID is 16 bytes")
        self._device = device
        self._guid = bytes(guid)
        #: Only the parameters a client set; the others read as zeros.
        self._boot_set: dict[int, tuple[bytes, bool]] = {} if boot is None else boot

    def boot_changed(self) -> None:
        """Hook: a client set a boot option (owners persist ``boot`` here)."""

    def device_id(self) -> DeviceId:
        if self._device is None:
            self._device = default_device_id()
        return self._device

    def device_guid(self) -> bytes:
        return self._guid

    def system_guid(self) -> bytes:
        return self.device_guid()

    def self_test(self) -> tuple[int, int]:
        from chassisctl.ipmi.app import SelfTestCode

        return SelfTestCode.PASSED, 0

    def ssif_capabilities(self) -> SsifCapabilities | None:
        return None

    def chassis_status(self) -> ChassisStatus | int:
        return CompletionCodeInt.INVALID_COMMAND

    def chassis_control(self, action: ChassisAction) -> int:
        return CompletionCodeInt.INVALID_COMMAND

    def identify(self, interval: int | None, force: bool) -> int:
        return CompletionCodeInt.INVALID_COMMAND

    def set_restore_policy(self, policy: int) -> PolicyReply | int:
        return CompletionCodeInt.INVALID_COMMAND

    def bmc_reset(self, cold: bool) -> int:
        return CompletionCodeInt.INVALID_COMMAND

    def get_boot_option(self, selector: int) -> BootOptions | int:
        from chassisctl.ipmi.boot_options import BootOptions

        sizes = _boot_param_sizes()
        if selector not in sizes:
            return PARAMETER_NOT_SUPPORTED
        data, invalid = self._boot_set.get(selector, (bytes(sizes[selector]), False))
        return BootOptions(selector, data, invalid)

    def set_boot_option(self, selector: int, data: bytes, invalid: bool) -> int:
        sizes = _boot_param_sizes()
        if selector not in sizes:
            return PARAMETER_NOT_SUPPORTED
        from chassisctl.ipmi.boot_options import BootParam

        if len(data) != sizes[selector]:
            return CompletionCodeInt.REQUEST_DATA_LENGTH_INVALID
        if selector == BootParam.SET_IN_PROGRESS and data[0] & 0x03 == 0x03:
            return CompletionCodeInt.INVALID_DATA_FIELD
        self._boot_set[selector] = (bytes(data), invalid)
        self.boot_changed()
        return CompletionCodeInt.OK

    def read_sensor(self, number: int) -> SensorReading | int:
        return CompletionCodeInt.NOT_PRESENT

    def sensor_thresholds(self, number: int) -> SensorThresholds | int:
        return CompletionCodeInt.NOT_PRESENT

    def sensor_hysteresis(self, number: int) -> SensorHysteresis | int:
        return CompletionCodeInt.INVALID_COMMAND

    def sensor_event_enable(self, number: int) -> SensorEventEnable | int:
        return CompletionCodeInt.INVALID_COMMAND

    def sensor_reading_factors(self, number: int, raw: int) -> SensorReadingFactors | int:
        return CompletionCodeInt.NOT_PRESENT

    def fru_image(self, fru_id: int) -> bytes | None:
        return None

    def dcmi_capabilities(self, parameter: int) -> DcmiCapabilities | int:
        return CompletionCodeInt.INVALID_COMMAND

    def power_reading(self) -> DcmiPowerReading | int:
        return CompletionCodeInt.INVALID_COMMAND


def boot_to_json(boot: dict[int, tuple[bytes, bool]]) -> dict[str, list]:
    """Boot options a client set, as JSON for a state file."""
    return {str(k): [data.hex(), invalid] for k, (data, invalid) in boot.items()}


def boot_from_json(doc: dict[str, list]) -> dict[int, tuple[bytes, bool]]:
    return {int(k): (bytes.fromhex(h), bool(inv)) for k, (h, inv) in doc.items()}
