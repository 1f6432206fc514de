"""The injected clocks: precise waits on the real one, exact ones on the fake."""

from __future__ import annotations

import time

from chassisctl.clock import MAX_SPIN, FakeClock, SystemClock, sleep_until


def test_exact_wait_ends_at_the_deadline_not_a_timer_slack_later() -> None:
    clock = SystemClock()
    late = []
    for _ in range(20):  # bounded: 20 waits of 0.5 ms
        deadline = time.monotonic() + 0.0005
        clock.sleep_until(deadline, exact=True)
        late.append(time.monotonic() - deadline)
    assert min(late) >= 0.0
    assert sorted(late)[10] < 0.0005  # the median, even on a loaded machine
    assert 0.0 <= clock.lateness <= MAX_SPIN


def test_plain_wait_reaches_the_deadline() -> None:
    clock = SystemClock()
    deadline = time.monotonic() + 0.001
    clock.sleep_until(deadline)
    assert time.monotonic() >= deadline
    clock.sleep_until(deadline - 1.0)  # past: returns at once


def test_fake_clock_jumps_to_the_deadline() -> None:
    clock = FakeClock()
    sleep_until(clock, 1000.25, exact=True)
    assert clock.monotonic() == 1000.25
    sleep_until(clock, 999.0)
    assert clock.monotonic() == 1000.25


def test_other_clocks_sleep_the_difference() -> None:
    class Minimal:
        def __init__(self) -> None:
            self.now = 5.0

        def monotonic(self) -> float:
            return self.now

        def time(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.now += seconds

    clock = Minimal()
    sleep_until(clock, 7.5)
    assert clock.now == 7.5
