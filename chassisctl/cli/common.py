"""Global options accepted before *and* after the subcommand, and the per-run state.

``chassisctl --bus sim sensors`` and ``chassisctl sensors --bus sim`` must mean
the same, because operators put options wherever their fingers land and
scripts build command lines by appending.  :func:`command` adds the global
options to a command's signature (typer reads ``__signature__``), removes
them before the command body runs and merges them into the one
:class:`CliState` of the invocation; a value given after the subcommand wins
over one given before it.  :mod:`chassisctl.cli.fastrun` merges them the same
way without typer.

Nothing here imports typer at module level: command modules import this on
the typer-free path too, nor ``inspect`` and ``functools`` (~5 ms): only
building the typer application needs them, inside the functions that do it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from chassisctl.cli.completion_values import complete_bus, complete_node, complete_platform
from chassisctl.cli.params import Option, OptionDecl, Param
from chassisctl.cli.render import Output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    import inspect


class GlobalOption:
    __slots__ = ("name", "annotation", "option")

    def __init__(self, name: str, annotation: Any, option: Param) -> None:
        self.name = name
        self.annotation = annotation
        self.option = option


def _opt(*names: str, **kw: Any) -> OptionDecl:
    """A global option: no default of its own (the config and environment supply it)."""
    return OptionDecl(None, *names, show_default=False, **kw)


def _transports() -> list[str]:
    return ["ssif", "ipmb"]


def _pec_modes() -> list[str]:
    return ["auto", "on", "off"]


GLOBAL_OPTIONS: tuple[GlobalOption, ...] = (
    GlobalOption("bus", "Optional[str]", _opt(
        "--bus", metavar="BUS", autocompletion=complete_bus,
        help="I2C bus: /dev/i2c-N, N, or sim[:NAME] for the simulated chassis "
             "[env: CHASSISCTL_BUS; default: sim]")),
    GlobalOption("addr", "Optional[str]", _opt(
        "--addr", metavar="ADDR",
        help="BMC 7-bit I2C address, e.g. 0x10 [env: CHASSISCTL_ADDR; default: 0x10]")),
    GlobalOption("transport", "Optional[str]", _opt(
        "--transport", metavar="ssif|ipmb", autocompletion=_transports,
        help="How IPMI reaches the BMC [env: CHASSISCTL_TRANSPORT; default: ssif]")),
    GlobalOption("pec", "Optional[str]", _opt(
        "--pec", metavar="auto|on|off", autocompletion=_pec_modes,
        help="SMBus packet error checking [env: CHASSISCTL_PEC; default: auto]")),
    GlobalOption("timeout", "Optional[str]", _opt(
        "--timeout", metavar="SECONDS",
        help="Deadline for one BMC request [env: CHASSISCTL_TIMEOUT; default: 5]")),
    GlobalOption("platform", "Optional[str]", _opt(
        "--platform", metavar="NAME|FILE", autocompletion=complete_platform,
        help="Platform description translating IPMI onto non-IPMI devices "
             "[env: CHASSISCTL_PLATFORM]")),
    GlobalOption("node", "Optional[str]", _opt(
        "--node", metavar="NAME|ID", autocompletion=complete_node,
        help="Node of a multi-node chassis [env: CHASSISCTL_NODE]")),
    GlobalOption("config", "Optional[str]", _opt(
        "--config", metavar="FILE",
        help="Config file [env: CHASSISCTL_CONFIG; default: "
             "$XDG_CONFIG_HOME/chassisctl/chassisctl.toml, /etc/chassisctl/chassisctl.toml]")),
    GlobalOption("json_out", "bool", Option(
        False, "--json", help="Print one JSON document (stable, versioned schema)")),
    GlobalOption("debug", "bool", Option(
        False, "--debug", help="Show the bytes on the wire and internal errors on stderr")),
)
GLOBAL_NAMES = frozenset(o.name for o in GLOBAL_OPTIONS)


class Exit(Exception):
    """End the command with this exit status and no message (``power status
    --quiet`` answering "off", a probe that found absent devices)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = int(code)


class CliState:
    """Per-invocation state: merged global options and lazily built objects."""

    __slots__ = ("flags", "config", "json", "debug", "_resolved")

    def __init__(self) -> None:
        self.flags: dict[str, Any] = {}
        self.config: str | None = None
        self.json = False
        self.debug = False
        self._resolved: Any = None

    def merge(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name == "json_out":
                self.json = self.json or bool(value)
            elif name == "debug":
                self.debug = self.debug or bool(value)
            elif name == "config":
                self.config = value if value is not None else self.config
            elif value is not None:
                self.flags[name] = value

    def resolved(self):
        """Settings after flag > env > file > default (parsed once)."""
        if self._resolved is None:
            from chassisctl.config import resolve

            self._resolved = resolve(self.flags, config=self.config)
        return self._resolved

    @property
    def settings(self):
        return self.resolved().bmc

    def output(self) -> Output:
        return Output(json_mode=self.json)

    def tracer(self) -> Callable[[str], None] | None:
        if not self.debug:
            return None
        import sys

        def trace(line: str) -> None:
            sys.stderr.write(f"debug: {line}\n")
        return trace


_STATE: contextvars.ContextVar[CliState | None] = contextvars.ContextVar("chassisctl_cli_state", default=None)


def new_state() -> CliState:
    """Start an invocation: a fresh :class:`CliState` for :func:`state` to return."""
    fresh = CliState()
    _STATE.set(fresh)
    return fresh


def long_running() -> None:
    """This command keeps running (``serve``, ``--watch``, ``--follow``): collect
    reference cycles again (:func:`chassisctl.cli.entry.main` turns the cyclic
    collector off for the short life of an everyday command)."""
    import gc

    gc.enable()


def seconds(low: float, high: float) -> Any:
    """The click type of a SECONDS option: a float within ``low..high`` that
    is finite.  click's FloatRange lets NaN through (``nan < 0`` and
    ``nan > 3600`` are both false); this refuses it, and the infinities, as
    a usage error (exit 2) like any other bad value.  A type rather than a
    callback, so TAB completion keeps its fast path."""
    import math

    from typer._click.types import FloatRange

    class FiniteSeconds(FloatRange):
        def convert(self, value: Any, param: Any, ctx: Any) -> Any:
            number = super().convert(value, param, ctx)
            if number is not None and not math.isfinite(number):
                self.fail(f"{value} is not a finite number", param, ctx)
            return number

    return FiniteSeconds(min=low, max=high)


def state() -> CliState:
    """The CliState of the running invocation."""
    current = _STATE.get()
    return current if current is not None else new_state()


def invoke(func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """Run a command function (both the typer and the typer-free path come here)."""
    return func(**kwargs)


def _typer_signature(func: Callable[..., Any], extra: list[inspect.Parameter]) -> inspect.Signature:
    """``func``'s signature with typer's Option/Argument objects as defaults."""
    import inspect

    sig = inspect.signature(func)
    params = [p.replace(default=_finite(p).to_typer()) if isinstance(p.default, Param) else p
              for p in sig.parameters.values()]
    return sig.replace(parameters=[*params, *extra])


def _finite(p: inspect.Parameter) -> Param:
    """A float option with a range gets :func:`seconds`' type, which also refuses
    NaN (click's FloatRange lets it through) and the infinities."""
    param = p.default
    kwargs = param.kwargs
    if "float" in str(p.annotation) and ("min" in kwargs or "max" in kwargs) and "click_type" not in kwargs:
        rest = {k: v for k, v in kwargs.items() if k not in ("min", "max")}
        return type(param)(param.default, *param.decls,
                           click_type=seconds(kwargs.get("min", float("-inf")), kwargs.get("max", float("inf"))),
                           **rest)
    return param


def add_global_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``func`` the global options; they are merged into :func:`state`."""
    import functools
    import inspect

    annotations = {o.name: (bool if o.annotation == "bool" else str | None) for o in GLOBAL_OPTIONS}
    extra = [inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.option.to_typer(),
                               annotation=annotations[o.name]) for o in GLOBAL_OPTIONS]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        state().merge({name: kwargs.pop(name) for name in GLOBAL_NAMES if name in kwargs})
        return invoke(func, kwargs)

    wrapper.__signature__ = _typer_signature(func, extra)  # type: ignore[attr-defined] # typer reads it
    # typer resolves string annotations through __wrapped__'s module globals
    wrapper.__annotations__ = {**getattr(func, "__annotations__", {}), **annotations}
    return wrapper


def _plain(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with typer's parameter objects, without the global options."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return invoke(func, kwargs)

    wrapper.__signature__ = _typer_signature(func, [])  # type: ignore[attr-defined] # typer reads it
    return wrapper


def command(app: Any, name: str | None = None, *, global_options: bool = True, **kwargs: Any):
    """``@app.command()`` plus the global options (unless ``global_options=False``).

    The decorated function is returned unchanged, so it stays importable by
    name for :mod:`chassisctl.cli.fastrun`.
    """
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        app.command(name, **kwargs)(add_global_options(func) if global_options else _plain(func))
        return func
    return decorate
