"""``chassisctl bmc info``: Device ID, GUIDs, firmware, capabilities."""

from __future__ import annotations

import typer

from chassisctl.cli.common import command, state
from chassisctl.cli.session import open_session


def register(app: typer.Typer) -> None:
    bmc = typer.Typer(help="The BMC itself: identity, firmware, capabilities.", no_args_is_help=True)
    app.add_typer(bmc, name="bmc")

    @command(bmc, "info")
    def bmc_info() -> None:
        """Show Device ID, GUID, firmware and IPMI version, self test and SSIF capabilities."""
        from chassisctl.client.info import bmc_info as fetch

        with open_session() as session:
            out = state().output()
            node = session.node_target()
            info = fetch(session.transport, node=node.selector).to_dict()
            if out.json_mode:
                out.json(session.meta() | session.describe_node(node) | info)
                return
            ssif = info["ssif"]
            out.fields([
                ("Device ID", info["device_id"]),
                ("Device Revision", info["device_revision"]),
                ("Firmware Revision", info["firmware_revision"]),
                ("IPMI Version", info["ipmi_version"]),
                ("Manufacturer ID", info["manufacturer_id"]),
                ("Product ID", f"{info['product_id']} ({info['product_id']:#06x})"),
                ("Device GUID", info["guid"] or "n/a"),
                ("System GUID", info["system_guid"] or "n/a"),
                ("Additional Support", ", ".join(info["additional_support"]) or "none"),
                ("Self Test", info["self_test"]["text"] if info["self_test"] else "n/a"),
                ("SSIF", "n/a" if not ssif else
                 f"{ssif['transactions']}, PEC {'yes' if ssif['pec'] else 'no'}, "
                 f"max request {ssif['max_request']} / response {ssif['max_response']} bytes"),
                ("Transport", session.target_text(node)),
            ])
