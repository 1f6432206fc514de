"""The on-disk SDR cache: where, keyed by what, validated how, and never fatal."""

from __future__ import annotations

import json
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl import name_index
from chassisctl.client.sdr_cache import CacheEntry, SdrCache
from chassisctl.client.sensors import load_repository
from chassisctl.errors import TimeoutFailure
from chassisctl.state_store import StateStore

import _simkit as kit


@pytest.fixture
def dirs(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, pathlib.Path]:
    return kit.isolate(monkeypatch, tmp_path)


def files(cache: SdrCache) -> list[pathlib.Path]:
    directory = pathlib.Path(cache.directory)  # a string: the CLI does not import pathlib
    return sorted(directory.glob("*")) if directory.exists() else []


def test_default_location_follows_xdg_cache_home(dirs) -> None:
    assert pathlib.Path(SdrCache().directory) == dirs["CACHE"] / "chassisctl" / "sdr"


def test_cold_then_warm(dirs) -> None:
    r = kit.rig()
    cache = SdrCache()
    first = load_repository(r.transport, cache=cache)
    assert not first.from_cache and len(files(cache)) == 1
    second = load_repository(r.transport, cache=cache)
    assert second.from_cache
    assert [x.record_id for x in second.records] == [x.record_id for x in first.records]
    doc = json.loads(files(cache)[0].read_text())
    assert doc["schema"] == 1 and doc["key"] == {"target": r.transport.identity(), "node": None}
    assert doc["identity"]["manufacturer_id"] == 32473 and doc["identity"]["product_id"] == 0x0C1A
    assert doc["addition"] == second.entry.addition and doc["count"] == len(first.records)


def test_keyed_by_bus_address_transport_and_node(dirs) -> None:
    cache = SdrCache()
    keys = [SdrCache.key("sim:default addr 0x10 (SSIF)", None), SdrCache.key("sim:default addr 0x11 (SSIF)", None),
            SdrCache.key("/dev/i2c-1 addr 0x10 (SSIF)", None), SdrCache.key("sim:default IPMB 10h -> BMC 20h", None),
            SdrCache.key("sim:default addr 0x10 (SSIF)", "node2")]
    assert len({cache.path_for(k) for k in keys}) == len(keys)
    ssif, ipmb = kit.rig(), kit.rig(transport="ipmb")
    load_repository(ssif.transport, cache=cache)
    load_repository(ipmb.transport, cache=cache)
    assert len(files(cache)) == 2


def test_atomic_write_leaves_no_temporary_files(dirs) -> None:
    r = kit.rig()
    cache = SdrCache()
    for _ in range(3):
        load_repository(r.transport, cache=cache, refresh=True)
    assert [p.suffix for p in files(cache)] == [".json"]


@pytest.mark.parametrize("content", [
    b"", b"{", b"[]", b'{"schema": 2}', b'{"schema": 1, "key": {}}', b"\x00\xff" * 50,
    b'{"schema":1,"key":{"target":"x","node":null},"identity":{},"count":1,"addition":1,"erase":1,'
    b'"chunk":255,"records":["zz"]}',
])
def test_corrupt_cache_is_rebuilt_silently(dirs, content: bytes) -> None:
    r = kit.rig()
    cache = SdrCache()
    load_repository(r.transport, cache=cache)
    path = files(cache)[0]
    path.write_bytes(content)
    repo = load_repository(r.transport, cache=cache)
    assert not repo.from_cache and len(repo.records) == len(r.chassis.records)
    assert CacheEntry.from_json(json.loads(path.read_text())).records == r.chassis.records
    assert load_repository(r.transport, cache=cache).from_cache


def test_cache_for_another_target_in_the_file_is_not_trusted(dirs) -> None:
    r = kit.rig()
    cache = SdrCache()
    entry = load_repository(r.transport, cache=cache).entry
    path = files(cache)[0]
    doc = json.loads(path.read_text())
    doc["key"]["target"] = "somewhere else"
    path.write_text(json.dumps(doc))
    assert not load_repository(r.transport, cache=cache).from_cache
    assert cache.load(entry.key) is not None


def test_unwritable_cache_is_not_an_error(dirs, tmp_path: pathlib.Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    cache = SdrCache(blocker / "sdr")
    r = kit.rig()
    assert not load_repository(r.transport, cache=cache).from_cache
    assert not cache.store(load_repository(r.transport, cache=cache).entry)


def test_changed_profile_invalidates_the_cache(dirs, tmp_path: pathlib.Path) -> None:
    cache = SdrCache()
    a = kit.rig(store=StateStore(tmp_path / "state", "edit"))
    load_repository(a.transport, cache=cache)
    assert load_repository(a.transport, cache=cache).from_cache
    # the operator edits the profile (same sensors, same count) and runs again in the same second
    b = kit.rig(store=StateStore(tmp_path / "state", "edit"), clock=a.clock,
                profile=kit.profile(firmware='"2.15"'))
    assert b.transport.identity() == a.transport.identity()
    repo = load_repository(b.transport, cache=cache)
    assert not repo.from_cache
    assert load_repository(b.transport, cache=cache).from_cache


def test_refresh_walks_even_when_valid(dirs) -> None:
    r = kit.rig()
    cache = SdrCache()
    load_repository(r.transport, cache=cache)
    r.transport.stats.by_command.clear()
    repo = load_repository(r.transport, cache=cache, refresh=True)
    assert not repo.from_cache and r.transport.stats.by_command["Get SDR"] == len(r.chassis.records)


def test_unusable_timestamps_fall_back_to_device_identity(dirs) -> None:
    r = kit.rig()
    cache = SdrCache()
    entry = load_repository(r.transport, cache=cache).entry
    r.chassis._state.sdr_addition = r.chassis._state.sdr_erase = 0
    r.chassis._sdr = None  # the BMC rebuilds its repository with unset timestamps
    entry.addition = entry.erase = 0
    assert cache.store(entry)
    r.transport.stats.by_command.clear()
    assert load_repository(r.transport, cache=cache).from_cache
    assert r.transport.stats.by_command == {"Get SDR Repository Info": 1, "Get Device ID": 1}
    entry.identity["firmware"] = "0.01"  # another firmware behind the same address
    cache.store(entry)
    assert not load_repository(r.transport, cache=cache).from_cache


def test_chunk_size_is_remembered(dirs, tmp_path: pathlib.Path) -> None:
    store = StateStore(tmp_path / "state", "small")
    r = kit.rig(transport="ipmb", profile=kit.profile(**kit.SINGLE_PART), store=store)
    cache = SdrCache()
    entry = load_repository(r.transport, cache=cache).entry
    assert entry.chunk == 27
    assert cache.load(entry.key).chunk == 27
    # the repository changes: the re-walk starts at the size that worked, no CAh again
    r.chassis._state.sdr_addition += 1
    r.chassis._sdr = None
    r.transport.stats.by_command.clear()
    repo = load_repository(r.transport, cache=cache)
    assert not repo.from_cache and repo.entry.chunk == 27
    from chassisctl.client.sdr import SdrWalker
    walker = SdrWalker(r.transport, chunk=cache.load(entry.key).chunk)
    walker.read_all()
    assert walker.stats.shrinks == 0


def test_bmc_dying_mid_walk_writes_no_cache(dirs) -> None:
    r = kit.rig(timeout=1.0)
    cache = SdrCache()
    r.transport.capabilities()
    r.faults.dead_after(20)
    with pytest.raises(TimeoutFailure):
        load_repository(r.transport, cache=cache)
    assert files(cache) == []


def test_bmc_dying_mid_walk_keeps_the_old_cache_byte_identical(dirs) -> None:
    r = kit.rig(timeout=1.0)
    cache = SdrCache()
    load_repository(r.transport, cache=cache)
    path = files(cache)[0]
    before = path.read_bytes()
    r.chassis._state.sdr_addition += 1  # stale: a re-walk is due
    r.chassis._sdr = None
    r.faults.dead_after(20)
    with pytest.raises(TimeoutFailure):
        load_repository(r.transport, cache=cache)
    assert path.read_bytes() == before


def test_entries_flush_and_names(dirs) -> None:
    cache = SdrCache()
    a, b = kit.rig(), kit.rig(transport="ipmb")
    ea = load_repository(a.transport, cache=cache).entry
    load_repository(b.transport, cache=cache)
    cache.write_names(["Fan1", "CPU Temp", "Fan1"])
    assert name_index.loads((pathlib.Path(cache.directory) / "names.txt").read_text()) == ["CPU Temp", "Fan1"]
    (pathlib.Path(cache.directory) / "junk.json").write_text("{")
    listed = cache.entries()
    assert len(listed) == 3 and sum(1 for _, e in listed if e is None) == 1
    assert cache.flush(ea.key) == 1 and cache.flush(ea.key) == 0
    assert cache.flush() == 2
    assert files(cache) == []


@given(st.binary(max_size=512))
def test_crc32_is_zlibs(data: bytes) -> None:
    """The cache file names keep their CRC: the table-driven one is zlib's."""
    import zlib

    from chassisctl.client.sdr_cache import crc32

    assert crc32(data) == zlib.crc32(data)


@given(st.text(st.sampled_from("aZ09.-_:/ \né"), max_size=100) | st.text(max_size=100))
def test_file_names_are_the_regex_ones(text: str) -> None:
    """The readable part of a cache file name is what re.sub made of it before."""
    import re

    from chassisctl.client.sdr_cache import _safe

    assert _safe(text) == re.sub(r"[^A-Za-z0-9.]+", "-", text)
