"""Console-script entry point: ``chassisctl`` (and ``python -m chassisctl``).

Imports only ``os`` and ``sys``: a TAB completion request
(``_CHASSISCTL_COMPLETE`` set by the shell scripts in ``completions/``) is
answered by :mod:`chassisctl.cli.completion_tree` from the generated command
tree without importing typer, and a command line the same tree describes
exactly is run by :mod:`chassisctl.cli.fastrun`, also without typer; what
neither can handle (help, usage errors, unusual spellings) goes to the typer
application in :mod:`chassisctl.cli.app`.

The cyclic garbage collector is off while a command line runs: an everyday
command allocates tens of thousands of objects while it imports, none of
them garbage, and exits within milliseconds, yet the collector would walk
the young ones ~40 times (~3 ms, a third of the bare interpreter's
start-up).  Reference counting still frees everything as usual.  Commands
that keep running (``serve``, ``--watch``, ``--follow``) turn it back on
with :func:`chassisctl.cli.common.long_running`, and :func:`main` restores
it on return for callers that stay (tests run the CLI in-process).

Run as the process itself (no ``argv``: the console script, ``python -m
chassisctl``), :func:`main` also freezes every object before it returns:
the interpreter's exit then does not walk them all in one last collection
(~4-6 ms after a ``sensors``).  Finalizers still run as modules are torn
down; only garbage cycles are left to the process's end, and the CLI holds
no open file or lock in one.
"""

import gc
import os
import sys

COMPLETE_VAR = "_CHASSISCTL_COMPLETE"


def main(argv: "list[str] | None" = None, *, fast_completion: bool = True, fast_run: bool = True) -> int:
    """``chassisctl``: answer a completion request, or run the command line.

    ``fast_completion=False`` sends completion requests to typer, and
    ``fast_run=False`` command lines (the tests' reference).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _main(argv, fast_completion=fast_completion, fast_run=fast_run)
    finally:
        if collecting:
            gc.enable()
        if argv is None:
            gc.freeze()  # the process exits next: no last collection over everything it allocated


def _main(argv: "list[str] | None", *, fast_completion: bool, fast_run: bool) -> int:
    if os.environ.get(COMPLETE_VAR):
        from chassisctl.cli import completion_tree

        if fast_completion:
            answer = completion_tree.fast_complete(os.environ)
            if answer is not None:
                text, code = answer
                sys.stdout.write(text)
                sys.stdout.flush()
                return code
        completion_tree.install_typer_completion()
    args = sys.argv[1:] if argv is None else argv
    if fast_run and not os.environ.get(COMPLETE_VAR):
        from chassisctl.cli.fastrun import fast_run as run_fast

        ran = run_fast(args)
        if ran is not None:
            return ran
    from chassisctl.cli.app import run

    return run(args)
