"""Option and argument declarations that do not import typer.

Command functions live at module level and declare their parameters as
``quiet: bool = Option(False, "--quiet", "-q", help=...)``, exactly as with
``typer.Option``.  :func:`chassisctl.cli.common.command` turns these into
typer's own objects when the typer application is built (``--help``, errors,
completion), and :mod:`chassisctl.cli.fastrun` calls the very same
functions with values it parsed from the generated command tree, without
typer: an everyday command pays for neither typer nor click (~40 ms, as
``bench/startup.py`` measures).  Keeping the declarations free of typer is what lets a command module
be imported on that path.
"""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Param:
    """``typer.Option``/``typer.Argument`` arguments, recorded for later."""

    __slots__ = ("default", "decls", "kwargs")
    kind = ""

    def __init__(self, default: Any = ..., *decls: str, **kwargs: Any) -> None:
        self.default = default
        self.decls = decls
        self.kwargs = kwargs

    def to_typer(self) -> Any:
        import typer

        make = typer.Option if self.kind == "option" else typer.Argument
        return make(self.default, *self.decls, **self.kwargs)


class OptionDecl(Param):
    __slots__ = ()
    kind = "option"


class ArgumentDecl(Param):
    __slots__ = ()
    kind = "argument"


# Spelt and typed (``Any``) like typer's own: a parameter declared
# ``quiet: bool = Option(False, ...)`` holds a bool once the command runs.
def Option(default: Any = ..., *decls: str, **kwargs: Any) -> Any:
    """A command option (``typer.Option``'s arguments)."""
    return OptionDecl(default, *decls, **kwargs)


def Argument(default: Any = ..., *decls: str, **kwargs: Any) -> Any:
    """A command argument (``typer.Argument``'s arguments)."""
    return ArgumentDecl(default, *decls, **kwargs)
