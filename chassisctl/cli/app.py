"""The typer application: command tree, root options and error handling.

Command modules register themselves here and import nothing heavy at module
level; codecs, transports and rich load inside command bodies.  ``run``
drives click in non-standalone mode so usage errors, Ctrl-C and our own
errors are all reported by :mod:`chassisctl.cli.error_report` as one line.
"""

from __future__ import annotations

import typer

from chassisctl import __version__
from chassisctl.cli.common import add_global_options, new_state, state

#: Top-level command -> the module whose ``register(app)`` adds it, in help
#: order.  ``run`` registers only the command its command line names: typer
#: converts every parameter of every registered command before it parses
#: anything (~1 ms per command, growing with the CLI), and a ``power status``
#: needs one.  ``--help``, completion and anything unrecognised get the whole
#: tree, so help and error messages are the same either way.
COMMANDS: dict[str, str] = {
    "power": "chassisctl.cli.power",
    "sensors": "chassisctl.cli.sensors",
    "bmc": "chassisctl.cli.bmc",
    "chassis": "chassisctl.cli.chassis",
    "boot": "chassisctl.cli.boot",
    "sel": "chassisctl.cli.sel",
    "fru": "chassisctl.cli.fru",
    "nodes": "chassisctl.cli.nodes",
    "raw": "chassisctl.cli.raw",
    "sdr": "chassisctl.cli.sdr",
    "serve": "chassisctl.cli.serve",
    "dhcp-relay": "chassisctl.cli.dhcp_relay",
    "status": "chassisctl.cli.status",
    "config": "chassisctl.cli.config",
    "lldp": "chassisctl.cli.lldp",
    "platform": "chassisctl.cli.platform",
    "sim": "chassisctl.cli.sim",
    "completion": "chassisctl.cli.completion_script",
}

HELP = """Drive a BMC that sits on an I2C bus: power, sensors, SEL, FRU, boot device, BMC info and raw IPMI.

With no --bus the embedded simulated chassis answers, so every command works
on a laptop; output then says so.
"""


def build_app(only: str | None = None, *, shallow: bool = False) -> typer.Typer:
    """The application; with ``only`` (a key of :data:`COMMANDS`) just that command.

    ``shallow`` registers every command as an empty placeholder carrying its
    help text (from the generated tree): all ``chassisctl --help`` needs,
    without importing and converting every command's parameters.
    """
    app = typer.Typer(name="chassisctl", help=HELP, add_completion=False, no_args_is_help=True,
                      pretty_exceptions_enable=False, rich_markup_mode=None,
                      context_settings={"help_option_names": ["-h", "--help"]})

    def version_callback(value: bool) -> None:
        if value:
            typer.echo(f"chassisctl {__version__}")
            raise typer.Exit()

    @app.callback()
    @add_global_options
    def root(version: bool = typer.Option(False, "--version", callback=version_callback,
                                          is_eager=True, help="Print the version and exit")) -> None:
        """Drive a BMC on I2C: power, sensors, BMC info and raw IPMI."""
        state()

    if shallow:
        from chassisctl.cli._tree import TOP_HELP

        for name in TOP_HELP:  # typer's order: commands, then groups
            app.command(name, help=TOP_HELP[name])(_placeholder)
        return app
    import importlib

    for name in [only] if only in COMMANDS else COMMANDS:
        importlib.import_module(COMMANDS[name]).register(app)
    return app


def _placeholder() -> None:
    """Stands in for a command in the shallow app; never invoked."""
    raise RuntimeError("placeholder command invoked")


def get_command(only: str | None = None, *, shallow: bool = False):
    """The click command tree (for completion, man pages and tests)."""
    return typer.main.get_command(build_app(only, shallow=shallow))


def root_help_only(argv: list[str]) -> bool:
    """True when ``argv`` asks for nothing but the top-level help (``-h``, ``--help``
    or no command), possibly after global options that take no value."""
    from chassisctl.cli.common import GLOBAL_OPTIONS

    flags = {d for o in GLOBAL_OPTIONS if o.annotation == "bool" for d in o.option.decls}
    words = [w for w in argv if w not in flags]
    return words in ([], ["--help"], ["-h"])


def command_word(argv: list[str]) -> str | None:
    """The top-level command ``argv`` names after any global options, or None
    when that is not certain (``--help``, ``--``, an unknown word or option)."""
    from chassisctl.cli.common import GLOBAL_OPTIONS

    flags = {d for o in GLOBAL_OPTIONS if o.annotation == "bool" for d in o.option.decls}
    valued = {d for o in GLOBAL_OPTIONS if o.annotation != "bool" for d in o.option.decls}
    i = 0
    while i < len(argv):
        word = argv[i]
        if not word.startswith("-"):
            return word if word in COMMANDS else None
        if word in flags:
            i += 1
        elif word.partition("=")[0] in valued:
            i += 1 if "=" in word else 2
        else:
            return None
    return None


def run(argv: list[str]) -> int:
    """Parse and run ``argv`` with typer (help, usage errors and everything
    :mod:`chassisctl.cli.fastrun` leaves to it)."""
    from chassisctl.cli.error_report import run_reporting

    import os

    from chassisctl.cli.entry import COMPLETE_VAR

    new_state()
    word = command_word(argv)
    if word == "dhcp-relay":  # list options take several values after one flag
        from chassisctl.cli.dhcp_relay import preprocess
        argv = preprocess(argv)
    shallow = word is None and not os.environ.get(COMPLETE_VAR) and root_help_only(argv)
    command = get_command(word, shallow=shallow)
    json_mode = "--json" in argv

    def call():
        try:
            return command.main(args=argv, prog_name="chassisctl", standalone_mode=False)
        except Exception as exc:
            from chassisctl.errors import UsageError

            click_error = _click_exception(exc)
            if click_error is None:
                raise
            if click_error == "abort":
                from chassisctl.cli.common import Exit

                raise Exit(130) from None
            raise UsageError(click_error) from None

    return run_reporting(call, json_mode=json_mode, debug="--debug" in argv)


def _click_exception(exc: Exception) -> str | None:
    """A one-line message for click's own usage errors, else None."""
    # typer 0.26-0.28 vendor click as typer._click (see pyproject's pin).
    from typer._click import exceptions
    from typer.exceptions import Abort

    if isinstance(exc, Abort):
        return "abort"
    if isinstance(exc, exceptions.NoArgsIsHelpError):
        import sys
        sys.stderr.write(exc.format_message() + "\n")
        return "a command is required"
    if isinstance(exc, exceptions.UsageError):
        hint = ""
        if exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        return f"{exc.format_message()}{hint}"
    if isinstance(exc, exceptions.ClickException):
        return exc.format_message()
    return None
