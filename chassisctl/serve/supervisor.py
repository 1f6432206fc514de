"""Keep each service of ``serve`` running on its own: restart with back-off.

serve runs for months; an LLDP port that vanishes, a relay socket that
errors or a LAN endpoint whose socket was closed under it must not take the
other services down, nor stay dead.  Each service runs under a
:class:`Supervised` wrapper: a failure is logged once, the service is
stopped and started again after a delay that doubles from 1 s up to a
minute, and the delay resets once it has stayed up for a minute.

A service reports a failure by returning or raising from an optional
``async wait_failed()``; one without it is only ever stopped by serve.
The wrapper's :meth:`status` is what ``chassisctl status`` shows: up,
restarting or off, uptime and restarts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from collections.abc import Callable

#: First delay before a restart, its ceiling, and how long a service must
#: stay up for the delay to start again from the first.
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
STABLE_AFTER = 60.0
#: serve must stop within 5 s of SIGTERM: each service gets this long.
STOP_TIMEOUT = 4.0


class Supervised:
    def __init__(self, service: Any, *, logger: logging.Logger | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 backoff_first: float | None = None, backoff_max: float | None = None) -> None:
        self.service = service
        self.name: str = getattr(service, "name", type(service).__name__)
        self.log = logger or logging.getLogger("chassisctl.serve")
        self.clock = clock
        self.state = "off"
        self.restarts = 0
        self.last_error: str | None = None
        self.up_since: float | None = None
        self._first = BACKOFF_FIRST if backoff_first is None else backoff_first
        self._max = BACKOFF_MAX if backoff_max is None else backoff_max
        self._watch: asyncio.Task | None = None

    def describe(self) -> str:
        describe = getattr(self.service, "describe", None)
        return describe() if callable(describe) else self.name

    async def start(self) -> None:
        """The first start: a failure here is the caller's (serve refuses to start)."""
        await self.service.start()
        self._up()
        if hasattr(self.service, "wait_failed"):
            self._watch = asyncio.ensure_future(self._supervise())

    async def start_or_retry(self) -> None:
        """Start; on failure log it and keep retrying with back-off (a reload
        must not fail because one new service cannot bind yet)."""
        try:
            await self.start()
        except Exception as exc:  # noqa: BLE001 - retried below
            self.state = "restarting"
            self.last_error = str(exc)
            self.log.error("%s did not start (%s); retrying in %.0f s", self.name, exc, self._first)
            self._watch = asyncio.ensure_future(self._retry())

    async def _retry(self) -> None:
        await self._restart(self._first)
        if hasattr(self.service, "wait_failed"):
            await self._supervise()

    def _up(self) -> None:
        self.state = "up"
        self.up_since = self.clock()

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None
        if self.state != "off":
            await self._stop_service()
        self.state = "off"
        self.up_since = None

    async def _stop_service(self) -> None:
        try:
            await asyncio.wait_for(self.service.stop(), STOP_TIMEOUT)
        except TimeoutError:
            self.log.warning("%s did not stop within %.0f s", self.name, STOP_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - stopping a broken service must not stop serve
            self.log.warning("%s: error while stopping: %s", self.name, exc)

    async def _supervise(self) -> None:
        delay = self._first
        while True:
            try:
                await self.service.wait_failed()
                error = "stopped by itself"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure is reported and recovered from
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if self.up_since is not None and self.clock() - self.up_since >= STABLE_AFTER:
                delay = self._first
            self.state = "restarting"
            self.last_error = error
            self.up_since = None
            self.log.error("%s failed (%s); restarting in %.0f s", self.name, error, delay)
            await self._stop_service()
            delay = await self._restart(delay)
            self.restarts += 1

    async def _restart(self, delay: float) -> float:
        """Start again after ``delay``, doubling it after each failure; the next delay."""
        while True:
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max)
            try:
                await self.service.start()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - retried with back-off
                self.last_error = str(exc)
                self.log.error("%s: start failed (%s); next try in %.0f s", self.name, exc, delay)
                continue
            self._up()
            self.log.info("%s started", self.name)
            return delay

    def status(self) -> dict[str, Any]:
        own = getattr(self.service, "status", None)
        out: dict[str, Any] = {"name": self.name, **(own() if callable(own) else {})}
        out.update(state=self.state, restarts=self.restarts, last_error=self.last_error,
                   uptime_s=None if self.up_since is None else round(self.clock() - self.up_since, 3))
        return out
