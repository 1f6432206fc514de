"""Fault injection: counters, the spec string and the environment variable."""

from __future__ import annotations

import pytest

from chassisctl.sim.faults import ENV_VAR, Faults


def test_counted_faults_fire_exactly_n_times() -> None:
    faults = Faults().nak_reads(2).pec_error()
    assert [faults.take("nak_reads") for _ in range(3)] == [True, True, False]
    assert faults.take("pec_error") and not faults.take("pec_error")
    assert not faults.take("busy_cc")


def test_arming_adds_up_and_chains() -> None:
    faults = Faults().busy_cc(1).busy_cc(2).lost_reservation(1).count_zero(4)
    assert faults.remaining("busy_cc") == 3
    assert faults.remaining("count_zero") == 4


def test_dead_after_counts_transactions() -> None:
    faults = Faults().dead_after(2)
    assert faults.transaction() and faults.transaction()
    assert not faults.transaction() and faults.is_dead
    assert Faults().transaction() and not Faults().is_dead
    assert Faults().dead_after(0).is_dead


def test_stuck() -> None:
    faults = Faults().stuck()
    assert faults.is_stuck
    assert not faults.stuck(False).is_stuck


def test_parse_spec() -> None:
    faults = Faults.parse(" nak_reads=3, pec_error=1,dead_after=40,stuck ,timeout")
    assert faults.remaining("nak_reads") == 3
    assert faults.remaining("pec_error") == 1
    assert faults.remaining("timeout") == 1
    assert faults.is_stuck
    assert faults.spec() == "nak_reads=3,timeout=1,pec_error=1,dead_after=40,stuck"
    assert Faults.parse(faults.spec()).spec() == faults.spec()
    assert Faults.parse("").spec() == ""
    assert not Faults.parse("stuck=false").is_stuck


@pytest.mark.parametrize("spec, message", [
    ("nak_read=3", "unknown simulator fault 'nak_read'"),
    ("pec_error=x", "expected a count"),
    ("dead_after=-1", "expected a count"),
    ("stuck=maybe", "expected true/false"),
])
def test_parse_rejects_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Faults.parse(spec)


def test_unknown_names_in_the_api() -> None:
    with pytest.raises(ValueError, match="known:"):
        Faults().take("nope")
    with pytest.raises(ValueError):
        Faults().arm("nak_reads", -1)


def test_from_env() -> None:
    assert Faults.from_env({ENV_VAR: "busy_cc=2"}).remaining("busy_cc") == 2
    assert Faults.from_env({}).spec() == ""
    assert "busy_cc=2" in repr(Faults().busy_cc(2))
