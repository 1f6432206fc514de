"""Counted fault injection shared by the simulated bus, its slaves and the BMC.

Real BMCs NAK while busy, lose PEC bytes to noise, return count 0, stop
answering halfway through an SDR walk, or hang the bus.  Each failure mode is
a named counter ("the next n transactions do X") so a test can say exactly
which exchange breaks and assert the recovery, and so a subprocess test can
arm the same faults through ``CHASSISCTL_SIM_FAULTS="nak_reads=3,pec_error=1"``.

Who consumes what:

- the bus (:mod:`chassisctl.sim.bus`): ``nak_writes``, ``nak_reads``,
  ``timeout``, ``stuck``;
- the SSIF slave: ``pec_error``, ``short_read``, ``truncated``,
  ``count_zero``, ``dead_after`` (the IPMB responder: ``dead_after``);
- the simulated BMC's command table: ``busy_cc``, ``lost_reservation``
  (through :meth:`Faults.take`) and ``dead_sensor`` (not counted: the BMC
  never answers Get Sensor Reading for that sensor number, as when the
  device behind it hangs; ``dead_sensor=0x03``, repeatable).
"""

from __future__ import annotations

from collections.abc import Mapping

#: Faults that fire a given number of times.
COUNTED = ("nak_writes", "nak_reads", "timeout", "pec_error", "short_read", "truncated",
           "count_zero", "busy_cc", "lost_reservation")
#: Environment variable the CLI reads the spec from.
ENV_VAR = "CHASSISCTL_SIM_FAULTS"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Faults:
    """The armed faults; setters return ``self`` so they chain."""

    def __init__(self) -> None:
        self._counts = dict.fromkeys(COUNTED, 0)
        self._stuck = False
        self._dead_after: int | None = None
        self._dead_sensors: set[int] = set()

    # -- arming ---------------------------------------------------------
    def arm(self, name: str, n: int = 1) -> Faults:
        """Add ``n`` occurrences of the counted fault ``name``."""
        if name not in self._counts:
            raise ValueError(_unknown(name))
        if n < 0:
            raise ValueError(f"fault {name}: count must be >= 0, not {n}")
        self._counts[name] += n
        return self

    def nak_writes(self, n: int = 1) -> Faults:
        """NAK the address of the next ``n`` write transactions (ENXIO)."""
        return self.arm("nak_writes", n)

    def nak_reads(self, n: int = 1) -> Faults:
        """NAK the next ``n`` read transactions, beyond the slave's own busy NAKs."""
        return self.arm("nak_reads", n)

    def timeout(self, n: int = 1) -> Faults:
        """The next ``n`` transactions stretch SCL ~35 ms and fail with ETIMEDOUT."""
        return self.arm("timeout", n)

    def pec_error(self, n: int = 1) -> Faults:
        """Corrupt the PEC byte of the next ``n`` reads that carry one."""
        return self.arm("pec_error", n)

    def short_read(self, n: int = 1) -> Faults:
        """The next ``n`` response blocks declare a count shorter than the message."""
        return self.arm("short_read", n)

    def truncated(self, n: int = 1) -> Faults:
        """The next ``n`` multi-part middle blocks carry a wrong block number."""
        return self.arm("truncated", n)

    def count_zero(self, n: int = 1) -> Faults:
        """The next ``n`` reads return count 0 (the master sees EPROTO)."""
        return self.arm("count_zero", n)

    def busy_cc(self, n: int = 1) -> Faults:
        """The BMC answers the next ``n`` requests with C0h (node busy)."""
        return self.arm("busy_cc", n)

    def lost_reservation(self, n: int = 1) -> Faults:
        """The BMC cancels the SDR/SEL reservation ``n`` times (C5h)."""
        return self.arm("lost_reservation", n)

    def stuck(self, on: bool = True) -> Faults:
        """Every transaction fails with EBUSY, as with SDA held low."""
        self._stuck = bool(on)
        return self

    def dead_after(self, n: int | None) -> Faults:
        """The slave answers ``n`` more transactions, then never again (None: never dies).

        A read the SSIF slave NAKs only because its response is not ready yet
        is not counted: when the BMC dies must not depend on how often the
        host polls."""
        if n is not None and n < 0:
            raise ValueError(f"fault dead_after: count must be >= 0, not {n}")
        self._dead_after = n
        return self

    def dead_sensor(self, number: int) -> Faults:
        """Never answer Get Sensor Reading for sensor ``number`` (others still answer)."""
        if not 0 <= number <= 0xFF:
            raise ValueError(f"fault dead_sensor: sensor number 0-255, not {number}")
        self._dead_sensors.add(number)
        return self

    # -- consuming ------------------------------------------------------
    def take(self, name: str) -> bool:
        """Consume one occurrence of ``name``: True when the fault fires now."""
        if name not in self._counts:
            raise ValueError(_unknown(name))
        if self._counts[name] > 0:
            self._counts[name] -= 1
            return True
        return False

    def remaining(self, name: str) -> int:
        if name not in self._counts:
            raise ValueError(_unknown(name))
        return self._counts[name]

    @property
    def is_stuck(self) -> bool:
        return self._stuck

    @property
    def dead_sensors(self) -> frozenset[int]:
        return frozenset(self._dead_sensors)

    @property
    def is_dead(self) -> bool:
        return self._dead_after == 0

    def transaction(self) -> bool:
        """A slave calls this at each transaction start; False = it is dead, NAK."""
        if self._dead_after is None:
            return True
        if self._dead_after == 0:
            return False
        self._dead_after -= 1
        return True

    # -- text form --------------------------------------------------------
    @classmethod
    def parse(cls, spec: str) -> Faults:
        """``"nak_reads=3,pec_error=1,dead_after=40,stuck"`` -> :class:`Faults`.

        Unknown names and bad values raise :class:`ValueError` naming the
        offending item, since a typo would otherwise silently test nothing.
        """
        faults = cls()
        for item in spec.split(","):
            item = item.strip()
            if not item:
                continue
            name, sep, value = (part.strip() for part in item.partition("="))
            if name == "stuck":
                if not sep or value.lower() in _TRUE:
                    faults.stuck(True)
                elif value.lower() in _FALSE:
                    faults.stuck(False)
                else:
                    raise ValueError(f"fault stuck: expected true/false, not {value!r}")
                continue
            if name == "dead_sensor":
                try:
                    faults.dead_sensor(int(value) if value.isdigit() else int(value, 0))
                except ValueError:
                    raise ValueError(f"fault dead_sensor: expected a sensor number, not {value!r}") from None
                continue
            if name != "dead_after" and name not in COUNTED:
                raise ValueError(_unknown(name))
            if not sep:
                count = 1
            elif value.isdigit():
                count = int(value)
            else:
                raise ValueError(f"fault {name}: expected a count, not {value!r}")
            if name == "dead_after":
                faults.dead_after(count)
            else:
                faults.arm(name, count)
        return faults

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Faults:
        """Faults from ``CHASSISCTL_SIM_FAULTS`` in ``environ`` (none when unset)."""
        return cls.parse(environ.get(ENV_VAR, ""))

    def spec(self) -> str:
        """The inverse of :meth:`parse` for what is still armed."""
        items = [f"{name}={n}" for name, n in self._counts.items() if n]
        if self._dead_after is not None:
            items.append(f"dead_after={self._dead_after}")
        items += [f"dead_sensor={n:#04x}" for n in sorted(self._dead_sensors)]
        if self._stuck:
            items.append("stuck")
        return ",".join(items)

    def __repr__(self) -> str:
        return f"Faults({self.spec()!r})"


def _unknown(name: str) -> str:
    known = ", ".join(COUNTED + ("dead_after", "dead_sensor", "stuck"))
    return f"unknown simulator fault {name!r} (known: {known})"
