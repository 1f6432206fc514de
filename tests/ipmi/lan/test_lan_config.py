"""LanConfig from TOML, validation, secret-file modes; sequence windows and limiter."""

from __future__ import annotations

import os

import pytest

from chassisctl.errors import ConfigError
from chassisctl.ipmi.codes import Privilege
from chassisctl.ipmi.lan import LanConfig
from chassisctl.serve.lan_settings import check_secret_file_mode, lan_config_from_toml
from chassisctl.ipmi.lan.sessions import DUPLICATE, NEW, OUTSIDE, FailureLimiter, ReplyCache, SeqWindow, next_seq


def test_defaults_are_the_secure_choice():
    cfg = lan_config_from_toml({})
    assert (cfg.host, cfg.port) == ("0.0.0.0", 623)
    assert cfg.cipher_suites == (17, 3)
    assert cfg.ipmi15_auth_types == (0x02,)
    assert not cfg.allow_anonymous and cfg.kg is None
    assert (cfg.session_timeout, cfg.max_sessions) == (60.0, 15)
    assert cfg == LanConfig()


def test_full_config(tmp_path):
    pw = tmp_path / "op.pass"
    pw.write_text("s3cret\n")
    pw.chmod(0o600)
    kg = tmp_path / "kg"
    kg.write_text("0102030405\n")
    kg.chmod(0o400)
    doc = {"ipmi": {
        "listen": "[::1]:1623", "cipher_suites": [3, 17, 1], "allow_anonymous": True,
        "ipmi15_auth_types": ["md5", "password"], "kg_file": str(kg), "session_timeout": 30,
        "max_sessions": 4, "ip_address": "10.1.2.3", "mac_address": "02-00-00-00-00-09", "ip_source": "dhcp",
        "users": [
            {"name": "admin", "password": "pw", "privilege": "administrator"},
            {"name": "op", "password_file": str(pw), "privilege": "operator", "enabled": False},
            {"name": "", "password": "", "privilege": "user", "allow_empty_password": True},
        ],
    }}
    cfg_path = tmp_path / "chassisctl.toml"
    cfg_path.write_text("")
    cfg_path.chmod(0o600)
    cfg = lan_config_from_toml(doc, str(cfg_path))
    assert (cfg.host, cfg.port, cfg.cipher_suites) == ("::1", 1623, (3, 17, 1))
    assert cfg.kg == bytes.fromhex("0102030405")
    assert [(u.user_id, u.name, u.privilege, u.enabled) for u in cfg.users] == [
        (2, "admin", Privilege.ADMINISTRATOR, True), (3, "op", Privilege.OPERATOR, False),
        (1, "", Privilege.USER, True)]
    assert cfg.users[1].password == b"s3cret"
    assert cfg.mac_address == bytes.fromhex("020000000009") and cfg.ip_source == 2
    assert "s3cret" not in repr(cfg) and "pw" not in repr(cfg.users[0])


@pytest.mark.parametrize("ipmi,key", [
    ({"listen": "nonsense"}, "ipmi.listen"),
    ({"listen": "1.2.3.4:70000"}, "ipmi.listen"),
    ({"cipher_suites": [8]}, "ipmi.cipher_suites"),
    ({"cipher_suites": [0, 17]}, "allow_cipher_suite_0"),
    ({"cipher_suites": "17"}, "ipmi.cipher_suites"),
    ({"ipmi15_auth_types": ["none"]}, "allow_ipmi15_auth_none"),
    ({"ipmi15_auth_types": ["md2"]}, "ipmi.ipmi15_auth_types"),
    ({"kg": "zz"}, "ipmi.kg"),
    ({"kg": "00" * 21}, "ipmi.kg"),
    ({"session_timeout": 0}, "ipmi.session_timeout"),
    ({"session_timeout": True}, "ipmi.session_timeout"),
    ({"max_sessions": 100}, "ipmi.max_sessions"),
    ({"bogus": 1}, "ipmi.bogus"),
    ({"users": [{"name": "a"}]}, "ipmi.users[0]"),
    ({"users": [{"name": "a", "password": "x", "privilege": "root"}]}, "ipmi.users[0].privilege"),
    ({"users": [{"name": "a", "password": "x" * 21}]}, "ipmi.users[0].password"),
    ({"users": [{"name": "x" * 17, "password": "x"}]}, "ipmi.users[0].name"),
    ({"users": [{"name": "", "password": ""}]}, "allow_anonymous"),
    ({"users": [{"name": "a", "password": "x"}, {"name": "a", "password": "y"}]}, "ipmi.users[1].name"),
    ({"users": [{"name": "a", "password": "x", "enabled": "yes"}]}, "ipmi.users[0].enabled"),
    ({"mac_address": "00:11"}, "ipmi.mac_address"),
    ({"ip_address": "300.1.1.1"}, "ipmi.ip_address"),
])
def test_errors_name_the_key(ipmi, key):
    with pytest.raises(ConfigError) as exc:
        lan_config_from_toml({"ipmi": ipmi})
    assert key in str(exc.value)


def test_secret_file_modes(tmp_path):
    f = tmp_path / "secret"
    f.write_text("pw")
    f.chmod(0o644)
    with pytest.raises(ConfigError) as exc:
        check_secret_file_mode(str(f))
    assert "chmod 600" in str(exc.value)
    with pytest.raises(ConfigError):
        lan_config_from_toml({"ipmi": {"users": [{"name": "a", "password_file": str(f)}]}})
    f.chmod(0o600)
    check_secret_file_mode(str(f))
    with pytest.raises(ConfigError):
        check_secret_file_mode(str(tmp_path / "missing"))


def test_inline_password_requires_private_config_file(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("")
    os.chmod(cfg, 0o640)
    doc = {"ipmi": {"users": [{"name": "a", "password": "x"}]}}
    with pytest.raises(ConfigError):
        lan_config_from_toml(doc, str(cfg))
    os.chmod(cfg, 0o600)
    lan_config_from_toml(doc, str(cfg))
    lan_config_from_toml({"ipmi": {"listen": "127.0.0.1:623"}}, str(tmp_path / "missing-ok-no-secrets"))


def test_highest_privilege():
    cfg = lan_config_from_toml({"ipmi": {"users": [{"name": "a", "password": "x", "privilege": "operator"},
                                                   {"name": "b", "password": "x", "privilege": "administrator",
                                                    "enabled": False}]}})
    assert cfg.highest_privilege == Privilege.OPERATOR
    assert LanConfig().highest_privilege == Privilege.USER


# --- sessions.py ------------------------------------------------------------------


def test_seq_window_rmcpplus():
    w = SeqWindow(0, ahead=16, behind=15)
    assert w.check(1) == NEW and w.check(1) == DUPLICATE
    assert w.check(0) == OUTSIDE
    assert w.check(17) == NEW  # 16 ahead
    assert w.check(34) == OUTSIDE  # 17 ahead
    assert w.check(5) == NEW  # 12 behind, not seen yet
    assert w.check(5) == DUPLICATE
    assert w.check(2) == NEW  # 15 behind
    assert w.check(1) == OUTSIDE  # 16 behind: outside (seen or not)


def test_seq_window_behind_and_wrap():
    w = SeqWindow(100, ahead=16, behind=15)
    assert w.check(101) == NEW
    assert w.check(99) == NEW  # not seen yet, 2 behind
    assert w.check(99) == DUPLICATE
    assert w.check(86) == NEW  # 15 behind
    assert w.check(85) == OUTSIDE  # 16 behind
    w = SeqWindow(0xFFFFFFFE, ahead=8, behind=7)
    assert w.check(0xFFFFFFFF) == NEW
    assert w.check(1) == NEW  # wraps (0 is skipped)
    assert w.check(0xFFFFFFFF) == DUPLICATE
    assert next_seq(0xFFFFFFFF) == 1 and next_seq(5) == 6


def test_reply_cache_bounded_with_ttl():
    c = ReplyCache(size=2, ttl=10)
    c.put(b"a", 0, b"A")
    c.put(b"b", 0, None)
    assert c.lookup(b"a", 1) == (True, b"A") and c.lookup(b"b", 1) == (True, None)
    c.put(b"c", 1, b"C")
    assert c.lookup(b"a", 1) == (False, None)
    assert c.lookup(b"c", 12) == (False, None)


def test_failure_limiter():
    lim = FailureLimiter(burst=2, per_second=0.5, max_sources=3)
    assert lim.allowed("x", 0)
    lim.failed("x", 0)
    lim.failed("x", 0)
    assert not lim.allowed("x", 0) and lim.allowed("y", 0)
    assert lim.allowed("x", 2.0)
    for i in range(10):
        lim.failed(f"h{i}", 10)
    assert len(lim._buckets) <= 3


def test_session_limits_default_to_half_the_table_and_are_checked():
    cfg = lan_config_from_toml({"ipmi": {"max_sessions": 9}})
    assert (cfg.max_sessions_per_user, cfg.max_sessions_per_address) == (4, 4)
    assert lan_config_from_toml({"ipmi": {"max_sessions": 1}}).max_sessions_per_user == 1
    cfg = lan_config_from_toml({"ipmi": {"max_sessions_per_user": 15, "max_sessions_per_address": 1}})
    assert (cfg.max_sessions_per_user, cfg.max_sessions_per_address) == (15, 1)
    for key, value in (("max_sessions_per_user", 16), ("max_sessions_per_address", 0),
                       ("max_sessions_per_user", True), ("max_sessions_per_address", 2.5)):
        with pytest.raises(ConfigError, match=f"ipmi.{key}"):
            lan_config_from_toml({"ipmi": {key: value}})


def test_an_empty_password_refuses_to_start_unless_allowed(tmp_path):
    with pytest.raises(ConfigError, match=r"ipmi.users\[0\]: user 'admin' has an empty password") as exc:
        lan_config_from_toml({"ipmi": {"users": [{"name": "admin", "password": "", "privilege": "administrator"}]}})
    assert "allow_empty_password = true" in str(exc.value)
    empty = tmp_path / "empty.pass"
    empty.write_text("\n")
    empty.chmod(0o600)
    with pytest.raises(ConfigError, match="empty password"):
        lan_config_from_toml({"ipmi": {"users": [{"name": "op", "password_file": str(empty)}]}})
    with pytest.raises(ConfigError, match="allow_empty_password: expected true or false"):
        lan_config_from_toml({"ipmi": {"users": [{"name": "op", "password": "", "allow_empty_password": "yes"}]}})
    cfg = lan_config_from_toml({"ipmi": {"users": [
        {"name": "admin", "password": "", "privilege": "administrator", "allow_empty_password": True}]}})
    assert cfg.users[0].password == b""


def test_warnings_name_each_weak_setting_and_its_risk():
    from chassisctl.ipmi.lan import config_warnings

    assert config_warnings(lan_config_from_toml({})) == []
    assert config_warnings(lan_config_from_toml({"ipmi": {"users": [{"name": "a", "password": "x"}]}})) == []
    cfg = lan_config_from_toml({"ipmi": {
        "cipher_suites": [17, 0, 1], "allow_cipher_suite_0": True,
        "ipmi15_auth_types": ["md5", "none", "password"], "allow_ipmi15_auth_none": True, "allow_anonymous": True,
        "users": [{"name": "admin", "password": "", "privilege": "administrator", "allow_empty_password": True},
                  {"name": "", "password": "", "allow_empty_password": True}],
    }})
    text = "\n".join(config_warnings(cfg))
    assert "user 'admin' has an empty password" in text and "as administrator" in text
    assert "null (anonymous) user has an empty password" in text
    assert "suite 0 is offered: no authentication" in text
    assert "suite 1 has no integrity" in text
    assert '"none" is enabled' in text and "any password" in text
    assert '"password" is enabled' in text and "clear text" in text
    assert "allow_anonymous" in text
    assert len(config_warnings(cfg)) == 7


def test_secret_files_are_bounded(tmp_path):
    big = tmp_path / "big.pass"
    big.write_bytes(b"x" * 100_000)
    big.chmod(0o600)
    with pytest.raises(ConfigError, match="larger than 4096 bytes"):
        lan_config_from_toml({"ipmi": {"users": [{"name": "a", "password_file": str(big)}]}})
