"""The one bus worker: every I2C transaction of ``serve`` goes through it.

SSIF has no sequence numbers, so a BMC may have only one request in flight;
smbus2 calls block.  A single thread therefore owns the transport, and
asyncio code hands it jobs.  Jobs are queued per client key (a LAN session,
the sensor poller, a node) and taken round-robin, so one console hammering
the BMC cannot starve the others: each key gets its turn in order.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from typing import Any
from collections.abc import Callable, Hashable


class BusWorker:
    def __init__(self, name: str = "bus") -> None:
        self._queues: collections.OrderedDict[Hashable, collections.deque] = collections.OrderedDict()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=f"chassisctl-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    async def run(self, key: Hashable, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on the bus thread in ``key``'s turn; await its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        with self._cond:
            if self._stopping:
                raise RuntimeError("bus worker stopped")
            self._queues.setdefault(key, collections.deque()).append((loop, future, fn, args))
            self._cond.notify()
        return await future

    def _next(self) -> tuple | None:
        with self._cond:
            while not self._queues and not self._stopping:
                self._cond.wait()
            if self._stopping and not self._queues:
                return None
            key, queue = next(iter(self._queues.items()))
            job = queue.popleft()
            del self._queues[key]
            if queue:
                self._queues[key] = queue  # back of the line: round-robin between keys
            return job

    def _loop(self) -> None:
        while (job := self._next()) is not None:
            loop, future, fn, args = job
            try:
                result, error = fn(*args), None
            except BaseException as exc:  # noqa: BLE001 - delivered to the awaiting coroutine, which re-raises it
                result, error = None, exc
            loop.call_soon_threadsafe(_settle, future, result, error)


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
