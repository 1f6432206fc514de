"""``chassisctl config check|show``: the configuration file, before and while it is used.

``check`` runs every test ``serve`` would (the schema, then each service's
own rules, reading password files and platform descriptions) without
opening a bus or a socket, so it can gate ``systemctl restart`` or a
deployment: exit 0 when valid, 78 with the reason.  ``show`` prints the
effective value of every key and where it came from.
"""

from __future__ import annotations


import typer

from chassisctl.cli.common import command, state
from chassisctl.cli.completion_values import complete_config_key


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The configuration file: check it, show the effective settings.",
                        no_args_is_help=True)
    app.add_typer(group, name="config")

    @command(group, "check")
    def config_check(
        file: str | None = typer.Argument(None, metavar="[FILE]",
                                             help="The file to check [default: the one chassisctl would read]"),
    ) -> None:
        """Validate the configuration without opening a bus or a socket (exit 78 if invalid)."""
        from chassisctl.config import resolve
        from chassisctl.errors import NoInputError
        from chassisctl.serve.app import ServeOptions
        from chassisctl.serve.daemon import check_config

        cli = state()
        resolved = resolve(cli.flags, config=file or cli.config)
        path = resolved.bmc.config_path
        if path is None:
            raise NoInputError("no configuration file to check",
                               hint="looked for $XDG_CONFIG_HOME/chassisctl/chassisctl.toml and "
                                    "/etc/chassisctl/chassisctl.toml; name one as an argument")
        warnings = check_config(resolved, ServeOptions())
        out = cli.output()
        if out.json_mode:
            out.json({"file": str(path), "valid": True, "warnings": warnings})
            return
        for warning in warnings:
            out.err.write(f"chassisctl: warning: {warning}\n")
        out.line(f"{path}: valid")

    @command(group, "show")
    def config_show(
        keys: list[str] | None = typer.Argument(None, metavar="[KEY...]", autocompletion=complete_config_key,
                                                   help="Only these keys or sections, e.g. ipmi or bmc.bus"),
    ) -> None:
        """Show the effective configuration and where each value came from (secrets masked)."""
        from chassisctl.config.show import effective

        cli = state()
        resolved = cli.resolved()
        rows = effective(resolved)
        if keys:
            rows = [r for r in rows if any(r["key"] == k or r["key"].startswith((k + ".", k + "[")) for k in keys)]
        out = cli.output()
        path = resolved.bmc.config_path
        if out.json_mode:
            out.json({"file": None if path is None else str(path), "settings": rows})
            return
        from chassisctl.cli.render import Column
        from chassisctl.config.show import text

        out.line(f"# file: {path or 'none (defaults, environment and options only)'}")
        out.table([Column("Key"), Column("Value"), Column("Origin")],
                  [[r["key"], text(r), r["origin"] + (f" {r['via']}" if r.get("via") else "")] for r in rows])
