"""Careless and hostile input gets one line and its documented exit code, never 70.

Unbounded files (``--config /dev/urandom``, ``platform check /dev/zero``),
documents nested thousands deep, NaN and infinities from flags, config,
environment and state, and raw bytes in anything but ASCII.  Each case here
failed before the hardening (a traceback-as-bug exit 70, a hang, or a silent
success), except where a comment says it pins behaviour that already held.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chassisctl.cli.app import run
from chassisctl.errors import UsageError

import _simkit as kit

DEEP_TOML = "a = " + "[" * 5000 + "]" * 5000 + "\n"


@pytest.fixture(autouse=True)
def dirs(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, pathlib.Path]:
    return kit.isolate(monkeypatch, tmp_path)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    def fails(code: int, *argv: str) -> str:
        capsys.readouterr()
        rc = run(list(argv))
        out, err = capsys.readouterr()
        assert rc == code, (rc, out, err)
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in err, err
        assert "internal error" not in err
        return err

    def ok(*argv: str) -> str:
        capsys.readouterr()
        rc = run(list(argv))
        out, err = capsys.readouterr()
        assert rc == 0, (rc, out, err)
        return out

    fails.ok = ok  # type: ignore[attr-defined]
    return fails


# --- files: size and nesting caps ------------------------------------------------------------


def test_config_from_an_endless_device_is_78_and_bounded(cli) -> None:
    err = cli(78, "--config", "/dev/urandom", "power", "status")
    assert "/dev/urandom" in err and "1 MiB" in err


def test_platform_check_of_dev_zero_ends_with_78(cli) -> None:
    assert "/dev/zero" in cli(78, "platform", "check", "/dev/zero")


def test_a_file_just_over_the_cap_is_refused_and_just_under_is_read(cli, tmp_path: pathlib.Path) -> None:
    from chassisctl.fileio import MAX_FILE_BYTES

    under = tmp_path / "under.toml"
    under.write_text("#" * (MAX_FILE_BYTES - 1) + "\n")
    cli.ok("--config", str(under), "power", "status")
    over = tmp_path / "over.toml"
    over.write_text("#" * MAX_FILE_BYTES + "\n")
    assert str(over) in cli(78, "--config", str(over), "power", "status")


@pytest.mark.parametrize("text", [DEEP_TOML, "a = " + "[" * 40 + "]" * 40 + "\n",
                                  "a = " + "{b = " * 40 + "1" + "}" * 40 + "\n"],
                         ids=["5000 deep", "40 deep arrays", "40 deep tables"])
def test_deeply_nested_toml_is_78_from_config_and_platform_check(cli, tmp_path: pathlib.Path, text: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(text)
    assert "nested deeper" in cli(78, "--config", str(path), "power", "status")
    assert "nested deeper" in cli(78, "platform", "check", str(path))


def test_an_endless_simulator_profile_is_78(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHASSISCTL_SIM_PROFILE", "/dev/zero")
    assert "/dev/zero" in cli(78, "power", "status")


def test_an_oversized_sdr_cache_is_ignored_and_rebuilt(cli, dirs) -> None:
    # held before (whitespace is not JSON): pinned, now without reading it whole
    cli.ok("sensors", "--json")
    (entry,) = [p for p in (dirs["CACHE"] / "chassisctl" / "sdr").glob("*.json") if p.name != "names.json"]
    entry.write_bytes(b" " * (2 << 20))
    assert json.loads(cli.ok("sensors", "--json"))["sdr"]["source"] == "bmc"
    assert entry.stat().st_size < 1 << 20


# --- NaN and infinities ------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["sensors", "--watch", "nan", "--count", "2"],
    ["power", "off", "--wait", "nan", "--yes"],
    ["power", "on", "--wait", "NaN", "--yes"],
    ["--timeout", "nan", "power", "status"],  # held before: pinned
])
def test_nan_flags_are_usage_errors(cli, argv: list[str]) -> None:
    assert "nan" in cli(2, *argv).lower()


def test_serve_refuses_a_nan_poll_interval_before_starting(tmp_path: pathlib.Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHASSISCTL_")}
    env.update(XDG_STATE_HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path),
               RUNTIME_DIRECTORY=str(tmp_path), CHASSISCTL_SIM_PACE="0")
    done = subprocess.run([sys.executable, "-m", "chassisctl", "serve", "--ipmi-listen", "127.0.0.1:0",
                           "--sensor-poll-interval", "nan"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done.stderr
    assert "not a finite number" in done.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_numbers_in_the_config_file_are_78(cli, tmp_path: pathlib.Path, value: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[ipmi]\nlogin_failures_per_minute = {value}\n")
    err = cli(78, "--config", str(path), "power", "status")
    assert "ipmi.login_failures_per_minute" in err and str(path) in err


def test_non_finite_environment_timeout_is_a_usage_error(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHASSISCTL_TIMEOUT", "inf")  # held before: pinned
    assert "CHASSISCTL_TIMEOUT" in cli(2, "power", "status")


@pytest.mark.parametrize("since", ["NaN", "Infinity", "1e999", '"nan"',
                                   "[" * 40 + "1" + "]" * 40])  # the last one held before: pinned
def test_a_state_file_with_nan_is_74_like_any_corrupt_state(cli, dirs, since: str) -> None:
    cli.ok("power", "status")
    (path,) = (dirs["STATE"] / "chassisctl" / "sim").glob("*.json")
    doc = json.loads(path.read_text())
    doc["chassis"]["power"]["since"] = "@SINCE@"
    path.write_text(json.dumps(doc).replace('"@SINCE@"', since))
    err = cli(74, "power", "status")
    assert str(path) in err and "left untouched" in err
    assert "NaN" in path.read_text() or since != "NaN"  # never rewritten


def test_an_oversized_state_file_is_74(cli, dirs) -> None:
    cli.ok("power", "status")
    (path,) = (dirs["STATE"] / "chassisctl" / "sim").glob("*.json")
    path.write_bytes(b" " * (2 << 20))
    assert "larger than 1 MiB" in cli(74, "power", "status")


# --- raw bytes -------------------------------------------------------------------------------


def test_raw_hint_is_right_for_a_bad_hex_token(cli) -> None:
    err = cli(2, "raw", "0xZZ", "0x01")
    assert "0x0x" not in err and "hex digits" in err
    assert "write hex as 0x1a" in cli(2, "raw", "0x06", "1a")


@pytest.mark.parametrize("token", ["\uff10x01", "\uff11", "0x\uff10\uff11", "1_0", "\u0661"])
def test_raw_takes_ascii_digits_only(cli, token: str) -> None:
    cli(2, "raw", "0x06", token)


def test_full_width_addr_is_a_usage_error(cli) -> None:
    cli(2, "--addr", "\uff10x10", "power", "status")


@given(st.text(max_size=8))
@example("0xZZ")
@example("\uff11")
@example("0x\uff11")
def test_parse_byte_is_ascii_and_in_range_or_a_usage_error(token: str) -> None:
    from chassisctl.cli.raw import parse_byte

    try:
        value = parse_byte(token, "DATA byte")
    except UsageError as exc:
        assert "0x0x" not in str(exc)
        return
    assert token.isascii() and 0 <= value <= 0xFF
