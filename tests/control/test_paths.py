"""Where serve binds the control socket and where the CLI looks for it."""

from __future__ import annotations

from pathlib import Path

from chassisctl.control.paths import socket_path, socket_paths


def test_precedence() -> None:
    env = {"RUNTIME_DIRECTORY": "/run/a:/run/b", "XDG_RUNTIME_DIR": "/run/user/1000"}
    assert socket_paths("/tmp/x.sock", {"socket": "/s/y.sock"}, env) == [Path("/tmp/x.sock")]
    assert socket_paths(None, {"socket": "/s/y.sock"}, env) == [Path("/s/y.sock")]
    assert socket_paths(None, {"runtime_dir": "/r"}, env) == [Path("/r/chassisctl.sock")]
    assert socket_paths(None, {}, env) == [Path("/run/a/chassisctl.sock")]
    assert socket_paths(None, {}, {"XDG_RUNTIME_DIR": "/run/user/1000"}) == [
        Path("/run/chassisctl/chassisctl.sock"), Path("/run/user/1000/chassisctl/chassisctl.sock")]
    assert socket_paths(None, {}, {}) == [Path("/run/chassisctl/chassisctl.sock")]


def test_the_client_finds_the_fallback_that_exists(tmp_path: Path) -> None:
    (tmp_path / "chassisctl").mkdir()
    (tmp_path / "chassisctl" / "chassisctl.sock").touch()
    env = {"XDG_RUNTIME_DIR": str(tmp_path)}
    found = socket_path(None, {}, env)
    if not Path("/run/chassisctl/chassisctl.sock").exists():
        assert found == tmp_path / "chassisctl" / "chassisctl.sock"
