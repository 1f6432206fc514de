"""Console-script entry point (placeholder until the CLI lands)."""

import sys


def main(argv: list[str] | None = None) -> int:
    from chassisctl.cli.app import run

    return run(sys.argv[1:] if argv is None else argv)
