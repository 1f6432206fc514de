"""The platform commands through ``chassisctl.cli.app.run``: nodes, --node, platform check/probe, sim."""

from __future__ import annotations

import json
import re

import pytest

from chassisctl.cli.app import run
from chassisctl.errors import ExitCode


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    for kind in ("STATE", "CACHE", "CONFIG"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))
    for var in ("CHASSISCTL_BUS", "CHASSISCTL_PLATFORM", "CHASSISCTL_NODE", "CHASSISCTL_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


@pytest.fixture
def cli(capsys):
    def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        rc = run(list(argv))
        out, err = capsys.readouterr()
        return rc, out, err
    return invoke


def js(cli, *argv: str) -> dict:
    rc, out, err = cli(*argv, "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["schema"] == 1
    return doc


C4 = ("--platform", "compute-4n", "--bus", "sim:cli")


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("chassisctl: error: ")
    return lines[0]


def test_nodes_json_contract(cli) -> None:
    doc = js(cli, *C4, "nodes")
    assert doc["transport"] == "sim" and doc["platform"] == "compute-4n"
    assert [(n["name"], n["id"], n["power"], n["error"]) for n in doc["nodes"]] == \
        [(f"node{i}", i, "on", None) for i in range(1, 5)]
    rc, out, _ = cli(*C4, "nodes")
    assert rc == 0 and re.search(r"^node3\s+3\s+on", out, re.M)
    # A node that does not answer is listed with power null and the error, never dropped.
    assert cli(*C4, "sim", "set", "node2-cpld.present=false")[0] == 0
    doc = js(cli, *C4, "nodes")
    node2 = doc["nodes"][1]
    assert node2["power"] is None and "D3h" in node2["error"] and len(doc["nodes"]) == 4
    # Without a platform there is one node: the BMC itself.
    assert [n["name"] for n in js(cli, "--bus", "sim:cli", "nodes")["nodes"]] == ["node1"]


def test_node_selects_power_sensors_and_bmc_info(cli, monkeypatch) -> None:
    rc, out, err = cli(*C4, "--node", "node3", "power", "off", "--yes")
    assert rc == 0, err
    assert js(cli, *C4, "--node", "node3", "power", "status")["power"] == "off"
    assert js(cli, *C4, "--node", "3", "power", "status")["node"] == "node3"  # by id too
    doc = js(cli, *C4, "power", "status", "--all")
    assert [(n["node"], n["power"]) for n in doc["nodes"]] == [("node1", "on"), ("node2", "on"),
                                                                ("node3", "off"), ("node4", "on")]
    names = [s["name"] for s in js(cli, *C4, "--node", "node2", "sensors")["sensors"]]
    assert "Node2 Inlet Temp" in names and not any(n.startswith(("Node1", "Node3")) for n in names)
    monkeypatch.setenv("CHASSISCTL_NODE", "node4")
    doc = js(cli, *C4, "bmc", "info")
    assert doc["node"] == "node4" and doc["manufacturer_id"] == 32473
    rc, _, err = cli(*C4, "--node", "node9", "power", "status")
    assert rc == ExitCode.USAGE and "no such node" in one_line_error(err)
    rc, out, err = cli(*C4, "--node", "node3", "power", "on", "--wait", "5")
    assert rc == 0 and "Chassis Power is on" in out, err


def test_sensor_values_follow_sim_set(cli) -> None:
    rc, out, err = cli(*C4, "sim", "set", "node2-inlet.temperature=31.5", "psu1.READ_PIN=1000",
                       "psu2.present=false")
    assert rc == 0 and "node2-inlet.temperature = 31.5" in out, err
    sensors = {s["name"]: s for s in js(cli, *C4, "--node", "node2", "sensors")["sensors"]}
    assert sensors["Node2 Inlet Temp"]["value"] == 31.5
    assert sensors["PSU1 PIN"]["value"] == 1000.0
    assert sensors["PSU2 PIN"]["value"] is None and sensors["PSU2 PIN"]["status"] == "na"
    assert sensors["PSU2 Status"]["states"] == []
    show = js(cli, *C4, "sim", "show")
    psu2 = next(d for d in show["devices"] if d["name"] == "psu2")
    assert psu2["overrides"] == {"present": False} and "READ_PIN" in psu2["keys"]
    assert js(cli, *C4, "sim", "reset")["generation"] == 1
    sensors = {s["name"]: s for s in js(cli, *C4, "--node", "node2", "sensors")["sensors"]}
    assert sensors["Node2 Inlet Temp"]["value"] == 23.0 and sensors["PSU2 Status"]["states"] == ["Presence detected"]


def test_sim_errors_are_one_line(cli) -> None:
    cases = [
        ((*C4, "sim", "set", "psu1.READ_PINN=3"), "has no simulator key"),
        ((*C4, "sim", "set", "psu9.present=false"), "no device 'psu9'"),
        ((*C4, "sim", "set", "psu1.present=maybe"), "expected true or false"),
        ((*C4, "sim", "set", "nonsense"), "expected DEVICE.KEY=VALUE"),
        (("--bus", "sim:cli", "sim", "show"), "add --platform"),
        (("--platform", "compute-4n", "--bus", "7", "sim", "reset"), "real hardware"),
    ]
    for argv, part in cases:
        rc, _, err = cli(*argv)
        assert rc == ExitCode.USAGE, (argv, err)
        assert part in one_line_error(err), err


def test_platform_check(cli, tmp_path) -> None:
    rc, out, _ = cli("platform", "check", "switch-1u")
    assert rc == 0 and "ok: platform switch-1u, 1 node(s)" in out
    doc = js(cli, "platform", "check", "compute-4n")
    assert doc["valid"] and [n["name"] for n in doc["nodes"]] == ["node1", "node2", "node3", "node4"]
    assert doc["nodes"][0]["sensors"] == 15
    from chassisctl.platform.description import example_path

    bad = tmp_path / "bad.toml"
    bad.write_text(example_path("compute-4n").read_text().replace("address = 0x49", "address = 0x149", 1))
    rc, out, err = cli("platform", "check", str(bad))
    line = one_line_error(err)
    assert rc == ExitCode.CONFIG and out == ""
    n = int(re.search(r"bad\.toml:(\d+): device\[\d+\]\.address: 0x149 is outside", line).group(1))
    assert "0x149" in bad.read_text().splitlines()[n - 1]
    rc, _, err = cli("platform", "check", str(bad), "--json")
    assert rc == ExitCode.CONFIG and json.loads(err)["error"]["code"] == "config"
    rc, _, err = cli("platform", "check", str(tmp_path / "none.toml"))
    assert rc == ExitCode.NO_INPUT


def test_platform_probe(cli) -> None:
    doc = js(cli, "--platform", "switch-1u", "--bus", "sim:probe", "platform", "probe")
    statuses = {d["device"]: d["status"] for d in doc["devices"]}
    assert set(statuses.values()) == {"answered"} and len(statuses) == 10
    assert doc["summary"] == {"answered": 10, "absent": 0, "error": 0}
    cpld = next(d for d in doc["devices"] if d["device"] == "cpld")
    assert set(cpld["registers"]) == {"01h", "02h", "05h", "08h"}  # exactly the declared safe registers
    assert cli(*C4, "sim", "set", "mux0.stuck_channel=3", "psu2.present=false")[0] == 0
    rc, out, _ = cli(*C4, "platform", "probe", "--json")
    doc = json.loads(out)
    assert rc == 1
    statuses = {d["device"]: d["status"] for d in doc["devices"]}
    assert statuses["psu2"] == "absent" and statuses["node4-inlet"] == "error"
    assert statuses["node3-inlet"] == "answered" and statuses["mux0"] == "answered"
    rc, _, err = cli("--bus", "sim:probe", "platform", "probe")
    assert rc == ExitCode.USAGE and "needs a platform" in one_line_error(err)


def test_node_completion_reads_the_index(cli) -> None:
    from chassisctl.cli.completion_values import complete_node

    assert complete_node("") == []
    assert cli(*C4, "nodes")[0] == 0
    assert complete_node("node") == ["node1", "node2", "node3", "node4"]
    assert complete_node("node3") == ["node3"]
    assert cli("--platform", "switch-1u", "--bus", "sim:cli", "power", "status")[0] == 0
    assert complete_node("") == ["switch"]


def test_platform_from_config_file(cli, tmp_path) -> None:
    cfg = tmp_path / "chassisctl.toml"
    cfg.write_text('[bmc]\nplatform = "compute-4n"\nbus = "sim:cfg"\nnode = "node2"\n')
    doc = js(cli, "--config", str(cfg), "power", "status")
    assert doc["node"] == "node2" and doc["transport"] == "sim"
