"""The layers as static contracts: engine ◄ trainer ◄ faces (``photohash_cli/``, ``desktop/``).

Each package's ``.py`` files are parsed with ``ast``, never imported, and every import counts wherever it is
written: at the top, inside a function or a class, under ``if TYPE_CHECKING:``, in a try/except. Two checks:
what a package may not import (``RULES``), and no import cycle among the modules of one package.
"""

from __future__ import annotations

import ast
import itertools
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import REPO

QT = ("PySide6", "PyQt5", "PyQt6")
TORCH = ("torch", "torchvision")
# engine.cli was the CLI's home before photohash_cli/: importing it is importing the CLI, from any package.
CLI = ("photohash_cli", "engine.cli")

# Package -> the module names (and everything under them) it may not import.
RULES: dict[str, tuple[str, ...]] = {
    "engine": (*CLI, "desktop", "trainer", *QT, *TORCH),
    "trainer": (*CLI, "desktop", *QT),
    "desktop": (*CLI, "trainer", *TORCH),
    "photohash_cli": ("desktop", *QT),
}
PACKAGES = tuple(RULES)
WHAT = {"photohash_cli": "the CLI", "engine.cli": "the CLI", "desktop": "the desktop app", "trainer": "the trainer",
        **dict.fromkeys(QT, "Qt"), **dict.fromkeys(TORCH, "torch")}


@dataclass(frozen=True)
class Import:
    file: str  # relative to the root, with forward slashes
    line: int
    module: str  # the importing module
    name: str  # the absolute module imported: ``from x import m`` is ``x.m`` when m is a module file, else ``x``
    alias: str | None = None  # the name taken from ``name`` by ``from name import alias`` (None for ``import``)
    bound: str | None = None  # the name it is bound to in the importing module (``as`` or the alias itself)
    top: bool = False  # a statement of the module's body (not nested in a function, class, if or try)


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _files(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file, for every .py file under root/package (a namespace folder counts too)."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if any(p.startswith(".") or p == "__pycache__" for p in parts):
            continue
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str | None:
    """The absolute name of ``from <node> import ...`` written in ``module``; None above the top-level package."""
    if node.level == 0:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level - 1 >= len(base):
        return None
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def collect(root: Path, packages=PACKAGES) -> tuple[dict[str, Path], list[Import], list[str]]:
    """Every module of the packages under root, every import in them, and the imports that cannot be read."""
    files = {m: p for pkg in packages if (root / pkg).is_dir() for m, p in _files(root, pkg).items()}
    imports, problems = [], []
    for module, path in files.items():
        rel = path.relative_to(root).as_posix()
        try:
            tree = ast.parse(path.read_bytes(), filename=rel)
        except SyntaxError as exc:
            problems.append(f"{rel}:{exc.lineno} cannot be parsed ({exc.msg})")
            continue
        is_package = path.name == "__init__.py"
        for node in sorted(ast.walk(tree), key=lambda n: getattr(n, "lineno", 0)):
            if isinstance(node, ast.Import):
                imports += [Import(rel, node.lineno, module, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node, module, is_package)
                if base is None:
                    problems.append(f"{rel}:{node.lineno} imports {'.' * node.level}{node.module or ''}, "
                                    f"above the top-level package {module.split('.')[0]}")
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    imports.append(Import(rel, node.lineno, module, sub if sub in files else base, alias.name,
                                          alias.asname or alias.name, any(node is n for n in tree.body)))
    return files, imports, problems


def violations(root: Path, packages=PACKAGES) -> list[str]:
    """One readable line per import a package's rule forbids (and per forbidden module it holds itself)."""
    files, imports, problems = collect(root, packages)
    out = []
    for package in packages:
        for banned in RULES[package]:
            held = sorted(m for m in files if _under(m, banned) and _under(m, package))
            if held:  # the package holds the forbidden module itself (engine/cli/ before the move)
                folder = files[held[0]].relative_to(root).parent.as_posix()
                count = f"{len(held)} module{'s' * (len(held) > 1)}"
                out.append(f"{folder}/ is {banned}, {count} ({package} may not hold {WHAT[banned]})")
    out += problems
    found: dict[tuple[str, int, str], list[str]] = {}  # one line per statement and rule, naming what it imports
    for imp in imports:
        package = imp.module.split(".")[0]
        for banned in RULES.get(package, ()):
            if _under(imp.name, banned) and not _under(imp.module, banned):
                names = found.setdefault((imp.file, imp.line, WHAT[banned]), [])
                if imp.name not in names:
                    names.append(imp.name)
    for (file, line, what), names in found.items():
        out.append(f"{file}:{line} imports {', '.join(names)} ({file.split('/')[0]} may not import {what})")
    return out


def _graph(files: dict[str, Path], imports: list[Import]) -> dict[str, dict[str, str]]:
    """module -> {module it imports, in the same top-level package: 'file:line' of the first such import}.

    An ``__init__`` that re-exports counts as its sources: ``from pkg import f``, where pkg/__init__.py does
    ``from .m import f``, is an edge to pkg.m, so a package's ``__init__`` importing its submodules makes no cycle by
    itself; a name the ``__init__`` defines itself (or ``import pkg``) is an edge to the ``__init__``.
    """
    reexports: dict[str, dict[str, tuple[str, str]]] = {}  # __init__ -> {name it binds: (source module, its name)}
    for imp in imports:
        if imp.top and imp.alias and files[imp.module].name == "__init__.py" and imp.name in files:
            reexports.setdefault(imp.module, {})[imp.bound] = (imp.name, imp.alias)
    graph: dict[str, dict[str, str]] = {m: {} for m in files}
    for imp in imports:
        target = max((m for m in files if _under(imp.name, m)), key=len, default=None)
        name, hops = imp.alias, 0
        while target in reexports and name in reexports[target] and hops < 10:
            (target, name), hops = reexports[target][name], hops + 1
        if target and target != imp.module and target.split(".")[0] == imp.module.split(".")[0]:
            graph[imp.module].setdefault(target, f"{imp.file}:{imp.line}")
    return graph


def _knots(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            knot = []
            while True:
                w = stack.pop()
                knot.append(w)
                if w == v:
                    break
            if len(knot) > 1:
                out.append(sorted(knot))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def cycles(root: Path, packages=PACKAGES) -> list[str]:
    """One line per knot of modules that import each other: its shortest cycle through its first module.

    A knot can hold several cycles; the line names the one found and the knot's other modules, and breaking that
    cycle shows the next one on the next run.
    """
    files, imports, _ = collect(root, packages)
    graph = _graph(files, imports)
    out = []
    for knot in _knots(graph):
        start, members = knot[0], set(knot)
        came = {start: None}
        queue, end = [start], None
        while queue and end is None:  # breadth first: the shortest way from start back to it
            v = queue.pop(0)
            for w in sorted(graph[v]):
                if w == start:
                    end = v
                    break
                if w in members and w not in came:
                    came[w] = v
                    queue.append(w)
        chain = [end]
        while came[chain[-1]] is not None:
            chain.append(came[chain[-1]])
        chain = chain[::-1] + [start]
        where = ", ".join(graph[a][b] for a, b in itertools.pairwise(chain))
        rest = sorted(members - set(chain))
        out.append(f"cycle {' → '.join(chain)} ({where})" + (f"; same knot: {', '.join(rest)}" if rest else ""))
    return out


def check(root: Path, packages=PACKAGES) -> list[str]:
    """Every broken contract under root, one line each: forbidden imports first, then cycles."""
    return violations(root, packages) + cycles(root, packages)


def test_layers_hold():
    present = [p for p in PACKAGES if (REPO / p).is_dir()]
    assert {"engine", "trainer", "desktop"} <= set(present)
    problems = check(REPO, present)
    print("\n".join(problems))
    assert not problems, f"{len(problems)} broken layer contracts:\n" + "\n".join(problems)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


CLEAN = {
    "engine/__init__.py": "from .c import y\n",
    "engine/a.py": "import numpy\n\ndef f():\n    from . import c\n    return c\n",
    "engine/c.py": "y = 1\n",
    "engine/d.py": "from engine import y\nfrom .c import y as z\n",
    "trainer/fit.py": "import torch\nfrom engine.c import y\n",
    "desktop/__init__.py": "",
    "desktop/b.py": "from PySide6 import QtWidgets\nfrom engine import a\n",
    "photohash_cli/__init__.py": "from . import train\n",
    "photohash_cli/train.py": "def run():\n    from trainer import fit\n    return fit\n",
}


def test_a_wrong_import_is_caught(tmp_path):
    clean = tmp_path / "clean"
    _write(clean, CLEAN)
    assert check(clean) == []

    wrong = tmp_path / "wrong"
    _write(wrong, {
        "engine/__init__.py": "",
        "engine/a.py": "import os\n\ndef f():\n    import torch.nn\n    return torch\n",
        "engine/c.py": "from . import d\n",
        "engine/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import y\n",
        "engine/cli/__init__.py": "from ..scan import scan\n",
        "desktop/b.py": "from trainer.fit import x\n",
        "desktop/e.py": "class E:\n    def f(self):\n        from engine import cli\n",
        "photohash_cli/__init__.py": "from ..errors import PhotoHashError\ntry:\n    import PySide6\nexcept ImportError:\n    pass\n",
    })
    assert check(wrong) == [
        "engine/cli/ is engine.cli, 1 module (engine may not hold the CLI)",
        "photohash_cli/__init__.py:1 imports ..errors, above the top-level package photohash_cli",
        "engine/a.py:4 imports torch.nn (engine may not import torch)",
        "desktop/b.py:1 imports trainer.fit (desktop may not import the trainer)",
        "desktop/e.py:3 imports engine.cli (desktop may not import the CLI)",
        "photohash_cli/__init__.py:3 imports PySide6 (photohash_cli may not import Qt)",
        "cycle engine.c → engine.d → engine.c (engine/c.py:1, engine/d.py:3)",
    ]

    # A cycle through a name an __init__ defines itself is a cycle; one through a re-export names its source.
    knots = tmp_path / "knots"
    _write(knots, {
        "trainer/__init__.py": "from .m import f as g\nfrom . import n\nLIMIT = 3\n",
        "trainer/m.py": "def f():\n    from trainer import LIMIT\n",
        "trainer/n.py": "from . import g\n",
        "trainer/p.py": "from . import q\n", "trainer/q.py": "from . import r\n", "trainer/r.py": "import trainer.p\n",
    })
    assert check(knots) == [
        "cycle trainer → trainer.m → trainer (trainer/__init__.py:1, trainer/m.py:2); same knot: trainer.n",
        "cycle trainer.p → trainer.q → trainer.r → trainer.p (trainer/p.py:1, trainer/q.py:1, trainer/r.py:1)",
    ]


@pytest.mark.parametrize(("package", "banned"), [("engine", (*TORCH, *QT)), ("desktop", TORCH)])
def test_importing_a_package_loads_none_of_what_it_may_not_import(package, banned):
    """The run-time side of the rules: importing every module of the package loads no torch (and the engine no Qt)."""
    files = _files(REPO, package)
    modules = [m for m in files if not m.endswith("__main__") and not _under(m, "engine.cli")]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {set(banned)!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=False, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert len(modules) >= 10
