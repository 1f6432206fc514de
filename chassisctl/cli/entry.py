"""Console-script entry point: ``chassisctl`` (and ``python -m chassisctl``).

Imports only ``os`` and ``sys``: a TAB completion request
(``_CHASSISCTL_COMPLETE`` set by the shell scripts in ``completions/``) is
answered by :mod:`chassisctl.cli.fastcomplete` from the generated command
tree without importing typer; what it cannot answer, and every real command
line, goes to the typer application in :mod:`chassisctl.cli.app`.
"""

import os
import sys

COMPLETE_VAR = "_CHASSISCTL_COMPLETE"


def main(argv: "list[str] | None" = None, *, fast_completion: bool = True) -> int:
    """``chassisctl``: answer a completion request, or run the command line.

    ``fast_completion=False`` sends completion requests to typer (the tests'
    reference).
    """
    if os.environ.get(COMPLETE_VAR):
        from chassisctl.cli import fastcomplete

        if fast_completion:
            answer = fastcomplete.fast_complete(os.environ)
            if answer is not None:
                text, code = answer
                sys.stdout.write(text)
                sys.stdout.flush()
                return code
        fastcomplete.install_typer_completion()
    from chassisctl.cli.app import run

    return run(sys.argv[1:] if argv is None else argv)
