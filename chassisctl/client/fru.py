"""FRU inventory: which FRUs a BMC has, and each one's image read and decoded.

The FRU IDs are the builtin FRU 0 plus every logical FRU Device Locator in
the SDR repository (what ``ipmitool fru print`` lists).  An image is read
with Read FRU Data in the largest pieces one reply carries — the SSIF
capabilities say how large, as for Get SDR — and a BMC that answers CAh,
C7h, C8h or CCh to a piece gets smaller ones.  The image is decoded
leniently (:func:`chassisctl.ipmi.fru.parse` with ``strict=False``): a FRU with
one bad checksum still shows its serial number, with the problem listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable

from chassisctl.client.call import call
from chassisctl.errors import ProtocolError
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi.fru_cmds import FruAreaInfo, FruData, get_fru_inventory_area_info, read_fru_data
from chassisctl.transport.base import Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Bytes of a Read FRU Data reply that are not FRU data: netFn, cmd, CC, count.
REPLY_OVERHEAD = 4
MIN_CHUNK = 8
#: Transports without SSIF capabilities (IPMB, platforms) start here.
DEFAULT_CHUNK = 32
#: Nothing larger is read: the FRU address space of Read FRU Data is 16 bits.
MAX_IMAGE = 0x10000
#: The name ipmitool gives FRU 0 when no locator names it.
BUILTIN_NAME = "Builtin FRU Device"


@dataclass(frozen=True, slots=True)
class FruImage:
    id: int
    name: str
    image: bytes

    def inventory(self) -> Any:
        from chassisctl.ipmi.decode_errors import DecodeError
        from chassisctl.ipmi.fru import parse

        try:
            return parse(self.image, strict=False)
        except DecodeError as exc:
            raise ProtocolError(f"FRU {self.id} ({self.name}): {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        inv = self.inventory().to_dict()
        return {"id": self.id, "name": self.name, "size": len(self.image), **inv}


def fru_ids(records: Iterable[Any]) -> list[tuple[int, str]]:
    """(FRU ID, name): the builtin FRU 0 first (named as ipmitool names it, whatever
    its locator says), then every other logical FRU locator, in SDR order."""
    found: dict[int, str] = {0: BUILTIN_NAME}
    for r in records:
        if getattr(r, "record_type", None) == 0x11 and getattr(r, "logical", False):
            found.setdefault(r.fru_device_id, r.id_string or f"FRU {r.fru_device_id}")
    return list(found.items())


def _initial_chunk(transport: Transport) -> int:
    capabilities = getattr(transport, "capabilities", None)
    if not callable(capabilities):
        return DEFAULT_CHUNK
    caps = capabilities()
    room = (caps.max_response if caps.multipart_read else 32) - REPLY_OVERHEAD
    return max(MIN_CHUNK, min(room, 0xFF))


def read_image(transport: Transport, fru_id: int, *, node: str | int | None = None) -> bytes:
    """The whole FRU inventory area of ``fru_id`` (CompletionCodeError CBh when absent)."""
    area = call(transport, get_fru_inventory_area_info(fru_id), FruAreaInfo.decode, node=node)
    size = min(area.size, MAX_IMAGE)
    unit = 2 if area.word_access else 1
    chunk = _initial_chunk(transport)
    data = bytearray()
    while len(data) < size:
        want = min(chunk, size - len(data))
        try:
            part = call(transport, read_fru_data(fru_id, len(data) // unit, want // unit or 1), FruData.decode,
                        node=node)
        except CompletionCodeError as exc:
            if exc.cc in (0xCA, 0xC7, 0xC8, 0xCC) and chunk > MIN_CHUNK:
                chunk = max(MIN_CHUNK, chunk // 2)
                continue
            raise
        got = part.data[: size - len(data)]
        if not got:
            raise ProtocolError(f"Read FRU Data {fru_id} at offset {len(data)}: no data for {want} bytes asked")
        data += got
    return bytes(data)


def read_all(transport: Transport, records: Iterable[Any], *, node: str | int | None = None,
             only: int | None = None) -> list[FruImage]:
    """Every FRU the BMC has (or just ``only``); FRUs listed but absent (CBh) are skipped
    unless asked for by ID."""
    wanted = fru_ids(records)
    if only is not None:
        wanted = [next(((i, n) for i, n in wanted if i == only), (only, f"FRU {only}"))]
    out = []
    for fru_id, name in wanted:
        try:
            image = read_image(transport, fru_id, node=node)
        except CompletionCodeError as exc:
            if exc.cc == 0xCB and only is None:
                continue
            if exc.cc == 0xCB:
                raise CompletionCodeError(exc.cc, f"FRU {fru_id}", hint="no such FRU on this BMC; "
                                          "`chassisctl fru` lists the ones there are") from None
            raise
        out.append(FruImage(fru_id, name, image))
    return out
