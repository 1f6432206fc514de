"""Chassis power: status, control, and waiting for a state to be reached.

Chassis Control is the one command an operator must never see executed
twice: the transports never re-send it, and :func:`control` reports an
unanswered request as "outcome unknown" rather than trying again.  Waiting
polls Get Chassis Status (idempotent, safe to repeat) on the injected clock.
"""

from __future__ import annotations

from chassisctl.namedtuple import NamedTuple

from chassisctl.client.call import call
from chassisctl.clock import Clock
from chassisctl.errors import TimeoutFailure
from chassisctl.ipmi.chassis import ChassisAction, ChassisStatus, chassis_control, get_chassis_status
from chassisctl.transport.base import Transport

#: CLI verb -> Chassis Control action.  "reset" is the hard reset.
ACTIONS: dict[str, ChassisAction] = {
    "on": ChassisAction.POWER_UP,
    "off": ChassisAction.POWER_DOWN,
    "cycle": ChassisAction.POWER_CYCLE,
    "reset": ChassisAction.HARD_RESET,
    "soft": ChassisAction.SOFT_SHUTDOWN,
}

#: Verbs that take the host down: confirmation required.
DESTRUCTIVE = frozenset({"off", "cycle", "reset", "soft"})

#: The power state each verb ends in (what ``--wait`` waits for).
TARGET_ON: dict[str, bool] = {"on": True, "off": False, "soft": False, "cycle": True, "reset": True}

_HINTS = {
    0xD5: "not possible in the present power state; check `chassisctl power status`",
    0xD4: "insufficient privilege",
    0xC1: "the BMC does not implement Chassis Control",
}


def status(transport: Transport, *, node: str | int | None = None) -> ChassisStatus:
    return call(transport, get_chassis_status(), ChassisStatus.decode, node=node)


def control(transport: Transport, verb: str, *, node: str | int | None = None) -> None:
    call(transport, chassis_control(ACTIONS[verb]), node=node, hints=_HINTS)


class WaitResult(NamedTuple):
    status: ChassisStatus
    waited: float


def wait_for(transport: Transport, want_on: bool, timeout: float, clock: Clock, *,
             node: str | int | None = None, interval: float = 0.25,
             saw_off_first: bool = False) -> WaitResult:
    """Poll until power is ``want_on``; TimeoutFailure names the last state.

    ``saw_off_first`` is for cycle: "on" counts only after an "off" was seen
    or the request is old enough that the off phase may have been missed.
    """
    start = clock.monotonic()
    seen_off = not saw_off_first
    while True:
        current = status(transport, node=node)
        seen_off = seen_off or not current.power_on
        elapsed = clock.monotonic() - start
        if current.power_on == want_on and seen_off:
            return WaitResult(current, elapsed)
        if elapsed >= timeout:
            state = "on" if current.power_on else "off"
            raise TimeoutFailure(f"power did not reach '{'on' if want_on else 'off'}' within "
                                 f"{timeout:g} s (last seen: {state})",
                                 hint="the request was accepted; check again with `chassisctl power status`")
        clock.sleep(min(interval, max(timeout - elapsed, 0.01)))
