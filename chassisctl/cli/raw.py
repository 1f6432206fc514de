"""``chassisctl raw NETFN CMD [DATA...]``: one IPMI request, bytes in and out.

Arguments parse like ``ipmitool raw`` (``0x`` for hex, otherwise decimal),
so command lines copied from vendor documentation work unchanged; a token
such as ``1a`` is refused with a hint instead of being guessed.  The raw
request goes through the same transport rules as everything else: a
non-idempotent command is never re-sent.
"""

from __future__ import annotations

from typing import List

import typer

from chassisctl.cli.common import command, state
from chassisctl.cli.session import open_session


def parse_byte(token: str, what: str) -> int:
    from chassisctl.errors import UsageError

    try:
        value = int(token, 0)
    except ValueError:
        raise UsageError(f"{what} {token!r} is not a byte (write hex as 0x{token})") from None
    if not 0 <= value <= 0xFF:
        raise UsageError(f"{what} {token!r} is outside 0-255")
    return value


def register(app: typer.Typer) -> None:
    @command(app, "raw")
    def raw(
        netfn: str = typer.Argument(..., metavar="NETFN", help="Network function, e.g. 0x06"),
        cmd: str = typer.Argument(..., metavar="CMD", help="Command, e.g. 0x01"),
        data: List[str] = typer.Argument(None, metavar="[DATA]...", help="Request data bytes"),
        lun: int = typer.Option(0, "--lun", min=0, max=3, help="Responder LUN"),
    ) -> None:
        """Send one raw IPMI request and print the response data (like ipmitool raw)."""
        from chassisctl.client.call import check
        from chassisctl.errors import UsageError
        from chassisctl.ipmi.message import Request

        fn = parse_byte(netfn, "NETFN")
        if fn & 1 or fn > 0x3F:
            raise UsageError(f"NETFN {netfn}: a request netFn is even and at most 0x3e")
        payload = bytes(parse_byte(t, "DATA byte") for t in (data or []))
        request = Request(fn, parse_byte(cmd, "CMD"), payload, lun)
        with open_session() as session:
            out = state().output()
            node = session.node_target()
            response = session.transport.transact(request, node=node.selector)
            check(request, response)
            if out.json_mode:
                out.json(session.meta() | session.describe_node(node) | {
                    "request": {"netfn": request.netfn, "cmd": request.cmd, "data": payload.hex()},
                    "cc": response.cc, "data": response.data.hex()})
                return
            body = response.data
            for i in range(0, len(body), 16):
                out.line(" " + " ".join(f"{b:02x}" for b in body[i:i + 16]))
