"""Time as an injected object, so nothing below the CLI reads the clock itself.

Transports poll and sleep, the simulator's physical model ages readings, and
the state file records wall time; all of them take a :class:`Clock`.  Tests
pass a :class:`FakeClock` whose ``sleep`` only advances a counter, so a 5 s
SSIF deadline or a 2 s power-on transition costs no real time.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the classes below only describe interfaces to the type checker


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def time(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


def sleep_until(clock: Clock, deadline: float, *, exact: bool = False) -> None:
    """Sleep on ``clock`` until its ``monotonic()`` reaches ``deadline``
    (:meth:`SystemClock.sleep_until`; any other clock just sleeps the difference)."""
    precise = getattr(clock, "sleep_until", None)
    if precise is not None:
        precise(deadline, exact=exact)
        return
    remaining = deadline - clock.monotonic()
    if remaining > 0:
        clock.sleep(remaining)


#: Most a precise wait spins after its sleep (seconds): the timer's usual lateness is far less.
MAX_SPIN = 0.0005


class SystemClock:
    """The real clock."""

    def __init__(self) -> None:
        #: How late ``time.sleep`` usually wakes here (timer slack + scheduling), learnt by
        #: :meth:`sleep_until` with ``exact``; 0.1 ms is typical of a Linux VM.
        self.lateness = 0.0001

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def sleep_until(self, deadline: float, *, exact: bool = False) -> None:
        """Sleep until ``monotonic()`` reaches ``deadline``.

        ``time.sleep`` wakes ~0.1 ms late (50 us of timer slack plus the
        wake-up), more than the wire time of ten bytes at 100 kHz.  With
        ``exact`` the sleep ends early by the lateness learnt so far and the
        rest is spun out: only a simulator pacing modelled wire time asks
        for it, at the price of that much CPU; waits on real hardware never do.
        """
        now = time.monotonic()
        if not exact:
            if deadline > now:
                time.sleep(deadline - now)
            return
        early = deadline - now - self.lateness
        if early > 0:
            time.sleep(early)
            late = min(max(time.monotonic() - now - early, 0.0), MAX_SPIN)  # one long stall is not the norm
            self.lateness = self.lateness * 0.75 + late * 0.25
        while time.monotonic() < deadline:
            pass


class FakeClock:
    """A clock that moves only when told to (or when someone sleeps on it)."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01 UTC
        self._wall = start
        self._mono = 1000.0

    def monotonic(self) -> float:
        return self._mono

    def time(self) -> float:
        return self._wall

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def sleep_until(self, deadline: float, *, exact: bool = False) -> None:
        remaining = deadline - self._mono
        if remaining > 0:
            self.sleep(remaining)  # through sleep(): subclasses that oversleep still do

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            self._mono += seconds
            self._wall += seconds
