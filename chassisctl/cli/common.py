"""Global options accepted before *and* after the subcommand.

``chassisctl --bus sim sensors`` and ``chassisctl sensors --bus sim`` must mean
the same, because operators put options wherever their fingers land and
scripts build command lines by appending.  :func:`command` adds the global
options to a command's signature (typer reads ``__signature__``), removes
them before the command body runs and merges them into the one
:class:`CliState` the root callback created; a value given after the
subcommand wins over one given before it.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import typer

from chassisctl.cli.complete import complete_bus, complete_node, complete_platform
from chassisctl.cli.render import Output


@dataclass(frozen=True, slots=True)
class GlobalOption:
    name: str
    annotation: Any
    option: Any


def _opt(*names: str, help: str, **kw: Any) -> Any:
    return typer.Option(None, *names, help=help, show_default=False, **kw)


GLOBAL_OPTIONS: tuple[GlobalOption, ...] = (
    GlobalOption("bus", Optional[str], _opt(
        "--bus", metavar="BUS", autocompletion=complete_bus,
        help="I2C bus: /dev/i2c-N, N, or sim[:NAME] for the simulated chassis "
             "[env: CHASSISCTL_BUS; default: sim]")),
    GlobalOption("addr", Optional[str], _opt(
        "--addr", metavar="ADDR",
        help="BMC 7-bit I2C address, e.g. 0x10 [env: CHASSISCTL_ADDR; default: 0x10]")),
    GlobalOption("transport", Optional[str], _opt(
        "--transport", metavar="ssif|ipmb", autocompletion=lambda: ["ssif", "ipmb"],
        help="How IPMI reaches the BMC [env: CHASSISCTL_TRANSPORT; default: ssif]")),
    GlobalOption("pec", Optional[str], _opt(
        "--pec", metavar="auto|on|off", autocompletion=lambda: ["auto", "on", "off"],
        help="SMBus packet error checking [env: CHASSISCTL_PEC; default: auto]")),
    GlobalOption("timeout", Optional[str], _opt(
        "--timeout", metavar="SECONDS",
        help="Deadline for one BMC request [env: CHASSISCTL_TIMEOUT; default: 5]")),
    GlobalOption("platform", Optional[str], _opt(
        "--platform", metavar="NAME|FILE", autocompletion=complete_platform,
        help="Platform description translating IPMI onto non-IPMI devices "
             "[env: CHASSISCTL_PLATFORM]")),
    GlobalOption("node", Optional[str], _opt(
        "--node", metavar="NAME|ID", autocompletion=complete_node,
        help="Node of a multi-node chassis [env: CHASSISCTL_NODE]")),
    GlobalOption("config", Optional[str], _opt(
        "--config", metavar="FILE",
        help="Config file [env: CHASSISCTL_CONFIG; default: "
             "$XDG_CONFIG_HOME/chassisctl/chassisctl.toml, /etc/chassisctl/chassisctl.toml]")),
    GlobalOption("json_out", bool, typer.Option(
        False, "--json", help="Print one JSON document (stable, versioned schema)")),
    GlobalOption("debug", bool, typer.Option(
        False, "--debug", help="Show the bytes on the wire and internal errors on stderr")),
)
GLOBAL_NAMES = frozenset(o.name for o in GLOBAL_OPTIONS)


@dataclass(slots=True)
class CliState:
    """Per-invocation state: merged global options and lazily built objects."""

    flags: dict[str, Any] = field(default_factory=dict)
    config: str | None = None
    json: bool = False
    debug: bool = False
    _resolved: Any = None

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
    from typer._click.globals import get_current_context

    ctx = get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = CliState()
    return root.obj


def add_global_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``func`` the global options; they are merged into :func:`state`."""
    sig = inspect.signature(func)
    extra = [inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.option,
                               annotation=o.annotation) for o in GLOBAL_OPTIONS]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        state().merge({name: kwargs.pop(name) for name in GLOBAL_NAMES if name in kwargs})
        return func(*args, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=[*sig.parameters.values(), *extra])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {**getattr(func, "__annotations__", {}),
                               **{o.name: o.annotation for o in GLOBAL_OPTIONS}}
    return wrapper


def command(app: typer.Typer, name: str | None = None, **kwargs: Any):
    """``@app.command()`` plus the global options."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        return app.command(name, **kwargs)(add_global_options(func))
    return decorate
