"""Generated files are current, and the man pages are valid roff.

``python -m chassisctl.cli.gen all --out TMP`` regenerates the completion
tree, the shell scripts and the man pages into a temporary directory; each
must equal the committed copy byte for byte (regenerate and commit when this
fails).  Every page is linted with ``groff -ww -z -man``; groff comes from
``groff-base`` in CI, where its absence is a failure rather than a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chassisctl.cli import gen

ROOT = Path(gen.__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)  # the committed pages carry the release date
    return env


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    subprocess.run([sys.executable, "-m", "chassisctl.cli.gen", "all", "--out", str(out)],
                   check=True, env=_env(), cwd=ROOT)
    return out


def _files(base: Path) -> set[str]:
    names = {gen.TREE_PATH}
    for folder in ("completions", "man"):
        names |= {str(p.relative_to(base)) for p in (base / folder).iterdir() if p.is_file()}
    return names


def test_same_set_of_files(regenerated: Path) -> None:
    assert _files(regenerated) == _files(ROOT), "run: python -m chassisctl.cli.gen all"


@pytest.mark.parametrize("rel", sorted(gen.outputs("all", _env())))
def test_committed_copy_is_current(rel: str, regenerated: Path) -> None:
    fresh = (regenerated / rel).read_text(encoding="utf-8")
    committed = (ROOT / rel).read_text(encoding="utf-8")
    assert committed == fresh, f"{rel} is stale: run python -m chassisctl.cli.gen all"


def test_check_mode_agrees(regenerated: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "chassisctl.cli.gen", "all", "--check"],
                          env=_env(), cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _groff() -> str | None:
    path = shutil.which("groff")
    if path is None and os.environ.get("CI") == "true":
        pytest.fail("groff is missing (install groff-base)")
    return path


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "man").glob("*.[1-9]")))
def test_man_page_lints_clean(page: str) -> None:
    groff = _groff()
    if groff is None:
        pytest.skip("groff not installed")
    done = subprocess.run([groff, "-ww", "-z", "-man", str(ROOT / "man" / page)],
                          capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")


def test_one_page_per_top_level_command() -> None:
    cli = gen.click_command()
    with cli.make_context("chassisctl", [], resilient_parsing=True) as ctx:
        names = [n for n in cli.list_commands(ctx) if not cli.get_command(ctx, n).hidden]
    pages = {p.name for p in (ROOT / "man").glob("*.8")}
    assert pages == {"chassisctl.8"} | {f"chassisctl-{n}.8" for n in names}
    for expected in ("power", "sensors", "bmc", "raw", "sdr", "completion"):
        assert f"chassisctl-{expected}.8" in pages


def test_new_command_gets_a_page(monkeypatch) -> None:
    """A command added later (e.g. ``nodes``) gets a page with generated OPTIONS."""
    import typer

    from chassisctl.cli.app import build_app
    from chassisctl.cli.common import command

    app = build_app()

    @command(app, "nodes")
    def nodes(all_nodes: bool = typer.Option(False, "--every", help="List every node")) -> None:
        """List the nodes of a multi-node chassis."""

    monkeypatch.setattr(gen, "click_command", lambda: typer.main.get_command(app))
    page = gen.render_man(_env())["man/chassisctl-nodes.8"]
    assert page.startswith('.TH CHASSISCTL-NODES 8 "')
    assert ".SH OPTIONS" in page and "\\fB\\-\\-every\\fR" in page and "List every node" in page
    assert ".BR chassisctl\\-nodes (8)" in gen.render_man(_env())["man/chassisctl.8"]


def test_every_parameter_has_help() -> None:
    assert gen.missing_help() == []


def test_exit_status_documents_every_exit_code() -> None:
    from chassisctl.errors import ExitCode

    page = (ROOT / "man" / "chassisctl.8").read_text()
    section = page.split(".SH EXIT STATUS", 1)[1].split(".SH ", 1)[0]
    for code in ExitCode:
        assert f".B {int(code)}\n" in section


def test_environment_documents_every_variable() -> None:
    from chassisctl.config import ENVIRONMENT

    page = (ROOT / "man" / "chassisctl.8").read_text()
    section = page.split(".SH ENVIRONMENT", 1)[1].split(".SH ", 1)[0]
    for var in [*ENVIRONMENT.values(), "CHASSISCTL_SIM_PROFILE", "CHASSISCTL_SIM_FAULTS",
                "CHASSISCTL_SIM_PACE", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"]:
        assert f".B {var}\n" in section


def test_date_is_never_today() -> None:
    from chassisctl.cli.manfrag import RELEASE_DATE

    assert gen.man_date({}) == RELEASE_DATE
    assert gen.man_date({"SOURCE_DATE_EPOCH": "1700000000"}) == "2023-11-14"
    assert f'"{RELEASE_DATE}"' in (ROOT / "man" / "chassisctl.8").read_text().splitlines()[0]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_command_prints_the_committed_script(shell: str) -> None:
    done = subprocess.run([sys.executable, "-m", "chassisctl", "completion", shell],
                          capture_output=True, text=True, check=True)
    assert done.stdout == (ROOT / gen.COMPLETION_FILES[shell]).read_text()


def test_zsh_script_is_a_compdef_file() -> None:
    assert (ROOT / "completions" / "_chassisctl").read_text().splitlines()[0] == "#compdef chassisctl"
