"""No package imports a package above it, and no packages import each other in a cycle.

Every import statement of ``chassisctl/`` counts — at module level, inside a
function (the lazy imports that keep start-up fast), under ``if
TYPE_CHECKING:`` — because each is a dependency a reader must follow.  The
layer order is written out here, bottom first; a new package or top-level
module must be placed in it before this test passes.  Backends named by
import strings in a registry (``chassisctl.transport.BACKENDS``, the device
kinds' drivers and twins) are not import statements: that is how a lower
layer reaches a plug-in above it without depending on it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "chassisctl"

#: Bottom first.  A unit may import units of its own layer or of the layers below.
LAYERS: list[tuple[str, set[str]]] = [
    ("foundation: exit codes, time, files, errno translation, the state file, records",
     {"chassisctl", "errors", "clock", "fileio", "i2c_errors", "state_store", "namedtuple", "digests", "lazy_enum",
      "name_index"}),
    ("configuration", {"config"}),
    ("sans-I/O codecs", {"ipmi", "devices", "dhcp", "lldp"}),
    ("the BMC side of IPMI", {"bmc"}),
    ("I/O edges", {"transport", "net", "control"}),
    ("the simulated bus and chassis", {"sim"}),
    ("platform descriptions", {"platform"}),
    ("operations over a transport", {"client"}),
    ("the daemon", {"serve"}),
    ("the command line", {"cli"}),
    ("the entry point", {"__main__"}),
]


def unit_of(module: str, package: Path = PACKAGE) -> str | None:
    """The layered unit a dotted module name belongs to (None: not chassisctl)."""
    parts = module.split(".")
    if parts[0] != package.name:
        return None
    if len(parts) == 1:
        return package.name
    if (package / parts[1]).is_dir() or (package / f"{parts[1]}.py").exists():
        return parts[1]
    return package.name  # `from chassisctl import __version__`


def _module_name(path: Path, package: Path) -> tuple[str, bool]:
    rel = path.relative_to(package.parent).with_suffix("")
    is_init = rel.name == "__init__"
    parts = list(rel.parts[:-1] if is_init else rel.parts)
    return ".".join(parts), is_init


def imports(package: Path = PACKAGE) -> list[tuple[str, str, str, int]]:
    """``(from unit, to unit, file, line)`` for every import of another chassisctl unit."""
    found = []
    for path in sorted(package.rglob("*.py")):
        module, is_init = _module_name(path, package)
        source = unit_of(module, package)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".")
                    base = base[:len(base) - node.level + (1 if is_init else 0)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                targets = [f"{stem}.{alias.name}" for alias in node.names] if stem == package.name else [stem]
            else:
                continue
            for target in targets:
                unit = unit_of(target, package)
                if unit is not None and unit != source:
                    found.append((source, unit, str(path.relative_to(package.parent)), node.lineno))
    return found


def upward(found: list[tuple[str, str, str, int]], layers: list[tuple[str, set[str]]]) -> list[str]:
    rank = {unit: i for i, (_, units) in enumerate(layers) for unit in units}
    return [f"{where}:{line}: {src} (layer {rank[src]}) imports {dst} (layer {rank[dst]}, above it)"
            for src, dst, where, line in found if rank[dst] > rank[src]]


def cycles(found: list[tuple[str, str, str, int]]) -> list[list[str]]:
    """Every strongly connected group of units that import each other (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for src, dst, _, _ in found:
        graph.setdefault(src, set()).add(dst)
        graph.setdefault(dst, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


# --- the package --------------------------------------------------------------------------------


def test_every_unit_has_a_layer() -> None:
    placed = set().union(*(units for _, units in LAYERS))
    present = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    present |= {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    present.add("chassisctl")
    assert present - placed == set(), "place these in LAYERS"
    assert placed - present == set(), "LAYERS names units that no longer exist"


def test_no_package_imports_a_package_above_it() -> None:
    assert upward(imports(), LAYERS) == []


def test_no_package_level_cycles() -> None:
    assert cycles(imports()) == []


# --- the checker itself finds what it must ---------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize("statement", [
    "from pkg.top import thing",
    "import pkg.top.mod",
    "from pkg import top",
    "from ..top import thing",
    "def lazy():\n    from pkg.top.mod import thing\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.top import Thing\n",
])
def test_the_checker_sees_every_form_of_upward_import(tmp_path: Path, statement: str) -> None:
    root = _tree(tmp_path, {"__init__.py": "", "low/__init__.py": "", "low/codec.py": statement + "\n",
                            "top/__init__.py": "", "top/mod.py": "from pkg.low import codec\n"})
    layers = [("root", {"pkg"}), ("low", {"low"}), ("top", {"top"})]
    assert [line.split(": ", 1)[1] for line in upward(imports(root), layers)] == [
        "low (layer 1) imports top (layer 2, above it)"]


def test_the_checker_finds_a_cycle(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"__init__.py": "", "a.py": "def f():\n    import pkg.b\n",
                            "b/__init__.py": "from pkg.c import x\n", "c.py": "from pkg import a\n"})
    assert cycles(imports(root)) == [["a", "b", "c"]]


#: Errors that speak about a command line or a config file: an IPMI codec has no
#: business raising them (it raises ipmi.decode_errors / ipmi.codes errors, and
#: cli.error_report turns every ChassisError into its exit status).
NOT_A_CODEC_ERROR = {"UsageError", "ConfigError", "NoInputError"}


def test_ipmi_codecs_raise_their_own_errors() -> None:
    found = []
    for path in sorted((PACKAGE / "ipmi").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "chassisctl.errors":
                found += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {a.name}"
                          for a in node.names if a.name in NOT_A_CODEC_ERROR]
    assert found == []
