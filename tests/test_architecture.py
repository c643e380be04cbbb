"""docs/ARCHITECTURE.md's never-rules, checked against the import graph of src/mlci.

The graph counts every import statement of a module: at the top, inside functions (the lazy
imports that keep `mlci --help` fast) and under TYPE_CHECKING. ``from pkg import name`` is an
edge to the module ``pkg.name`` when that is a module, else to ``pkg``. Each rule below has
the id the page lists it under; the page and this file must name the same rules.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PAGE = ROOT / "docs" / "ARCHITECTURE.md"

# Modules that reach outside the process: what judging must never touch.
IO_MODULES = ("mlci.git", "mlci.dvc", "mlci.proc", "mlci.github", "mlci.publish", "mlci.collect", "mlci.context")
IO_LIBRARIES = ("subprocess", "socket", "urllib", "http", "requests", "github", "dvc", "shutil", "tempfile")


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted((SRC / "mlci").rglob("*.py")):
        if "demo/project" in path.as_posix():  # the example project's own stage scripts
            continue
        parts = path.relative_to(SRC).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


@cache
def graph() -> dict[str, frozenset[str]]:
    """module -> every module or library it imports (absolute names)."""
    modules = dict(_modules())
    out: dict[str, frozenset[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                subs = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules}
                found.update(subs if len(subs) == len(node.names) else {base, *subs})
        out[name] = frozenset(found - {name})
    return out


def internal(name: str) -> set[str]:
    return {m for m in graph()[name] if m in graph()}


def reachable(name: str) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        for dep in graph()[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                if dep in graph():
                    todo.append(dep)
    return seen


def within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in prefixes)


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(internal(v)):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph()):
        if module not in index:
            visit(module)
    return found


def judgement_modules() -> list[str]:
    return sorted(m for m in graph() if m in ("mlci.evaluate", "mlci.evidence")
                  or re.fullmatch(r"mlci\.checks\.\w+\.(judge|spec)", m))


# -- the rules ----------------------------------------------------------------------------


def rule_no_cycles() -> list[str]:
    return [" -> ".join(c) for c in cycles()]


def rule_ground_floor() -> list[str]:
    """errors imports nothing of mlci; report only errors, the plots' values (and the package's constants);
    the plots' values nothing but each other; compare only report."""
    allowed = {"mlci.errors": set(), "mlci.report": {"mlci", "mlci.errors", "mlci.plots.model"},
               "mlci.plots.model": {"mlci.plots.series"}, "mlci.plots.series": set(), "mlci.compare": {"mlci.report"}}
    return [f"{m} imports {sorted(internal(m) - ok)}" for m, ok in allowed.items() if internal(m) - ok]


def rule_judgement_is_pure() -> list[str]:
    """A judgement (evaluate, evidence, every check's judge.py and spec.py) reaches no I/O module or library;
    evaluate reaches the measurements only through the registry, so for it the rule is on its own imports."""
    problems = []
    for module in judgement_modules():
        deps = graph()[module] if module == "mlci.evaluate" else reachable(module)
        bad = sorted(d for d in deps if within(d, IO_MODULES) or within(d, IO_LIBRARIES))
        if bad:
            problems.append(f"{module} reaches {bad}")
    return problems


def rule_only_github_talks_to_github() -> list[str]:
    return [m for m, deps in graph().items() if not within(m, ("mlci.github",)) and any(within(d, ("github",)) for d in deps)]


def rule_only_proc_runs_processes() -> list[str]:
    return [m for m, deps in graph().items() if m != "mlci.proc" and "subprocess" in deps]


def rule_only_git_and_dvc_use_proc() -> list[str]:
    """And the serving check's measurement, which starts the server it asks (proc.background)."""
    users = ("mlci.git", "mlci.dvc", "mlci.proc", "mlci.checks.serving.measure")
    return [m for m in graph() if m not in users and "mlci.proc" in internal(m)]


def rule_core_never_renders() -> list[str]:
    """The model, the comparison, the policy and the checks import no renderer (render.fmt, the shared
    wording of numbers and counts, is allowed)."""
    core = [m for m in graph() if within(m, ("mlci.report", "mlci.compare", "mlci.config", "mlci.checks", "mlci.evaluate",
                                             "mlci.evidence", "mlci.policy", "mlci.errors"))]
    return [f"{m} imports {d}" for m in core for d in sorted(internal(m))
            if within(d, ("mlci.render",)) and d != "mlci.render.fmt"]


def rule_every_check_is_registered() -> list[str]:
    """Every folder under checks/ is a check the registry lists, and has the same parts: spec.py, judge.py and,
    unless the evidence every check shares is enough (its Check has no measure, as for metrics), measure.py."""
    from mlci.checks.registry import CHECKS

    registered = {check.kind: check for check in CHECKS}
    folders = sorted(p.name for p in (SRC / "mlci" / "checks").iterdir() if p.is_dir() and p.name != "__pycache__")
    kinds = {"metrics": "metric"}
    problems: list[str] = []
    for folder in folders:
        check = registered.get(kinds.get(folder, folder))
        if check is None:
            problems.append(f"checks/{folder} is not in the registry")
            continue
        parts = ("spec.py", "judge.py") if check.measure is None else ("spec.py", "measure.py", "judge.py")
        problems += [f"checks/{folder} has no {part}" for part in parts
                     if not (SRC / "mlci" / "checks" / folder / part).is_file()]
    return problems


def rule_cli_only_builds_settings() -> list[str]:
    """cli.py reaches mlci only through the commands (and the errors it maps, the version it shows);
    no other module imports click, but the terminal renderer, which colours with click.style."""
    allowed = ("mlci.commands", "mlci.errors", "mlci.pins")
    problems = [f"mlci.cli imports {d}" for d in sorted(internal("mlci.cli")) if not within(d, allowed)]
    return problems + [f"{m} imports click" for m, deps in graph().items() if m not in ("mlci.cli", "mlci.render.text") and "click" in deps]


def _trees() -> Iterator[tuple[str, ast.AST]]:
    for name, path in _modules():
        yield name, ast.parse(path.read_text("utf-8"))


def rule_only_commands_print() -> list[str]:
    """Only the command line and the commands write to the terminal (print, sys.stdout, sys.stderr):
    everything else returns what it found, or takes an ``echo`` to report progress through."""
    problems = []
    for name, tree in _trees():
        if within(name, ("mlci.cli", "mlci.commands")):
            continue
        for node in ast.walk(tree):
            calls_print = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
            std = (isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr")
                   and isinstance(node.value, ast.Name) and node.value.id == "sys")
            if calls_print or std:
                problems.append(f"{name}:{getattr(node, 'lineno', '?')}")
    return problems


def rule_step_files_in_one_place() -> list[str]:
    """Step outputs and the job summary (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) are written by github/runner_files.py alone."""
    return [f"{name}:{node.lineno}" for name, tree in _trees() if name != "mlci.github.runner_files"
            for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and ("GITHUB_OUTPUT" in node.value or "GITHUB_STEP_SUMMARY" in node.value)]


def rule_publish_needs_no_dvc() -> list[str]:
    """The verbs of a job that runs no pipeline (publish, gate, comment), and everything they import,
    lazily too, reach neither DVC nor GTO: the setup action's `purpose: publish` installs neither."""
    seen: set[str] = set()
    todo = ["mlci.commands.publish", "mlci.commands.gate", "mlci.commands.comment"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += sorted(internal(module))
    return [f"{m} imports {d}" for m in sorted(seen) for d in sorted(graph()[m])
            if d in ("mlci.dvc", "mlci.gto") or d.split(".")[0] in ("dvc", "gto", "dvc_data", "scmrepo")]


RULES: dict[str, Callable[[], list[str]]] = {
    "no-cycles": rule_no_cycles,
    "ground-floor": rule_ground_floor,
    "judgement-is-pure": rule_judgement_is_pure,
    "only-github-talks-to-github": rule_only_github_talks_to_github,
    "only-proc-runs-processes": rule_only_proc_runs_processes,
    "only-git-and-dvc-run-commands": rule_only_git_and_dvc_use_proc,
    "core-never-renders": rule_core_never_renders,
    "every-check-registered": rule_every_check_is_registered,
    "cli-only-builds-settings": rule_cli_only_builds_settings,
    "only-commands-print": rule_only_commands_print,
    "step-files-in-one-place": rule_step_files_in_one_place,
    "publish-needs-no-dvc": rule_publish_needs_no_dvc,
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_never_rule_holds(rule: str) -> None:
    assert RULES[rule]() == []


def test_the_page_lists_exactly_these_rules() -> None:
    listed = re.findall(r"^- `([a-z-]+)`", PAGE.read_text("utf-8"), re.M)
    assert sorted(listed) == sorted(RULES)


def test_the_graph_sees_lazy_and_type_checking_imports() -> None:
    """The rules would be empty words if the graph missed imports inside functions."""
    assert "mlci.commands.report" in internal("mlci.cli")  # imported inside the report command
    assert "mlci.collect" in internal("mlci.commands.report")  # imported inside run()
    assert "jsonschema" in graph()["mlci.report"]  # imported inside validate()
    assert judgement_modules() and "mlci.checks.metrics.judge" in judgement_modules()


def test_unit_tests_follow_the_source_tree() -> None:
    """tests/unit/<folder>/test_<name>.py tests src/mlci/<folder>/<name>.py (or the package <name>/),
    so a module's tests are found by its name; ``test_<name>_<topic>.py`` is one topic of it."""
    unit = ROOT / "tests" / "unit"
    misplaced = []
    for test in sorted(unit.rglob("test_*.py")):
        folder = SRC / "mlci" / test.parent.relative_to(unit)
        name = test.stem.removeprefix("test_")
        names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"} | {
            p.name for p in folder.iterdir() if p.is_dir() and (p / "__init__.py").is_file()} if folder.is_dir() else set()
        names |= {folder.name} if (folder / "__init__.py").is_file() else set()
        if not any(name == module or name.startswith(f"{module}_") for module in names):
            misplaced.append(test.relative_to(ROOT).as_posix())
    assert misplaced == []
