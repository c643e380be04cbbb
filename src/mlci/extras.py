"""mlci's optional extras: which check needs which, and the one line that names a missing one.

The core (``pip install mlci``) is what every pull-request check needs: DVC, the
metric and param comparison, the gates on metrics and reproducibility, publishing.
The libraries of the other checks are extras, so a policy that only gates metrics
installs none of them. The install step of the actions asks :func:`for_policy`
which extras a policy needs before it installs anything (``actions/setup``), and a
check run without its extra says which one to install (:func:`require`).

pyproject.toml's ``[project.optional-dependencies]`` lists each extra's packages;
tests/test_packaging.py checks that every module named here comes from them.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mlci.errors import MlciError

# Each extra, and the modules (import names) it brings.
EXTRAS: dict[str, tuple[str, ...]] = {
    "data": ("pandas", "pandera"),
    "fairness": ("pandas", "fairlearn", "sklearn"),
    "onnx": ("pandas", "onnxruntime", "skl2onnx"),
    "drift": ("numpy", "scipy", "pyarrow"),
    "parquet": ("pyarrow",),
    "plots": ("vl_convert",),
    "serve": ("onnxruntime", "numpy", "uvicorn", "httptools", "orjson", "prometheus_client"),
    "demo": ("pandas", "pandera", "fairlearn", "sklearn", "onnxruntime", "skl2onnx", "uvicorn", "vl_convert", "scipy",
             "pyarrow"),
}
# The checks of mlci.yaml (keys under `checks:`) that need extras. The serving check reads its
# sample and runs the model offline (onnx), and starts mlci serve unless given a command (serve:
# installed for every serving check, as the install step does not read commands).
CHECK_EXTRAS: dict[str, tuple[str, ...]] = {"data": ("data",), "fairness": ("fairness",), "runtime": ("onnx",),
                                            "serving": ("onnx", "serve"), "drift": ("drift",)}
PARQUET_SUFFIXES = (".parquet", ".pq")


class MissingExtra(MlciError):
    """An extra is not installed; its text is the one line to show (exit code 2 at the CLI)."""


def hint(extra: str, what: str) -> str:
    """``the data check needs mlci[data]: pip install 'mlci[data]'``."""
    return f"{what} needs mlci[{extra}]: pip install 'mlci[{extra}]'"


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (found without importing them)."""
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def require(extra: str, what: str) -> None:
    """Raise MissingExtra, naming the extra, unless every module of ``extra`` is installed."""
    if missing_modules(extra):
        raise MissingExtra(hint(extra, what))


def for_policy(data: Any, stage: str | None = None, *, monitor: bool = False) -> list[str]:
    """The extras a parsed mlci.yaml needs, in a stable order.

    ``data`` is the file as YAML gave it, valid or not: a section this cannot make
    sense of needs nothing, and loading the policy later says what is wrong with it.
    Parquet files named anywhere under ``checks:`` add the parquet extra. With ``stage``
    (a promotion or a deployment to it), the checks of ``promote.stages.STAGE`` count too.
    A ``checks.drift`` entry needs the drift extra in a PR's run only when it says
    ``pr_gate: true``; ``monitor`` (the drift monitor's job) counts every entry.
    """
    sections = [data.get("checks") if isinstance(data, Mapping) else None]
    if stage is not None:
        promote = data.get("promote") if isinstance(data, Mapping) else None
        stages = promote.get("stages") if isinstance(promote, Mapping) else None
        at_stage = stages.get(stage) if isinstance(stages, Mapping) else None
        sections.append(at_stage.get("checks") if isinstance(at_stage, Mapping) else None)
    wanted: set[str] = set()
    for checks in sections:
        if not isinstance(checks, Mapping):
            continue
        wanted.update(extra for key, value in checks.items() if key in CHECK_EXTRAS and value not in (None, False, [], {})
                      and (key != "drift" or monitor or _gates_a_pull_request(value))
                      for extra in CHECK_EXTRAS[key])
        if any(text.lower().endswith(PARQUET_SUFFIXES) for text in _strings(checks.values())):
            wanted.add("parquet")
    return sorted(wanted)


def _gates_a_pull_request(drift: Any) -> bool:
    """Whether a ``checks.drift`` section, as YAML gave it, has an entry that is a PR's gate."""
    return isinstance(drift, list) and any(isinstance(e, Mapping) and e.get("pr_gate") is True for e in drift)


def _strings(values: Iterable[Any]) -> Iterable[str]:
    """Every string in nested mappings and lists (a stack, not recursion: any depth is fine)."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def for_project(cwd: str | Path, config: str | None = None, *, base_sha: str | None = None,
                stage: str | None = None, monitor: bool = False) -> tuple[list[str], list[str]]:
    """The extras the project's policy needs, and notes on what could not be read.

    Both copies count that may apply (on a PR the base's applies unless it says
    ``policy: head``): the one in the work tree and, given ``base_sha``, the base's.
    Each is read with mlci's own YAML reader, never run; a copy that does not parse
    adds a note and needs nothing, so the install goes ahead with what can be known.
    A dvc.yaml that declares plots adds the plots extra, unless the policy says
    ``plots: false`` (for a stage's promotion, or the drift monitor, it is not needed: no plots
    are drawn). ``monitor``: the drift monitor's job (see :func:`for_policy`).
    """
    from mlci import git
    from mlci.yamlfile import DEFAULT_CONFIG, read_yaml
    from mlci.errors import MlciError

    name = config or DEFAULT_CONFIG
    texts: list[tuple[str, str]] = []
    path = Path(cwd, name)
    if path.is_file():
        from mlci.safeload import read_text
        from mlci.yamlfile import POLICY_LIMITS

        try:  # within the limits every mlci.yaml is read with (a size, UTF-8)
            texts.append((name, read_text(path, POLICY_LIMITS.bytes, shown=name)))
        except (OSError, MlciError) as exc:
            return [], [str(exc) if isinstance(exc, MlciError) else f"{name}: cannot read it: {exc}"]
    if base_sha:
        try:
            at_base = git.show_file(cwd, base_sha, git.relative_to_root(cwd, name))
        except (MlciError, ValueError):
            at_base = None  # not a git checkout, no such commit, or a file outside the repository
        if at_base is not None:
            texts.append((f"{name} (at {base_sha[:7]})", at_base))
    wanted: set[str] = set()
    notes = []
    plots_off = bool(texts)  # every copy of the policy says `plots: false`
    for shown, text in texts:
        try:
            data = read_yaml(text, shown)
        except MlciError as exc:
            notes.append(str(exc))
            plots_off = False
            continue
        wanted.update(for_policy(data, stage, monitor=monitor))
        plots_off = plots_off and isinstance(data, Mapping) and data.get("plots") is False
    if stage is None and not monitor and not plots_off and dvc_yaml_declares_plots(cwd, notes):
        wanted.add("plots")
    return sorted(wanted), notes


def dvc_yaml_declares_plots(cwd: str | Path, notes: list[str]) -> bool:
    """Whether the dvc.yaml in ``cwd`` declares plots (at its top or in a stage): mlci report then
    draws them, with mlci[plots]. Read within the limits DVC's files are read with."""
    from mlci.dvcfiles import PIPELINE_LIMITS
    from mlci.errors import MlciError
    from mlci.safeload import read_text
    from mlci.yamlfile import load_yaml

    path = Path(cwd, "dvc.yaml")
    if not path.is_file():
        return False
    try:
        data = load_yaml(read_text(path, PIPELINE_LIMITS.bytes, shown="dvc.yaml"), "dvc.yaml", PIPELINE_LIMITS)
    except (OSError, MlciError) as exc:
        notes.append(str(exc) if isinstance(exc, MlciError) else f"dvc.yaml: cannot read it: {exc}")
        return False
    return declares_plots(data)


def declares_plots(data: Any) -> bool:
    """Whether a parsed dvc.yaml declares plots: a top-level ``plots:``, or one in a stage (or a
    ``foreach`` stage's ``do``)."""
    if not isinstance(data, Mapping):
        return False
    if data.get("plots"):
        return True
    stages = data.get("stages")
    for stage in stages.values() if isinstance(stages, Mapping) else ():
        body = stage.get("do", stage) if isinstance(stage, Mapping) else None
        if isinstance(body, Mapping) and body.get("plots"):
            return True
    return False
