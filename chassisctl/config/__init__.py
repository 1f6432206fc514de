"""Where each setting comes from: flag > environment > config file > default.

The same precedence serves the CLI, ``serve`` and scripts, and every value
remembers its origin, so an error can say where a bad value came from ("--addr",
"CHASSISCTL_ADDR" or "<file>: bmc.addr").  The TOML file is parsed
only when one exists: ``tomllib`` costs ~15 ms of start-up that ``power
status`` on a laptop should not pay.

File lookup: ``--config`` / ``CHASSISCTL_CONFIG``, else
``$XDG_CONFIG_HOME/chassisctl/chassisctl.toml``, else
``/etc/chassisctl/chassisctl.toml``.  Other sections (``[ipmi]``,
``[[nodes]]``…) belong to the features that read them; this module
validates ``[bmc]`` and hands out the parsed document.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from chassisctl.namedtuple import NamedTuple

from chassisctl.errors import ConfigError, NoInputError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

#: A string, like every path on the everyday commands: pathlib (with urllib.parse and
#: ipaddress, which it imports) is ~3 ms of start-up, paid only when a file is found.
SYSTEM_CONFIG = "/etc/chassisctl/chassisctl.toml"

#: The everyday commands' copies of :data:`chassisctl.config.schema.BMC`'s choices and
#: environment names: importing the schema would cost every command start-up time, so
#: tests/test_config.py holds the two to each other instead.
TRANSPORTS = ("ssif", "ipmb")
PEC_MODES = ("auto", "on", "off")


class Origin(NamedTuple):
    """Where one setting came from, for messages."""

    kind: str  # "flag" | "env" | "config" | "default"
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.detail}".strip()


#: BmcSettings' fields and defaults, in order.
_SETTINGS_DEFAULTS: dict[str, Any] = {
    "bus": "sim", "addr": 0x10, "transport": "ssif", "pec": "auto", "timeout": 5.0, "ipmb_device": None,
    "ipmb_my_addr": 0x08, "platform": None, "node": None, "config_path": None, "origins": None,
}


class BmcSettings:
    """Everything needed to reach one BMC (or platform), fully resolved.

    Immutable and compared by value like the frozen dataclass it was, but a
    plain class: every command builds one, and ``dataclasses`` (with
    ``inspect``) cost ~7 ms of start-up before the class is even built.
    ``origins`` defaults to a new empty dict.
    """

    __slots__ = tuple(_SETTINGS_DEFAULTS)

    bus: str
    addr: int
    transport: str
    pec: str
    timeout: float
    ipmb_device: str | None
    ipmb_my_addr: int
    platform: str | None
    node: str | None
    config_path: Path | None
    origins: Mapping[str, Origin]

    def __init__(self, bus: str = "sim", addr: int = 0x10, transport: str = "ssif", pec: str = "auto",
                 timeout: float = 5.0, ipmb_device: str | None = None, ipmb_my_addr: int = 0x08,
                 platform: str | None = None, node: str | None = None, config_path: Path | None = None,
                 origins: Mapping[str, Origin] | None = None) -> None:
        values = (bus, addr, transport, pec, timeout, ipmb_device, ipmb_my_addr, platform, node, config_path,
                  {} if origins is None else origins)
        for name, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def as_dict(self) -> dict[str, Any]:
        """Every field by name, in declaration order (what ``dataclasses.asdict`` gave, unrecursed)."""
        return {name: getattr(self, name) for name in self.__slots__}

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: BmcSettings is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: BmcSettings is immutable")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return "BmcSettings(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__) + ")"

    @property
    def simulated(self) -> bool:
        return self.bus == "sim" or self.bus.startswith("sim:")


def _parse_addr(text: Any, what: str) -> int:
    try:
        if not isinstance(text, int) and not str(text).isascii():
            raise ValueError("not ASCII")  # int() would read a full-width "０x10"
        value = text if isinstance(text, int) else int(str(text), 0)
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not an I2C address (use 7-bit form, e.g. 0x10)") from None
    if not 0x03 <= value <= 0x77:
        raise UsageError(f"{what}: {value:#04x} is outside the 7-bit range 0x03-0x77 "
                         "(8-bit form? divide by two)")
    return value


def _parse_choice(choices: tuple[str, ...]):
    def parse(text: Any, what: str) -> str:
        value = str(text).lower()
        if value not in choices:
            raise UsageError(f"{what}: {text!r} is not one of {', '.join(choices)}")
        return value
    return parse


def _parse_timeout(text: Any, what: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UsageError(f"{what}: {text!r} is not a number of seconds") from None
    if not 0 < value <= 600:
        raise UsageError(f"{what}: {value} s is outside 0-600 s")
    return value


def _parse_str(text: Any, what: str) -> str:
    if not isinstance(text, (str, int)) or str(text) == "":
        raise UsageError(f"{what}: expected a non-empty string")
    return str(text)


_FIELDS: dict[str, tuple[str, Any]] = {
    "bus": ("CHASSISCTL_BUS", _parse_str),
    "addr": ("CHASSISCTL_ADDR", _parse_addr),
    "transport": ("CHASSISCTL_TRANSPORT", _parse_choice(TRANSPORTS)),
    "pec": ("CHASSISCTL_PEC", _parse_choice(PEC_MODES)),
    "timeout": ("CHASSISCTL_TIMEOUT", _parse_timeout),
    "ipmb_device": ("CHASSISCTL_IPMB_DEVICE", _parse_str),
    "ipmb_my_addr": ("CHASSISCTL_IPMB_MY_ADDR", _parse_addr),
    "platform": ("CHASSISCTL_PLATFORM", _parse_str),
    "node": ("CHASSISCTL_NODE", _parse_str),
}

#: Environment variables the CLI documents, in ``--help`` order.
ENVIRONMENT = {name: env for name, (env, _) in _FIELDS.items()} | {"config": "CHASSISCTL_CONFIG"}


def xdg_path(kind: str, *parts: str, env: Mapping[str, str] | None = None) -> str:
    """``$XDG_<KIND>_HOME/chassisctl[/parts...]`` with the XDG defaults under ``~``, as a string."""
    env = os.environ if env is None else env
    defaults = {"CONFIG": ".config", "CACHE": ".cache", "STATE": ".local/state"}
    base = env.get(f"XDG_{kind}_HOME")
    if not base or not os.path.isabs(base):
        base = os.path.join(env.get("HOME") or os.path.expanduser("~"), defaults[kind])
    return os.path.join(base, "chassisctl", *parts)


def xdg_dir(kind: str, env: Mapping[str, str] | None = None) -> Path:
    """:func:`xdg_path` as a :class:`~pathlib.Path`."""
    from pathlib import Path

    return Path(xdg_path(kind, env=env))


def _path(text: str | os.PathLike[str]) -> Path:
    from pathlib import Path

    return Path(text)


def find_config(explicit: str | None, env: Mapping[str, str]) -> tuple[Path | None, Origin | None]:
    """The config file to read, or None; an explicit path must exist."""
    if explicit:
        return _path(explicit), Origin("flag", "--config")
    if env.get("CHASSISCTL_CONFIG"):
        return _path(env["CHASSISCTL_CONFIG"]), Origin("env", "CHASSISCTL_CONFIG")
    for path in (xdg_path("CONFIG", "chassisctl.toml", env=env), SYSTEM_CONFIG):
        if os.path.isfile(path):
            return _path(path), Origin("config", str(path))
    return None, None


def load_toml(path: Path, origin: Origin | None = None) -> dict[str, Any]:
    """Parse a TOML file; every failure is a one-line ConfigError/NoInputError.

    Read through :func:`chassisctl.fileio.read_capped` and
    :func:`~chassisctl.fileio.toml_loads`: at most 1 MiB, nested at most 32
    deep, no ``nan``/``inf`` (``--config /dev/urandom`` is one line, exit 78).
    """
    import tomllib

    from chassisctl.fileio import read_capped, toml_loads

    try:
        raw = read_capped(path, "config file", ConfigError)
    except FileNotFoundError:
        raise NoInputError(f"config file {path} does not exist",
                           hint=f"given by {origin}" if origin else None) from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory") from None
    except PermissionError:
        raise ConfigError(f"config file {path} is not readable (permission denied)") from None
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror}") from None
    try:
        return toml_loads(raw.decode("utf-8"), str(path), ConfigError)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _check_document(doc: Mapping[str, Any], path: Path) -> Mapping[str, Any]:
    """Every section and key against :mod:`chassisctl.config.schema`; the ``[bmc]`` table."""
    from chassisctl.config.validate import check_document

    check_document(doc, path)
    return doc.get("bmc", {})


class Resolved(NamedTuple):
    """The outcome of resolution: BMC settings plus the whole parsed file."""

    bmc: BmcSettings
    document: dict[str, Any]


def resolve(flags: Mapping[str, Any], env: Mapping[str, str] | None = None,
            *, config: str | None = None) -> Resolved:
    """Apply flag > environment > config file > default for every setting.

    ``flags`` holds only options the user actually gave (None = not given).
    A bad value names its source: "--addr", "CHASSISCTL_ADDR" or
    "<file>: bmc.addr"; flags and environment are usage errors (exit 2),
    file values are config errors (exit 78).
    """
    env = os.environ if env is None else env
    path, path_origin = find_config(config, env)
    document: dict[str, Any] = load_toml(path, path_origin) if path else {}
    file_values = _check_document(document, path) if path else {}

    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for name, (env_name, parse) in _FIELDS.items():
        if flags.get(name) is not None:
            values[name] = parse(flags[name], "--" + name.replace("_", "-"))
            origins[name] = Origin("flag", "--" + name.replace("_", "-"))
        elif env.get(env_name):
            values[name] = parse(env[env_name], env_name)
            origins[name] = Origin("env", env_name)
        elif name in file_values:
            try:
                values[name] = parse(file_values[name], f"{path}: bmc.{name}")
            except UsageError as exc:
                raise ConfigError(exc.message) from None
            origins[name] = Origin("config", str(path))
        else:
            origins[name] = Origin("default")
    if path is not None:
        origins["config"] = path_origin or Origin("config", str(path))
    return Resolved(BmcSettings(**values, config_path=path, origins=origins), document)
