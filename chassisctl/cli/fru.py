"""``chassisctl fru [print] [--id N]``: FRU inventory, decoded.

Board, product and chassis areas and the multirecord area of every FRU the
BMC lists (the builtin FRU 0 and each logical FRU locator in its SDRs), or
of one with ``--id``.  Text output uses ipmitool's ``fru print`` field names
so a person comparing the two sees the same lines; problems found while
decoding (a bad checksum, a truncated area) are listed, never repaired.
"""

from __future__ import annotations

from chassisctl.cli.common import state
from chassisctl.cli.params import Argument, Option
from chassisctl.cli.session import open_session


def register(app) -> None:
    from chassisctl.cli.common import command

    command(app, "fru")(fru)


def _actions() -> list[str]:
    return ["print"]


def fru(
    action: str = Argument("print", metavar="[print]", autocompletion=_actions,
                           help="What to do (print is the only action, and the default)"),
    fru_id: int | None = Option(None, "--id", min=0, max=254, metavar="N", help="Only the FRU with this ID"),
) -> None:
    """Print FRU inventory: board, product, chassis and multirecord areas."""
    from chassisctl.client.fru import read_all
    from chassisctl.errors import UsageError
    from chassisctl.ipmi.codes import CompletionCodeError

    if action != "print":
        raise UsageError(f"fru {action!r}: the only action is 'print'")
    with open_session() as session:
        out = state().output()
        node = session.node_target()
        try:
            records = session.repository(node).records
        except CompletionCodeError:
            records = []  # no SDR repository: FRU 0 only
        frus = read_all(session.transport, records, node=node.selector, only=fru_id)
        docs = [f.to_dict() for f in frus]
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) | {"fru": docs})
            return
        for i, doc in enumerate(docs):
            if i:
                out.line()
            out.line(f"FRU Device Description : {doc['name']} (ID {doc['id']})")
            _print(out, doc)


def _print(out, doc: dict) -> None:
    pairs: list[tuple[str, object]] = []
    chassis, board, product = doc["chassis"], doc["board"], doc["product"]
    if chassis:
        pairs += [("Chassis Type", chassis["chassis_type_name"]), ("Chassis Part Number", chassis["part_number"]),
                  ("Chassis Serial", chassis["serial"])]
        pairs += [("Chassis Extra", v) for v in chassis["custom"]]
    if board:
        pairs += [("Board Mfg Date", board["mfg_date"] or "Unspecified"), ("Board Mfg", board["manufacturer"]),
                  ("Board Product", board["product_name"]), ("Board Serial", board["serial"]),
                  ("Board Part Number", board["part_number"])]
        if board["fru_file_id"]:
            pairs.append(("Board FRU ID", board["fru_file_id"]))
        pairs += [("Board Extra", v) for v in board["custom"]]
    if product:
        pairs += [("Product Manufacturer", product["manufacturer"]), ("Product Name", product["product_name"]),
                  ("Product Part Number", product["part_number"]), ("Product Version", product["version"]),
                  ("Product Serial", product["serial"])]
        if product["asset_tag"]:
            pairs.append(("Product Asset Tag", product["asset_tag"]))
        if product["fru_file_id"]:
            pairs.append(("Product FRU ID", product["fru_file_id"]))
        pairs += [("Product Extra", v) for v in product["custom"]]
    for record in doc["multirecords"]:
        decoded = record["decoded"]
        text = ", ".join(f"{k}={v}" for k, v in decoded.items()) if decoded else record["data"]
        pairs.append((record["type_name"], text))
    pairs += [("Problem", p) for p in doc["problems"]]
    width = max((len(k) for k, _ in pairs), default=0)
    for key, value in pairs:
        out.line(f" {key.ljust(max(width, 21))} : {'' if value is None else value}")
