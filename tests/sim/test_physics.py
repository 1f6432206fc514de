"""The simulated chassis' physics: deterministic, and plausible across power changes."""

from __future__ import annotations


from itertools import pairwise

import pytest

from chassisctl.sim.physics import Pending, PhysicalModel, PowerTimeline
from chassisctl.sim.profile import parse_profile

import _simkit as kit


T0 = 1_767_225_600.0
PROFILE = parse_profile(kit.default_profile_text(), "default profile")
BY_NAME = {s.name: s.number for s in PROFILE.sensors}
CPU, FAN1, P12V, STBY, VBAT, INLET, OUTLET, TOTAL = (BY_NAME[n] for n in (
    "CPU Temp", "Fan1", "P12V", "P3V3 STBY", "VBAT", "Inlet Temp", "Outlet Temp", "Total Power"))
ANALOG = [s.number for s in PROFILE.sensors if s.range is not None]


def powered_off_at(model: PhysicalModel, t_off: float) -> PowerTimeline:
    timeline = model.steady_timeline(T0)
    timeline.pending.append(Pending(False, t_off, "command"))
    assert model.advance(timeline, t_off)
    assert not timeline.on and timeline.since == t_off
    return timeline


def test_same_seed_same_values() -> None:
    a, b = PhysicalModel(PROFILE), PhysicalModel(kit.profile())
    ta, tb = a.steady_timeline(T0), b.steady_timeline(T0)
    for t in (T0, T0 + 1.7, T0 + 333.3):
        assert [a.value(n, ta, t) for n in ANALOG] == [b.value(n, tb, t) for n in ANALOG]
        assert [a.value(n, ta, t) for n in ANALOG] == [a.value(n, ta, t) for n in ANALOG]


def test_different_seeds_differ() -> None:
    a, b = PhysicalModel(PROFILE), PhysicalModel(kit.profile(seed="8"))
    ta, tb = a.steady_timeline(T0), b.steady_timeline(T0)
    va = [a.value(n, ta, T0 + 100) for n in ANALOG]
    vb = [b.value(n, tb, T0 + 100) for n in ANALOG]
    assert va != vb
    assert a.load(T0) != b.load(T0)


def test_noise_is_bounded_and_piecewise_constant() -> None:
    m = PhysicalModel(PROFILE)
    values = [m.noise(3, T0 + i * 0.37) for i in range(200)]
    assert all(-1.0 <= v <= 1.0 for v in values)
    assert len(set(values)) > 10
    assert m.noise(3, T0) == m.noise(3, T0 + 1.9)  # constant within one 2 s period


def test_load_is_smooth_and_within_bounds() -> None:
    m = PhysicalModel(PROFILE)
    loads = [m.load(T0 + i) for i in range(0, 1800, 5)]
    assert all(0.0 <= x <= 1.0 for x in loads)
    assert max(abs(x - y) for x, y in pairwise(loads)) < 0.1
    assert max(loads) - min(loads) > 0.3  # it does swing


def test_fans_spin_down_with_lag_and_stop_when_off() -> None:
    m = PhysicalModel(PROFILE)
    t_off = T0 + 10
    tl = powered_off_at(m, t_off)
    before = m.value(FAN1, m.steady_timeline(T0), t_off)
    assert before > 3000
    right_after = m._lagging(PROFILE.sensor(FAN1), tl, t_off + 0.5, noiseless=True)
    assert 0.5 * before < right_after < before  # not an instant stop: the rotor coasts
    curve = [m._lagging(PROFILE.sensor(FAN1), tl, t_off + dt, noiseless=True) for dt in (1, 2, 4, 8, 16)]
    assert curve == sorted(curve, reverse=True)
    assert m.value(FAN1, tl, t_off + 120) == pytest.approx(0.0, abs=1.0)
    assert all(m.value(s.number, tl, t_off + 300) < 1.0 for s in PROFILE.sensors if s.kind == "fan")


def test_temperatures_drift_toward_ambient_when_off() -> None:
    m = PhysicalModel(PROFILE)
    t_off = T0 + 10
    tl = powered_off_at(m, t_off)
    spec = PROFILE.sensor(CPU)
    start = m._lagging(spec, tl, t_off, noiseless=True)
    assert start > PROFILE.ambient + 20
    curve = [m._lagging(spec, tl, t_off + dt, noiseless=True) for dt in (10, 30, 60, 120)]
    assert curve == sorted(curve, reverse=True) and curve[0] < start
    assert m.value(CPU, tl, t_off + 1200) == pytest.approx(PROFILE.ambient, abs=1.0)
    # heated by the PSU's standby loss only: close to ambient, not below it
    assert PROFILE.ambient - 1 < m.value(OUTLET, tl, t_off + 3000) < PROFILE.ambient + 3


def test_lagging_values_are_continuous_across_a_transition() -> None:
    m = PhysicalModel(PROFILE)
    on = m.steady_timeline(T0)
    t_off = T0 + 50
    off = powered_off_at(m, t_off)
    for s in PROFILE.sensors:
        if s.kind in ("thermal", "fan"):
            assert m._lagging(s, off, t_off, noiseless=True) == pytest.approx(
                m._lagging(s, on, t_off, noiseless=True), rel=1e-9)


def test_rails_drop_unless_standby() -> None:
    m = PhysicalModel(PROFILE)
    on = m.steady_timeline(T0)
    off = powered_off_at(m, T0 + 1)
    t = T0 + 5
    assert m.value(P12V, on, t) == pytest.approx(12.05, abs=0.2)
    assert m.value(P12V, off, t) < 0.05
    assert m.value(STBY, off, t) == pytest.approx(3.30, abs=0.05)
    assert m.value(VBAT, off, t) == pytest.approx(3.05, abs=0.05)


def test_power_follows_state() -> None:
    m = PhysicalModel(PROFILE)
    on = m.steady_timeline(T0)
    off = powered_off_at(m, T0 + 1)
    assert m.power_watts(on, T0 + 5) > PROFILE.power.idle_watts
    assert m.power_watts(off, T0 + 5) == pytest.approx(PROFILE.power.standby_watts / PROFILE.power.psu_efficiency)
    assert m.value(TOTAL, off, T0 + 5) < 25 < m.value(TOTAL, on, T0 + 5)
    assert m.source_watts("cpu", False, T0) == 0.0


def test_ambient_drifts_slowly_but_does_not_follow_power() -> None:
    m = PhysicalModel(PROFILE)
    on = m.steady_timeline(T0)
    off = powered_off_at(m, T0 + 1)
    assert m.value(INLET, on, T0 + 10) == m.value(INLET, off, T0 + 10)
    samples = [m.value(INLET, on, T0 + i * 60) for i in range(30)]
    assert max(samples) - min(samples) > 0.3
    assert all(abs(v - PROFILE.ambient) < 2 for v in samples)


def test_discrete_sensors() -> None:
    m = PhysicalModel(PROFILE)
    tl = m.steady_timeline(T0)
    assert m.value(BY_NAME["PSU1 Status"], tl, T0) is True
    assert m.value(BY_NAME["Intrusion"], tl, T0) is False
    text = kit.default_profile_text().replace('kind = "intrusion", open = false', 'kind = "intrusion", open = true')
    opened = PhysicalModel(parse_profile(text, "open lid"))
    assert opened.value(BY_NAME["Intrusion"], opened.steady_timeline(T0), T0) is True


def test_advance_applies_only_due_steps_and_ignores_no_ops() -> None:
    m = PhysicalModel(PROFILE)
    tl = m.steady_timeline(T0)
    tl.pending = [Pending(False, T0 + 1, "cycle"), Pending(True, T0 + 4, "cycle")]
    assert not m.advance(tl, T0 + 0.5) and tl.on
    assert m.advance(tl, T0 + 2) and not tl.on and tl.since == T0 + 1 and len(tl.pending) == 1
    assert m.advance(tl, T0 + 10) and tl.on and tl.since == T0 + 4 and tl.last_cause == "cycle"
    tl.pending = [Pending(True, T0 + 11, "command")]  # already on: consumed, nothing changes
    assert m.advance(tl, T0 + 12) and tl.since == T0 + 4


def test_timeline_round_trips_through_json() -> None:
    m = PhysicalModel(PROFILE)
    tl = powered_off_at(m, T0 + 3)
    tl.pending.append(Pending(True, T0 + 9, "command"))
    again = PowerTimeline.from_json(tl.to_json())
    assert again == tl
    assert m.value(CPU, again, T0 + 20) == m.value(CPU, tl, T0 + 20)
