"""``chassisctl nodes``: every node of the chassis with its power state.

One Get Chassis Status per node; a node that does not answer is listed with
``"power": null`` and the error, never dropped, so the list always has one
entry per node (a stable shape for scripts).
"""

from __future__ import annotations

from chassisctl.cli.common import state
from chassisctl.cli.session import open_session


def register(app) -> None:
    from chassisctl.cli.common import command

    command(app, "nodes")(nodes)


def nodes() -> None:
    """List the nodes of a multi-node chassis with their power state."""
    from chassisctl.client import power
    from chassisctl.errors import ChassisError

    with open_session() as session:
        out = state().output()
        transport = session.transport
        known = transport.nodes()
        rows = []
        for n in known:
            row = {"name": n.name, "id": n.id, "power": None, "power_control_fault": None, "error": None}
            try:
                st = power.status(transport, node=n.name if len(known) > 1 else None)
                row |= {"power": "on" if st.power_on else "off", "power_control_fault": st.power_control_fault}
            except ChassisError as exc:
                row["error"] = str(exc)
            rows.append(row)
        platform = getattr(transport, "platform", None)
        if out.json_mode:
            out.json(session.meta() | {"platform": platform.name if platform is not None else None,
                                       "nodes": rows})
            return
        from chassisctl.cli.render import Column

        out.table([Column("Node"), Column("Id", "right"), Column("Power"), Column("Note")],
                  [[r["name"], r["id"], r["power"] or "n/a",
                    r["error"] or ("power control fault" if r["power_control_fault"] else "")]
                   for r in rows])
