"""``chassisctl boot get`` and ``boot set DEVICE [--once|--persistent] [--uefi]``.

The device the host boots from next, through System Boot Options
parameters 5 (boot flags) and 4 (boot info acknowledge), set the way
``ipmitool chassis bootdev`` sets them, so what one tool sets the other
reads back.  ``--once`` (the default) lets the BIOS clear the flags after
one boot.
"""

from __future__ import annotations

from chassisctl.cli.common import state
from chassisctl.cli.params import Argument, Option
from chassisctl.cli.session import open_session

HELP = "The next boot device (System Boot Options): get, set pxe|disk|cdrom|bios|none."


def register(app) -> None:
    import typer

    from chassisctl.cli.common import command

    group = typer.Typer(help=HELP, no_args_is_help=True)
    app.add_typer(group, name="boot")
    command(group, "get")(boot_get)
    command(group, "set")(boot_set)


def _devices() -> list[str]:
    return ["pxe", "disk", "cdrom", "bios", "none"]


def boot_get() -> None:
    """Show the boot device override: device, once or persistent, legacy or UEFI."""
    from chassisctl.client import boot

    with open_session() as session:
        out = state().output()
        node = session.node_target()
        setting = boot.read(session.transport, node=node.selector)
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) | setting.to_dict())
            return
        out.fields(_fields(setting))


def _fields(setting) -> list[tuple[str, str]]:
    if not setting.valid:
        return [("Boot Device", "none (no override)")]
    return [("Boot Device", setting.device),
            ("Applies To", "all future boots" if setting.persistent else "the next boot only"),
            ("Boot Type", "UEFI" if setting.uefi else "legacy (BIOS)")]


def boot_set(
    device: str = Argument(..., metavar="pxe|disk|cdrom|bios|none", autocompletion=_devices,
                           help="Device to boot from (none: no override)"),
    once: bool = Option(False, "--once", help="Only the next boot (the default)"),
    persistent: bool = Option(False, "--persistent", help="Every boot from now on"),
    uefi: bool = Option(False, "--uefi", help="Boot in UEFI mode (else legacy BIOS)"),
) -> None:
    """Set the device the host boots from next (or from now on with --persistent)."""
    from chassisctl.client import boot
    from chassisctl.errors import UsageError

    if device not in boot.DEVICES:
        raise UsageError(f"boot set {device!r}: choose one of {', '.join(boot.DEVICES)}")
    if once and persistent:
        raise UsageError("--once and --persistent contradict each other: give one")
    with open_session() as session:
        out = state().output()
        node = session.node_target()
        boot.write(session.transport, device, persistent=persistent, uefi=uefi, node=node.selector)
        setting = boot.read(session.transport, node=node.selector)
        if out.json_mode:
            out.json(session.meta() | session.describe_node(node) | setting.to_dict())
            return
        out.line(f"Boot device set to {device}"
                 + ("" if device == "none" else
                    f" ({'persistent' if persistent else 'next boot only'}, {'UEFI' if uefi else 'legacy'})"))
