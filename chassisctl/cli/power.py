"""``chassisctl power status|on|off|cycle|reset|soft``.

Destructive verbs ask first on a terminal and refuse without ``--yes``
otherwise, naming the target (and whether it is the simulator) in the
question: a script that forgot ``--yes`` must fail loudly, not hang on a
prompt nobody sees.  ``--wait`` polls until the chassis reaches the state the
verb implies.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

from chassisctl.cli.common import command, seconds, state
from chassisctl.cli.session import open_session


def register(app: typer.Typer) -> None:
    power = typer.Typer(help="Chassis power: status, on, off, cycle, reset, soft (ACPI) off.",
                        no_args_is_help=True)
    app.add_typer(power, name="power")

    @command(power, "status")
    def power_status(
        quiet: bool = typer.Option(False, "--quiet", "-q",
                                   help="Print nothing; exit 0 when on, 3 when off"),
        all_nodes: bool = typer.Option(False, "--all", help="Every node of a multi-node chassis"),
    ) -> None:
        """Show whether the chassis (or node) is powered on."""
        from chassisctl.client import power
        from chassisctl.errors import ExitCode

        with open_session() as session:
            out = state().output()
            targets = session.node_targets(all_nodes)
            results = [(node, power.status(session.transport, node=node.selector)) for node in targets]
            if quiet:
                if not all(st.power_on for _, st in results):
                    raise typer.Exit(int(ExitCode.POWER_OFF))
                return
            if out.json_mode:
                docs = [session.describe_node(node) | _status_doc(st) for node, st in results]
                out.json(session.meta() | (docs[0] if not all_nodes else {"nodes": docs}))
                return
            if all_nodes:
                from chassisctl.cli.render import Column
                out.table([Column("Node"), Column("Id", "right"), Column("Power")],
                          [[n.name, n.id, "on" if st.power_on else "off"] for n, st in results])
                return
            st = results[0][1]
            out.line(f"Chassis Power is {'on' if st.power_on else 'off'}")

    def make_action(verb: str, summary: str) -> None:
        @command(power, verb, help=summary)
        def action(
            wait: Optional[float] = typer.Option(
                None, "--wait", metavar="SECONDS", click_type=seconds(0.0, 3600.0),
                help="Poll until the resulting power state is reached"),
            yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation"),
        ) -> None:
            _act(verb, wait, yes)

    make_action("on", "Power the chassis (or node) on.")
    make_action("off", "Power off immediately (hard off).")
    make_action("cycle", "Power off, wait, and power on again.")
    make_action("reset", "Hard reset (pulse reset; power stays on).")
    make_action("soft", "Request an orderly shutdown through ACPI (soft off).")


def _status_doc(st) -> dict:
    return {
        "power": "on" if st.power_on else "off",
        "overload": st.overload,
        "interlock": st.interlock,
        "power_fault": st.power_fault,
        "power_control_fault": st.power_control_fault,
        "restore_policy": st.restore_policy.name.lower().replace("_", "-"),
        "last_event": [flag.name.lower().replace("_", "-") for flag in type(st.last_event) if st.last_event & flag],
        "intrusion": st.intrusion,
        "cooling_fault": st.cooling_fault,
        "drive_fault": st.drive_fault,
    }


def _confirm(verb: str, target: str, yes: bool) -> None:
    from chassisctl.errors import UsageError

    if yes:
        return
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise UsageError(f"refusing 'power {verb}' on {target} without confirmation: "
                         "not a terminal, add --yes")
    # The question goes to stderr (the terminal) so it is seen even when
    # stdout is piped into a file or another program.
    sys.stderr.write(f"power {verb} {target}? [y/N] ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    if line.strip().lower() not in ("y", "yes"):
        raise typer.Exit(1)


def _act(verb: str, wait: float | None, yes: bool) -> None:
    from chassisctl.client import power

    with open_session() as session:
        out = state().output()
        node = session.node_target()
        if verb in power.DESTRUCTIVE:
            _confirm(verb, session.target_text(node), yes)
        power.control(session.transport, verb, node=node.selector)
        doc = session.meta() | session.describe_node(node) | {"action": verb, "accepted": True,
                                                              "power": None, "waited": None}
        if wait is not None:
            result = power.wait_for(session.transport, power.TARGET_ON[verb], wait, session.clock,
                                    node=node.selector, saw_off_first=(verb == "cycle"))
            doc |= {"power": "on" if result.status.power_on else "off", "waited": round(result.waited, 3)}
        if out.json_mode:
            out.json(doc)
        elif doc["power"] is None:
            out.line(f"Chassis Power Control: {verb} requested")
        else:
            out.line(f"Chassis Power is {doc['power']} (after {doc['waited']:.1f} s)")
