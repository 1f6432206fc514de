"""Console-script entry point: ``chassisctl`` (and ``python -m chassisctl``).

Imports only ``os`` and ``sys``: a TAB completion request
(``_CHASSISCTL_COMPLETE`` set by the shell scripts in ``completions/``) is
answered by :mod:`chassisctl.cli.fastcomplete` from the generated command
tree without importing typer, and a command line the same tree describes
exactly is run by :mod:`chassisctl.cli.fastrun`, also without typer; what
neither can handle (help, usage errors, unusual spellings) goes to the typer
application in :mod:`chassisctl.cli.app`.
"""

import os
import sys

COMPLETE_VAR = "_CHASSISCTL_COMPLETE"


def main(argv: "list[str] | None" = None, *, fast_completion: bool = True, fast_run: bool = True) -> int:
    """``chassisctl``: answer a completion request, or run the command line.

    ``fast_completion=False`` sends completion requests to typer, and
    ``fast_run=False`` command lines (the tests' reference).
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
    args = sys.argv[1:] if argv is None else argv
    if fast_run and not os.environ.get(COMPLETE_VAR):
        from chassisctl.cli.fastrun import fast_run as run_fast

        code = run_fast(args)
        if code is not None:
            return code
    from chassisctl.cli.app import run

    return run(args)
