"""``bmc info``: who the BMC is, as one structured answer.

Get Device ID is required; GUID, self test and SSIF capabilities are asked
too but a BMC that lacks one (C1h) still gets a report, with that field
null — older satellite controllers implement only Get Device ID.
"""

from __future__ import annotations

from dataclasses import dataclass

from chassisctl.client.call import call
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi.app import (DeviceId, DeviceSupport, Guid, SelfTestResult, get_device_guid, get_device_id,
                                 get_self_test_results, get_system_guid, get_system_interface_capabilities)
from chassisctl.ipmi.ssif import SsifCapabilities, TransactionSupport
from chassisctl.transport.base import Transport


@dataclass(frozen=True, slots=True)
class BmcInfo:
    device: DeviceId
    guid: Guid | None
    system_guid: Guid | None
    self_test: SelfTestResult | None
    ssif: SsifCapabilities | None

    def to_dict(self) -> dict:
        d = self.device
        return {
            "device_id": d.device_id,
            "device_revision": d.device_revision,
            "provides_device_sdrs": d.provides_device_sdrs,
            "firmware_revision": d.firmware_version,
            "update_in_progress": d.update_in_progress,
            "ipmi_version": d.ipmi_version_text,
            "manufacturer_id": d.manufacturer_id,
            "product_id": d.product_id,
            "aux_firmware": d.aux_firmware.hex() if d.aux_firmware else None,
            "additional_support": [str(f.name).lower() for f in DeviceSupport if d.additional_support & f],
            "guid": self.guid.text if self.guid else None,
            "system_guid": self.system_guid.text if self.system_guid else None,
            "self_test": None if self.self_test is None else {
                "passed": self.self_test.passed, "code": self.self_test.code,
                "detail": self.self_test.detail, "text": self.self_test.text},
            "ssif": None if self.ssif is None else {
                "transactions": TransactionSupport(self.ssif.transaction_support).name.lower().replace("_", "-"),
                "pec": self.ssif.pec_supported, "version": self.ssif.version,
                "max_request": self.ssif.max_request, "max_response": self.ssif.max_response},
        }


def _optional(fn):
    try:
        return fn()
    except CompletionCodeError:
        return None


def bmc_info(transport: Transport, *, node: str | int | None = None) -> BmcInfo:
    device = call(transport, get_device_id(), DeviceId.decode, node=node)
    return BmcInfo(
        device=device,
        guid=_optional(lambda: call(transport, get_device_guid(), Guid.decode, node=node)),
        system_guid=_optional(lambda: call(transport, get_system_guid(), Guid.decode, node=node)),
        self_test=_optional(lambda: call(transport, get_self_test_results(), SelfTestResult.decode, node=node)),
        ssif=_optional(lambda: call(transport, get_system_interface_capabilities(),
                                    SsifCapabilities.decode, node=node)) if transport.kind == "ssif" else None,
    )
