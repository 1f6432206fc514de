"""``chassisctl chassis status|policy|identify``.

``status`` is ``ipmitool chassis status``: power, the last power event,
intrusion, faults and the power restore policy; ``policy`` sets what the
chassis does when AC returns; ``identify`` lights the locator LED for a
while, until turned off (``--force``), or turns it off (``--off``).
"""

from __future__ import annotations

from chassisctl.cli.common import state
from chassisctl.cli.params import Argument, Option
from chassisctl.cli.session import open_session

HELP = "Chassis status, power restore policy and the identify light."


def register(app) -> None:
    import typer

    from chassisctl.cli.common import command

    group = typer.Typer(help=HELP, no_args_is_help=True)
    app.add_typer(group, name="chassis")
    command(group, "status")(chassis_status)
    command(group, "policy")(chassis_policy)
    command(group, "identify")(chassis_identify)


def _policies() -> list[str]:
    return ["always-on", "previous", "always-off"]


def status_doc(st) -> dict:
    from chassisctl.client.chassis import POLICY_NAMES

    identify = None
    if st.identify_supported:
        identify = {0: "off", 1: "temporary", 2: "indefinite"}.get(int(st.identify_state), "reserved")
    return {
        "power": "on" if st.power_on else "off",
        "last_event": [flag.name.lower().replace("_", "-") for flag in type(st.last_event) if st.last_event & flag],
        "intrusion": st.intrusion,
        "restore_policy": POLICY_NAMES[int(st.restore_policy)],
        "overload": st.overload,
        "interlock": st.interlock,
        "power_fault": st.power_fault,
        "power_control_fault": st.power_control_fault,
        "front_panel_lockout": st.front_panel_lockout,
        "drive_fault": st.drive_fault,
        "cooling_fault": st.cooling_fault,
        "identify": identify,
    }


_LAST_EVENT_TEXT = {"ac-failed": "ac-failed", "overload": "overload", "interlock": "interlock",
                    "fault": "fault", "command": "command"}


def chassis_status() -> None:
    """Show power, last power event, intrusion, faults and the restore policy."""
    from chassisctl.client import power

    with open_session() as session:
        out = state().output()
        node = session.node_target()
        doc = status_doc(power.status(session.transport, node=node.selector))
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) | doc)
            return

        def yes_no(flag: bool) -> str:
            return "true" if flag else "false"

        def active(flag: bool) -> str:
            return "active" if flag else "inactive"

        pairs = [("System Power", doc["power"]), ("Power Overload", yes_no(doc["overload"])),
                 ("Power Interlock", active(doc["interlock"])), ("Main Power Fault", yes_no(doc["power_fault"])),
                 ("Power Control Fault", yes_no(doc["power_control_fault"])),
                 ("Power Restore Policy", doc["restore_policy"]),
                 ("Last Power Event", ", ".join(_LAST_EVENT_TEXT[e] for e in doc["last_event"])),
                 ("Chassis Intrusion", active(doc["intrusion"])),
                 ("Front-Panel Lockout", active(doc["front_panel_lockout"])),
                 ("Drive Fault", yes_no(doc["drive_fault"])), ("Cooling/Fan Fault", yes_no(doc["cooling_fault"]))]
        if doc["identify"] is not None:
            pairs.append(("Identify State", doc["identify"]))
        width = max(len(k) for k, _ in pairs)
        for key, value in pairs:
            out.line(f"{key.ljust(width + 1)}: {value}")


def chassis_policy(
    policy: str = Argument(..., metavar="always-on|previous|always-off", autocompletion=_policies,
                           help="What the chassis does when AC power returns"),
) -> None:
    """Set the power restore policy (what happens when AC power returns)."""
    from chassisctl.client import chassis
    from chassisctl.errors import UsageError

    if policy not in chassis.POLICIES:
        raise UsageError(f"chassis policy {policy!r}: choose always-on, previous or always-off")
    with open_session() as session:
        out = state().output()
        node = session.node_target()
        supported = chassis.set_policy(session.transport, policy, node=node.selector)
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) | {"restore_policy": policy,
                                                                      "supported": supported})
            return
        out.line(f"Power restore policy set to {policy} (supported: {', '.join(supported) or 'none reported'})")


def chassis_identify(
    seconds: int | None = Option(None, "--seconds", min=0, max=255, metavar="N",
                                 help="Light it for N seconds (default: the BMC's, 15; 0 turns it off)"),
    force: bool = Option(False, "--force", help="Light it until turned off with --off"),
    off: bool = Option(False, "--off", help="Turn it off"),
) -> None:
    """Light the chassis identify LED (for a while, until --off, or turn it off)."""
    from chassisctl.client import chassis
    from chassisctl.errors import UsageError

    if sum((seconds is not None, force, off)) > 1:
        raise UsageError("give at most one of --seconds, --force and --off")
    if off:
        seconds = 0
    with open_session() as session:
        out = state().output()
        node = session.node_target()
        chassis.identify(session.transport, seconds=seconds, force=force, node=node.selector)
        state_text = ("on until turned off" if force else "off" if seconds == 0 else
                      f"on for {15 if seconds is None else seconds} s")
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) | {
                "identify": "indefinite" if force else "off" if seconds == 0 else "temporary",
                "seconds": None if force or seconds == 0 else (15 if seconds is None else seconds)})
            return
        out.line(f"Chassis identify light {state_text}")
