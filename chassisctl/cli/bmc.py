"""``chassisctl bmc info|reset``: Device ID, GUIDs, firmware, capabilities; resetting the BMC.

``bmc reset`` restarts the management controller (not the host): it asks on
a terminal and needs ``--yes`` elsewhere, like the destructive power verbs,
because the BMC is unreachable while it restarts.
"""

from __future__ import annotations

from chassisctl.cli.common import state
from chassisctl.cli.params import Argument, Option
from chassisctl.cli.session import open_session

HELP = "The BMC itself: identity, firmware, capabilities, reset."


def register(app) -> None:
    import typer

    from chassisctl.cli.common import command

    bmc = typer.Typer(help=HELP, no_args_is_help=True)
    app.add_typer(bmc, name="bmc")
    command(bmc, "info")(info)
    command(bmc, "reset")(reset)


def info() -> None:
    """Show Device ID, GUID, firmware and IPMI version, self test and SSIF capabilities."""
    from chassisctl.client.info import bmc_info as fetch

    with open_session() as session:
        out = state().output()
        node = session.node_target()
        doc = fetch(session.transport, node=node.selector).to_dict()
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) | doc)
            return
        ssif = doc["ssif"]
        out.fields([
            ("Device ID", doc["device_id"]),
            ("Device Revision", doc["device_revision"]),
            ("Firmware Revision", doc["firmware_revision"]),
            ("IPMI Version", doc["ipmi_version"]),
            ("Manufacturer ID", doc["manufacturer_id"]),
            ("Product ID", f"{doc['product_id']} ({doc['product_id']:#06x})"),
            ("Device GUID", doc["guid"] or "n/a"),
            ("System GUID", doc["system_guid"] or "n/a"),
            ("Additional Support", ", ".join(doc["additional_support"]) or "none"),
            ("Self Test", doc["self_test"]["text"] if doc["self_test"] else "n/a"),
            ("SSIF", "n/a" if not ssif else
             f"{ssif['transactions']}, PEC {'yes' if ssif['pec'] else 'no'}, "
             f"max request {ssif['max_request']} / response {ssif['max_response']} bytes"),
            ("Transport", session.target_text(node)),
        ])


def _kinds() -> list[str]:
    return ["warm", "cold"]


def reset(
    kind: str = Argument(..., metavar="warm|cold", autocompletion=_kinds,
                         help="warm: restart the BMC's firmware; cold: reset the controller"),
    yes: bool = Option(False, "--yes", "-y", help="Do not ask for confirmation"),
) -> None:
    """Reset the BMC itself (warm or cold); the host keeps running."""
    from chassisctl.cli.power import confirm
    from chassisctl.client.bmc import KINDS, reset as send
    from chassisctl.errors import UsageError

    if kind not in KINDS:
        raise UsageError(f"bmc reset {kind!r}: choose warm or cold")
    with open_session() as session:
        out = state().output()
        node = session.node_target()
        confirm(f"bmc reset {kind}", session.target_text(node), yes)
        answered = send(session.transport, kind, node=node.selector)
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) | {"reset": kind, "answered": answered})
            return
        out.line(f"Sent {kind} reset to the BMC"
                 + ("" if answered else " (no answer: it may already be restarting)"))
