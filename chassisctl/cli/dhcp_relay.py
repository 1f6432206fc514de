"""``chassisctl dhcp-relay start|status``: the DHCPv4/DHCPv6 relay.

``start`` runs the relay in the foreground (asyncio, sockets and pyroute2
are imported inside it, never on other commands' paths) until SIGINT or
SIGTERM, then prints its counters and exits 0; it logs one line per problem
on stderr.  ``status`` asks the running ``serve`` for its relays' counters
over the control socket.

List options take one value per flag or several after one flag, as
dhcrelay users write them: ``--downstream eth1 eth2`` equals
``--downstream eth1 --downstream eth2`` (:func:`preprocess`).
"""

from __future__ import annotations


import typer

from chassisctl.cli.common import command, long_running, state
from chassisctl.cli.completion_values import complete_interface

#: Options whose flag may be followed by several values.
LIST_OPTIONS = ("--downstream", "--upstream", "--server", "--trusted")


def preprocess(argv: list[str]) -> list[str]:
    """``--downstream a b`` → ``--downstream a --downstream b`` for :data:`LIST_OPTIONS`."""
    if "start" not in argv:
        return argv
    out: list[str] = []
    current: str | None = None
    after_double_dash = False
    for word in argv:
        if after_double_dash:
            out.append(word)
            continue
        if word == "--":
            after_double_dash = True
            current = None
            out.append(word)
        elif word.startswith("-") and not _negative_number(word):
            current = word if word in LIST_OPTIONS else None
            out.append(word)
        elif current is not None and out and out[-1] != current:
            out += [current, word]
        else:
            out.append(word)
    return out


def _negative_number(word: str) -> bool:
    return word[1:].isdigit() and word != "-6"


def _flag_name(key: str) -> str:
    return {"servers": "--server", "ipv6": "-6"}.get(key, "--" + key.replace("_", "-"))


def render_relays(out, relays: list[dict]) -> None:
    """The counters table (or JSON) of ``start`` on exit and of ``status``."""
    if out.json_mode:
        out.json({"relays": relays})
        return
    from chassisctl.cli.render import Column

    rows = []
    for relay in relays:
        label = f"{relay['family']} {','.join(relay['downstream'])}"
        for name, counts in relay["interfaces"].items():
            reasons = ", ".join(f"{k}={v}" for k, v in counts["dropped"].items())
            rows.append([label, name, counts["received"], counts["relayed"], sum(counts["dropped"].values()),
                         reasons or "-"])
        if not relay["interfaces"]:
            rows.append([label, "-", 0, 0, 0, "-"])
    out.table([Column("Relay"), Column("Interface"), Column("Received", "right"), Column("Relayed", "right"),
               Column("Dropped", "right"), Column("Reasons")], rows)


def register(app: typer.Typer) -> None:
    relay = typer.Typer(help="DHCPv4/DHCPv6 relay: run it, or show the running service's counters.",
                        no_args_is_help=True)
    app.add_typer(relay, name="dhcp-relay")

    @command(relay, "start")
    def start(
        downstream: list[str] = typer.Option(
            ..., "--downstream", metavar="IF", autocompletion=complete_interface,
            help="Client-side interface(s) to relay from (one or more)"),
        server: list[str] = typer.Option(
            ..., "--server", metavar="ADDR", help="DHCP server address(es); every request goes to each"),
        upstream: list[str] | None = typer.Option(
            None, "--upstream", metavar="IF", autocompletion=complete_interface,
            help="Server-side interface(s); never relayed from, must not be downstream"),
        giaddr: str | None = typer.Option(
            None, "--giaddr", metavar="ADDR",
            help="giaddr to use when the interface has several IPv4 addresses (default: the primary)"),
        option82: str | None = typer.Option(
            None, "--option82", metavar="append|replace|forward|discard",
            autocompletion=lambda: ["append", "replace", "forward", "discard"],
            help="Insert option 82, with this policy for requests that already carry one "
                 "(default: no option 82)"),
        circuit_id: str | None = typer.Option(
            None, "--circuit-id", metavar="FORMAT",
            autocompletion=lambda: ["ifname", "hostname:ifname", "hostname", "vlan", "mac", "hex:", "string:"],
            help="Circuit ID: ifname (default), hostname:ifname, hostname, vlan, mac, hex:HEX or string:TEXT"),
        remote_id: str | None = typer.Option(
            None, "--remote-id", metavar="FORMAT",
            autocompletion=lambda: ["hostname", "mac", "ifname", "hostname:ifname", "vlan", "hex:", "string:"],
            help="Remote ID, same formats (default: none); with -6, sent as option 37"),
        link_selection: str | None = typer.Option(
            None, "--link-selection", metavar="IF", autocompletion=complete_interface,
            help="Use IF's address as giaddr and name the client subnet in sub-option 5 (RFC 3527)"),
        server_id_override: bool = typer.Option(
            False, "--server-id-override",
            help="Add sub-option 11 (RFC 5107) so renewals come to the relay"),
        max_hops: int | None = typer.Option(
            None, "--max-hops", metavar="N",
            help="Drop requests whose hop count exceeds N (default 4; with -6 the hop-count limit, default 8)"),
        trusted: list[str] | None = typer.Option(
            None, "--trusted", metavar="IF", autocompletion=complete_interface,
            help="Downstream interface(s) where a client-sent option 82 is accepted"),
        ipv6: bool = typer.Option(False, "-6", "--ipv6", help="Relay DHCPv6 instead of DHCPv4"),
        verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log detail"),
    ) -> None:
        """Relay DHCP in the foreground until SIGINT/SIGTERM, then print the counters."""
        from chassisctl.dhcp.config import make
        from chassisctl.errors import UsageError

        values: dict = {"downstream": downstream, "servers": server, "ipv6": ipv6,
                        "server_id_override": server_id_override}
        for key, value in (("upstream", upstream), ("giaddr", giaddr), ("option82", option82),
                           ("circuit_id", circuit_id), ("remote_id", remote_id),
                           ("link_selection", link_selection), ("max_hops", max_hops), ("trusted", trusted)):
            if value:
                values[key] = value
            elif value == 0 and key == "max_hops":
                values[key] = 0
        config = make(values, fail=UsageError, key=_flag_name)
        # Only a valid command line pays for asyncio, sockets and pyroute2.
        import asyncio
        import logging

        from chassisctl.serve import logsetup
        from chassisctl.serve.dhcp_relay import RelayRuntime

        long_running()
        cli = state()
        logsetup.setup(logging.DEBUG if verbose or cli.debug else logging.INFO)
        runtime = RelayRuntime([config])
        asyncio.run(_run_foreground(runtime))
        render_relays(cli.output(), runtime.status())

    @command(relay, "status")
    def status(
        socket_path: str | None = typer.Option(
            None, "--socket", metavar="PATH",
            help="serve's control socket (default: [serve] socket, else the runtime directory)"),
    ) -> None:
        """Show the counters of the relays running in ``chassisctl serve``."""
        from chassisctl.control.client import query

        cli = state()
        doc = cli.resolved().document
        section = doc.get("serve") if isinstance(doc.get("serve"), dict) else None
        result = query("dhcp_relay.status", socket_path=socket_path, serve_section=section)
        render_relays(cli.output(), list(result.get("relays", [])))


async def _run_foreground(runtime) -> None:
    import asyncio
    import signal

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    await runtime.start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await runtime.stop()
