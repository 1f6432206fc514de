"""``chassisctl serve``: run the IPMI-over-LAN endpoint (and siblings) in the foreground.

A foreground process for systemd (``Type=notify``) or a container: it never
daemonises, writes logs to stderr and nothing to stdout, and is ready when
its sockets are bound.  asyncio and the LAN stack are imported here, inside
the command, never on other commands' paths.
"""

from __future__ import annotations

from chassisctl.cli.common import long_running, state
from chassisctl.cli.completion_values import complete_interface
from chassisctl.cli.params import Option


def register(app) -> None:
    from chassisctl.cli.common import command

    command(app, "serve")(serve)


def _log_formats() -> list[str]:
    return ["text", "json"]


def serve(
    ipmi_listen: str | None = Option(
        None, "--ipmi-listen", metavar="ADDR:PORT",
        help="IPMI over LAN address and port (overrides [ipmi] listen; default 0.0.0.0:623)"),
    ipmi_interface: str | None = Option(
        None, "--ipmi-interface", metavar="IFACE", autocompletion=complete_interface,
        help="Answer IPMI only on this network interface, e.g. the management port "
             "(overrides [ipmi] interface)"),
    poll_interval: float | None = Option(
        None, "--sensor-poll-interval", metavar="SECONDS", min=0.1, max=3600.0,
        help="Longest age of a sensor reading served to LAN clients, one bus scan per interval "
             "(overrides [serve] sensor_poll_interval; default 1)"),
    log_format: str = Option("text", "--log-format", metavar="text|json", autocompletion=_log_formats,
                             help="Log line format on stderr"),
    verbose: int = Option(0, "--verbose", "-v", count=True, help="More log detail (repeat for debug)"),
) -> None:
    """Serve standard IPMI over LAN (RMCP, RMCP+) bridged onto the I2C BMC."""
    import asyncio
    import logging

    from chassisctl.errors import UsageError
    from chassisctl.serve import logsetup
    from chassisctl.serve.app import ServeOptions, run

    if log_format not in ("text", "json"):
        raise UsageError(f"--log-format {log_format!r}: choose text or json")
    long_running()
    cli = state()
    level = logging.DEBUG if verbose > 1 or cli.debug else logging.INFO if verbose == 0 else logging.DEBUG
    logsetup.setup(level if verbose or cli.debug else logging.INFO, log_format)
    resolved = cli.resolved()

    def reresolve():
        """SIGHUP: the file again, with the same flags and environment."""
        from chassisctl.config import resolve

        return resolve(cli.flags, config=cli.config)

    try:
        asyncio.run(run(resolved, ServeOptions(ipmi_listen=ipmi_listen, ipmi_interface=ipmi_interface,
                                               poll_interval=poll_interval), reresolve))
    except KeyboardInterrupt:
        pass
