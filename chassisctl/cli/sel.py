"""``chassisctl sel list|info|clear|time``: the System Event Log.

Piped, ``sel list`` prints exactly the lines ``ipmitool sel elist`` prints
(record ID in hex, local date and time, sensor type and SDR name, event,
Asserted/Deasserted, and the reading against the threshold for threshold
events), so scripts written against ipmitool keep working; a terminal gets a
table, and ``--json`` one document whose ``entries`` carry the same facts as
fields.  ``--follow`` prints new entries as they are logged until Ctrl-C.
``sel clear`` asks first, like ``power off``.
"""

from __future__ import annotations

import time

from chassisctl.cli.common import state
from chassisctl.cli.params import Option
from chassisctl.cli.session import open_session

HELP = "The System Event Log: list (decoded like ipmitool sel elist), info, clear, time."


def register(app) -> None:
    import typer

    from chassisctl.cli.common import command

    group = typer.Typer(help=HELP, no_args_is_help=True)
    app.add_typer(group, name="sel")
    command(group, "list")(sel_list)
    command(group, "info")(sel_info)
    command(group, "clear")(sel_clear)
    command(group, "time")(sel_time)


def sel_list(
    last: int | None = Option(None, "--last", min=1, metavar="N", help="Only the N most recent entries"),
    follow: bool = Option(False, "--follow", "-f", help="Keep printing new entries as they are logged, until Ctrl-C"),
    interval: float = Option(1.0, "--interval", min=0.2, max=3600.0, metavar="SECONDS",
                             help="With --follow: how often to ask the BMC for new entries"),
) -> None:
    """List SEL entries: sensor, event, assertion or deassertion (like ipmitool sel elist)."""
    from collections import deque

    from chassisctl.client import sel

    with open_session() as session:
        out = state().output()
        node = session.node_target()
        index = _sensor_index(session, node)
        reader = sel.SelReader(session.transport, node=node.selector)
        start_info = sel.info(session.transport, node=node.selector) if follow else None
        recent: deque[sel.Entry] = deque(maxlen=last)  # maxlen None: keep them all
        for _, raw in reader.walk():
            recent.append(sel.decode(raw, index))
        entries = list(recent)
        doc = session.meta() | session.describe_node(node)
        if out.json_mode:
            if follow:
                import json

                out.line(json.dumps({"schema": 1, **doc, "entries": [e.to_dict() for e in entries]}))
            else:
                out.json(doc | {"entries": [e.to_dict() for e in entries]})
        elif out.tty and not follow:
            _table(out, entries)
        else:
            for entry in entries:
                out.line(elist_line(entry))
        if follow:
            _follow(out, session, reader, index, doc, start_info, entries[-1].id if entries else None, interval)


def _sensor_index(session, node):
    """SDR names for the entries (cached SDRs: one request); none if the BMC has no SDRs."""
    from chassisctl.client.sel import SensorIndex
    from chassisctl.ipmi.codes import CompletionCodeError

    try:
        return SensorIndex(session.repository(node).records)
    except CompletionCodeError:
        return None


def _follow(out, session, reader, index, doc, previous, last_id, interval: float) -> None:
    import json

    from chassisctl.cli.common import long_running
    from chassisctl.client import sel

    long_running()
    node = session.node_target().selector
    try:
        while True:
            _pause(interval)
            current = sel.info(session.transport, node=node)
            if current.last_erase != previous.last_erase:
                last_id = None  # cleared: everything there now is new
            if (current.count, current.last_addition, current.last_erase) == \
                    (previous.count, previous.last_addition, previous.last_erase):
                continue
            previous = current
            found = reader.after(last_id) if last_id is not None else reader.walk()
            new = [sel.decode(raw, index) for _, raw in found]
            if not new:
                continue
            last_id = new[-1].id
            if out.json_mode:
                out.line(json.dumps({"schema": 1, **doc, "entries": [e.to_dict() for e in new]}))
            else:
                for entry in new:
                    out.line(elist_line(entry))
    except KeyboardInterrupt:
        return


def _pause(seconds: float) -> None:
    """Between two --follow polls (the tests' hook)."""
    time.sleep(seconds)


def _local_date(ts: int) -> str:
    return time.strftime("%m/%d/%y", time.localtime(ts))


def _local_time(ts: int) -> str:
    return time.strftime("%H:%M:%S %Z", time.localtime(ts))


def _number(value: float) -> str:
    """ipmitool's "%.*f": no decimals for a whole number, else two."""
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def elist_line(entry) -> str:
    """One line exactly as ``ipmitool sel elist`` prints it (local time zone)."""
    from chassisctl.ipmi.sel import PRE_INIT_MAX

    r = entry.record
    raw = r.encode()
    line = f"{r.record_id:4x} | "
    if r.record_type < 0xE0:
        ts = int.from_bytes(raw[3:7], "little")
        if ts < PRE_INIT_MAX:
            line += f" Pre-Init  |{ts:010d}| "
        else:
            line += f"{_local_date(ts)} | {_local_time(ts)} | "
    if r.record_type >= 0xC0:
        if r.record_type <= 0xDF:
            # the manufacturer ID most significant byte first, as ipmitool prints it
            return line + f"OEM record {r.record_type:02x} | {raw[9:6:-1].hex()} | {raw[10:16].hex()}"
        return line + f"OEM record {r.record_type:02x} | {raw[3:16].hex()}"
    if entry.sensor is None:  # a reserved record type: shown raw
        return line + entry.event
    line += f"{entry.sensor} | {entry.event} | {'Deasserted' if entry.direction == 'deassertion' else 'Asserted'}"
    if entry.reading is not None:
        line += f" | Reading {_number(entry.reading)}"
        if entry.threshold is not None:
            going_high = bool(r.offset % 2) != (entry.direction == "deassertion")
            line += f" {'>' if going_high else '<'} Threshold {_number(entry.threshold)} {entry.unit}"
    return line


def _table(out, entries) -> None:
    from chassisctl.cli.render import Column

    rows = []
    for e in entries:
        ts = e.timestamp
        when = ("", "")
        if ts is not None:
            when = (_local_date(ts), _local_time(ts)) if ts >= 0x20000000 else ("pre-init", f"+{ts} s")
        detail = ""
        if e.reading is not None:
            detail = f"reading {_number(e.reading)}"
            if e.threshold is not None:
                detail += f", threshold {_number(e.threshold)} {e.unit}"
        rows.append([f"{e.id:x}", *when, e.sensor or "", e.event,
                     {"assertion": "Asserted", "deassertion": "Deasserted"}.get(e.direction or "", ""), detail])
    out.table([Column("ID", "right"), Column("Date"), Column("Time"), Column("Sensor"), Column("Event"),
               Column("Direction"), Column("Detail")], rows)


def _when(ts: int) -> str:
    from chassisctl.ipmi.storage_ids import NO_TIMESTAMP

    if ts == NO_TIMESTAMP:
        return "Not Available"
    return f"{_local_date(ts)} {_local_time(ts)}" if ts >= 0x20000000 else f"pre-init +{ts}s"


#: ipmitool's words for the SEL operation support bits.
_CMD_NAMES = {"delete": "Delete", "partial-add": "Partial Add", "reserve": "Reserve",
              "allocation-info": "Get Alloc Info"}


def sel_info() -> None:
    """Show the SEL's entry count, free space, last addition and erase, overflow."""
    from chassisctl.client import sel
    from chassisctl.ipmi.sel import format_timestamp, timestamp_kind
    from chassisctl.ipmi.sel_cmds import SelSupport

    with open_session() as session:
        out = state().output()
        node = session.node_target()
        i = sel.info(session.transport, node=node.selector)
        used = i.count * 16
        total = used + i.free_space
        percent = None if i.free_space == 0xFFFF else (100 * used // total if total else 0)
        supported = [name for flag, name in ((SelSupport.DELETE, "delete"), (SelSupport.PARTIAL_ADD, "partial-add"),
                                             (SelSupport.RESERVE, "reserve"),
                                             (SelSupport.ALLOCATION_INFO, "allocation-info")) if i.support & flag]

        def stamp(ts: int):
            return format_timestamp(ts) if timestamp_kind(ts) == "absolute" else None

        version = f"{i.version & 0x0F}.{i.version >> 4}"
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) | {
                "version": version, "entries": i.count,
                "free_bytes": None if i.free_space == 0xFFFF else i.free_space, "percent_used": percent,
                "last_addition": stamp(i.last_addition), "last_erase": stamp(i.last_erase),
                "overflow": i.overflow, "supported": supported})
            return
        out.fields([
            ("Version", f"{version} (v1.5, v2 compliant)" if i.version == 0x51 else version),
            ("Entries", i.count),
            ("Free Space", "unspecified" if i.free_space == 0xFFFF else f"{i.free_space} bytes"),
            ("Percent Used", "unknown" if percent is None else f"{percent}%"),
            ("Last Add Time", _when(i.last_addition)),
            ("Last Del Time", _when(i.last_erase)),
            ("Overflow", "true" if i.overflow else "false"),
            ("Supported Cmds", " ".join(f"'{_CMD_NAMES[s]}'" for s in supported) or "none"),
        ])


def sel_clear(yes: bool = Option(False, "--yes", "-y", help="Do not ask for confirmation")) -> None:
    """Erase every SEL entry (asks first on a terminal; needs --yes elsewhere)."""
    from chassisctl.cli.power import confirm
    from chassisctl.client import sel

    with open_session() as session:
        out = state().output()
        node = session.node_target()
        before = sel.info(session.transport, node=node.selector).count
        confirm("sel clear", session.target_text(node), yes)
        sel.clear(session.transport, node=node.selector)
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) | {"cleared": True, "entries_before": before})
            return
        out.line(f"SEL cleared ({before} entr{'y' if before == 1 else 'ies'} erased)")


def sel_time(sync: bool = Option(False, "--sync", help="Set the SEL clock to this host's clock first")) -> None:
    """Show the SEL clock and how far it is from this host's clock."""
    from chassisctl.client import sel
    from chassisctl.ipmi.sel import format_timestamp, timestamp_kind

    with open_session() as session:
        out = state().output()
        node = session.node_target()
        if sync:
            sel.set_time(session.transport, int(time.time()), node=node.selector)
        seconds = sel.get_time(session.transport, node=node.selector)
        host = time.time()
        absolute = timestamp_kind(seconds) == "absolute"
        offset = round(seconds - host) if absolute else None
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) | {
                "time": format_timestamp(seconds) if absolute else None, "time_raw": seconds,
                "host_time": format_timestamp(int(host)), "offset_seconds": offset, "synced": sync})
            return
        out.line(_when(seconds))
        if offset:
            out.notice(f"the SEL clock is {abs(offset)} s {'ahead of' if offset > 0 else 'behind'} this host "
                       "(sel time --sync sets it)")
