"""The one place where an exception becomes a message and an exit status.

Operators get ``chassisctl: error: <what> (<what to check>)`` on stderr and
the documented exit code; ``--json`` callers get the same as a JSON object on
stderr so stdout stays parseable.  Anything that is not a ChassisError is a
bug: one line and exit 70, with the traceback only under ``--debug``.
"""

from __future__ import annotations

import json
import sys

from chassisctl.errors import ChassisError, ExitCode


def report(exc: BaseException, *, json_mode: bool = False, debug: bool = False) -> int:
    """Print ``exc`` for a person (or a JSON caller) and return the exit code."""
    if isinstance(exc, ChassisError):
        code, name, message = int(exc.exit_code), exc.code, str(exc)
    else:
        code, name = int(ExitCode.SOFTWARE), "internal"
        message = f"internal error: {exc.__class__.__name__}: {exc} (please report this with --debug output)"
        if debug:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
    if json_mode:
        doc = {"schema": 1, "error": {"code": name, "message": message, "exit_code": code}}
        sys.stderr.write(json.dumps(doc) + "\n")
    else:
        sys.stderr.write(f"chassisctl: error: {message}\n")
    return code


def run_reporting(call, *, json_mode: bool = False, debug: bool = False) -> int:
    """Run a command function; its result, :class:`~chassisctl.cli.common.Exit`
    or any exception becomes the exit status (reported as above)."""
    from chassisctl.cli.common import Exit

    try:
        result = call()
    except Exit as exc:
        return exc.code
    except KeyboardInterrupt:
        return 130
    except EOFError:  # stdin closed at a question: as click answers it
        sys.stderr.write("\n")
        return 130
    except BrokenPipeError:
        # `chassisctl ... | head`: the reader left; say nothing more (as click does)
        _silence_stdout()
        return int(ExitCode.FAILURE)
    except Exception as exc:  # noqa: BLE001 - the one place that reports everything
        return report(exc, json_mode=json_mode, debug=debug)
    return int(result) if isinstance(result, int) and not isinstance(result, bool) else int(ExitCode.OK)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
