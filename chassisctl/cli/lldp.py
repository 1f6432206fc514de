"""``chassisctl lldp neighbors|statistics``: the LLDP agent's table, or a capture's.

By default the answer comes from the agent running in ``chassisctl serve``
(``[lldp]``), over the control socket, as ``lldpcli`` asks ``lldpd``: the
table is live and answers at once.  Without an agent, ``--listen SECONDS``
captures on the ports for that long (LLDP neighbours speak every 30 s by
default, so give it at least that) without transmitting anything, and
``--pcap FILE`` decodes a pcap or pcapng capture offline (scapy reads the
file format, imported for this option only; the LLDPDUs go through the
project's own codec).  Nothing heavy is imported at module level.
"""

from __future__ import annotations

from typing import Any

import typer

from chassisctl.cli.common import command, state
from chassisctl.cli.completion_values import complete_interface

NO_AGENT_HINT = ("start 'chassisctl serve' with an [lldp] section, or capture without it: "
                 "--listen SECONDS (neighbours speak every 30 s by default)")


def ask(name: str, socket_path: str | None, args: dict[str, Any] | None = None) -> Any:
    """One control query, with the LLDP-specific hint when no agent answers."""
    from chassisctl.control.client import query
    from chassisctl.errors import UnreachableError

    serve_section = None
    if socket_path is None:
        serve_section = state().resolved().document.get("serve")
        serve_section = serve_section if isinstance(serve_section, dict) else None
    try:
        return query(name, args, socket_path=socket_path, serve_section=serve_section)
    except UnreachableError as exc:
        raise UnreachableError(f"no LLDP agent: {exc.message}", hint=NO_AGENT_HINT) from None


def check_port(result: dict[str, Any], port: str | None) -> None:
    from chassisctl.errors import UsageError

    ports = result.get("ports", [])
    if port is not None and port not in ports:
        raise UsageError(f"--port {port}: the LLDP agent does not run on that port",
                         hint=f"it runs on: {', '.join(ports) or 'no port'}")


def register(app: typer.Typer) -> None:
    lldp = typer.Typer(help="Link-layer discovery (LLDP, IEEE 802.1AB): neighbours and statistics of the "
                            "serve agent, or of a capture.", no_args_is_help=True)
    app.add_typer(lldp, name="lldp")

    @command(lldp, "neighbors")
    def neighbors(
        port: str | None = typer.Option(None, "--port", "-p", metavar="PORT", autocompletion=complete_interface,
                                           help="Only neighbours on this local port"),
        details: bool = typer.Option(False, "--details", "-d",
                                     help="Every TLV of every neighbour, one block each"),
        watch: float | None = typer.Option(None, "--watch", "-w", metavar="SECONDS", min=0.2, max=3600.0,
                                              help="Ask again every SECONDS until Ctrl-C"),
        count: int | None = typer.Option(None, "--count", min=1, metavar="N",
                                            help="With --watch: stop after N refreshes"),
        socket_path: str | None = typer.Option(
            None, "--socket", metavar="PATH",
            help="serve's control socket (default: [serve] socket, else the runtime directory's chassisctl.sock)"),
        listen: float | None = typer.Option(
            None, "--listen", metavar="SECONDS", min=0.1, max=3600.0,
            help="No agent: capture LLDP on the ports for SECONDS (needs root or CAP_NET_RAW)"),
        pcap: str | None = typer.Option(None, "--pcap", metavar="FILE",
                                           help="Decode the LLDP frames of a pcap or pcapng capture"),
    ) -> None:
        """List LLDP neighbours: local port, system name, port id, hold time, capabilities."""
        from chassisctl.cli.lldpview import neighbors_doc, render_neighbors
        from chassisctl.errors import UsageError

        if sum(x is not None for x in (watch, listen, pcap)) > 1:
            raise UsageError("--watch, --listen and --pcap are different sources: give one")
        if count is not None and watch is None:
            raise UsageError("--count only counts --watch refreshes: add --watch SECONDS")
        if socket_path is not None and (listen is not None or pcap is not None):
            raise UsageError("--socket asks the agent; --listen and --pcap do without it")
        out = state().output()
        if pcap is not None:
            from chassisctl.cli.lldpcapture import read_pcap

            render_neighbors(out, neighbors_doc(read_pcap(pcap), "pcap", None), details=details)
            return
        if listen is not None:
            from chassisctl.cli.lldpcapture import listen as capture

            render_neighbors(out, neighbors_doc(capture(listen, port), "listen", port), details=details)
            return
        if watch is None:
            result = ask("lldp.neighbors", socket_path)
            check_port(result, port)
            render_neighbors(out, neighbors_doc(result, "agent", port), details=details)
            return
        _watch(out, socket_path, port, details, watch, count)

    @command(lldp, "statistics")
    def statistics(
        socket_path: str | None = typer.Option(
            None, "--socket", metavar="PATH",
            help="serve's control socket (default: [serve] socket, else the runtime directory's chassisctl.sock)"),
    ) -> None:
        """Per-port 802.1AB counters: frames in/out, discarded (by reason), TLVs, ageouts."""
        from chassisctl.cli.lldpview import render_statistics, statistics_doc

        render_statistics(state().output(), statistics_doc(ask("lldp.statistics", socket_path)))


def _watch(out, socket_path: str | None, port: str | None, details: bool, interval: float,
           count: int | None) -> None:
    import json
    import time

    from chassisctl.cli.common import long_running
    from chassisctl.cli.lldpview import neighbors_doc, render_neighbors

    long_running()
    rounds = 0
    try:
        if out.tty and not out.json_mode and not details:
            from rich.live import Live

            from chassisctl.cli.render import Column

            with Live(console=out.console(), auto_refresh=False, transient=False) as live:
                while True:
                    result = ask("lldp.neighbors", socket_path)
                    check_port(result, port)
                    doc = neighbors_doc(result, "agent", port)
                    rows = [[r["local_port"], r["system_name"] or "-", r["port_id"], str(r["ttl"]),
                             ",".join(r["capabilities"]["enabled"]), r["chassis_id"]] for r in doc["neighbors"]]
                    live.update(out.rich_table([Column("Local port"), Column("Neighbor"), Column("Port ID"),
                                                Column("Hold", "right"), Column("Capabilities"),
                                                Column("Chassis ID")], rows), refresh=True)
                    rounds += 1
                    if count is not None and rounds >= count:
                        return
                    time.sleep(interval)
        while True:
            result = ask("lldp.neighbors", socket_path)
            check_port(result, port)
            doc = neighbors_doc(result, "agent", port)
            if out.json_mode:
                out.line(json.dumps({"schema": 1, **doc}, ensure_ascii=False))
            else:
                render_neighbors(out, doc, details=details)
                out.line()
            rounds += 1
            if count is not None and rounds >= count:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        return
