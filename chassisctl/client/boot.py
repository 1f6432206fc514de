"""The next boot device: System Boot Options parameters 5 (boot flags) and 4 (acknowledge).

Setting follows the sequence ``ipmitool chassis bootdev`` uses, so BIOSes
that watch for it see the same thing: mark parameters "set in progress"
(parameter 0; a BMC that refuses it is used without), set the boot info
acknowledge (parameter 4: BIOS/POST has not handled the flags yet), write
the boot flags with the valid bit (parameter 5), then commit and complete
the set.  Getting reads parameter 5 only.
"""

from __future__ import annotations

from dataclasses import dataclass

from chassisctl.client.call import call
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.transport.base import Transport

#: CLI name -> boot device selector (parameter 5, data 2 bits 5:2).
DEVICES = {"none": 0x0, "pxe": 0x1, "disk": 0x2, "cdrom": 0x5, "bios": 0x6}
#: Every selector's name, for reading back what another tool set.
SELECTOR_NAMES = {0x0: "none", 0x1: "pxe", 0x2: "disk", 0x3: "safe", 0x4: "diag", 0x5: "cdrom",
                  0x6: "bios", 0x7: "floppy-remote", 0x8: "cdrom-remote", 0x9: "primary-remote",
                  0xB: "disk-remote", 0xF: "floppy"}
#: Parameter 4 written before the flags: write mask 01h, "BIOS/POST has not acknowledged".
BIOS_POST_ACK = 0x01
#: Parameter 0 values.
SET_COMPLETE, SET_IN_PROGRESS, COMMIT_WRITE = 0, 1, 2
#: Configuration-parameter completion code "parameter not supported".
PARAMETER_NOT_SUPPORTED = 0x80

_HINTS = {PARAMETER_NOT_SUPPORTED: "the BMC does not keep boot options",
          0xC1: "the BMC does not implement System Boot Options"}


@dataclass(frozen=True, slots=True)
class BootSetting:
    device: str
    persistent: bool
    uefi: bool
    #: Bit 7 of data 1: the flags are set (a BIOS acts on them) — else no override.
    valid: bool
    selector: int

    def to_dict(self) -> dict:
        return {"device": self.device, "persistent": self.persistent, "uefi": self.uefi, "valid": self.valid,
                "selector": self.selector}


def read(transport: Transport, *, node: str | int | None = None) -> BootSetting:
    from chassisctl.ipmi.boot_options import BootFlags, BootOptions, BootParam, get_system_boot_options

    options = call(transport, get_system_boot_options(BootParam.BOOT_FLAGS), BootOptions.decode, node=node,
                   hints=_HINTS)
    from chassisctl.errors import ProtocolError
    from chassisctl.ipmi.decode_errors import DecodeError

    try:
        flags = BootFlags.decode(options.data)
    except DecodeError as exc:
        raise ProtocolError(f"Get System Boot Options 5: {exc}") from None
    selector = int(flags.device)
    device = SELECTOR_NAMES.get(selector, f"selector-{selector:x}") if flags.valid else "none"
    return BootSetting(device, flags.persistent, flags.efi, flags.valid, selector)


def _set(transport: Transport, selector: int, data: bytes, node: str | int | None) -> None:
    from chassisctl.ipmi.boot_options import set_system_boot_options

    call(transport, set_system_boot_options(selector, data), node=node, hints=_HINTS)


def _progress(transport: Transport, value: int, node: str | int | None) -> bool:
    """Parameter 0; False when the BMC does not keep it (it is optional)."""
    try:
        _set(transport, 0, bytes([value]), node)
    except CompletionCodeError:
        return False
    return True


def write(transport: Transport, device: str, *, persistent: bool = False, uefi: bool = False,
          node: str | int | None = None) -> None:
    from chassisctl.ipmi.boot_options import BootFlags, BootParam

    flags = BootFlags(valid=True, persistent=persistent, efi=uefi, device=DEVICES[device])
    in_progress = _progress(transport, SET_IN_PROGRESS, node)
    try:
        _set(transport, BootParam.BOOT_INFO_ACKNOWLEDGE, bytes([BIOS_POST_ACK, BIOS_POST_ACK]), node)
        _set(transport, BootParam.BOOT_FLAGS, flags.encode(), node)
        if in_progress:
            _progress(transport, COMMIT_WRITE, node)
    finally:
        if in_progress:
            _progress(transport, SET_COMPLETE, node)
