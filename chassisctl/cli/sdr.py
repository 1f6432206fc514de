"""``chassisctl sdr list`` and ``sdr cache show|flush``.

The SDR cache is what makes a warm ``sensors`` cost one request per sensor;
operators need to see it and to throw it away (after a BMC firmware update
that kept its timestamps, say) without hunting for files.
"""

from __future__ import annotations

from chassisctl.cli.common import state
from chassisctl.cli.params import Option
from chassisctl.cli.session import open_session


def register(app) -> None:
    import typer

    from chassisctl.cli.common import command

    sdr = typer.Typer(help="The SDR repository and its local cache.", no_args_is_help=True)
    cache = typer.Typer(help="The on-disk SDR cache ($XDG_CACHE_HOME/chassisctl/sdr).",
                        no_args_is_help=True)
    app.add_typer(sdr, name="sdr")
    sdr.add_typer(cache, name="cache")
    command(sdr, "list")(sdr_list)
    command(cache, "show")(cache_show)
    command(cache, "flush")(cache_flush)


def sdr_list(refresh_sdr: bool = Option(False, "--refresh-sdr", help="Ignore the cache"),
             no_cache: bool = Option(False, "--no-cache", help="Neither read nor write the cache")) -> None:
    """List the records of the SDR repository (from the cache when valid)."""
    from chassisctl.cli.render import Column
    from chassisctl.ipmi.names import entity_name
    from chassisctl.ipmi.sdr_format import RecordType

    #: The record types a listing names; any other shows as ``type-NNh``.
    kinds: dict[int, str] = {RecordType.FULL_SENSOR: "full", RecordType.COMPACT_SENSOR: "compact",
                             RecordType.EVENT_ONLY: "event-only", RecordType.FRU_DEVICE_LOCATOR: "fru-locator",
                             RecordType.MC_DEVICE_LOCATOR: "mc-locator"}
    with open_session() as session:
        out = state().output()
        node = session.node_target()
        repo = session.repository(node, refresh=refresh_sdr, no_cache=no_cache)
        rows = []
        for r in repo.records:
            kind = kinds.get(getattr(r, "record_type", -1), f"type-{getattr(r, 'record_type', 0):02x}h")
            rows.append({"record_id": r.record_id, "type": kind,
                         "sensor_number": getattr(r, "sensor_number", None),
                         "name": getattr(r, "id_string", None),
                         "entity": (f"{entity_name(r.entity_id)} {r.entity_instance & 0x7F}"
                                    if hasattr(r, "entity_id") else None)})
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) |
                     {"source": "cache" if repo.from_cache else "bmc", "records": rows})
            return
        out.table([Column("ID", "right"), Column("Type"), Column("Sensor", "right"), Column("Name"),
                   Column("Entity")],
                  [[f"{r['record_id']:04X}", r["type"],
                    "" if r["sensor_number"] is None else f"{r['sensor_number']:#04x}",
                    r["name"] or "", r["entity"] or ""] for r in rows])


def cache_show() -> None:
    """List cached SDR repositories: target, records, timestamps, chunk size."""
    from chassisctl.cli.render import Column
    from chassisctl.client.sdr_cache import SdrCache

    out = state().output()
    store = SdrCache()
    docs = []
    for path, entry in store.entries():
        docs.append({"path": str(path), "valid": entry is not None,
                     "target": entry.key["target"] if entry else None,
                     "node": entry.key["node"] if entry else None,
                     "records": len(entry.records) if entry else None,
                     "addition": entry.addition if entry else None,
                     "erase": entry.erase if entry else None,
                     "chunk": entry.chunk if entry else None})
    if out.json_mode:
        out.json({"directory": str(store.directory), "entries": docs})
        return
    out.table([Column("Target"), Column("Node"), Column("Records", "right"), Column("Chunk", "right"),
               Column("File")],
              [[d["target"] or "(corrupt, will be rebuilt)", d["node"] or "-",
                d["records"] if d["records"] is not None else "-",
                ("all" if d["chunk"] == 255 else d["chunk"]) if d["chunk"] is not None else "-",
                d["path"]] for d in docs])


def cache_flush(all_targets: bool = Option(False, "--all", help="Every cached BMC, not just this one")) -> None:
    """Delete the cached SDRs of this BMC (or of all with --all)."""
    from chassisctl.client.sdr_cache import SdrCache

    store = SdrCache()
    out = state().output()
    if all_targets:
        removed = store.flush()
    else:
        with open_session() as session:
            # the same node selector `sensors` keys its cache entry with
            node = session.node_target().selector
            removed = store.flush(SdrCache.key(session.transport.identity(), node))
    if out.json_mode:
        out.json({"removed": removed})
    else:
        out.line(f"removed {removed} cached SDR repositor{'y' if removed == 1 else 'ies'}")
