"""Loading and validating a platform description (TOML).

``load_platform("compute-4n")`` (a shipped example) or
``load_platform("/etc/chassisctl/myboard.toml")`` returns a :class:`Platform`
or raises :class:`~chassisctl.errors.ConfigError` whose one-line message
names the file, the line and the key: ``board.toml:42: device[3].address:
0x80 is outside 0x3..0x77``.  ``tomllib`` reports syntax errors with their
line itself; for everything else :mod:`chassisctl.config.lines` finds the
line of the offending key in the source text.

Validation has two passes: the tables of :mod:`chassisctl.platform.schema`
(unknown keys, types, ranges, required keys), then what tables cannot say —
references between nodes, devices, fields, sensors and FRUs; topology paths;
addresses that would collide once a mux connects a channel; CPLD fields that
overlap; thresholds outside the range or out of order; sensor numbers that
clash within a node.  A loaded :class:`Platform` also knows each node's
sensors in *topology order* (root segment first, then each mux channel in
turn), which is the order of their SDR record IDs, so a full sensor walk
switches every mux the minimum number of times.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from chassisctl.namedtuple import NamedTuple

from chassisctl.config.keys import check_value
from chassisctl.digests import NAMESPACE_URL, parse_uuid, sha256_hex, uuid5
from chassisctl.devices.cpld import Access, Field
from chassisctl.devices.pca954x import Kind as MuxKind
from chassisctl.errors import ConfigError, NoInputError
from chassisctl.platform import kinds, schema
from chassisctl.platform.drivers.topology import Hop, MuxPath

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from chassisctl.config.keys import Key
    from chassisctl.config.lines import Path as KeyPath

EXAMPLES = ("switch-1u", "compute-4n")
#: Layout of the parsed-description cache; 2: keyed by the text's digest and the
#: code's version, and trusted (see :func:`parse_platform`).
CACHE_FORMAT = 2
_ORDER = ("lnr", "lc", "lnc", "unc", "uc", "unr")


# --- the loaded description -------------------------------------------------------------


class PowerDecl(NamedTuple):
    device: str
    enable: str | None = None
    on_value: int = 1
    off_value: int = 0
    button: str | None = None
    reset: str | None = None
    power_good: str | None = None
    button_s: float = 0.2
    force_off_s: float = 6.0
    reset_s: float = 0.5
    cycle_off_s: float = 5.0
    pg_timeout_s: float = 8.0
    verify: bool = True


class NodeDecl(NamedTuple):
    name: str
    id: int
    entity_instance: int
    guid: bytes
    power: PowerDecl | None


class DeviceDecl(NamedTuple):
    name: str
    kind: str
    address: int
    path: MuxPath
    #: The path as mux names: (("mux0", 3), ...).
    hops: tuple[tuple[str, int], ...]
    node: str | None
    owner: str
    probe: tuple[int, ...] | None
    options: Mapping[str, Any]
    fields: tuple[Field, ...]
    sim: Mapping[str, Any]
    #: Its place in the description's list (``device[N]``, ``sensor[N]`` in messages).
    position: int

    @property
    def kind_entry(self) -> kinds.DeviceKind:
        """This device's kind in :data:`chassisctl.platform.kinds.KINDS`."""
        return kinds.KINDS[self.kind]

    @property
    def family(self) -> str:
        return self.kind_entry.family

    def option(self, key: str) -> Any:
        """An option of this device, or the default its kind declares for it."""
        if key in self.options:
            return self.options[key]
        return self.kind_entry.options[key].default

    @property
    def owned(self) -> bool:
        return self.owner == "chassisctl"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.address:02x}"


class SensorDecl(NamedTuple):
    name: str
    device: str
    reading: str
    type: str
    node: str | None
    number: int | None
    entity: tuple[int, int] | None
    range: tuple[float, float] | None
    resolution: float | None
    thresholds: Mapping[str, float]
    hysteresis: float | None
    unit: int
    scale: float
    #: Its place in the description's list (``device[N]``, ``sensor[N]`` in messages).
    position: int
    #: unit = "percent": the SDR's percentage bit, on a unitless base.
    percentage: bool = False

    @property
    def discrete(self) -> bool:
        return self.type == "psu_status"


class FruDecl(NamedTuple):
    id: int
    name: str
    device: str
    node: str | None


class NodeSensor(NamedTuple):
    """A sensor as one node's SDR repository holds it."""

    number: int
    decl: SensorDecl


class Platform(NamedTuple):
    name: str
    source: str
    digest: str
    description: str
    manufacturer_id: int
    product_id: int
    device_id: int
    firmware: tuple[int, int]
    clock_hz: int
    sel_capacity: int
    nodes: tuple[NodeDecl, ...]
    devices: Mapping[str, DeviceDecl]
    sensors: tuple[SensorDecl, ...]
    frus: tuple[FruDecl, ...]
    node_sensors: Mapping[str, tuple[NodeSensor, ...]] = MappingProxyType({})

    def node(self, selector: str | int | None) -> NodeDecl:
        """The node named or numbered ``selector`` (None: the first); KeyError if none."""
        if selector is None:
            return self.nodes[0]
        for n in self.nodes:
            if selector == n.name or str(selector) == str(n.id):
                return n
        raise KeyError(selector)

    def node_frus(self, node: str) -> list[FruDecl]:
        return [f for f in self.frus if f.node in (None, node)]

    def muxes(self) -> list[DeviceDecl]:
        return [d for d in self.devices.values() if d.family == "mux"]

    def topology_order(self) -> list[DeviceDecl]:
        return sorted(self.devices.values(), key=_topology_key)


def _topology_key(device: DeviceDecl) -> tuple[Any, ...]:
    return (tuple((h.addr, h.channel) for h in device.path.hops), device.position)


# --- errors -----------------------------------------------------------------------------


class _Context:
    """Raises one-line errors naming file, line and key."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text
        self._lines: dict[KeyPath, int] | None = None

    def fail(self, path: KeyPath, message: str) -> ConfigError:
        # Only a failing description needs its lines (and config.lines with its regex).
        from chassisctl.config.lines import dotted, key_lines, line_of

        if self._lines is None:
            try:
                self._lines = key_lines(self.text)
            except (ValueError, IndexError):
                self._lines = {}
        line = line_of(self._lines, path) or 1
        key = dotted(path) or "(top level)"
        return ConfigError(f"{self.source}:{line}: {key}: {message}")


# --- loading -----------------------------------------------------------------------------


def example_path(name: str) -> Path:
    from pathlib import Path

    return Path(_example_file(name))


def _example_file(name: str) -> str:
    return os.path.join(os.path.dirname(__file__), "examples", f"{name}.toml")


def resolve(name_or_path: str) -> str:
    """A shipped example's file for its name; anything else is a path.

    A string, not a Path: pathlib (with urllib.parse and ipaddress) is ~3 ms
    of every command that opens a platform."""
    if name_or_path in EXAMPLES:
        return _example_file(name_or_path)
    return name_or_path


def load_platform(name_or_path: str, *, use_cache: bool = True) -> Platform:
    """Read, parse and validate a description; :class:`ConfigError` on any problem."""
    from chassisctl.fileio import read_capped

    path = resolve(name_or_path)
    try:
        text = read_capped(path, "platform description", ConfigError).decode("utf-8")
    except FileNotFoundError:
        if os.sep not in name_or_path and not name_or_path.endswith(".toml"):
            raise NoInputError(f"platform {name_or_path!r}: no such file or shipped example",
                               hint=f"shipped: {', '.join(EXAMPLES)}") from None
        raise NoInputError(f"platform description {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"platform description {path} is a directory") from None
    except PermissionError:
        raise ConfigError(f"platform description {path} is not readable (permission denied)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"platform description {path}: {exc.strerror}") from None
    return parse_platform(text, str(path), use_cache=use_cache)


def parse_platform(text: str, source: str = "<platform>", *, use_cache: bool = False) -> Platform:
    """The :class:`Platform` of a description's ``text``.

    With ``use_cache`` the parsed document is cached once it has validated,
    keyed by the SHA-256 of the exact text and by chassisctl's version (the
    validator's): a later load of the same text by the same code rebuilds the
    records from it without repeating the checks that only raise (tables,
    option and seed values, sensor ranges' SDR factors, FRU images, address
    collisions, mux paths, CPLD field overlaps, presence links), since
    they passed on that very document.  Any change to the text, or another
    chassisctl version, validates in full again.
    """
    digest = sha256_hex(text.encode("utf-8"))
    doc = _cached(digest) if use_cache else None
    fresh = doc is None
    if doc is None:
        doc = _parse_toml(text, source)
    platform = _Validator(doc, _Context(source, text), digest, source, trusted=not fresh).platform()
    if use_cache and fresh:
        _store(digest, doc)
    return platform


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    import tomllib

    from chassisctl.fileio import toml_loads

    try:
        return toml_loads(text, source, ConfigError)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        line = getattr(exc, "lineno", None)
        if line is None and "(at line " in msg:
            line = msg.rsplit("(at line ", 1)[1].split(",")[0]
            msg = msg.rsplit(" (at line ", 1)[0]
        raise ConfigError(f"{source}:{line or 1}: TOML syntax: {msg}") from None


def _cache_path(digest: str) -> str:
    from chassisctl.config import xdg_path

    # The layout in the name: a chassisctl that still writes format 1 does not take turns
    # overwriting this one (each would validate from scratch every time).
    return xdg_path("CACHE", "platform", f"doc-{digest[:24]}-{CACHE_FORMAT}.json")


def _cache_key(digest: str) -> str:
    from chassisctl import __version__

    return f"{digest}:{__version__}"


def _cached(digest: str) -> dict[str, Any] | None:
    from chassisctl.fileio import load_cache

    return load_cache(_cache_path(digest), _cache_key(digest), CACHE_FORMAT)


def _store(digest: str, doc: dict[str, Any]) -> None:
    from chassisctl.fileio import store_cache

    store_cache(_cache_path(digest), _cache_key(digest), CACHE_FORMAT, doc)


# --- validation -------------------------------------------------------------------------


class _Validator:
    def __init__(self, doc: dict[str, Any], ctx: _Context, digest: str, source: str, *,
                 trusted: bool = False) -> None:
        self.doc = doc
        #: A document that passed every check before (parse_platform's cache): the
        #: checks that only raise are skipped; everything that builds records runs.
        self.trusted = trusted
        self._tables: dict[str, list[dict[str, Any]]] = {}
        self.ctx = ctx
        self.digest = digest
        self.source = source

    def fail(self, path: KeyPath, message: str) -> ConfigError:
        return self.ctx.fail(path, message)

    def table(self, value: Any, keys: str | Mapping[str, Key], path: KeyPath,
              extra: str = "") -> dict[str, Any]:
        """Check one table against its keys (unknown, type, range, required).

        ``keys`` is a table of :mod:`chassisctl.platform.schema` by name (built on
        first use: a trusted load, see :func:`parse_platform`, builds none) or the keys.
        """
        if self.trusted:
            return value
        table: Mapping[str, Key] = getattr(schema, keys) if isinstance(keys, str) else keys
        if not isinstance(value, dict):
            raise self.fail(path, "expected a table")
        for key, item in value.items():
            spec = table.get(key)
            if spec is None:
                known = ", ".join(sorted(table))
                raise self.fail(path + (key,), f"unknown key{extra} (known: {known})")
            problem = check_value(spec, item)
            if problem:
                raise self.fail(path + (key,), problem)
        for key, spec in table.items():
            if spec.required and key not in value:
                raise self.fail(path, f"missing required key '{key}'")
        return value

    def tables(self, name: str) -> list[dict[str, Any]]:
        """The ``[[name]]`` tables, checked once (sensors look up their device's table each)."""
        out = self._tables.get(name)
        if out is not None:
            return out
        items = self.doc.get(name, [])
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail((name, i), f"expected [[{name}]] tables")
            out.append(item)
        self._tables[name] = out
        return out

    # -- the whole document --------------------------------------------------------------
    def platform(self) -> Platform:
        self.table(self.doc, "TOP", ())
        p = self.table(self.doc["platform"], "PLATFORM", ("platform",))
        name = p["name"]
        if not schema.is_name(name):
            raise self.fail(("platform", "name"), f"{name!r}: use 1-64 letters, digits, '.', '_' or '-'")
        firmware = self._firmware(p.get("firmware", "1.00"))
        base_guid = self._uuid(p.get("guid"), ("platform", "guid")) or uuid5(
            NAMESPACE_URL, f"chassisctl:platform:{name}")
        declared = self._nodes(base_guid)
        devices = self._devices({n.name for n in declared})
        self._topology(devices)
        nodes = tuple(self._power(n, i, devices) for i, n in enumerate(declared))
        self._links(devices)
        sensors = self._sensors(devices, {n.name for n in nodes})
        frus = self._frus(devices, {n.name for n in nodes})
        platform = Platform(
            name=name, source=self.source, digest=self.digest, description=p.get("description", ""),
            manufacturer_id=p.get("manufacturer_id", 0), product_id=p.get("product_id", 0),
            device_id=p.get("device_id", 0x20), firmware=firmware, clock_hz=p.get("clock_hz", 100_000),
            sel_capacity=p.get("sel_capacity", 512), nodes=nodes, devices=devices, sensors=sensors, frus=frus)
        return platform._replace(node_sensors=self._numbering(platform))

    def _firmware(self, text: str) -> tuple[int, int]:
        major, sep, minor = text.partition(".")
        if not (sep and major.isdigit() and minor.isdigit() and len(minor) <= 2
                and int(major) <= 127):
            raise self.fail(("platform", "firmware"), f"{text!r} is not MAJOR.MINOR (e.g. \"1.02\")")
        return int(major), int(minor)

    def _uuid(self, text: str | None, path: KeyPath) -> bytes | None:
        if text is None:
            return None
        try:
            return parse_uuid(text)
        except ValueError:
            raise self.fail(path, f"{text!r} is not a UUID") from None

    # -- nodes -----------------------------------------------------------------------------
    def _nodes(self, base_guid: bytes) -> list[NodeDecl]:
        raw = self.tables("node")
        if not raw:
            raise self.fail(("node",), "at least one [[node]] is required")
        nodes: list[NodeDecl] = []
        names: set[str] = set()
        ids: set[int] = set()
        for i, t in enumerate(raw):
            self.table(t, "NODE", ("node", i))
            name, nid = t["name"], t["id"]
            if not schema.is_name(name) or name.isdigit():
                raise self.fail(("node", i, "name"), f"{name!r}: use letters, digits, '.', '_', '-' (not a number)")
            if name in names:
                raise self.fail(("node", i, "name"), f"duplicate node name {name!r}")
            if nid in ids:
                raise self.fail(("node", i, "id"), f"duplicate node id {nid}")
            names.add(name)
            ids.add(nid)
            guid = self._uuid(t.get("guid"), ("node", i, "guid")) or uuid5(base_guid, name)
            nodes.append(NodeDecl(name, nid, t.get("entity_instance", nid), guid, None))
        return nodes

    def _power(self, node: NodeDecl, i: int, devices: Mapping[str, DeviceDecl]) -> NodeDecl:
        t = self.tables("node")[i].get("power")
        if t is None:
            return node
        path: KeyPath = ("node", i, "power")
        self.table(t, "POWER", path)
        dev = devices.get(t["device"])
        if dev is None or not dev.kind_entry.has_fields:
            raise self.fail(path + ("device",), f"{t['device']!r} is not a declared cpld device")
        if dev.node not in (None, node.name):
            raise self.fail(path + ("device",), f"{dev.name} belongs to node {dev.node}, not {node.name}")
        names = {f.name: f for f in dev.fields}
        for key, allowed in (("enable", (Access.RW,)), ("button", (Access.PULSE, Access.RW)),
                             ("reset", (Access.PULSE, Access.RW)),
                             ("power_good", (Access.RO, Access.RW))):
            ref = t.get(key)
            if ref is None:
                continue
            f = names.get(ref)
            if f is None:
                raise self.fail(path + (key,), f"{dev.name} has no field {ref!r}")
            if f.access not in allowed:
                raise self.fail(path + (key,), f"field {ref!r} is {f.access.value}; {key} needs "
                                               + " or ".join(a.value for a in allowed))
        if "enable" not in t and "button" not in t:
            raise self.fail(path, "needs 'enable' (level) or 'button' (pulse) to control power")
        if "button" in t and "power_good" not in t:
            raise self.fail(path, "a 'button' toggles: 'power_good' is needed to know the state")
        if "enable" in t:
            f = names[t["enable"]]
            for key in ("on_value", "off_value"):
                if key in t and t[key] > f.max_value:
                    raise self.fail(path + (key,), f"{t[key]} does not fit field {f.name} (max {f.max_value})")
            if t.get("on_value", 1) == t.get("off_value", 0):
                raise self.fail(path + ("on_value",), "on_value and off_value must differ")
        def ms(key: str, default: float) -> float:
            return float(t.get(key, default)) / 1000

        def pulse_ms(ref: str | None, default: float) -> float:
            """The declared field's own pulse width, else ``default``."""
            width = names[ref].pulse_width_s if ref is not None else None
            return width * 1000 if width else default

        button_s = ms("button_ms", pulse_ms(t.get("button"), 200))
        reset_s = ms("reset_ms", pulse_ms(t.get("reset"), 500))
        if button_s >= 4.0:
            raise self.fail(path + ("button_ms",), "a press of 4 s or more is a forced off (ACPI override)")
        power = PowerDecl(device=dev.name, enable=t.get("enable"), on_value=t.get("on_value", 1),
                          off_value=t.get("off_value", 0), button=t.get("button"), reset=t.get("reset"),
                          power_good=t.get("power_good"), button_s=button_s,
                          force_off_s=ms("force_off_ms", 6000), reset_s=reset_s,
                          cycle_off_s=ms("cycle_off_ms", 5000), pg_timeout_s=ms("pg_timeout_ms", 8000),
                          verify=t.get("verify", True))
        return NodeDecl(node.name, node.id, node.entity_instance, node.guid, power)

    # -- devices -----------------------------------------------------------------------------
    def _devices(self, nodes: set[str]) -> dict[str, DeviceDecl]:
        raw = self.tables("device")
        names: dict[str, int] = {}
        for i, t in enumerate(raw):
            if not isinstance(t.get("kind"), str) or t["kind"] not in kinds.KINDS:
                if "kind" not in t:
                    raise self.fail(("device", i), "missing required key 'kind'")
                raise self.fail(("device", i, "kind"),
                                f"{t['kind']!r} is not a device kind (known: {', '.join(kinds.KINDS)})")
            if not self.trusted:  # (table() would return at once, but only after building the keys)
                self.table(t, kinds.kind_options(t["kind"]), ("device", i), f" for kind {t['kind']}")
            name = t["name"]
            if not schema.is_name(name):
                raise self.fail(("device", i, "name"), f"{name!r}: use letters, digits, '.', '_' or '-'")
            if name in names:
                raise self.fail(("device", i, "name"), f"duplicate device name {name!r}")
            names[name] = i
        devices: dict[str, DeviceDecl] = {}
        for i, t in enumerate(raw):
            devices[t["name"]] = self._device(i, t, raw, names, nodes)
        return devices

    def _device(self, i: int, t: dict[str, Any], raw: list[dict[str, Any]], names: dict[str, int],
                nodes: set[str]) -> DeviceDecl:
        path: KeyPath = ("device", i)
        kind = kinds.KINDS[t["kind"]]
        addr = t["address"]
        if not self.trusted:
            try:
                kind.check(t)
            except kinds.OptionError as exc:
                raise self.fail(path + exc.where, exc.message) from None
        if t.get("node") is not None and t["node"] not in nodes:
            raise self.fail(path + ("node",), f"no node named {t['node']!r}")
        hops = self._path(path, t.get("path", ""), raw, names)
        if kind.kernel and hops:
            raise self.fail(path + ("path",), f"{kind.name} devices are read through the kernel: "
                                              "only root-bus devices are supported (use 'bus')")
        fields = self._fields(path, t.get("field", [])) if kind.has_fields else ()
        options = {k: v for k, v in t.items() if k in kind.options}
        probe = t.get("probe")
        owner = t.get("owner", "kernel" if kind.kernel else "chassisctl")
        if kind.kernel and owner != "kernel":
            raise self.fail(path + ("owner",), f"{kind.name} devices are owned by their kernel driver")
        sim = t.get("sim", {})
        for key, value in sim.items() if not self.trusted else ():
            spec = kind.key_for(t, key)
            if spec is None:
                raise self.fail(path + ("sim", key), f"not a simulator key for kind {kind.name}")
            problem = check_value(spec, value)
            if problem:
                raise self.fail(path + ("sim", key), problem)
        if not self.trusted:  # builds images (FRU): once per description, not on every cached load
            try:
                kind.check_sim(t, sim)
            except kinds.OptionError as exc:
                raise self.fail(path + exc.where, exc.message) from None
        return DeviceDecl(t["name"], kind.name, addr, MuxPath(tuple(h for h, _ in hops)),
                          tuple(n for _, n in hops), t.get("node"), owner,
                          tuple(probe) if probe is not None else None, options, fields, dict(sim), i)

    def _path(self, path: KeyPath, text: str, raw: list[dict[str, Any]], names: dict[str, int],
              seen: tuple[str, ...] = ()) -> list[tuple[Hop, tuple[str, int]]]:
        hops: list[tuple[Hop, tuple[str, int]]] = []
        for part in filter(None, (p.strip() for p in text.split("/"))):
            mux, sep, channel = part.partition(":")
            if not sep or not channel.strip().isdigit():
                raise self.fail(path + ("path",), f"{part!r} is not MUX:CHANNEL")
            mux = mux.strip()
            if mux not in names or kinds.KINDS[raw[names[mux]]["kind"]].family != "mux":
                raise self.fail(path + ("path",), f"{mux!r} is not a declared mux (pca954x) device")
            kind = MuxKind.from_name(raw[names[mux]]["kind"])
            ch = int(channel)
            if ch >= kind.spec.channels:
                raise self.fail(path + ("path",), f"{mux} ({kind.spec.name}) has channels 0..{kind.spec.channels - 1}")
            hops.append((Hop(raw[names[mux]]["address"], ch, kind), (mux, ch)))
        # A path must follow the mux's own position: mux1's path + mux1:ch.
        for n, (_hop, (mux, _)) in enumerate(hops if not self.trusted else ()):
            if mux in seen:
                raise self.fail(path + ("path",), f"mux {mux} is on its own path")
            own = self._path(("device", names[mux]), raw[names[mux]].get("path", ""), raw, names,
                             seen + (mux,))
            if [h[1] for h in own] != [h[1] for h in hops[:n]]:
                where = "/".join(f"{m}:{c}" for _, (m, c) in own) or "the root bus"
                raise self.fail(path + ("path",), f"mux {mux} sits on {where}; the path must go through it")
        return hops

    def _fields(self, path: KeyPath, raw: Any) -> tuple[Field, ...]:
        from chassisctl.devices import cpld

        if not isinstance(raw, list):
            raise self.fail(path + ("field",), "expected [[device.field]] tables")
        fields: list[Field] = []
        seen: set[str] = set()
        for j, t in enumerate(raw):
            fpath = path + ("field", j)
            self.table(t, "FIELD", fpath)
            if t["name"] in seen:
                raise self.fail(fpath + ("name",), f"duplicate field {t['name']!r}")
            seen.add(t["name"])
            try:
                width = t.get("pulse_ms")
                f = Field(t["name"], t["register"], t["mask"], Access(t.get("access", "ro")),
                          t.get("active_low", False), t.get("cmpval"),
                          None if width is None else width / 1000, t.get("verify", False))
                if not self.trusted:
                    cpld.registers(fields + [f])  # overlapping fields raise
            except ValueError as exc:
                raise self.fail(fpath, str(exc)) from None
            fields.append(f)
        return tuple(fields)

    # -- topology and references ---------------------------------------------------------------
    def _topology(self, devices: Mapping[str, DeviceDecl]) -> None:
        """Addresses must not collide on any electrical path from the root to a leaf.

        Sibling channels of one mux may reuse addresses (only one is connected
        at a time), but a device is visible on every segment above it while its
        channel is selected.
        """
        if self.trusted:
            return
        by_segment: dict[tuple[tuple[int, int], ...], list[DeviceDecl]] = {}
        elsewhere = lambda d: d.kind_entry.kernel and "bus" in d.options  # noqa: E731 - another adapter
        for d in devices.values():
            if elsewhere(d):
                continue
            by_segment.setdefault(d.path.segment(), []).append(d)
        for d in devices.values():
            if elsewhere(d):
                continue
            seg = d.path.segment()
            for other_seg, others in by_segment.items():
                related = other_seg[:len(seg)] == seg or seg[:len(other_seg)] == other_seg
                if not related:
                    continue
                for o in others:
                    if o is d or o.position > d.position:
                        continue
                    if _addresses(o) & _addresses(d):
                        raise self.fail(("device", d.position, "address"),
                                        f"{d.address:#04x} collides with {o.name} ({o.path}) "
                                        "when the mux connects both")
        for d in devices.values():
            if d.family == "mux":
                for hop in d.path.hops:
                    if hop.addr == d.address:
                        raise self.fail(("device", d.position, "address"),
                                        "a cascaded mux must not share its parent's address")

    def _links(self, devices: Mapping[str, DeviceDecl]) -> None:
        if self.trusted:
            return
        for d in devices.values():
            ref = d.options.get("present")
            if ref is None:
                continue
            where = ("device", d.position, "present")
            dev, _, fname = ref.partition(".")
            cpld = devices.get(dev)
            if cpld is None or not cpld.kind_entry.has_fields or fname not in {f.name for f in cpld.fields}:
                raise self.fail(where, f"{ref!r} is not CPLD.FIELD of a declared cpld")
            if cpld.field(fname).access not in (Access.RO, Access.RW):
                raise self.fail(where, f"field {fname} is not readable")

    # -- sensors ---------------------------------------------------------------------------------
    def _sensors(self, devices: Mapping[str, DeviceDecl], nodes: set[str]) -> tuple[SensorDecl, ...]:
        out: list[SensorDecl] = []
        for i, t in enumerate(self.tables("sensor")):
            path: KeyPath = ("sensor", i)
            self.table(t, "SENSOR", path)
            name = t["name"]
            if not name.isascii() or not name.isprintable() or not 1 <= len(name) <= 16:
                raise self.fail(path + ("name",), f"{name!r}: 1-16 printable ASCII characters (SDR ID string)")
            dev = devices.get(t["device"])
            if dev is None:
                raise self.fail(path + ("device",), f"no device named {t['device']!r}")
            options = self.tables("device")[dev.position]
            kind = dev.kind_entry
            readings = kind.readings(options)
            reading = t.get("reading")
            if kind.attribute_type is not None:
                if reading is None or (rtype := kind.attribute_type(reading)) is None:
                    raise self.fail(path + ("reading",), f"{kind.name} sensors name an attribute such as temp1_input")
            else:
                if not readings:
                    raise self.fail(path + ("device",), f"{dev.name} ({dev.kind}) has no readings")
                if reading is None:
                    analog = [r for r in readings if r != "status"]
                    if len(analog) != 1:
                        raise self.fail(path, f"'reading' is required for {dev.kind} "
                                              f"(one of: {', '.join(readings)})")
                    reading = analog[0]
                if reading not in readings:
                    raise self.fail(path + ("reading",),
                                    f"{reading!r} is not a reading of {dev.kind} (known: {', '.join(readings)})")
                rtype = readings[reading]
            stype = t.get("type", rtype)
            if stype != rtype:
                raise self.fail(path + ("type",), f"reading {reading} is a {rtype} sensor, not {stype}")
            node = t.get("node", dev.node)
            if node is not None and node not in nodes:
                raise self.fail(path + ("node",), f"no node named {node!r}")
            if dev.node is not None and node != dev.node:
                raise self.fail(path + ("node",), f"{dev.name} belongs to node {dev.node}")
            resolution = t.get("resolution", device_resolution(dev, reading))
            rng = self._range(path, t, stype, resolution)
            thresholds = dict(t.get("thresholds", {}))
            self.table(thresholds, "THRESHOLDS", path + ("thresholds",))
            if stype == "psu_status" and (thresholds or "range" in t):
                raise self.fail(path + ("thresholds" if thresholds else "range",),
                                "a psu_status sensor is discrete: no range or thresholds")
            if rng is not None and not self.trusted:
                lo, hi = rng
                for key, value in thresholds.items():
                    if not lo <= value <= hi:
                        raise self.fail(path + ("thresholds", key), f"{value} is outside the range {lo}..{hi}")
                given = [(k, thresholds[k]) for k in _ORDER if k in thresholds]
                for (ka, va), (kb, vb) in zip(given, given[1:], strict=False):
                    if va > vb or (va == vb and ka[0] != kb[0]):
                        raise self.fail(path + ("thresholds", kb), f"{kb} {vb} must be above {ka} {va}")
            unit = schema.SENSOR_TYPES[stype][1]
            if "unit" in t:
                if t["unit"] not in schema.UNITS:
                    raise self.fail(path + ("unit",), f"{t['unit']!r} is not one of {', '.join(schema.UNITS)}")
                unit = schema.UNITS[t["unit"]]
            entity = tuple(t["entity"]) if "entity" in t else None
            if entity is not None and not (all(isinstance(v, int) for v in entity)
                                           and 0 <= entity[0] <= 0xFF and 0 <= entity[1] <= 0x7F):
                raise self.fail(path + ("entity",), "expected [entity ID 0-255, instance 0-127]")
            if t.get("scale", 1) == 0:
                raise self.fail(path + ("scale",), "scale must not be 0")
            out.append(SensorDecl(name, dev.name, reading, stype, node, t.get("number"), entity,
                                  rng, resolution, thresholds, t.get("hysteresis"), unit,
                                  float(t.get("scale", 1)), i, t.get("unit") == "percent"))
        return tuple(out)

    def _range(self, path: KeyPath, t: dict[str, Any], stype: str,
               resolution: float | None) -> tuple[float, float] | None:
        if stype == "psu_status":
            return None
        if "range" not in t:
            raise self.fail(path, "missing required key 'range' ([min, max]: the SDR factors cover it)")
        lo, hi = float(t["range"][0]), float(t["range"][1])
        if not hi > lo:
            raise self.fail(path + ("range",), f"[{t['range'][0]}, {t['range'][1]}] is empty: max must exceed min")
        if not self.trusted:
            from chassisctl.bmc.synth import aligned_factors

            try:
                aligned_factors(lo, hi, resolution)  # the very factors the SDR will carry
            except ValueError as exc:
                raise self.fail(path + ("range",), str(exc)) from None
        return lo, hi

    def _frus(self, devices: Mapping[str, DeviceDecl], nodes: set[str]) -> tuple[FruDecl, ...]:
        out: list[FruDecl] = []
        for i, t in enumerate(self.tables("fru")):
            path: KeyPath = ("fru", i)
            self.table(t, "FRU", path)
            dev = devices.get(t["device"])
            if dev is None or not dev.kind_entry.holds_fru:
                raise self.fail(path + ("device",), f"{t['device']!r} is not a declared at24 device")
            node = t.get("node", dev.node)
            if node is not None and node not in nodes:
                raise self.fail(path + ("node",), f"no node named {node!r}")
            name = t.get("name", dev.name)
            if not name.isascii() or not 1 <= len(name) <= 16:
                raise self.fail(path + ("name",), f"{name!r}: 1-16 ASCII characters")
            for other in out:
                if other.id == t["id"] and (other.node is None or node is None or other.node == node):
                    raise self.fail(path + ("id",), f"FRU id {t['id']} is already {other.device}'s")
            out.append(FruDecl(t["id"], name, dev.name, node))
        return tuple(out)

    def _numbering(self, platform: Platform) -> dict[str, tuple[NodeSensor, ...]]:
        """Each node's sensors in topology order, numbered (declared numbers kept)."""
        result: dict[str, tuple[NodeSensor, ...]] = {}
        for node in platform.nodes:
            mine = [s for s in platform.sensors if s.node in (None, node.name)]
            mine.sort(key=lambda s: (_topology_key(platform.devices[s.device]), s.position))
            used: dict[int, SensorDecl] = {}
            for s in mine:
                if s.number is not None:
                    if s.number in used:
                        raise self.fail(("sensor", s.position, "number"),
                                        f"number {s.number} is also {used[s.number].name!r} on node {node.name}")
                    used[s.number] = s
            numbered: list[NodeSensor] = []
            nxt = 1
            for s in mine:
                number = s.number
                if number is None:
                    while nxt in used:
                        nxt += 1
                    if nxt > 254:
                        raise self.fail(("sensor", s.position), f"node {node.name} has more than 254 sensors")
                    number = nxt
                    used[nxt] = s
                numbered.append(NodeSensor(number, s))
            names = [s.name for s in mine]
            for s in mine if not self.trusted else ():
                if names.count(s.name) > 1:
                    raise self.fail(("sensor", s.position, "name"), f"two sensors named {s.name!r} on node {node.name}")
            result[node.name] = tuple(numbered)
        return result


def device_resolution(dev: DeviceDecl, reading: str) -> float | None:
    """The step a device's format fixes for a reading (None: it varies, e.g. LINEAR11)."""
    return dev.kind_entry.resolution(dev.options, reading)


def _addresses(d: DeviceDecl) -> set[int]:
    return d.kind_entry.addresses(d.options, d.address)
