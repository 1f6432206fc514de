"""The simulated chassis' physics: power state, watts, heat, fans and rails.

Readings are pure functions of (profile, power timeline, time), so two
processes asking at the same instant see the same value and a test can
replay any moment.  Temperatures follow a first-order lag toward ambient plus
k * watts, fans follow their temperature on a duty curve and spin down when
the box is off, rails drop to zero unless on standby, and small noise comes
from a seeded hash rather than a random generator — "deterministic for a
given seed", as the issue asks.

Transitions (power on after ``on_delay``, off, soft off, cycle) are pending
entries in the :class:`PowerTimeline`; ``advance(t)`` applies the ones that
are due and records the lagging values at that instant as anchors, which is
what lets the closed-form lag continue across processes.
"""

from __future__ import annotations

import math
from chassisctl.namedtuple import NamedTuple

from chassisctl.sim.profile import PowerSpec, Profile, SensorSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LAGGING_KINDS = frozenset({"thermal", "fan"})


class Pending(NamedTuple):
    target: bool          # True = power on
    at: float             # wall time it takes effect
    cause: str            # "command", "soft", "cycle"


class PowerTimeline:
    """Power regime since a wall time, with lag anchors and pending steps.

    A plain class (every simulated command loads one): no dataclass build at import.
    """

    __slots__ = ("on", "since", "anchors", "pending", "last_cause")

    def __init__(self, on: bool = True, since: float = 0.0, anchors: dict[int, float] | None = None,
                 pending: list[Pending] | None = None, last_cause: str = "ac") -> None:
        self.on = on
        self.since = since
        self.anchors: dict[int, float] = {} if anchors is None else anchors
        self.pending: list[Pending] = [] if pending is None else pending
        #: "command" when the last transition came from Chassis Control.
        self.last_cause = last_cause

    def __repr__(self) -> str:
        return (f"PowerTimeline(on={self.on}, since={self.since}, anchors={self.anchors!r}, "
                f"pending={self.pending!r}, last_cause={self.last_cause!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it was

    def to_json(self) -> dict[str, Any]:
        return {"on": self.on, "since": self.since, "last_cause": self.last_cause,
                "anchors": {str(k): v for k, v in self.anchors.items()},
                "pending": [[p.target, p.at, p.cause] for p in self.pending]}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PowerTimeline:
        from chassisctl.fileio import finite

        return cls(on=bool(doc["on"]), since=finite(doc["since"]),
                   anchors={int(k): finite(v) for k, v in doc.get("anchors", {}).items()},
                   pending=[Pending(bool(t), finite(a), str(c)) for t, a, c in doc.get("pending", [])],
                   last_cause=str(doc.get("last_cause", "ac")))


def _mix(*values: int) -> int:
    """splitmix64 over the inputs: a stable, well-spread 64-bit hash."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x = (x ^ (v & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return x


class PhysicalModel:
    """Evaluates sensors of one profile; holds no mutable state of its own."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.power: PowerSpec = profile.power
        self._by_number = {s.number: s for s in profile.sensors}

    # -- noise and load -----------------------------------------------------
    def noise(self, number: int, t: float, period: float = 2.0) -> float:
        """Deterministic noise in [-1, 1] times the profile's ``noise`` scale,
        constant over ``period`` seconds."""
        scale = self.profile.noise
        return scale * (_mix(self.profile.seed, number, int(t // period)) / 2**63 - 1.0) if scale else 0.0

    def load(self, t: float) -> float:
        """Workload in [0, 1]: two slow seeded waves, smooth in time."""
        p = self.power.load_period
        phase = (_mix(self.profile.seed, 0xA11) % 6283) / 1000.0
        wave = 0.6 * math.sin(2 * math.pi * t / p + phase) + 0.4 * math.sin(2 * math.pi * t / (p / 3.7) + 2 * phase)
        return 0.5 + 0.5 * wave

    def source_watts(self, source: str, on: bool, t: float) -> float:
        """Watts of a heat/power source in the current regime."""
        ps = self.power
        system = (ps.idle_watts + (ps.load_watts - ps.idle_watts) * self.load(t)) if on else ps.standby_watts
        if source == "system":
            return system
        if source == "psu_in":
            return system / ps.psu_efficiency
        if source == "psu":
            return system / ps.psu_efficiency - system
        share = {"cpu": 0.45, "asic": 0.35}[source]
        return share * max(system - 60.0, 0.0) if on else 0.0

    # -- transitions ----------------------------------------------------------
    def advance(self, timeline: PowerTimeline, t: float) -> bool:
        """Apply due pending transitions; True if anything changed."""
        changed = False
        while timeline.pending and timeline.pending[0].at <= t:
            step = timeline.pending.pop(0)
            if step.target != timeline.on:
                timeline.anchors = self._anchors(timeline, step.at)
                timeline.on, timeline.since, timeline.last_cause = step.target, step.at, step.cause
            changed = True
        return changed

    def _anchors(self, timeline: PowerTimeline, t: float) -> dict[int, float]:
        return {s.number: self._lagging(s, timeline, t, noiseless=True)
                for s in self.profile.sensors if s.kind in LAGGING_KINDS}

    def steady_timeline(self, t: float, on: bool = True) -> PowerTimeline:
        """A box that has been in one state for an hour (first start)."""
        timeline = PowerTimeline(on=on, since=t - 3600.0, last_cause="ac")
        timeline.anchors = {s.number: self._target(s, timeline, t - 3600.0)
                            for s in self.profile.sensors if s.kind in LAGGING_KINDS}
        return timeline

    # -- readings ---------------------------------------------------------------
    def value(self, number: int, timeline: PowerTimeline, t: float) -> float | bool | None:
        """Engineering value of sensor ``number`` at ``t`` (bool for discrete)."""
        spec = self._by_number[number]
        kind, m = spec.kind, spec.model
        on = timeline.on
        if kind in LAGGING_KINDS:
            return self._lagging(spec, timeline, t)
        if kind == "ambient":
            drift = float(m.get("drift", 0.5)) * math.sin(2 * math.pi * t / 1800.0 + number)
            return self.profile.ambient + float(m.get("offset", 0.0)) + drift + 0.1 * self.noise(number, t)
        if kind == "rail":
            if not (on or m.get("standby", False)):
                return 0.02 * (1 + self.noise(number, t)) / 2
            droop = float(m.get("load_droop", 0.0)) * self.load(t) if on else 0.0
            return float(m["nominal"]) - droop + float(m.get("noise", 0.0)) * self.noise(number, t)
        if kind == "current":
            watts = self.source_watts(str(m["source"]), on, t)
            return max(watts / float(m["volts"]) * (1 + 0.01 * self.noise(number, t)), 0.0)
        if kind == "power":
            watts = self.source_watts(str(m["source"]), on, t) * float(m.get("share", 1.0))
            return max(watts * (1 + 0.005 * self.noise(number, t)), 0.0)
        if kind == "presence":
            return bool(m.get("present", True))
        if kind == "intrusion":
            return bool(m.get("open", False))
        return None

    def _target(self, spec: SensorSpec, timeline: PowerTimeline, t: float) -> float:
        m = spec.model
        if spec.kind == "thermal":
            heat = self.source_watts(str(m["source"]), timeline.on, t)
            return self.profile.ambient + float(m.get("offset", 0.0)) + float(m["k"]) * heat
        # fan: duty from the temperature it follows
        if not timeline.on:
            return 0.0
        temp = self._lagging(self._by_number[int(m["follows"])], timeline, t, noiseless=True) \
            if self._by_number[int(m["follows"])].kind in LAGGING_KINDS \
            else float(self.value(int(m["follows"]), timeline, t) or 0.0)
        lo, hi = float(m["t_low"]), float(m["t_high"])
        duty = min(max((temp - lo) / (hi - lo), 0.0), 1.0)
        return float(m["min_rpm"]) + (float(m["max_rpm"]) - float(m["min_rpm"])) * duty

    def _lagging(self, spec: SensorSpec, timeline: PowerTimeline, t: float,
                 noiseless: bool = False) -> float:
        tau = float(spec.model["tau"])
        dt = max(t - timeline.since, 0.0)
        target_now = self._target(spec, timeline, t)
        anchor = timeline.anchors.get(spec.number, target_now)
        target_then = self._target(spec, timeline, timeline.since)
        value = target_now + (anchor - target_then) * math.exp(-dt / tau)
        if noiseless:
            return value
        scale = 0.15 if spec.kind == "thermal" else 0.004 * value
        return max(value + scale * self.noise(spec.number, t), 0.0)

    def power_watts(self, timeline: PowerTimeline, t: float) -> float:
        """Total input watts (what DCMI Get Power Reading reports)."""
        return self.source_watts("psu_in", timeline.on, t)
