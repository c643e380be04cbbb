"""The whole PR template under act against the recipe teams write by hand (CML's documented steps).

    pip install -e '.[test,demo]' && python bench/bench_template.py [--rounds N] [--wheelhouse DIR]

Both run under nektos/act in host mode, on the same runner (this machine, this interpreter's Python
first on PATH, with DVC, scikit-learn and pandas already installed), on the same repository (`mlci
demo`'s project, built by tests/e2e/act_support/project.py as the act tests build it) and the same
``pull_request`` event (the improving PR: its `prepare` stage comes back from the DVC remote, `train`
runs again, `evaluate` has nothing to do), against the act tests' contract-checked fake GitHub.

- template: workflows-templates/mlci-pull-request.yml as shipped, with only its
  `pip install -r requirements.txt` step replaced (tests/e2e/test_actions_act.py's ``template``).
  Measured warm (the usual case, a second or later push: the actions/cache stand-in restores mlci's
  venv that an earlier run saved, and the PR's sticky comment exists and is edited) and cold (the
  first run: a fresh act home, so empty actions/cache and uv caches; uv installs mlci's
  dependencies from the local wheelhouse, the venv is saved, a new comment is posted).
- recipe: CML's steps written by hand (RECIPE below): the same checkout, setup-python stand-in and
  requirements step, then `dvc pull --run-cache --allow-missing` and `dvc repro --pull` (exactly
  the DVC commands `mlci repro` runs when a default remote is set), `dvc metrics diff --md` and
  `dvc params diff --md` against the PR's base into report.md, and a new PR comment posted with
  urllib (CML's `cml comment create` is a Node tool).

Rounds are interleaved (the order rotates each round); one unrecorded warm-up template run fills the
cache first. Reported: medians of the whole `act` process wall time, and of the per-step times act
logs (``✅  Success - Main <step> [1.234s]``).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlci.demo.scenarios import IMPROVE  # noqa: E402
from tests.conftest import GIT_ENV, offline_index  # noqa: E402
from tests.e2e.act_support.act import Act, ActResult, act_binary  # noqa: E402
from tests.e2e.act_support.project import Demo, build_demo, export_action_source, git  # noqa: E402
from tests.e2e.test_actions_act import REPO, TOKEN, open_pull_request  # noqa: E402
from tests.github.fake_github import Contract, FakeGitHub  # noqa: E402

TEMPLATES = ROOT / "workflows-templates"

TEMPLATE_FILE = ".github/workflows/mlci-pull-request.yml"
RECIPE_FILE = ".github/workflows/cml-recipe.yml"

# The hand-written recipe, as CML's docs show it (checkout with history, setup-python, the
# requirements, pull and repro, metrics and params diff against the base into report.md, a new
# comment), with the same pinned setup-python and requirements step as the template so that only
# the ML steps differ.
RECIPE = """\
name: cml-recipe
on: pull_request
permissions: {contents: read, pull-requests: write}
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2
        with:
          fetch-depth: 0
      - uses: actions/setup-python@a309ff8b426b58ec0e2a45f0f869d46889d02405 # v6.2.0
        with:
          python-version: "3.12"
      - name: Install the pipeline's dependencies
        run: python -c 'import dvc, sklearn, pandas, yaml'
      - name: Reproduce
        run: |
          dvc pull --run-cache --allow-missing
          dvc repro --pull
      - name: Report
        env:
          BASE: ${{ github.event.pull_request.base.sha }}
        run: |
          echo "## Metrics" > report.md
          dvc metrics diff --md "$BASE" >> report.md
          echo "## Params" >> report.md
          dvc params diff --md "$BASE" >> report.md
      - name: Comment
        env:
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
          PR: ${{ github.event.pull_request.number }}
        run: |
          python3 - <<'EOF'
          import json, os, urllib.request
          url = f"{os.environ['GITHUB_API_URL']}/repos/{os.environ['GITHUB_REPOSITORY']}/issues/{os.environ['PR']}/comments"
          body = json.dumps({"body": open("report.md").read()}).encode()
          request = urllib.request.Request(url, data=body, method="POST", headers={
              "Authorization": f"Bearer {os.environ['GITHUB_TOKEN']}", "Accept": "application/vnd.github+json",
              "Content-Type": "application/json", "X-GitHub-Api-Version": "2022-11-28"})
          with urllib.request.urlopen(request) as response:
              print("comment:", json.load(response)["html_url"])
          EOF
"""

STEP = re.compile(r"(?:✅|❌)\s+(?:Success|Failure) - (Main|Pre|Post) (.+?) \[([0-9.hmsµun]+)\]")
UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}


def go_duration(text: str) -> float:
    """Seconds in a Go duration string: 1.234s, 850ms, 1m2.5s."""
    return sum(float(n) * UNITS[u] for n, u in re.findall(r"([0-9.]+)(h|ms|µs|us|ns|m|s)", text))


def steps(log: str) -> dict[str, float]:
    """The Main step times act logged, in order (a composite action's inner steps included)."""
    found: dict[str, float] = {}
    for stage, name, took in STEP.findall(log):
        if stage == "Main":
            key, n = name.strip(), 2
            while key in found:  # the same name twice in one run
                key, n = f"{name.strip()} ({n})", n + 1
            found[key] = go_duration(took)
    return found


@dataclass
class Side:
    name: str
    walls: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    order: list[str] = field(default_factory=list)

    def record(self, wall: float, result: ActResult) -> None:
        self.walls.append(wall)
        for key, took in steps(result.log).items():
            if key not in self.order:
                self.order.append(key)
            self.steps[key].append(took)


def template(name: str) -> str:
    """A template as shipped, its requirements step's command replaced as the act tests do: the demo project
    has no requirements.txt, and its dependencies are already in the runner's Python."""
    text = (TEMPLATES / name).read_text()
    command = "python -m pip install -r requirements.txt"
    if text.count(command) != 1:
        sys.exit(f"{name}: expected one `{command}` step to replace")
    return text.replace(command, "python -c 'import dvc, sklearn, pandas, yaml'")


def wheels(folder: Path) -> Path:
    """tools/wheelhouse.py's folder of wheels (fetched only when incomplete); pip's chatter only on failure."""
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "wheelhouse.py"), str(folder)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        sys.exit(f"tools/wheelhouse.py failed:\n{proc.stdout}{proc.stderr}")
    return folder


def prepare_demo(root: Path, policy: str) -> Demo:
    """The demo repository with the template and the recipe committed on main, the PR branch rebased onto it.

    ``policy`` "metrics": main's mlci.yaml keeps the metric and reproducibility gates and drops the data and
    fairness checks, and says ``plots: false``, so that mlci's report judges and shows what the recipe's
    report shows (metrics and params; the recipe draws no plot)."""
    demo = build_demo(root)
    if policy == "metrics":
        import yaml

        path = demo.project / "mlci.yaml"
        config = yaml.safe_load(path.read_text())
        config["checks"] = {"reproducible": config["checks"]["reproducible"]}
        config["plots"] = False
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        git(demo.project, "commit", "-q", "-am", "Gate metrics and reproducibility only")
    folder = demo.project / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "mlci-pull-request.yml").write_text(template("mlci-pull-request.yml"))
    (folder / "cml-recipe.yml").write_text(RECIPE)
    git(demo.project, "add", ".github")
    git(demo.project, "commit", "-q", "-m", "Add the workflows")
    git(demo.project, "rebase", "-q", "main", IMPROVE.branch)
    git(demo.project, "checkout", "-q", "main")
    return demo


class Bench:
    def __init__(self, work: Path, wheelhouse: Path, policy: str) -> None:
        self.work = work
        self.wheelhouse = wheelhouse
        self.github = FakeGitHub(contract=Contract()).start()
        self.github.add_repo(REPO)
        self.github.add_token(TOKEN)
        self.demo = prepare_demo(work / "demo", policy)
        self.action_source = export_action_source(work / "mlci-actions-mlci")
        noop = self.action_source / NOOP_ACTION / "action.yml"  # the probe's action, in the same tree
        noop.parent.mkdir()
        noop.write_text("name: noop\ndescription: nothing\nruns:\n  using: composite\n  steps:\n"
                        "    - shell: bash\n      run: \"true\"\n")
        self.warm_home = work / "act-home-warm"
        self.runs = 0

    def act(self, home: Path) -> Act:
        return Act(home=home, work=self.work / "act", action_source=self.action_source, api_url=self.github.url,
                   repository=REPO, package_index=offline_index(self.wheelhouse))

    def run(self, kind: str, number: int) -> tuple[float, ActResult]:
        """One act run of ``kind`` (recipe, warm, cold) on PR ``number``; returns its wall time and result."""
        self.runs += 1
        folder = self.work / f"run-{self.runs}"
        folder.mkdir()
        pr = open_pull_request(self.github, self.demo, folder, IMPROVE, number=number)
        home = self.work / f"act-home-cold-{self.runs}" if kind == "cold" else self.warm_home
        act = self.act(home)
        workflow = pr.checkout.path / (RECIPE_FILE if kind == "recipe" else TEMPLATE_FILE)
        comments_before = len(self.github.comments(REPO, number))
        for tree in (self.action_source, home):  # a runner downloads the action anew: its bytecode too
            for pycache in list(tree.rglob("__pycache__")) if tree.exists() else []:
                shutil.rmtree(pycache, ignore_errors=True)
        started = time.perf_counter()
        result = act.run("pull_request", pr.event, pr.checkout.path, workflow, token=TOKEN, run_id=8000 + self.runs)
        wall = time.perf_counter() - started
        self.check(kind, number, result, comments_before)
        if kind == "cold":
            shutil.rmtree(home, ignore_errors=True)  # its cache (a venv archive) is several hundred MB
        shutil.rmtree(folder, ignore_errors=True)
        return wall, result

    def probe(self, workflow: Path) -> float:
        """One act run of a probe workflow (on the recipe's PR checkout, warm act home); its wall time."""
        self.runs += 1
        folder = self.work / f"run-{self.runs}"
        folder.mkdir()
        pr = open_pull_request(self.github, self.demo, folder, IMPROVE, number=50)
        started = time.perf_counter()
        result = self.act(self.warm_home).run("pull_request", pr.event, pr.checkout.path, workflow, token=TOKEN,
                                              run_id=8000 + self.runs)
        wall = time.perf_counter() - started
        if result.returncode != 0 or "Job succeeded" not in result.log:
            sys.exit(f"the probe {workflow.name} failed\n{result}")
        shutil.rmtree(folder, ignore_errors=True)
        return wall

    def check(self, kind: str, number: int, result: ActResult, comments_before: int) -> None:
        """Each run did what it should; a benchmark of a broken run would mean nothing."""
        problems = []
        if result.returncode != 0 or "Job succeeded" not in result.log:
            problems.append(f"act exited {result.returncode}")
        comments = self.github.comments(REPO, number)
        if kind == "recipe":
            if len(comments) != comments_before + 1 or "## Metrics" not in comments[-1]["body"]:
                problems.append("the recipe did not post a new comment with the metrics diff")
        else:
            if len(comments) != max(comments_before, 1):
                problems.append(f"the template left {len(comments)} comments (had {comments_before})")
            restored = "| Cache restored from key: mlci-" in result.log  # the step's output, not its script
            installed = "| mlci setup: installed mlci's dependencies with uv in" in result.log
            if (kind == "warm") != restored or (kind == "cold") != installed:
                problems.append(f"a {kind} run that restored={restored}, installed={installed}")
        if self.github.violations:
            problems.append("fake GitHub contract violations: " + "; ".join(self.github.violations))
        if problems:
            sys.exit(f"{kind} run on PR {number}: {', '.join(problems)}\n{result}")


# act's own cost of a `uses:` of mlci's actions: with --local-repository it copies the action's whole tree for
# every step that uses it (in host mode, a few MB of the repository each time), where GitHub downloads an
# action repository once per job, at "Set up job". Measured in the same rounds: one job with the template's
# number of uses of a do-nothing composite action in the same tree, against the same job with that many
# `run: "true"` steps.
NOOP_ACTION = "bench-noop"
PROBE = """\
name: act-probe
on: pull_request
permissions: {{}}
jobs:
  probe:
    runs-on: ubuntu-latest
    steps:
{steps}"""


def own_uses(text: str) -> int:
    """How many steps of a workflow use one of mlci's actions."""
    return len(re.findall(r"^\s*(?:- )?uses: mlci-actions/mlci[/@]", text, flags=re.MULTILINE))


def probe_workflows(folder: Path, uses: int, ref: str) -> tuple[Path, Path]:
    """The probe job with ``uses`` steps using the do-nothing action, and its baseline of plain steps."""
    with_uses = PROBE.format(steps="".join(f"      - uses: mlci-actions/mlci/{NOOP_ACTION}@{ref}\n" for _ in range(uses)))
    plain = PROBE.format(steps="".join('      - run: "true"\n' for _ in range(uses)))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "uses.yml").write_text(with_uses)
    (folder / "plain.yml").write_text(plain)
    return folder / "uses.yml", folder / "plain.yml"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# The steps both workflows share (the same actions and command): the rest is each side's own work.
SHARED = ("actions/checkout@", "actions/setup-python@", "Install the pipeline's dependencies")
WRAPPER = "mlci-actions/mlci"  # a composite action's own line (the root's or a sub-action's): the sum of its inner steps


def own_steps(side: Side) -> list[float]:
    """Per round, the sum of the steps that are not shared (the composite's inner steps, not its wrapper line)."""
    keys = [k for k in side.steps if not k.startswith(SHARED) and not k.startswith(WRAPPER)]
    return [sum(side.steps[k][i] for k in keys) for i in range(len(side.walls))]


def table(sides: list[Side], recipe: Side) -> str:
    lines = ["| run | whole act run (median; each round) | vs recipe | own steps (median) | vs recipe |",
             "|---|--:|--:|--:|--:|"]
    base, base_own = median(recipe.walls), median(own_steps(recipe))
    for side in [recipe, *sides]:
        m, own = median(side.walls), median(own_steps(side))
        runs = ", ".join(f"{w:.1f}" for w in side.walls)
        lines.append(f"| {side.name} | {m:.1f} s ({runs}) | **{m / base:.2f}** | {own:.1f} s | {own / base_own:.2f} |")
    return "\n".join(lines)


def step_table(sides: list[Side]) -> str:
    order: list[str] = []
    for side in sides:
        order += [k for k in side.order if k not in order]
    lines = ["| step | " + " | ".join(s.name for s in sides) + " |", "|---|" + "--:|" * len(sides)]
    for key in order:
        cells = [f"{median(s.steps[key]):.2f} s" if s.steps.get(key) else "" for s in sides]
        key = "the composite action, all its steps" if key.startswith(WRAPPER) else key.split("@")[0]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    sums = [f"{sum(median(v) for k, v in s.steps.items() if not k.startswith(WRAPPER)):.2f} s" for s in sides]
    lines.append("| (sum of the steps' medians) | " + " | ".join(sums) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "3")))
    parser.add_argument("--wheelhouse", type=Path, default=Path(tempfile.gettempdir()) / "mlci-bench-wheelhouse",
                        help="local folder of wheels (tools/wheelhouse.py; reused, fetched only when incomplete)")
    parser.add_argument("--keep", type=Path, help="keep the repositories and act's logs in this folder")
    parser.add_argument("--no-cold", action="store_true", help="leave out the cold template runs")
    parser.add_argument("--policy", choices=("demo", "metrics"), default="demo",
                        help="demo: the demo's whole policy (metric gates, reproducibility, data validation, "
                             "fairness); metrics: its metric and reproducibility gates only, what the recipe reports")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="keep this environment's PYTHONDONTWRITEBYTECODE (every process compiles what it imports)")
    args = parser.parse_args()

    wheelhouse = wheels(args.wheelhouse)
    work = Path(tempfile.mkdtemp(prefix="mlci-bench-template-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    home.mkdir(exist_ok=True)
    os.environ.update(GIT_ENV)
    os.environ.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
                      DVC_GLOBAL_CONFIG_DIR=str(home / ".dvc-global"), DVC_SITE_CACHE_DIR=str(home / ".dvc-site"))
    for key in [k for k in os.environ if k.startswith("GITHUB_")] + ["VIRTUAL_ENV", "PYTHONPATH"]:
        os.environ.pop(key, None)
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    if not args.no_bytecode:
        # A runner writes bytecode beside the sources (this machine's environment says not to, so every
        # Python process here would compile every module it imports). The runner's Python keeps its own
        # between runs, as a runner image whose packages pip installed (and compiled) does, and mlci's venv
        # is cached with the bytecode its commands wrote in the run that saved it (the root action saves
        # after publishing); the action's checkout, the workspace and everything else start without any.
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    act_version = subprocess.run([act_binary(), "--version"], capture_output=True, text=True).stdout.strip()
    dvc_version = subprocess.run([sys.executable, "-m", "dvc", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"{act_version}; DVC {dvc_version}; Python {platform.python_version()}; {os.cpu_count()} cores; "
          f"policy {args.policy}; work in {work}")

    bench = Bench(work, wheelhouse, args.policy)
    try:
        print("warm-up: one template run fills the cache and posts the sticky comment (not recorded)")
        wall, _ = prime(bench)
        print(f"  {wall:.1f} s")
        print("warm-up: one recipe run (not recorded): the runner's Python gets its bytecode")
        wall, _ = bench.run("recipe", number=30)
        print(f"  {wall:.1f} s")
        recipe, warm, cold = Side("recipe (CML's steps)"), Side("template, warm cache"), Side("template, cold")
        kinds = [("recipe", recipe, 30), ("warm", warm, 31)] + ([] if args.no_cold else [("cold", cold, 0)])
        for r in range(args.rounds):
            rotated = kinds[r % len(kinds):] + kinds[:r % len(kinds)]
            for kind, side, number in rotated:
                wall, result = bench.run(kind, number or 40 + r)  # each cold run is a new PR: its first run
                side.record(wall, result)
                print(f"round {r + 1}: {side.name}: {wall:.1f} s")
        sides = [recipe, warm] + ([] if args.no_cold else [cold])
        print()
        print(table(sides[1:], recipe))
        print()
        print(step_table(sides))
        print()
        act_uses(bench, warm, recipe, args.rounds)
    finally:
        bench.github.stop()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def act_uses(bench: Bench, warm: Side, recipe: Side, rounds: int) -> None:
    """act's copying of the action per `uses:` (see PROBE), and the warm template without what GitHub does not do:
    the copies beyond one per job. The rounds alternate the two probes."""
    text = (TEMPLATES / "mlci-pull-request.yml").read_text()
    uses, jobs = own_uses(text), len(re.findall(r"^  [a-z][a-z-]*:\n", text.split("\njobs:\n", 1)[1], flags=re.M))
    ref = re.search(r"uses: mlci-actions/mlci/actions/\w+@([0-9a-f]{40})", text)
    with_uses, plain = probe_workflows(bench.work / "probe", uses, ref.group(1) if ref else "v1")
    timed: dict[str, list[float]] = {"uses": [], "plain": []}
    for r in range(rounds):
        for name, workflow in ([("uses", with_uses), ("plain", plain)] if r % 2 == 0 else [("plain", plain), ("uses", with_uses)]):
            timed[name].append(bench.probe(workflow))
    per_use = max(0.0, (median(timed["uses"]) - median(timed["plain"])) / uses)
    extra = (uses - jobs) * per_use
    adjusted = median(warm.walls) - extra
    print(f"act's cost of a `uses:` of mlci's actions: {per_use:.2f} s (probe: {uses} uses "
          f"{median(timed['uses']):.2f} s, {uses} plain steps {median(timed['plain']):.2f} s; medians of {rounds})")
    print(f"the template has {uses} uses in {jobs} jobs: {uses - jobs} copies beyond one per job, {extra:.1f} s")
    print(f"template, warm, without those copies: {adjusted:.1f} s, {adjusted / median(recipe.walls):.2f}x the recipe")


def prime(bench: Bench) -> tuple[float, ActResult]:
    """The warm home's first template run: installs, saves the venv, posts PR 31's comment."""
    bench.runs += 1
    folder = bench.work / f"run-{bench.runs}"
    folder.mkdir()
    pr = open_pull_request(bench.github, bench.demo, folder, IMPROVE, number=31)
    started = time.perf_counter()
    result = bench.act(bench.warm_home).run("pull_request", pr.event, pr.checkout.path,
                                            pr.checkout.path / TEMPLATE_FILE, token=TOKEN, run_id=8000 + bench.runs)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"the warm-up run failed\n{result}")
    return wall, result


if __name__ == "__main__":
    main()
