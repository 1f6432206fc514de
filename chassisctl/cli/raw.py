"""``chassisctl raw NETFN CMD [DATA...]``: one IPMI request, bytes in and out.

Arguments parse like ``ipmitool raw`` (``0x`` for hex, otherwise decimal),
so command lines copied from vendor documentation work unchanged; a token
such as ``1a`` is refused with a hint instead of being guessed.  The raw
request goes through the same transport rules as everything else: a
non-idempotent command is never re-sent.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from chassisctl.cli.common import command, state
from chassisctl.cli.session import open_session


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def parse_byte(token: str, what: str) -> int:
    """``0x1a`` or ``26``, in ASCII only: Python's ``int`` would take a
    full-width ``０x01`` (or ``1_0``) as a number, which no one types on purpose."""
    from chassisctl.errors import UsageError

    value = None
    if token.isascii() and "_" not in token:
        try:
            value = int(token, 0)
        except ValueError:
            pass
    if value is None:
        if not token.isascii():
            hint = "use ASCII digits: 0x1a or 26"
        elif token[:2].lower() == "0x":
            hint = "after 0x come hex digits 0-9, a-f"
        elif token and set(token) <= _HEX_DIGITS:
            hint = f"write hex as 0x{token}"
        else:
            hint = "write hex as 0x1a, decimal as 26"
        raise UsageError(f"{what} {token!r} is not a byte ({hint})")
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
        target: Optional[str] = typer.Option(
            None, "--target", "-t", metavar="ADDR",
            help="Bridge to the controller at this 8-bit IPMB address behind the BMC "
                 "(Send Message, like ipmitool -t)"),
        channel: int = typer.Option(0, "--channel", "-b", min=0, max=15, metavar="N",
                                    help="IPMB channel of --target (like ipmitool -b)"),
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
            if target is None:
                response = session.transport.transact(request, node=node.selector)
            else:
                address = parse_byte(target, "--target")
                if address & 1:
                    raise UsageError(f"--target {target}: IPMB addresses are 8-bit and even (0x72, not 0x39)")
                bridged = getattr(session.transport, "bridged", None)
                if bridged is None:
                    raise UsageError(f"--target: {session.transport.describe()} cannot bridge (no Send Message)")
                response = bridged(request, channel, address)
            check(request, response, None if target is None else {
                0x83: f"nothing acknowledged at {target} on IPMB channel {channel} (Send Message: NAK on write)",
                0x82: f"bus error on IPMB channel {channel} (Send Message)",
                0x81: f"lost arbitration on IPMB channel {channel} (Send Message)",
                0xCC: f"the BMC has no IPMB channel {channel}"})
            if out.json_mode:
                out.json(session.meta() | session.describe_node(node) | {
                    "request": {"netfn": request.netfn, "cmd": request.cmd, "data": payload.hex(),
                                "target": target and parse_byte(target, "--target"),
                                "channel": channel if target else None},
                    "cc": response.cc, "data": response.data.hex()})
                return
            body = response.data
            for i in range(0, len(body), 16):
                out.line(" " + " ".join(f"{b:02x}" for b in body[i:i + 16]))
