"""Settings resolution: flag > environment > config file > default, with origins and errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chassisctl import config
from chassisctl.config import Origin, resolve
from chassisctl.errors import ConfigError, ExitCode, NoInputError, UsageError


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean environment mapping with XDG dirs in tmp, and no /etc file."""
    for name in list(os.environ):
        if name.startswith("CHASSISCTL_"):
            monkeypatch.delenv(name, raising=False)
    for kind in ("STATE", "CACHE", "CONFIG"):
        (tmp_path / kind.lower()).mkdir()
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))
    monkeypatch.setattr(config, "SYSTEM_CONFIG", tmp_path / "etc" / "chassisctl.toml")
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "config")}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_simulator(home: dict[str, str]) -> None:
    s = resolve({}, home).bmc
    assert (s.bus, s.addr, s.transport, s.pec, s.timeout) == ("sim", 0x10, "ssif", "auto", 5.0)
    assert s.simulated and s.config_path is None
    assert all(o == Origin("default") for o in s.origins.values())
    assert "config" not in s.origins


def test_precedence_flag_over_env_over_file_over_default(home: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[bmc]\nbus = "3"\naddr = 0x22\ntransport = "ipmb"\ntimeout = 2\n')
    env = home | {"CHASSISCTL_ADDR": "0x21", "CHASSISCTL_TRANSPORT": "ssif"}
    s = resolve({"addr": "0x20"}, env, config=str(cfg)).bmc
    assert s.addr == 0x20 and s.origins["addr"] == Origin("flag", "--addr")
    assert s.transport == "ssif" and s.origins["transport"] == Origin("env", "CHASSISCTL_TRANSPORT")
    assert s.bus == "3" and s.origins["bus"] == Origin("config", str(cfg))
    assert s.timeout == 2.0 and s.origins["timeout"].kind == "config"
    assert s.pec == "auto" and s.origins["pec"] == Origin("default")
    assert s.origins["config"] == Origin("flag", "--config")
    assert not s.simulated
    # each layer alone
    assert resolve({}, env, config=str(cfg)).bmc.addr == 0x21
    assert resolve({}, home, config=str(cfg)).bmc.addr == 0x22


def test_origin_text() -> None:
    assert str(Origin("env", "CHASSISCTL_BUS")) == "env CHASSISCTL_BUS"
    assert str(Origin("default")) == "default"


def test_empty_environment_value_counts_as_unset(home: dict[str, str]) -> None:
    s = resolve({}, home | {"CHASSISCTL_BUS": ""}).bmc
    assert s.bus == "sim" and s.origins["bus"].kind == "default"


def test_config_from_environment_variable(home: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "env.toml", '[bmc]\naddr = "0x30"\n')
    s = resolve({}, home | {"CHASSISCTL_CONFIG": str(cfg)}).bmc
    assert s.addr == 0x30 and s.origins["config"] == Origin("env", "CHASSISCTL_CONFIG")
    # --config wins over CHASSISCTL_CONFIG
    other = write(tmp_path / "flag.toml", "[bmc]\naddr = 0x31\n")
    assert resolve({}, home | {"CHASSISCTL_CONFIG": str(cfg)}, config=str(other)).bmc.addr == 0x31


def test_xdg_config_home_lookup(home: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "config" / "chassisctl" / "chassisctl.toml", '[bmc]\nbus = "sim:xdg"\n')
    r = resolve({}, home)
    assert r.bmc.bus == "sim:xdg" and r.bmc.config_path == cfg
    assert r.bmc.origins["bus"] == Origin("config", str(cfg))


def test_relative_xdg_config_home_is_ignored(home: dict[str, str], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "rel" / "chassisctl" / "chassisctl.toml", '[bmc]\nbus = "sim:rel"\n')
    assert resolve({}, home | {"XDG_CONFIG_HOME": "rel"}).bmc.bus == "sim"


def test_system_config_fallback(home: dict[str, str], tmp_path: Path) -> None:
    etc = write(config.SYSTEM_CONFIG, '[bmc]\nbus = "sim:etc"\n')
    assert resolve({}, home).bmc.bus == "sim:etc"
    assert resolve({}, home).bmc.config_path == etc
    # the per-user file shadows /etc entirely
    write(tmp_path / "config" / "chassisctl" / "chassisctl.toml", "[bmc]\naddr = 0x11\n")
    s = resolve({}, home).bmc
    assert (s.bus, s.addr) == ("sim", 0x11)


def test_other_sections_are_handed_out(home: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[ipmi]\nmax_sessions = 4\n[serve]\nsensor_poll_interval = 2\n')
    r = resolve({}, home, config=str(cfg))
    assert r.document["ipmi"] == {"max_sessions": 4} and r.bmc.bus == "sim"


# -- broken files -----------------------------------------------------------------------------

def test_missing_explicit_config_is_no_input(home: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(NoInputError) as info:
        resolve({}, home, config=str(tmp_path / "nope.toml"))
    assert info.value.exit_code == ExitCode.NO_INPUT == 66
    assert "nope.toml" in str(info.value) and "--config" in str(info.value)
    with pytest.raises(NoInputError, match="CHASSISCTL_CONFIG"):
        resolve({}, home | {"CHASSISCTL_CONFIG": str(tmp_path / "gone.toml")})


def test_config_that_is_a_directory(home: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory") as info:
        resolve({}, home, config=str(tmp_path))
    assert info.value.exit_code == 78


def test_unreadable_config(home: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "c.toml", "[bmc]\n")
    if os.geteuid() != 0:
        cfg.chmod(0)
    else:  # root reads anything: simulate the EACCES the kernel gives others
        def denied(path, *args, **kwargs) -> bytes:
            raise PermissionError(13, "Permission denied", str(path))
        monkeypatch.setattr("chassisctl.fileio.read_capped", denied)
    with pytest.raises(ConfigError, match="not readable") as info:
        resolve({}, home, config=str(cfg))
    assert info.value.exit_code == 78 and str(cfg) in str(info.value)


def test_bad_toml_names_file_and_line(home: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[bmc]\nbus = "sim"\naddr = = 3\n')
    with pytest.raises(ConfigError) as info:
        resolve({}, home, config=str(cfg))
    text = str(info.value)
    assert info.value.exit_code == 78
    assert str(cfg) in text and "line 3" in text and "\n" not in text


def test_non_utf8_config(home: dict[str, str], tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_bytes(b"[bmc]\nbus = \"\xff\"\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        resolve({}, home, config=str(cfg))


@pytest.mark.parametrize("text, needle", [
    ("[bogus]\n", ":1: bogus: unknown key (known: bmc, ipmi, nodes, serve, metrics, lldp, dhcp_relay)"),
    ("bus = 3\n", ":1: bus: unknown key (known: bmc,"),
    ("[bmc]\nbuss = 3\n", ":2: bmc.buss: unknown key (did you mean 'bus'?)"),
    ("bmc = 3\n", ":1: bmc: expected a table, not an integer"),
    ("[ipmi]\nlisten = \"0.0.0.0:623\"\n\n[[ipmi.users]]\nname = \"a\"\npasword = \"x\"\n",
     ":6: ipmi.users[0].pasword: unknown key (did you mean 'password'?)"),
    ("[[ipmi.users]]\npassword = \"x\"\n", ":1: ipmi.users[0].name: missing (required)"),
    ("[serve]\nsensor_poll_interval = 0.01\n", ":2: serve.sensor_poll_interval: 0.01 is outside 0.1..3600"),
    ("[metrics]\nlisten = \"localhost\"\n", ":2: metrics.listen: expected \"ADDR:PORT\""),
    ("[[dhcp_relay]]\ndownstream = [\"eth1\"]\nservers = [\"192.0.2.1\"]\nmax_hops = 99\n",
     ":4: dhcp_relay[0].max_hops: 99 is outside 0..32"),
    ("[lldp]\ntx_intervall = 5\n", ":2: lldp.tx_intervall: unknown key (did you mean 'tx_interval'?)"),
])
def test_unknown_sections_and_keys(home: dict[str, str], tmp_path: Path, text: str, needle: str) -> None:
    """Every section is checked against the one schema: file, line, key, what is wrong."""
    cfg = write(tmp_path / "c.toml", text)
    with pytest.raises(ConfigError) as info:
        resolve({}, home, config=str(cfg))
    assert info.value.exit_code == 78 and str(info.value).startswith(str(cfg) + needle), str(info.value)


@pytest.mark.parametrize("key, value, needle", [
    ("addr", "0xa0", "8-bit form"),
    ("addr", "0x02", "outside the 7-bit range"),
    ("addr", "0x78", "outside the 7-bit range"),
    ("addr", "ten", "not an I2C address"),
    ("transport", "usb", "not one of ssif, ipmb"),
    ("pec", "maybe", "not one of auto, on, off"),
    ("timeout", "0", "outside 0-600"),
    ("timeout", "soon", "not a number"),
])
def test_bad_values_from_flags_and_env_are_usage_errors(home: dict[str, str], key: str, value: str,
                                                        needle: str) -> None:
    with pytest.raises(UsageError, match=needle) as info:
        resolve({key: value}, home)
    assert info.value.exit_code == 2 and f"--{key}" in str(info.value)
    env_name = config.ENVIRONMENT[key]
    with pytest.raises(UsageError, match=needle) as info:
        resolve({}, home | {env_name: value})
    assert info.value.exit_code == 2 and env_name in str(info.value)


@pytest.mark.parametrize("line, needle", [
    ("addr = 0xA0", "8-bit form"),
    ("addr = 200", "outside the 7-bit range"),
    ('addr = "x"', "not an I2C address"),
    ('transport = "usb"', "not one of ssif, ipmb"),
    ("timeout = 1000", "1000 is outside 0.001..600"),
    ('bus = ""', "non-empty string"),
    ("addr = true", "expected a 7-bit I2C address"),
])
def test_bad_values_in_the_file_are_config_errors(home: dict[str, str], tmp_path: Path, line: str,
                                                  needle: str) -> None:
    cfg = write(tmp_path / "c.toml", f"[bmc]\n{line}\n")
    with pytest.raises(ConfigError, match=needle) as info:
        resolve({}, home, config=str(cfg))
    assert info.value.exit_code == 78
    assert str(cfg) in str(info.value) and "bmc." in str(info.value)


def test_a_bad_file_is_refused_even_when_a_flag_overrides_the_bad_value(home: dict[str, str],
                                                                      tmp_path: Path) -> None:
    """The whole file is checked against the schema before anything uses it, as
    ``config check`` does: a flag wins over a good value, it does not mend a bad one."""
    cfg = write(tmp_path / "c.toml", "[bmc]\naddr = 0xA0\n")
    with pytest.raises(ConfigError, match="bmc.addr: 0xa0 is outside the 7-bit range"):
        resolve({"addr": "0x12"}, home, config=str(cfg))
    cfg = write(tmp_path / "c.toml", "[bmc]\naddr = 0x20\n")
    assert resolve({"addr": "0x12"}, home, config=str(cfg)).bmc.addr == 0x12


def test_xdg_dir_defaults_under_home() -> None:
    assert config.xdg_dir("STATE", {"HOME": "/h"}) == Path("/h/.local/state/chassisctl")
    assert config.xdg_dir("CACHE", {"HOME": "/h", "XDG_CACHE_HOME": "/c"}) == Path("/c/chassisctl")
    assert config.xdg_dir("CONFIG", {"HOME": "/h", "XDG_CONFIG_HOME": "x"}) == Path("/h/.config/chassisctl")


def test_fast_path_copies_agree_with_the_schema() -> None:
    """config's start-up-cheap copies of [bmc]'s choices and variables are the schema's."""
    from chassisctl.config.schema import BMC

    assert config.TRANSPORTS == BMC["transport"].choices
    assert config.PEC_MODES == BMC["pec"].choices
    assert {name: env for name, env in config.ENVIRONMENT.items() if name != "config"} == \
        {name: key.env for name, key in BMC.items() if key.env}


def test_section_owners_take_the_schemas_rules() -> None:
    """A section's owner gets the schema's messages and defaults, not a second copy of them."""
    from chassisctl.config.validate import check_section

    assert check_section("metrics", {}) == {"listen": "127.0.0.1:9623", "interval": 5.0}
    with pytest.raises(ConfigError, match=r"^nodes\[1\]\.lisen: unknown key \(did you mean 'listen'\?\)$"):
        check_section("nodes", {"name": "n", "lisen": "x"}, 1)
    with pytest.raises(ConfigError, match=r"^lldp: expected a table"):
        check_section("lldp", [])
