"""Cold and cached install of the action's environment: before (pip building mlci from source with
every dependency) and after (actions/setup/install.py: uv, exactly the policy's extras, no wheel).

    pip install -e '.[test]' && python bench/bench_install.py [--rounds N] [--python PATH]

Every install reads packages from one local folder of wheels (tools/wheelhouse.py, fetched once
before timing), with the index switched off, so the network is not in the figures; each cold
install starts with empty pip and uv caches, as a fresh runner does. "Before" is the action of
v0.1.0 (commit 2932a3e): `pip install` of its source into a fresh venv. "Restored" is what a
later run does: the cache's archive unpacked (plain tar here; actions/cache also downloads and
decompresses it), then the setup step's plan and install steps on the restored venv.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "actions" / "setup" / "install.py"
BEFORE = "2932a3e0cb3d28ede492fa4650fe0764d85fd71a"  # v0.1.0

sys.path.insert(0, str(ROOT))
from tools.wheelhouse import download  # noqa: E402


def size_and_count(venv: Path) -> tuple[int, int]:
    total = sum(p.lstat().st_size for p in venv.rglob("*") if p.is_file() and not p.is_symlink())
    site = next(venv.glob("lib/python*/site-packages"))
    return total, len(list(site.glob("*.dist-info")))


def offline(wheelhouse: Path, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PIP_CONSTRAINT")}
    env.update(UV_OFFLINE="1", UV_FIND_LINKS=str(wheelhouse), PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse),
               PIP_CACHE_DIR=str(work / "pip-cache"), UV_CACHE_DIR=str(work / "uv-cache"),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def timed(run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def before(python: str, wheelhouse: Path, work: Path) -> tuple[float, Path]:
    """v0.1.0's install step: a venv, then pip install of the action's source (builds mlci's wheel)."""
    source = work / "source"
    source.mkdir()
    archive = subprocess.run(["git", "archive", BEFORE], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    venv = work / "venv"
    env = offline(wheelhouse, work)

    def install() -> None:
        subprocess.run([python, "-m", "venv", str(venv)], check=True, env=env)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(source)], check=True, env=env)

    return timed(install), venv


def after(python: str, wheelhouse: Path, work: Path, extras: str) -> tuple[float, Path]:
    """The setup step now, cold: plan is left out (it reads mlci.yaml; timed with the restore),
    install bootstraps uv with pip and installs with it."""
    temp = work / "runner-temp"
    temp.mkdir()
    venv = temp / "mlci-venv"
    env = offline(wheelhouse, work)
    env.update(RUNNER_TEMP=str(temp), MLCI_VENV=str(venv), MLCI_EXTRAS=extras,
               PATH=os.pathsep.join([str(Path(python).parent), "/usr/bin", "/bin"]))  # no uv on PATH
    return timed(lambda: subprocess.run([python, str(INSTALL), "install"], check=True, env=env,
                                        stdout=subprocess.DEVNULL)), venv


def restored(python: str, wheelhouse: Path, work: Path, venv: Path, extras: str) -> float:
    """A later run: unpack the cached venv to the same path, then plan + install (a cache hit)."""
    archive = work / "cache.tar"
    subprocess.run(["tar", "-cf", str(archive), "-C", str(venv), "."], check=True)
    shutil.rmtree(venv)
    workspace = work / "workspace"
    workspace.mkdir()
    (workspace / "mlci.yaml").write_text("version: 1\nmetrics:\n  accuracy: {min: 0.9}\n" if not extras else
                                         (ROOT / "src/mlci/demo/project/mlci.yaml").read_text())
    env = offline(wheelhouse, work)
    env.update(RUNNER_TEMP=str(venv.parent), MLCI_VENV=str(venv), GITHUB_WORKSPACE=str(workspace),
               GITHUB_OUTPUT=str(work / "output"), MLCI_CACHE_HIT="true", MLCI_EXTRAS=extras,
               PATH=os.pathsep.join([str(Path(python).parent), "/usr/bin", "/bin"]))

    def restore() -> None:
        venv.mkdir()
        subprocess.run(["tar", "-xf", str(archive), "-C", str(venv)], check=True)
        (work / "output").unlink(missing_ok=True)
        subprocess.run([python, str(INSTALL), "plan"], check=True, env=env, stdout=subprocess.DEVNULL)
        planned = dict(line.split("=", 1) for line in (work / "output").read_text().splitlines())
        subprocess.run([python, str(INSTALL), "install"], check=True, env={**env, "MLCI_EXTRAS": planned["extras"]},
                       stdout=subprocess.DEVNULL)
        subprocess.run([str(venv / "path" / "mlci"), "--version"], check=True, stdout=subprocess.DEVNULL)

    return timed(restore)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "3")))
    parser.add_argument("--python", default=sys.executable, help="the runner's python3 (default: this one)")
    parser.add_argument("--wheelhouse", type=Path, default=Path(tempfile.gettempdir()) / "mlci-bench-wheelhouse")
    args = parser.parse_args()
    python = os.path.realpath(args.python)
    print(f"wheelhouse: {download(args.wheelhouse)}", flush=True)

    figures: dict[str, list[float]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for round_ in range(args.rounds):
        cases: list[tuple[str, Callable[[Path], tuple[float, Path]]]] = [
            ("before: pip, source, every dependency", lambda w: before(python, args.wheelhouse, w)),
            ("after: metrics only (no extra)", lambda w: after(python, args.wheelhouse, w, "")),
            ("after: every check (all extras)", lambda w: after(python, args.wheelhouse, w, "all")),
        ]
        for name, case in cases:
            with tempfile.TemporaryDirectory(prefix="mlci-bench-") as tmp:
                seconds, venv = case(Path(tmp))
                figures.setdefault(name, []).append(seconds)
                sizes[name] = size_and_count(venv)
                if name.startswith("after"):
                    extras = "" if "metrics only" in name else "all"
                    again = restored(python, args.wheelhouse, Path(tmp), venv, extras)
                    figures.setdefault(f"restored: {name.removeprefix('after: ')}", []).append(again)
            print(f"round {round_ + 1}: {name}: {seconds:.1f} s", flush=True)

    base = statistics.median(figures["before: pip, source, every dependency"])
    print(f"\nPython {sys.version.split()[0]} at {python}; medians of {args.rounds} round(s)\n")
    print("| install | time | vs before | installed size | packages |")
    print("|---|--:|--:|--:|--:|")
    for name, values in figures.items():
        median = statistics.median(values)
        size, count = sizes.get(name, (0, 0))
        shown = f"{size / 1e6:.0f} MB" if size else ""
        print(f"| {name} | {median:.1f} s | {median / base:.3f} | {shown} | {count or ''} |")


if __name__ == "__main__":
    main()
