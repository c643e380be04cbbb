"""``mlci init``: a starter mlci.yaml from the project's metrics, and the workflow templates.

The pure parts take data and return data: guessing which way a metric is better
from the parts of its name, folding keys of the same shape into one wildcard gate,
writing the policy's text. :func:`plan` reads the project (through ``mlci.dvc`` and
``mlci.git``) and decides every file's content before anything is written;
:func:`apply` then writes each file atomically. The caller prints :func:`render`.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import re
import shlex
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml

from mlci import ACTION_MAJOR, ACTION_REPOSITORY, depfiles
from mlci.depfiles import Dependencies
from mlci.errors import MlciError

POLICY_FILE = "mlci.yaml"
WORKFLOW_DIR = ".github/workflows"
TEMPLATES_PACKAGE = "mlci.workflow_templates"  # the repository's workflows-templates/, see pyproject.toml
WORKFLOWS: dict[str, tuple[str, ...]] = {
    "pull-request": ("mlci-pull-request.yml",),
    "fork-safe": ("mlci-pull-request-fork-safe.yml", "mlci-publish.yml"),
    "none": (),
}
CHECK_NAME = "mlci"
DOCS_URL = f"https://github.com/{ACTION_REPOSITORY}/blob/{ACTION_MAJOR}/docs/configuration.md"

# The regression guard of every gate: relative, so one number suits metrics of any scale.
MAX_DROP = "2%"
# Timings move a lot between two runs of the same code on CI runners.
TIMING_MAX_DROP = "20%"

Direction = Literal["higher", "lower"]
# quality: gated; timing: noisy, shown only; count: sizes of test sets and classes,
# shown only; not_finite: NaN or infinite now, shown only (it would fail every gate).
Kind = Literal["quality", "timing", "count", "not_finite"]
Outcome = Literal["wrote", "overwrote", "unchanged", "kept"]

# Words of a metric's name, matched against whole parts of it (`val_loss`, `valLoss` and
# `val-loss` all have the part "loss"; "terror" has none), never against substrings.
LOWER_IS_BETTER = frozenset({
    "loss", "losses", "logloss", "nll", "error", "errors", "err", "rmse", "mse", "mae", "mape", "smape",
    "rmsle", "msle", "wer", "cer", "perplexity", "ppl", "brier", "fpr", "fnr", "eer",
})
TIMING = frozenset({"latency", "time", "times", "duration", "seconds", "secs", "sec", "ms", "runtime", "elapsed"})
HIGHER_IS_BETTER = frozenset({
    "accuracy", "acc", "f1", "fscore", "auc", "roc", "precision", "recall", "r2", "map", "ndcg", "iou", "dice",
    "bleu", "rouge", "tpr", "tnr", "specificity", "sensitivity", "kappa", "mcc", "score",
})
COUNTS = frozenset({"support", "count", "counts", "n", "num", "samples", "rows", "examples", "instances"})
NEGATED = frozenset({"neg"})  # scikit-learn's scorers: neg_mean_squared_error, higher is better

Pattern = tuple[str | None, ...]  # a dotted key's parts; None is a wildcard part


# -- what a metric's name says ------------------------------------------------------


def name_words(part: str) -> list[str]:
    """The words of one part of a key: split at punctuation and at camelCase humps, lower case."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", part)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def guess(parts: Sequence[str | None]) -> tuple[Direction, Kind]:
    """Which way the metric is better, and whether it is a quality, a timing or a count.

    The last part decides when it means something (``per_class.error.f1`` is an F1
    score, whatever the class is called), else the one before it (``loss.train``),
    and so on; a name that says nothing is a quality where higher is better.
    """
    for part in reversed(parts):
        if part is None:
            continue
        words = set(name_words(part))
        if words & NEGATED:
            return "higher", "quality"
        if words & TIMING:
            return "lower", "timing"
        if words & LOWER_IS_BETTER:
            return "lower", "quality"
        if words & HIGHER_IS_BETTER:
            return "higher", "quality"
        if words & COUNTS:
            return "higher", "count"
    return "higher", "quality"


# -- folding keys of one shape into wildcards -------------------------------------------


def escape_glob(text: str) -> str:
    """``text`` as an fnmatch pattern that matches only itself."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def pattern_text(pattern: Pattern) -> str:
    return ".".join("*" if part is None else escape_glob(part) for part in pattern)


def group_keys(keys: Sequence[str], *, min_group: int = 2) -> list[tuple[Pattern, tuple[str, ...]]]:
    """Keys that differ only in parts before the last, folded into one pattern each.

    ``per_class.cat.f1`` and ``per_class.dog.f1`` become ``per_class.*.f1``. A
    wildcard is kept only when it matches (as mlci matches it, where ``*`` also
    spans dots) exactly the keys it stands for, all of which the name guesses the
    same way; so no metric is covered twice. Patterns come in the order of their
    first key.
    """
    groups: dict[Pattern, list[str]] = {tuple(key.split(".")): [key] for key in keys}
    while True:
        wider_of: dict[Pattern, list[Pattern]] = {}
        for pattern in groups:
            for i in range(len(pattern) - 1):  # never the last part: it names the metric
                if pattern[i] is not None:
                    wider_of.setdefault((*pattern[:i], None, *pattern[i + 1:]), []).append(pattern)
        ranked = sorted(wider_of.items(), key=lambda item: -sum(len(groups[p]) for p in item[1]))
        chosen = next(((wider, narrower) for wider, narrower in ranked
                       if len(narrower) >= min_group and _exact(wider, narrower, groups, keys)), None)
        if chosen is None:
            return [(pattern, tuple(members)) for pattern, members in groups.items()]
        wider, narrower = chosen
        merged: dict[Pattern, list[str]] = {}
        for pattern, members in groups.items():
            if pattern in narrower:
                merged.setdefault(wider, []).extend(members)
            else:
                merged[pattern] = members
        groups = merged


def _exact(wider: Pattern, narrower: Sequence[Pattern], groups: Mapping[Pattern, list[str]], keys: Sequence[str]) -> bool:
    members = {key for pattern in narrower for key in groups[pattern]}
    regex = re.compile(fnmatch.translate(pattern_text(wider)))
    if {key for key in keys if regex.match(key)} != members:
        return False
    return {guess(key.split(".")) for key in members} == {guess(wider)}


# -- the policy ------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricsFile:
    """One metrics file as DVC shows it in the workspace."""

    path: str
    numbers: Mapping[str, float] = field(default_factory=dict)  # flattened keys, in the file's order
    others: tuple[str, ...] = ()  # keys whose values are not numbers: no gate
    problem: str | None = None  # why DVC could not read it ("file not found": never produced)


@dataclass(frozen=True)
class Gate:
    pattern: str  # as written under `metrics:`
    members: tuple[str, ...]  # the keys it covers
    direction: Direction
    kind: Kind
    worst: float | None  # the worst value now: the lowest (higher is better) or the highest


def gates_for(files: Sequence[MetricsFile]) -> list[tuple[MetricsFile, list[Gate]]]:
    """The gates of each readable file. A pattern that would also match a key of another
    file is prefixed with the file's path (``eval/metrics.json:accuracy``)."""
    out = []
    for file in files:
        others = {key for f in files if f.path != file.path for key in f.numbers}
        gates = []
        for parts, members in group_keys(list(file.numbers)):
            key_pattern = pattern_text(parts)
            if None in parts:
                regex = re.compile(fnmatch.translate(key_pattern))
                elsewhere = any(regex.match(key) for key in others)
            else:  # an escaped key matches only itself
                elsewhere = members[0] in others
            if elsewhere or ":" in key_pattern or not key_pattern.strip():  # mlci.yaml refuses " " alone
                if ":" in file.path:
                    continue  # mlci.yaml cannot name this file; better no gate than a wrong one
                key_pattern = f"{escape_glob(file.path)}:{key_pattern}"
            direction, kind = guess(parts)
            values = [file.numbers[k] for k in members]
            if not all(math.isfinite(v) for v in values):
                kind = "not_finite"
            worst = (min(values) if direction == "higher" else max(values)) if kind != "not_finite" else None
            gates.append(Gate(key_pattern, members, direction, kind, worst))
        out.append((file, gates))
    return out


def yaml_number(value: float) -> str:
    """A number as YAML 1.1 (PyYAML) reads back as the same number: ``1e-05`` would be a string."""
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{exponent}"
    return text


def yaml_key(text: str) -> str:
    """A mapping key that reads back as ``text``: plain when it can be, else double-quoted."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_./-]*", text) and yaml.safe_load(f"{text}: 0") == {text: 0}:
        return text
    return json.dumps(text, ensure_ascii=False)


def _examples(members: Sequence[str], shown: int = 3) -> str:
    listed = ", ".join(members[:shown])
    return f"{listed}, ..." if len(members) > shown else listed


def _gate_lines(gate: Gate) -> list[str]:
    head = f"  {yaml_key(gate.pattern)}:"
    if len(gate.members) > 1:
        head += f"  # {len(gate.members)} metrics: {_examples(gate.members)}"
    lines = [head]
    if gate.kind in ("count", "not_finite"):
        why = "a count" if gate.kind == "count" else "not a finite number now"
        return [*lines, f"    informational: true  # {why}: shown, never failing"]
    if gate.direction == "lower":
        lines.append("    direction: lower")
    if gate.kind == "timing":
        return [*lines, f'    max_drop: "{TIMING_MAX_DROP}"', "    informational: true  # timings vary between runs: shown, never failing"]
    lines.append(f'    max_drop: "{MAX_DROP}"')
    if gate.worst is not None:
        lines.append(f"    # {'min' if gate.direction == 'higher' else 'max'}: {yaml_number(gate.worst)}")
    return lines


def _problem(file: MetricsFile) -> str:
    """Why a metrics file has no gates, as a predicate: "metrics.json has not been produced yet"."""
    if file.problem is None:
        return "has no numbers"
    if file.problem == "file not found":
        return "has not been produced yet (its stage has not run here)"
    return f"could not be read ({file.problem})"


def _comment(text: str, indent: str = "") -> list[str]:
    """``text`` as YAML comment lines of at most 88 characters, never breaking a `code span`."""
    glued = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(" ", "\0"), text)
    lines = textwrap.wrap(glued, width=88, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}# ",
                          break_long_words=False, break_on_hyphens=False)
    return [line.replace("\0", " ") for line in lines]


def _listing(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def policy_text(files: Sequence[MetricsFile]) -> str:
    """The starter mlci.yaml: a gate per metric (or per wildcard), with comments saying why."""
    from mlci.config import SCHEMA_URL

    drafted = gates_for(files)
    gates = [g for _, file_gates in drafted for g in file_gates]
    kinds = {g.kind for g in gates}
    lines = [f"# yaml-language-server: $schema={SCHEMA_URL}"]
    lines += _comment("The quality policy mlci applies to pull requests, written by `mlci init` from the metrics "
                      f"DVC shows ({', '.join(f.path for f in files) or 'none yet'}). On a pull request, the base "
                      "branch's copy of this file applies.")
    lines += [f"# Every key: {DOCS_URL}", "version: 1", ""]
    if gates:
        lines += _comment(f'One gate per metric (a * stands for keys of the same shape). max_drop: "{MAX_DROP}" '
                          f"fails a pull request that makes the metric more than {MAX_DROP} worse than its base "
                          "(relative to the base's value): loose enough for run-to-run noise, tight enough for a "
                          "real regression. Tighten it, or make it absolute (0.01), once you know the noise.")
        if any(g.direction == "lower" for g in gates):
            lines += _comment("direction: lower (lower is better) is a guess from the name: check it.")
        lines += _comment("A commented-out min or max is the value now (a wildcard's worst): uncomment it for a floor.")
        shown_only = [word for kind, word in (("timing", "timings"), ("count", "counts"),
                                               ("not_finite", "values that are not finite numbers")) if kind in kinds]
        if shown_only:
            lines += _comment(f"{_listing(shown_only).capitalize()} are informational: shown, never failing.")
        lines.append("metrics:")
        several = len(drafted) > 1
        for file, file_gates in drafted:
            name = "" if several else f"{file.path}: "
            if several and (file_gates or file.others):
                lines.append(f"  # {file.path}")
            lines += [line for gate in file_gates for line in _gate_lines(gate)]
            if file.others:
                lines += _comment(f"{name}not numbers, so no gates: {_examples(file.others, 5)}", "  ")
            if file.problem is not None:
                lines += _comment(f"{file.path} {_problem(file)}, so it has no gates. Run `dvc repro`, then add "
                                  "its gates here (or run `mlci init --force` again, which rewrites this file).", "  ")
    else:
        if files:
            reasons = "; ".join(f"{f.path} {_problem(f)}" for f in files)
            lines += _comment(f"No gates yet: {reasons}. Run `dvc repro`, then `mlci init --force` to write a "
                              "gate per metric, or add them by hand:")
            example_file = files[0].path
        else:
            lines += _comment("No gates yet: no dvc.yaml of this project declares a metrics file. Declare one "
                              "(a stage's `metrics:`), run `dvc repro`, then `mlci init --force`; or add gates "
                              "by hand:")
            example_file = "your metrics file"
        lines += [
            "# metrics:",
            f"#   accuracy:          # a key of {example_file}, as `dvc metrics show` prints it",
            f'#     max_drop: "{MAX_DROP}"   # at most {MAX_DROP} worse than the base',
        ]
    lines += [
        "",
        "# More checks (data validation, fairness, model size and latency): see the link above.",
        "# checks:",
        "#   reproducible: true  # dvc.lock and the outputs kept in git must match what CI reproduces",
    ]
    return "\n".join(lines) + "\n"


def metrics_files(metrics: Mapping[str, object], errors: Mapping[str, str]) -> list[MetricsFile]:
    """What DVC read (per path: parsed content; per path: error) as MetricsFiles, in DVC's order."""
    from mlci.compare import flatten, is_number

    files = []
    for path, data in metrics.items():
        flat = flatten(data) if isinstance(data, Mapping) else {}
        numbers = {k: v for k, v in flat.items() if is_number(v)}
        others = tuple(k for k, v in flat.items() if not is_number(v))
        files.append(MetricsFile(path, numbers, others))
    for path, error in errors.items():
        if path not in metrics and not path.startswith("("):
            files.append(MetricsFile(path, problem=error))
    return files


# -- the workflows -------------------------------------------------------------------


def template(name: str) -> bytes:
    """A workflow template as shipped in the package (the repository's workflows-templates/), its
    mlci actions pinned to the release this package was built from when it is one (mlci.pins)."""
    from mlci import pins

    try:
        return pins.as_installed(resources.files(TEMPLATES_PACKAGE).joinpath(name).read_bytes())
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    # mlci run from a source checkout that is not installed (the actions' setup step links src/):
    # the templates are the checkout's own workflows-templates/.
    checkout = Path(__file__).resolve().parents[2] / "workflows-templates" / name
    try:
        return pins.as_installed(checkout.read_bytes())
    except OSError:
        raise MlciError(f"the workflow template {name} is not installed with mlci; reinstall it "
                        "(`pip install .`, or `pip install -e .` in a checkout)") from None


def secrets_in(text: str) -> list[str]:
    """The repository secrets a workflow reads, in order of appearance."""
    return list(dict.fromkeys(re.findall(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", text)))


# -- the DVC remote ----------------------------------------------------------------------

# Storage by URL scheme: what to call it, DVC's plugin for it, the credentials CI passes
# (the templates pass S3's, so the other kinds say what to pass instead).
STORAGE: dict[str, tuple[str, str, str]] = {
    "s3": ("Amazon S3", "dvc-s3", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
    "gs": ("Google Cloud Storage", "dvc-gs", "a service account key from a repository secret "
           "(GOOGLE_APPLICATION_CREDENTIALS names its file), or run google-github-actions/auth before the mlci step"),
    "azure": ("Azure Blob Storage", "dvc-azure", "AZURE_STORAGE_CONNECTION_STRING from a repository secret"),
}
SCHEME_ALIASES = {"https": "http", "webdavs": "webdav"}  # one DVC plugin serves both


def remote_scheme(url: str) -> str | None:
    """``s3`` for ``s3://bucket/path``; None for a local folder (a path, or ``file://``)."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", url)
    scheme = match[1].lower() if match else None
    return None if scheme in (None, "file") else SCHEME_ALIASES.get(scheme, scheme)


def remote_steps(remote: tuple[str, str] | None, secrets: Sequence[str], workflow_file: str | None,
                 *, fills_remote: bool = False) -> list[str]:
    """What to do about the DVC remote, so that pull requests restore unchanged stages instead of running them.

    Only the remote's kind is named, never its URL (it may hold a user name or a token).
    """
    if remote is None:
        return ["No default DVC remote is set, so every pull request runs every stage again: add one "
                "(`dvc remote add -d storage s3://BUCKET/PATH`), " + (
                    "which the workflow fills from the default branch." if fills_remote else
                    "and fill it from the default branch (`dvc push --run-cache`).")]
    name, url = remote
    scheme = remote_scheme(url)
    if scheme is None:
        return [f"The default DVC remote '{name}' is a local folder, which a GitHub runner cannot reach, so "
                "every pull request runs every stage again: use cloud storage (s3://, gs://, azure://) for CI."]
    label, _, credentials = STORAGE.get(scheme, (f"{scheme}://", f"dvc-{scheme}", "its credentials from repository secrets"))
    if not secrets:  # the fork-safe pair: no secrets at all
        return []
    if scheme == "s3":
        return [f"Add the credentials of the DVC remote '{name}' ({label}) as repository secrets (Settings > "
                f"Secrets and variables > Actions): {', '.join(secrets)}, the names {workflow_file} passes."]
    return [f"The default DVC remote '{name}' is on {label}, but {workflow_file} passes {', '.join(secrets)} "
            f"(for S3): replace them in its env: with {credentials}."]


def remote_plugin(remote: tuple[str, str] | None) -> str | None:
    """The pip package DVC needs for the remote (``dvc-s3``); None when DVC has what it needs
    (no remote, a local folder, HTTP, which DVC itself depends on)."""
    scheme = remote_scheme(remote[1]) if remote else None
    if scheme in (None, "http"):
        return None
    return STORAGE.get(scheme, ("", f"dvc-{scheme}", ""))[1]


# -- planning, writing, telling ----------------------------------------------------------


@dataclass(frozen=True)
class PlannedFile:
    path: Path  # where it goes
    shown: str  # how to name it to the user (relative to the current directory)
    content: bytes
    exists: bool
    same: bool  # exists with exactly this content
    is_policy: bool  # mlci.yaml, not a workflow


@dataclass(frozen=True)
class Plan:
    directory: Path
    shown_dir: str
    workflow: str
    force: bool
    files: tuple[PlannedFile, ...]
    metrics: tuple[MetricsFile, ...]
    gate_count: int
    secrets: tuple[str, ...]
    git_root: Path | None
    dependencies: Dependencies | None  # what the workflow installs for the stages; None: no workflow does
    remote: tuple[str, str] | None = None  # the default DVC remote: name, URL
    default_branch: str | None = None  # the repository's, as git knows it


@dataclass(frozen=True)
class Result:
    plan: Plan
    outcomes: tuple[tuple[PlannedFile, Outcome], ...]


def _shown(directory: str, *parts: str) -> str:
    return os.path.normpath(os.path.join(directory, *parts))


def plan(directory: str, *, workflow: str = "pull-request", force: bool = False) -> Plan:
    """Everything ``mlci init`` will write, read and checked before anything is written."""
    from mlci import config, dvc, git

    root = Path(directory)
    if not root.is_dir():
        raise MlciError(f"{directory}: no such directory" if not root.exists() else f"{directory}: not a directory")
    if workflow not in WORKFLOWS:
        raise MlciError(f"--workflow: expected one of {', '.join(WORKFLOWS)}, got {workflow!r}")
    pipeline = root / "dvc.yaml"
    if not pipeline.exists():
        raise MlciError(f"no dvc.yaml in {directory}: run `dvc init` and define a pipeline first")
    try:
        pipeline.read_bytes()
    except OSError as exc:
        raise MlciError(f"{_shown(directory, 'dvc.yaml')}: cannot read it: {exc.strerror or exc}") from None

    side = dvc.workspace_metrics(root)
    files = metrics_files(side.metrics, side.errors)
    text = policy_text(files)
    try:
        config.load_policy(text, file=_shown(directory, POLICY_FILE))
    except MlciError as exc:  # a bug in this module, not the user's mistake: exit 3, not 2
        raise RuntimeError(f"the policy mlci init wrote does not load: {exc}") from exc
    gate_count = sum(len(gates) for _, gates in gates_for(files))

    try:
        git_root: Path | None = git.toplevel(root).resolve()
    except MlciError:
        git_root = None
    remote = dvc.default_remote_url(root)
    plugin = remote_plugin(remote)
    templates = {name: template(name).decode("utf-8") for name in WORKFLOWS[workflow]}
    installs = [name for name, text in templates.items() if depfiles.TEMPLATE_STEP in text]
    dependencies = depfiles.find(root, git_root) if installs else None
    if dependencies is not None:
        templates = {name: depfiles.with_step(text, dependencies, plugin) for name, text in templates.items()}

    wanted: list[tuple[str, bytes]] = [(POLICY_FILE, text.encode("utf-8"))]
    wanted += [(f"{WORKFLOW_DIR}/{name}", text.encode("utf-8")) for name, text in templates.items()]
    planned = []
    for relative, content in wanted:
        path = root / relative
        shown = _shown(directory, relative)
        _check_writable(path, shown)
        planned.append(PlannedFile(path, shown, content, exists=path.exists(), same=_holds(path, content),
                                   is_policy=relative == POLICY_FILE))

    return Plan(
        directory=root, shown_dir=directory, workflow=workflow, force=force, files=tuple(planned),
        metrics=tuple(files), gate_count=gate_count,
        secrets=tuple(dict.fromkeys(s for t in templates.values() for s in secrets_in(t))),
        git_root=git_root, dependencies=dependencies, remote=remote,
        default_branch=_default_branch(root) if git_root is not None else None,
    )


def _default_branch(root: Path) -> str | None:
    from mlci import git

    found = git.default_branch(root) or git.current_branch(root)
    return found.removeprefix("origin/") if found else None


def pushed_branches(text: str) -> list[str]:
    """The branches a workflow's ``push:`` trigger names in the templates' one-line form."""
    match = re.search(r"^  push:\n    branches: \[([^\]]*)\]", text, re.M)
    return [b.strip() for b in match[1].split(",")] if match else []


def _holds(path: Path, content: bytes) -> bool:
    try:
        return path.read_bytes() == content
    except OSError:
        return False


def _check_writable(path: Path, shown: str) -> None:
    """Fail now, before anything is written, when ``path`` cannot be written later."""
    if path.is_dir():
        raise MlciError(f"{shown}: is a directory, not a file")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise MlciError(f"{shown}: cannot create it: {parent} is a file")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise MlciError(f"{shown}: cannot write it: permission denied")


def apply(plan: Plan) -> Result:
    """Write what the plan says: new files, and existing ones only with ``force``."""
    outcomes: list[tuple[PlannedFile, Outcome]] = []
    for file in plan.files:
        if file.exists and not plan.force:
            outcomes.append((file, "kept"))
        elif file.same:
            outcomes.append((file, "unchanged"))
        else:
            write_atomically(file.path, file.content, shown=file.shown)
            outcomes.append((file, "overwrote" if file.exists else "wrote"))
    return Result(plan, tuple(outcomes))


def write_atomically(path: Path, content: bytes, *, shown: str) -> None:
    """Write to a temporary file beside ``path``, then rename it over: never a half-written file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            mode = path.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise MlciError(f"{shown}: cannot write it: {exc.strerror or exc}") from None


def init(directory: str = ".", *, workflow: str = "pull-request", force: bool = False) -> Result:
    """``mlci init``: plan everything, then write."""
    return apply(plan(directory, workflow=workflow, force=force))


def dependency_step(deps: Dependencies, plugin: str | None) -> str:
    """What the next steps say of the workflow's install step."""
    plugin_part = f" and {plugin}, DVC's plugin for your remote" if plugin else ""
    if deps.kind == "none":
        return (f"No dependency file was found ({depfiles.LISTED}), so the workflow installs nothing for your "
                f"stages{' but ' + plugin if plugin else ''}: add requirements.txt with what they import, then run "
                "`mlci init --force` (or edit the step).")
    if deps.kind == "conda":
        return (f"{deps.files[0]} is a conda environment, which the workflow does not set up: add "
                "conda-incubator/setup-miniconda (pinned by commit) with `environment-file: "
                f"{deps.files[0]}` before the mlci step, or list the stages' packages in requirements.txt and run "
                "`mlci init --force`.")
    text = f"The workflow installs your pipeline's dependencies from {deps.described}{plugin_part}."
    if deps.others:
        text += f" It does not install {', '.join(deps.others)}: add them to its step if the stages need them."
    return text


def render(result: Result) -> str:
    """What ``mlci init`` prints: each file's fate, then what is left to do."""
    p = result.plan
    lines = []
    for file, outcome in result.outcomes:
        detail = ""
        if file.is_policy and outcome in ("wrote", "overwrote"):
            metrics = sum(len(f.numbers) for f in p.metrics)
            detail = f" ({p.gate_count} gate{'s' * (p.gate_count != 1)} for {metrics} metric{'s' * (metrics != 1)})"
        lines.append({
            "wrote": f"mlci: wrote {file.shown}{detail}",
            "overwrote": f"mlci: overwrote {file.shown}{detail}",
            "unchanged": f"mlci: {file.shown} is up to date, unchanged",
            "kept": f"mlci: {file.shown} exists, kept (use --force to overwrite)",
        }[outcome])
    if any(o in ("wrote", "overwrote") and f.is_policy for f, o in result.outcomes):
        for metrics_file in p.metrics:
            if metrics_file.problem is not None:
                lines.append(f"mlci: {metrics_file.path} {_problem(metrics_file)}, so it has no gates: "
                             "run `dvc repro`, then `mlci init --force`")
    lines += ["", "Next steps:"]
    steps = [f"Read {_shown(p.shown_dir, POLICY_FILE)}: adjust the limits and check the guessed directions."]
    if p.git_root is None:
        steps.append(f"{p.shown_dir} is not in a git repository: `git init` it and push it to GitHub.")
    paths = " ".join(shlex.quote(f.shown) for f in p.files)
    steps.append(f'Commit the files: git add {paths} && git commit -m "Check pull requests with mlci"')
    workflows = [f for f in p.files if not f.is_policy]
    if not workflows:
        steps.append("Add a workflow that runs mlci on pull requests: `mlci init --workflow pull-request` "
                     "writes one (see the README, \"Use it in your repository\").")
    else:
        if p.git_root is not None and p.git_root != p.directory.resolve():
            where = os.path.relpath(p.directory.resolve(), p.git_root)
            steps.append(f"GitHub reads workflows only from {p.git_root / WORKFLOW_DIR}: move them there and "
                         f"set `working-directory: {where}` on the mlci steps.")
        if p.dependencies is not None:
            steps.append(dependency_step(p.dependencies, remote_plugin(p.remote)))
        workflow_file = next((f.shown for f in workflows if b"secrets." in f.content), None)
        fills = any(pushed_branches(f.content.decode("utf-8")) for f in workflows)
        steps += remote_steps(p.remote, p.secrets, workflow_file, fills_remote=fills)
        for file in workflows:
            branches = pushed_branches(file.content.decode("utf-8"))
            if p.default_branch and branches and p.default_branch not in branches:
                steps.append(f"Your default branch is '{p.default_branch}': put it in {file.shown} under "
                             f"`push: branches:` (it says {', '.join(branches)}), where it fills the DVC remote.")
        if p.workflow == "fork-safe":
            steps.append("The fork-safe workflow gets no secrets: the DVC remote must be readable without "
                         "credentials, or the stages run again on every pull request.")
            steps.append("mlci-publish.yml runs from the default branch only (workflow_run): it posts the "
                         "comment and the check once it is merged there.")
        steps.append(f'After the first run, make the check "{CHECK_NAME}" required: Settings > Rules > Rulesets '
                     "> Require status checks to pass (or a branch protection rule).")
    lines += [f"  {i}. {step}" for i, step in enumerate(steps, 1)]
    return "\n".join(lines) + "\n"
