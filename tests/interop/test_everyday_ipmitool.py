"""The everyday commands against real ipmitool, through ``chassisctl serve`` on one simulated chassis.

serve and the CLI share the simulator's state, so what one side writes the
other reads:

* the SEL: ``chassisctl sel list`` (piped) prints the lines ``ipmitool sel
  elist`` prints — power unit events, threshold events with their reading
  and threshold, an intrusion, OEM records — field for field; the event
  words are the IPMI spec's (table 42-3), which ipmitool abbreviates for two
  of them (listed below, and only those may differ);
* boot options: set with ``chassisctl boot set`` and read with ``ipmitool
  chassis bootparam get 5``, and set with ``ipmitool chassis bootdev`` and
  read with ``chassisctl boot get``;
* chassis status, restore policy and identify, and the FRU, both ways.

Everything runs with TZ=UTC (both print local time).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from interop import serve_fixture as sf

pytestmark = pytest.mark.interop

#: Where ipmitool's event words differ from the spec's (ours) — only these.
IPMITOOL_WORDS = {"Power Cycle": "Power cycle", "Power Off / Power Down": "Power off/down"}

#: Add SEL Entry bodies (16 bytes; ID and timestamp are the BMC's).
RECORDS = [
    # CPU Temp (03h) upper critical going high, asserted then deasserted, with reading and threshold
    "00 00 02 00 00 00 00 20 00 04 01 03 01 59 5c 5a",
    "00 00 02 00 00 00 00 20 00 04 01 03 81 59 58 5a",
    # general chassis intrusion on a sensor number the SDR does not have
    "00 00 02 00 00 00 00 20 00 04 05 63 6f 00 ff ff",
    # OEM timestamped (C0h) and non-timestamped (E0h)
    "00 00 c0 00 00 00 00 5a 00 00 01 02 03 04 05 06",
    "00 00 e0 00 01 02 03 04 05 06 07 08 09 0a 0b 0c",
]


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    instance = sf.Serve(tmp_path_factory.mktemp("serve-everyday"), profile=sf.STEADY_PROFILE,
                        poll_interval=0.1, extra_env={"TZ": "UTC"})
    instance.start()
    yield instance
    instance.stop()


def ok(ran: sf.Ran) -> str:
    assert ran.returncode == 0, str(ran)
    return ran.stdout


def cli_json(serve, *args: str) -> dict:
    return json.loads(ok(serve.cli("--json", *args)))


def test_sel_list_matches_ipmitool_sel_elist(serve) -> None:
    ok(serve.cli("power", "cycle", "--yes", "--wait", "15"))
    for body in RECORDS:
        ok(serve.cli("raw", "0x0a", "0x44", *(f"0x{b}" for b in body.split())))
    theirs = ok(serve.ipmitool("sel", "elist")).splitlines()
    ours = ok(serve.cli("sel", "list")).splitlines()
    assert len(ours) == len(theirs) >= 3 + len(RECORDS), (ours, theirs)
    for mine, ipmitool in zip(ours, theirs, strict=True):
        a, b = mine.split(" | "), ipmitool.split(" | ")
        assert len(a) == len(b), (mine, ipmitool)
        event = 4 if len(a) >= 6 else None  # id | date | time | sensor | event | direction [| reading]
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if i == event and x != y:
                assert IPMITOOL_WORDS.get(x) == y, (mine, ipmitool)
            else:
                assert x == y, (mine, ipmitool)
    assert any("| Reading 46 > Threshold 45 degrees C" in line for line in ours)
    assert any("| Deasserted | Reading 44 < Threshold 45 degrees C" in line for line in ours)
    entries = cli_json(serve, "sel", "list")["entries"]
    assert [e["id"] for e in entries] == [int(line.split("|")[0], 16) for line in theirs]


def test_sel_info_and_clear_both_ways(serve) -> None:
    count = cli_json(serve, "sel", "info")["entries"]
    assert re.search(rf"Entries\s+: {count}\b", ok(serve.ipmitool("sel", "info")))
    ok(serve.cli("sel", "clear", "--yes"))
    assert re.search(r"Entries\s+: 0\b", ok(serve.ipmitool("sel", "info")))
    ok(serve.cli("raw", "0x0a", "0x44", *(f"0x{b}" for b in RECORDS[2].split())))
    ok(serve.ipmitool("sel", "clear"))
    deadline = time.monotonic() + 5
    while cli_json(serve, "sel", "info")["entries"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert cli_json(serve, "sel", "list")["entries"] == []


def _bootparam(serve) -> str:
    return ok(serve.ipmitool("chassis", "bootparam", "get", "5"))


def test_boot_set_here_is_seen_by_ipmitool(serve) -> None:
    ok(serve.cli("boot", "set", "pxe", "--persistent", "--uefi"))
    text = _bootparam(serve)
    assert "Boot Flag Valid" in text and "Options apply to all future boots" in text
    assert "BIOS EFI boot" in text and "Force PXE" in text
    ok(serve.cli("boot", "set", "disk"))
    text = _bootparam(serve)
    assert "Options apply to only next boot" in text and "BIOS PC Compatible (legacy) boot" in text
    assert "Force Boot from default Hard-Drive" in text


@pytest.mark.parametrize("device,options,want", [
    ("pxe", "options=persistent", {"device": "pxe", "persistent": True, "uefi": False}),
    ("cdrom", "options=efiboot", {"device": "cdrom", "persistent": False, "uefi": True}),
    ("bios", None, {"device": "bios", "persistent": False, "uefi": False}),
    ("disk", "options=persistent,efiboot", {"device": "disk", "persistent": True, "uefi": True}),
])
def test_ipmitool_bootdev_is_seen_here(serve, device, options, want) -> None:
    ok(serve.ipmitool("chassis", "bootdev", device, *([options] if options else [])))
    doc = cli_json(serve, "boot", "get")
    assert {k: doc[k] for k in want} == want and doc["valid"]


def _until(check, timeout: float = 5.0):
    """serve caches Get Chassis Status for its poll interval: retry briefly."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_chassis_policy_and_identify_both_ways(serve) -> None:
    ok(serve.cli("chassis", "policy", "always-off"))
    assert _until(lambda: "Power Restore Policy : always-off" in ok(serve.ipmitool("chassis", "status")))
    ok(serve.ipmitool("chassis", "policy", "always-on"))
    assert cli_json(serve, "chassis", "status")["restore_policy"] == "always-on"
    ok(serve.ipmitool("chassis", "identify", "force"))
    assert cli_json(serve, "chassis", "status")["identify"] == "indefinite"
    ok(serve.cli("chassis", "identify", "--off"))
    assert cli_json(serve, "chassis", "status")["identify"] == "off"
    mine = cli_json(serve, "chassis", "status")
    assert _until(lambda: f"System Power         : {mine['power']}" in ok(serve.ipmitool("chassis", "status")))


def test_fru_print_matches(serve) -> None:
    theirs = ok(serve.ipmitool("fru", "print")).splitlines()
    ours = ok(serve.cli("fru")).splitlines()
    pairs = {tuple(part.strip() for part in line.split(":", 1)) for line in ours if ":" in line}
    for line in theirs:
        if ":" in line:
            assert tuple(part.strip() for part in line.split(":", 1)) in pairs, line
