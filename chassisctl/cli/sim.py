"""``chassisctl sim set|show|reset``: change a simulated platform from outside.

Values land in the platform's state file; every process using that platform
on the simulator (the CLI, ``serve``) picks them up at its next request, so
a test or an operator can pull a PSU, heat a sensor or jam a mux channel
and watch it through ipmitool.  Keys are the device kinds' ``sim`` keys
(``docs/platform.md``); ``sim show`` lists them per device.
"""

from __future__ import annotations

from chassisctl.cli.common import state
from chassisctl.cli.params import Argument


def _target():
    """(platform, store, bus spec) of the simulated platform this invocation names."""
    from chassisctl.errors import UsageError
    from chassisctl.platform.backend import store_for
    from chassisctl.platform.description import load_platform
    from chassisctl.transport.bus import parse_bus_spec

    settings = state().settings
    if not settings.platform:
        raise UsageError("sim commands act on a platform's simulated devices: add --platform NAME|FILE")
    spec = parse_bus_spec(settings.bus)
    if not spec.simulated:
        raise UsageError(f"--bus {settings.bus} is real hardware: sim commands need --bus sim[:NAME]")
    platform = load_platform(settings.platform)
    return platform, store_for(platform, spec), spec


def register(app) -> None:
    import typer

    from chassisctl.cli.common import command

    group = typer.Typer(help="Simulated platform devices: set values and faults, show, reset.",
                        no_args_is_help=True)
    app.add_typer(group, name="sim")
    command(group, "set")(sim_set)
    command(group, "show")(sim_show)
    command(group, "reset")(sim_reset)


def sim_set(
    assignments: list[str] = Argument(..., metavar="DEVICE.KEY=VALUE...",
                                      help="e.g. node2-inlet.temperature=31.5 psu1.present=false"),
) -> None:
    """Set simulated device values or faults (kept until `sim reset`)."""
    import time

    from chassisctl.platform.sim import parse_assignment, set_overrides

    platform, store, spec = _target()
    parsed = [parse_assignment(platform, a) for a in assignments]
    set_overrides(store, platform, time.time(), parsed)
    out = state().output()
    if out.json_mode:
        out.json({"platform": platform.name, "bus": spec.path,
                  "set": [{"device": d, "key": k, "value": v} for d, k, v in parsed]})
        return
    for d, k, v in parsed:
        out.line(f"{d}.{k} = {v}")


def sim_show() -> None:
    """Show each simulated device's seeds, overrides and keys."""
    from chassisctl.platform.sim import show, stored

    platform, store, spec = _target()
    with store.session():
        section = stored(store)
    devices = show(platform, section)
    out = state().output()
    if out.json_mode:
        out.json({"platform": platform.name, "bus": spec.path, "generation": section.get("generation", 0),
                  "devices": devices})
        return
    from chassisctl.cli.render import Column

    def fmt(values: dict) -> str:
        return " ".join(f"{k}={v}" for k, v in values.items()) or "-"

    out.table([Column("Device"), Column("Kind"), Column("Where"), Column("Values"), Column("Overridden")],
              [[d["name"], d["kind"], f"{d['path']}:{d['address'][2:]}", fmt(d["values"]),
                ", ".join(d["overrides"]) or "-"] for d in devices])


def sim_reset() -> None:
    """Return every simulated device to the description's values (power on, no faults)."""
    import time

    from chassisctl.platform.sim import reset

    platform, store, spec = _target()
    section = reset(store, platform, time.time())
    out = state().output()
    if out.json_mode:
        out.json({"platform": platform.name, "bus": spec.path, "generation": section["generation"]})
        return
    out.line(f"{platform.name} on {spec.path}: simulated devices reset")
