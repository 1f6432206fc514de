"""``chassisctl platform check|probe``: validate a description, see which devices answer."""

from __future__ import annotations

from chassisctl.cli.common import Exit, state
from chassisctl.cli.completion_values import complete_platform
from chassisctl.cli.params import Argument


def register(app) -> None:
    import typer

    from chassisctl.cli.common import command

    group = typer.Typer(help="Platform descriptions: validate one, probe its devices.", no_args_is_help=True)
    app.add_typer(group, name="platform")
    command(group, "check")(check)
    command(group, "probe")(probe)


def check(
    file: str = Argument(..., metavar="FILE|NAME", autocompletion=complete_platform,
                         help="Description to validate (a path, or switch-1u / compute-4n)"),
) -> None:
    """Validate a platform description; errors name the file, line and key (exit 78)."""
    from chassisctl.platform.description import load_platform

    platform = load_platform(file, use_cache=False)
    out = state().output()
    nodes = [{"name": n.name, "id": n.id, "sensors": len(platform.node_sensors[n.name]),
              "frus": len(platform.node_frus(n.name)), "power": n.power is not None}
             for n in platform.nodes]
    if out.json_mode:
        out.json({"file": platform.source, "valid": True, "platform": platform.name,
                  "description": platform.description, "nodes": nodes,
                  "devices": len(platform.devices), "sensors": len(platform.sensors),
                  "frus": len(platform.frus)})
        return
    out.line(f"{platform.source}: ok: platform {platform.name}, {len(platform.nodes)} node(s) "
             f"({', '.join(n.name for n in platform.nodes)}), {len(platform.devices)} devices, "
             f"{len(platform.sensors)} sensors, {len(platform.frus)} FRUs")


def probe() -> None:
    """Report which declared devices answer (reads only registers marked safe; --bus selects the bus)."""
    from chassisctl.errors import UsageError

    cli = state()
    if not cli.settings.platform:
        raise UsageError("platform probe needs a platform: --platform NAME|FILE (or [bmc] platform)")
    from chassisctl.platform.probe import probe as run_probe
    from chassisctl.cli.session import open_session

    with open_session() as session:
        out = cli.output()
        with out.progress("Probing devices") as bar:
            results = run_probe(session.transport, progress=lambda i, n, name: bar(i, n, name))
        counts = {s: sum(r.status == s for r in results) for s in ("answered", "absent", "error")}
        if out.json_mode:
            out.json(session.meta() | {"platform": session.transport.platform.name,
                                       "devices": [r.to_dict() for r in results], "summary": counts})
        else:
            from chassisctl.cli.render import Column

            out.table([Column("Device"), Column("Kind"), Column("Where"), Column("Status"), Column("Detail")],
                      [[r.device, r.kind, r.where, r.status, r.detail] for r in results],
                      styles=[{"answered": "green", "absent": "yellow", "error": "red"}[r.status]
                              for r in results])
        if counts["error"] or counts["absent"]:
            raise Exit(1)
