"""A tiny in-memory BMC for the LAN interop tests, and a threaded service runner.

Answers just what the client checks touch (Get Device ID with exactly 11
bytes, chassis status/control, GUIDs, an SDR repository with an MC locator
and one Full sensor, a reading, an empty SEL, a small FRU image, boot
option parameter 5).  Record bytes are hand-checked examples that ipmitool,
FreeIPMI and pyghmi all decode.
"""

from __future__ import annotations

import asyncio
import struct
import threading

from chassisctl.ipmi.codes import CompletionCode as CC
from chassisctl.ipmi.lan import LanConfig
from chassisctl.ipmi.message import Request, Response
from chassisctl.serve.ipmi_lan import IpmiLanService

GUID = bytes.fromhex("a123456789abcdefa123456789abcdef")

MC_LOCATOR = bytes.fromhex("010051120e" "200000bf000000060100c3") + b"BMC"
_FULL_BODY = bytes.fromhex(
    "200001070 17f68010180 0a807a38380001000001000000000007285010ff00a0907000000002020000 00ca".replace(" ", "")
) + b"Inlet Temp"
FULL_SENSOR = bytes.fromhex("0200510135") + _FULL_BODY
SDRS = {1: MC_LOCATOR, 2: FULL_SENSOR}


def _fru_image() -> bytes:
    def field(s: bytes) -> bytes:
        return bytes((0xC0 | len(s),)) + s

    area = b"\x01\x06\x00" + field(b"chassisctl") + field(b"FakeChassis") + field(b"PN-0001") + field(b"v1")
    area += field(b"SN0001") + b"\xc0\xc0\xc1"
    area += bytes(-(len(area) + 1) % 8)
    area += bytes((-sum(area) & 0xFF,))
    header = b"\x01\x00\x00\x00\x01\x00\x00"
    return header + bytes((-sum(header) & 0xFF,)) + area


FRU = _fru_image()


class FakeBmc:
    def __init__(self) -> None:
        self.power_on = True
        self.controls: list[int] = []
        self.requests: list[Request] = []

    async def __call__(self, req: Request) -> Response:
        self.requests.append(req)
        key = (req.netfn, req.cmd)
        d = req.data
        if key == (0x06, 0x01):  # Get Device ID: exactly 11 bytes
            return req.reply(0, bytes((0x20, 0x01, 0x01, 0x00, 0x02, 0x8F, 0xF2, 0x1B, 0x00, 0x01, 0x00)))
        if key in ((0x06, 0x37), (0x06, 0x08)):
            return req.reply(0, GUID)
        if key == (0x06, 0x04):
            return req.reply(0, b"\x55\x00")
        if key == (0x00, 0x01):
            return req.reply(0, bytes((0x01 if self.power_on else 0x00, 0x00, 0x00)))
        if key == (0x00, 0x02):
            if not d:
                return req.reply(CC.REQUEST_DATA_LENGTH_INVALID)
            action = d[0] & 0x0F
            if action in (2, 3) and not self.power_on:
                return req.reply(CC.NOT_SUPPORTED_IN_PRESENT_STATE)
            if action > 5:
                return req.reply(CC.INVALID_DATA_FIELD)
            self.controls.append(action)
            if action in (0, 5):
                self.power_on = False
            elif action == 1:
                self.power_on = True
            return req.reply(0)
        if key == (0x00, 0x09):  # Get System Boot Options
            param = d[0] & 0x7F if d else 0
            if param == 5:
                return req.reply(0, b"\x01\x05" + bytes(5))
            if param == 0:
                return req.reply(0, b"\x01\x00\x00")
            return req.reply(0x80)
        if key == (0x00, 0x08):
            return req.reply(0)
        if key == (0x0A, 0x20):  # SDR repository info
            return req.reply(0, b"\x51" + struct.pack("<HH", len(SDRS), 0x0800) + struct.pack("<II", 0x5F000000, 0)
                             + b"\x02")
        if key == (0x0A, 0x22):
            return req.reply(0, b"\x01\x00")
        if key == (0x0A, 0x23):
            if len(d) < 6:
                return req.reply(CC.REQUEST_DATA_LENGTH_INVALID)
            rid = struct.unpack_from("<H", d, 2)[0] or 1
            rec = SDRS.get(rid)
            if rec is None:
                return req.reply(CC.NOT_PRESENT)
            nxt = rid + 1 if rid + 1 in SDRS else 0xFFFF
            off, count = d[4], d[5]
            return req.reply(0, struct.pack("<H", nxt) + rec[off : off + count])
        if key == (0x04, 0x2D):
            if d[:1] == b"\x01":
                return req.reply(0, b"\x19\xc0\x00\x00")
            return req.reply(CC.NOT_PRESENT)
        if key == (0x04, 0x27):
            if d[:1] == b"\x01":
                return req.reply(0, b"\x38\x00\x00\x00\x70\x90\xa0")
            return req.reply(CC.NOT_PRESENT)
        if key == (0x04, 0x29):
            return req.reply(0, b"\xc0\x00\x00\x00\x00")
        if key == (0x04, 0x25):
            return req.reply(0, b"\x00\x00")
        if key == (0x0A, 0x40):  # SEL info: empty
            return req.reply(0, b"\x51\x00\x00\x00\x08" + b"\xff\xff\xff\xff" * 2 + b"\x02")
        if key == (0x0A, 0x42):
            return req.reply(0, b"\x01\x00")
        if key == (0x0A, 0x43):
            return req.reply(CC.NOT_PRESENT)
        if key == (0x0A, 0x48):
            return req.reply(0, struct.pack("<I", 0x5F000000))
        if key == (0x0A, 0x10):  # FRU inventory area info
            if d[:1] != b"\x00":
                return req.reply(CC.NOT_PRESENT)
            return req.reply(0, struct.pack("<H", len(FRU)) + b"\x00")
        if key == (0x0A, 0x11):
            if len(d) < 4 or d[0] != 0:
                return req.reply(CC.NOT_PRESENT)
            off = struct.unpack_from("<H", d, 1)[0]
            chunk = FRU[off : off + d[3]]
            return req.reply(0, bytes((len(chunk),)) + chunk)
        return req.reply(CC.INVALID_COMMAND)


class ServiceThread:
    """Runs an IpmiLanService on its own event loop in a daemon thread."""

    def __init__(self, config: LanConfig, bmc: FakeBmc | None = None, *, delay: float = 0.0) -> None:
        self.bmc = bmc or FakeBmc()
        self.config = config
        self.delay = delay
        self.loop = asyncio.new_event_loop()
        self.service: IpmiLanService | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _handler(self, req: Request) -> Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        return await self.bmc(req)

    def start(self) -> int:
        self._thread.start()
        self.service = IpmiLanService(self.config, self._handler, guid=GUID)
        asyncio.run_coroutine_threadsafe(self.service.start(), self.loop).result(5)
        return self.service.address[1]

    def call(self, fn, *args):
        """Run ``fn(*args)`` on the service's loop and return its result."""
        async def run():
            return fn(*args)
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(5)

    def stop(self) -> None:
        if self.service is not None:
            asyncio.run_coroutine_threadsafe(self.service.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
