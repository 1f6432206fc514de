"""Platform descriptions: the shipped examples load, and every error names file, line and key."""

from __future__ import annotations

import re

import pytest

from chassisctl.errors import ConfigError, NoInputError
from chassisctl.platform import node_endpoints
from chassisctl.platform.description import EXAMPLES, load_platform, parse_platform
from chassisctl.platform.endpoints import check_endpoints
from chassisctl.config.lines import dotted, key_lines, line_of

MINI = '''\
[platform]
name = "mini"

[[node]]
name = "n1"
id = 1

[node.power]
device = "cpld"
enable = "en"
power_good = "pg"

[[device]]
name = "mux"
kind = "pca9548"
address = 0x70

[[device]]
name = "cpld"
kind = "cpld"
address = 0x60

[[device.field]]
name = "en"
register = 0x10
mask = 0x01
access = "rw"

[[device.field]]
name = "pg"
register = 0x11
mask = 0x01

[[device]]
name = "t1"
kind = "lm75"
address = 0x48
path = "mux:2"

[[device]]
name = "psu"
kind = "pmbus"
address = 0x58

[[sensor]]
name = "Temp"
device = "t1"
range = [-40, 87.5]
thresholds = { unc = 40, uc = 45 }

[[sensor]]
name = "PSU Status"
device = "psu"
reading = "status"
'''


def error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_platform(text, "mini.toml")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_mini_loads() -> None:
    p = parse_platform(MINI, "mini.toml")
    assert [n.name for n in p.nodes] == ["n1"] and p.nodes[0].power.enable == "en"
    # Topology order: the root-bus PSU before the sensor behind the mux.
    assert [(s.number, s.decl.name) for s in p.node_sensors["n1"]] == [(1, "PSU Status"), (2, "Temp")]
    assert str(p.devices["t1"].path) == "70:2" and p.devices["t1"].hops == (("mux", 2),)


# (replace this, with this) -> (key in the message, text on the reported line, message part)
CASES = [
    (("address = 0x48", "address = 0x80"), "device[2].address", "address = 0x80", "0x80 is outside 0x03..0x77"),
    (('kind = "lm75"', 'kind = "lm76"'), "device[2].kind", 'kind = "lm76"', "not a device kind"),
    (('path = "mux:2"', 'path = "mux:9"'), "device[2].path", 'path = "mux:9"', "channels 0..7"),
    (('path = "mux:2"', 'path = "nomux:2"'), "device[2].path", "nomux", "not a declared mux"),
    (("range = [-40, 87.5]", "range = [50, 10]"), "sensor[0].range", "range = [50, 10]", "empty"),
    (("{ unc = 40, uc = 45 }", "{ unc = 46, uc = 45 }"), "sensor[0].thresholds.uc", "uc = 45", "must be above"),
    (("{ unc = 40, uc = 45 }", "{ unc = 40, uc = 450 }"), "sensor[0].thresholds.uc", "uc = 450", "outside the range"),
    (('device = "t1"', 'device = "t9"'), "sensor[0].device", 'device = "t9"', "no device named"),
    (('enable = "en"', 'enable = "pg"'), "node[0].power.enable", 'enable = "pg"', "is ro"),
    (('enable = "en"', 'enable = "nothing"'), "node[0].power.enable", "nothing", "has no field"),
    (('path = "mux:2"', 'path = "mux:2"\ncolour = "red"'), "device[2].colour", "colour", "unknown key"),
    (("register = 0x11", "register = 0x10"), "device[1].field[1]", "[[device.field]]", "overlaps"),
    (('name = "psu"', 'name = "t1"'), "device[3].name", 'name = "t1"', "duplicate device name"),
    (("address = 0x48", "address = 0x60"), "device[2].address", "address = 0x60", "collides with cpld"),
    (("id = 1\n", ""), "node[0]", "[[node]]", "missing required key 'id'"),
    (('name = "Temp"', 'name = "A sensor name far too long"'), "sensor[0].name", "far too long", "1-16"),
    (('path = "mux:2"', 'path = "mux:2"\nsim = { temprature = 3 }'), "device[2].sim.temprature", "temprature",
     "not a simulator key"),
    (("id = 1", 'id = "one"'), "node[0].id", 'id = "one"', "expected an integer"),
    (('address = 0x58', 'address = 0x58\npresent = "cpld.nope"'), "device[3].present", "nope", "CPLD.FIELD"),
    (('reading = "status"', 'reading = "READ_NOTHING"'), "sensor[1].reading", "READ_NOTHING", "not a reading"),
    (('reading = "status"', 'reading = "status"\nrange = [0, 1]'), "sensor[1].range", "range = [0, 1]",
     "discrete"),
    (('kind = "pca9548"\naddress = 0x70', 'kind = "pca9548"\naddress = 0x30'), "device[0].address",
     "address = 0x30", "0x70..0x77"),
    (('power_good = "pg"', 'power_good = "pg"\nbutton = "en"\nbutton_ms = 4500'), "node[0].power.button_ms",
     "button_ms", "outside"),
]


@pytest.mark.parametrize("change,key,on_line,part", CASES, ids=[c[1] + ":" + c[3] for c in CASES])
def test_errors_name_file_line_and_key(change: tuple[str, str], key: str, on_line: str, part: str) -> None:
    old, new = change
    assert old in MINI
    text = MINI.replace(old, new, 1)
    message = error(text)
    match = re.match(r"^mini\.toml:(\d+): (\S+): (.*)$", message)
    assert match, message
    line, got_key, rest = int(match.group(1)), match.group(2), match.group(3)
    assert got_key == key, message
    assert on_line in text.splitlines()[line - 1], (message, text.splitlines()[line - 1])
    assert part in rest, message


def test_toml_syntax_error_has_its_line() -> None:
    message = error(MINI.replace('name = "t1"', 'name = "t1'))
    assert re.match(r"^mini\.toml:\d+: TOML syntax: ", message), message
    line = int(message.split(":")[1])
    assert 'name = "t1' in MINI.replace('name = "t1"', 'name = "t1').splitlines()[line - 1]


def test_missing_sections() -> None:
    assert "missing required key 'node'" in error('[platform]\nname = "x"\n')
    assert error('[platform]\n[[node]]\nname = "a"\nid = 1\n').startswith(
        "mini.toml:1: platform: missing required key 'name'")


@pytest.mark.parametrize("name", EXAMPLES)
def test_shipped_examples_load(name: str) -> None:
    p = load_platform(name, use_cache=False)
    assert p.name == name and p.sensors and p.frus
    for node in p.nodes:
        numbers = [s.number for s in p.node_sensors[node.name]]
        assert len(numbers) == len(set(numbers))
        assert node.power is not None


def test_compute_4n_layout() -> None:
    p = load_platform("compute-4n", use_cache=False)
    assert [(n.name, n.id) for n in p.nodes] == [(f"node{i}", i) for i in range(1, 5)]
    for i, node in enumerate(p.nodes):
        sensors = p.node_sensors[node.name]
        paths = [str(p.devices[s.decl.device].path) for s in sensors]
        assert paths == sorted(paths, key=lambda t: (t != "root", t))  # root bus first, then its channel
        assert {t for t in paths if t != "root"} == {f"70:{i}"}
        assert p.devices[f"{node.name}-cpld"].node == node.name
    assert p.devices["mux0"].kind == "pca9548" and p.devices["mux0"].address == 0x70


def test_names_and_missing_files(tmp_path) -> None:
    with pytest.raises(NoInputError, match="no such file or shipped example"):
        load_platform("compute-9n")
    f = tmp_path / "board.toml"
    f.write_text(MINI)
    assert load_platform(str(f)).name == "mini"
    f.write_text(MINI.replace("id = 1", "id = 0"))
    with pytest.raises(ConfigError, match=re.escape(f"{f}:6: node[0].id: 0 is outside 1..255")):
        load_platform(str(f))


def test_cache_gives_the_same_platform(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    a = load_platform("switch-1u")
    b = load_platform("switch-1u")  # from the cached document this time
    assert a.node_sensors == b.node_sensors and a.devices == b.devices


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_trusted_cached_document_builds_the_same_platform(name, tmp_path, monkeypatch) -> None:
    """The cached load skips only checks that raise: every record is the fully validated one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    full = load_platform(name, use_cache=False)
    load_platform(name)  # validates in full and caches the document
    trusted = load_platform(name)
    assert trusted == full


def test_a_trusted_load_builds_no_key_tables(tmp_path) -> None:
    """The schema's key tables are built on first use: a cached load of a description that
    validated before never walks them (a fresh interpreter, so no other test built them)."""
    import os
    import subprocess
    import sys

    code = ("import sys; from chassisctl.platform import description, schema\n"
            "description.load_platform('compute-4n')\n"
            "print(sorted(set(schema._TABLES) & set(vars(schema))))\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    run = lambda: subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,  # noqa: E731
                                 text=True, check=True).stdout.strip()
    assert run() == str(sorted(("TOP", "PLATFORM", "NODE", "POWER", "DEVICE", "FIELD", "SENSOR", "THRESHOLDS",
                                "FRU")))  # validated in full: every table walked
    assert run() == "[]"  # trusted: none built
    from chassisctl.platform import schema

    assert schema.FIELD["access"].choices == ("ro", "rw", "w1c", "sc", "pulse", "wo")


def test_the_document_cache_is_keyed_by_text_and_version(tmp_path, monkeypatch) -> None:
    """Another version's (or another text's) cached document is validated again, not trusted."""
    import chassisctl
    from chassisctl.fileio import load_cache
    from chassisctl.platform import description

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    f = tmp_path / "mini.toml"
    f.write_text(MINI)
    load_platform(str(f))
    digest = load_platform(str(f)).digest
    path = description._cache_path(digest)
    assert load_cache(path, f"{digest}:{chassisctl.__version__}", description.CACHE_FORMAT) is not None
    monkeypatch.setattr(chassisctl, "__version__", "0.0.0-other")
    assert description._cached(digest) is None
    # A cached document that would fail validation (as if an older validator had let it
    # through) is not trusted by this version: the error is still found.
    from chassisctl.fileio import store_cache

    bad = description._parse_toml(MINI.replace("id = 1", "id = 0"), "x")
    store_cache(path, f"{digest}:0.0.0-older", description.CACHE_FORMAT, bad)
    assert load_platform(str(f)).digest == digest


def test_key_lines_scanner() -> None:
    text = '[a]\nx = 1  # c\n[[b]]\ny = [\n  { z = "s,]" },\n  2,\n]\n[b.c]\nq = """m\nl"""\nw = 1\n[[b]]\n"k.k" = 3\n'
    lines = key_lines(text)
    assert lines[("a", "x")] == 2
    assert lines[("b", 0, "y", 0, "z")] == 5 and lines[("b", 0, "y", 1)] == 6
    assert lines[("b", 0, "c", "q")] == 9 and lines[("b", 0, "c", "w")] == 11
    assert lines[("b", 1, "k.k")] == 13
    assert line_of(lines, ("b", 1, "missing")) == 12
    assert dotted(("b", 1, "k.k")) == 'b[1]."k.k"'


def test_node_endpoints() -> None:
    doc = {"nodes": [{"name": "node1", "listen": "127.0.0.1:6231"}, {"name": 2, "listen": "[::1]:6232"}]}
    assert node_endpoints(doc) == [("node1", "127.0.0.1", 6231), ("2", "::1", 6232)]
    nodes = load_platform("compute-4n").nodes
    assert check_endpoints(node_endpoints(doc), list(nodes))[1] == ("node2", "::1", 6232)
    assert node_endpoints({}) == []
    bad = [
        ({"nodes": [{"name": "a"}]}, "nodes[0].listen: missing (required)"),
        ({"nodes": [{"name": "a", "listen": "nowhere"}]}, "nodes[0].listen"),
        ({"nodes": [{"name": "a", "listen": "127.0.0.1:1", "port": 2}]}, "nodes[0].port: unknown key"),
        ({"nodes": [{"name": "a", "listen": "127.0.0.1:1"}, {"name": "b", "listen": "127.0.0.1:1"}]},
         "nodes[1].listen: 127.0.0.1:1 is already"),
        ({"nodes": [{"name": "a", "listen": "127.0.0.1:1"}, {"name": "a", "listen": "127.0.0.1:2"}]},
         "nodes[1].name: node 'a' has two endpoints"),
        ({"nodes": {"name": "a"}}, "nodes: expected [[nodes]] tables"),
    ]
    for doc, part in bad:
        with pytest.raises(ConfigError) as info:
            node_endpoints(doc, "/etc/chassisctl/chassisctl.toml")
        assert part in str(info.value) and str(info.value).startswith("/etc/chassisctl/chassisctl.toml: ")
    with pytest.raises(ConfigError, match=r"nodes\[0\].name: 'node9' is not a node"):
        check_endpoints([("node9", "127.0.0.1", 1)], list(nodes))


def test_a_simulated_fru_image_must_fit_its_eeprom() -> None:
    """The simulator builds the image only when the part is first read, so the
    description check is where an oversized one is reported (one line, the key)."""
    from chassisctl.platform.description import example_path

    text = example_path("compute-4n").read_text()
    long = "X" * 60
    text = text.replace('part = "24c02"\naddress = 0x50\npath = "mux0:0"',
                        'part = "24c01"\naddress = 0x50\npath = "mux0:0"', 1)
    text = text.replace('product = { manufacturer = "chassisctl", product_name = "Compute Node", part_number = "CN-1", '
                        'version = "A", serial = "N1-0001" }',
                        f'product = {{ manufacturer = "{long}", product_name = "{long}", part_number = "CN-1", '
                        'version = "A", serial = "N1-0001" }', 1)
    with pytest.raises(ConfigError) as info:
        parse_platform(text, "big.toml")
    assert "device[" in str(info.value) and "sim.fru" in str(info.value) and "24c01 holds 128" in str(info.value)
