"""The setup action's install: mlci with exactly the extras its policy needs, in a venv the cache keeps.

Standard library only: it runs with the runner's ``python3`` before anything of mlci's is
installed. Each command is one step of actions/setup/action.yml (and of the root action.yml):

``install.py plan``
    Decides, without installing anything: the extras, from mlci.yaml read by mlci's own YAML
    reader (``mlci.extras.for_project``, imported from this checkout; the work tree's copy
    and, on a pull request, the base's; nothing of the repository is run), and the cache key
    (mlci's version, the extras, the Python, the OS). Step outputs ``extras`` and ``cache-key``.
    A python3 without PyYAML (a bare runner, such as the publish jobs') cannot read the policy
    yet: the plan then defers the extras to the install (output ``extras=auto``), and the key
    names the bytes of the files they are read from instead (the policy's copies, dvc.yaml),
    so a restored venv needs no YAML reader and no download before it is used.
``install.py install``
    Unless the cache restored the venv: makes it and installs mlci's dependencies from
    pyproject.toml with uv (installed with pip when it is not on PATH), falling back to
    pip when uv cannot be had. What the runner already has at the version the resolution
    picks (DVC, pandas, scikit-learn from the pipeline's own requirements) is used from
    there, not installed twice. No wheel is built: mlci's own code is this checkout, linked
    by a .pth file. Then, every run: the venv sees the runner's packages after its own (the
    DVC remote's plugin, the pipeline's dependencies), and ``VENV/path/mlci`` is the one
    command the step puts on PATH. With MLCI_COMPILE=true uv compiles the venv's bytecode
    (the setup action, which saves the cache right after); the root action saves it at the
    end of its steps instead, with the bytecode mlci's own commands wrote as they ran.
    Deferred extras are read with the venv's own PyYAML once the core is in it (a restored
    venv: from the record it keeps of its extras). Step output ``extras``: what the venv holds.

MLCI_PURPOSE (the input ``purpose``): "pipeline" installs mlci's core and the extras; "publish"
installs the core without DVC and GTO and no extra (a job that only publishes a bundle); "monitor"
installs as "pipeline" does, with the extras of every checks.drift entry (the drift monitor's job).

Tested by tests/e2e/test_install_step.py, and under act by tests/e2e/test_actions_act.py.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # this action's checkout of mlci
PYPROJECT = ROOT / "pyproject.toml"
EXTRA_NAMES = ("data", "drift", "fairness", "onnx", "parquet", "plots", "serve", "demo", "all")
# site processes .pth files in name order: mlci's own source must come before the runner's folders, or an
# mlci the runner has installed (another version) would be the one imported.
SOURCE_PTH = "mlci-source.pth"
RUNNER_PTH = "zz-mlci-runner-packages.pth"
INSTALLERS = {"pip", "setuptools", "wheel"}  # what a bare interpreter (setup-python's) comes with
BORROWED = "mlci-borrowed.json"  # in the venv: the runner's distributions it uses instead of its own copies
EXTRAS_RECORD = "mlci-extras.json"  # in the venv: the extras it was installed with
# The input `purpose`: "pipeline", every command (mlci repro, report, release run DVC and GTO); "publish",
# the verbs of a job that runs no pipeline (publish, gate, comment), which never import DVC or GTO
# (tests/test_architecture.py, rule publish-needs-no-dvc): mlci's core without them, a fifth of its size.
# "monitor", the drift monitor's job (mlci drift, drift publish): the pipeline's install, with the extras of
# every checks.drift entry (a PR's run installs drift's only for the entries that gate PRs) and no plots.
PURPOSES = ("pipeline", "publish", "monitor")
PUBLISH_LEAVES_OUT = ("dvc", "gto")
# What a restored venv must find, per purpose (found, not imported: importing DVC takes longer).
PROBES = {"pipeline": ("dvc", "yaml", "click", "github"), "publish": ("yaml", "click", "github", "jsonschema"),
          "monitor": ("dvc", "yaml", "click", "github")}


class SetupError(Exception):
    """One line for the log; the step fails with exit code 2."""


def say(text: str) -> None:
    print(f"mlci setup: {text}", flush=True)


def setup_dir() -> Path:
    return Path(os.environ.get("RUNNER_TEMP") or "/tmp") / "mlci-setup"


def mlci_version() -> str:
    match = re.search(r'^__version__ = "([^"]+)"', (ROOT / "src" / "mlci" / "__init__.py").read_text(), re.M)
    if not match:
        raise SetupError(f"no __version__ in {ROOT / 'src' / 'mlci' / '__init__.py'}")
    return match[1]


def pip_install_target(target: Path, *packages: str) -> bool:
    """``pip install --target``: the bootstrap of PyYAML and uv. Honours pip's own settings
    (PIP_INDEX_URL, PIP_FIND_LINKS, ...). False when pip could not."""
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--no-warn-script-location", "--target", str(target), *packages],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        tail = proc.stdout.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        say(f"pip could not install {', '.join(packages)}: {tail[0]}")
    return proc.returncode == 0


# -- plan --------------------------------------------------------------------------------


def parse_extras(text: str) -> list[str] | None:
    """The ``extras`` input: None for "auto", else the extras it names ("none": no extra)."""
    words = [w for w in re.split(r"[\s,]+", text.strip().lower()) if w]
    if words in ([], ["auto"]):
        return None
    if words == ["none"]:
        return []
    unknown = [w for w in words if w not in EXTRA_NAMES]
    if unknown:
        raise SetupError(f"extras: unknown extra {unknown[0]!r}; expected auto, none, or some of {', '.join(EXTRA_NAMES)}")
    return sorted(set(words))


def parse_purpose(text: str) -> str:
    """The ``purpose`` input: "pipeline" (the default), "publish" or "monitor"."""
    value = text.strip().lower() or "pipeline"
    if value not in PURPOSES:
        raise SetupError(f"purpose: unknown purpose {text.strip()!r}; expected pipeline, publish or monitor")
    return value


def pr_base_sha(event_path: str | None) -> str | None:
    """The PR's base commit from the event payload, where the policy of a PR comes from."""
    if not event_path:
        return None
    try:
        event = json.loads(Path(event_path).read_text("utf-8"))
        sha = event["pull_request"]["base"]["sha"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sha if isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{40}", sha) else None


def policy_extras(workdir: Path, config: str | None, base_sha: str | None, stage: str | None = None,
                  monitor: bool = False) -> list[str]:
    """The extras the policy asks for (with ``stage``, that stage's checks' too; ``monitor``, every drift
    entry's), read by mlci's own code from this checkout. Needs PyYAML on this interpreter."""
    sys.path.insert(0, str(ROOT / "src"))
    from mlci.extras import for_project

    found, notes = for_project(workdir, config, base_sha=base_sha, stage=stage, monitor=monitor)
    for note in notes:
        say(f"{note} (mlci reports it; the install goes on with what could be read)")
    return found


def has_yaml() -> bool:
    import importlib.util

    return importlib.util.find_spec("yaml") is not None


def policy_inputs(where: dict[str, str | None]) -> str:
    """A hash of every byte the policy's extras are read from (for_project's files: the policy in
    the work tree, the base's copy, dvc.yaml), of what names them, and of the code that reads them:
    a key for a venv whose extras were read from exactly these, read without a YAML reader."""
    workdir = Path(where["workdir"] or ".")
    name = where["config"] or "mlci.yaml"
    digest = hashlib.sha256(json.dumps(where, sort_keys=True).encode())
    digest.update((ROOT / "src" / "mlci" / "extras.py").read_bytes())
    for path in (workdir / name, workdir / "dvc.yaml"):
        try:
            digest.update(b"\0file\0" + path.read_bytes())
        except OSError as exc:
            digest.update(f"\0{type(exc).__name__}\0".encode())
    if where["base_sha"]:
        base = subprocess.run(["git", "show", f"{where['base_sha']}:./{name}"], cwd=workdir,
                              capture_output=True, stdin=subprocess.DEVNULL)
        digest.update(b"\0base\0" + (base.stdout if base.returncode == 0 else b"\0missing\0"))
    return digest.hexdigest()[:12]


def cache_key(version: str, extras: Sequence[str], purpose: str = "pipeline") -> str:
    """The key of the cached venv: mlci's version, the purpose and extras, the Python, the OS.

    A hash of pyproject.toml (the requirements), of the interpreter's path (a venv points
    at it) and of the runner's distributions (the venv borrows some of them) keeps a changed
    one from restoring a venv that does not fit.
    """
    python = f"{sys.implementation.name}{platform.python_version()}"
    runner = "".join(f"{name}=={version}\n" for name, version in sorted(runner_distributions().items()))
    digest = hashlib.sha256(PYPROJECT.read_bytes() + os.path.realpath(sys.executable).encode()
                            + runner.encode()).hexdigest()[:12]
    system = f"{platform.system().lower()}-{platform.machine().lower()}"
    label = "+".join(extras) or "core"
    if purpose != "pipeline":
        label = purpose if not extras else f"{purpose}+{label}"
    return f"mlci-{version}-{system}-{python}-{label}-{digest}"


def plan_file() -> Path:
    """Where a deferred plan keeps what the install reads the extras from (under RUNNER_TEMP)."""
    return setup_dir() / "plan.json"


def plan(env: dict[str, str]) -> dict[str, str]:
    asked = parse_extras(env.get("MLCI_EXTRAS", ""))
    purpose = parse_purpose(env.get("MLCI_PURPOSE", ""))
    if purpose == "publish":  # publishing runs no check: the policy's extras are not needed
        extras = asked or []
        outputs = {"extras": ",".join(extras), "cache-key": cache_key(mlci_version(), extras, purpose)}
        say(f"mlci {mlci_version()} to publish: no DVC, no GTO, extras {', '.join(extras) or '(none)'}; "
            f"cache key {outputs['cache-key']}")
        return outputs
    workdir = Path(env.get("GITHUB_WORKSPACE") or ".", env.get("MLCI_WORKING_DIRECTORY") or ".")
    where: dict[str, str | None] = {"workdir": str(workdir), "config": env.get("MLCI_CONFIG") or None,
                                    "base_sha": pr_base_sha(env.get("GITHUB_EVENT_PATH")),
                                    "stage": env.get("MLCI_STAGE") or None,
                                    "monitor": "true" if purpose == "monitor" else None}
    if asked is None and not has_yaml():
        plan_file().parent.mkdir(parents=True, exist_ok=True)
        plan_file().write_text(json.dumps(where), encoding="utf-8")
        outputs = {"extras": "auto", "cache-key": cache_key(mlci_version(), [f"auto{policy_inputs(where)}"])}
        say(f"mlci {mlci_version()}, extras read from the policy by the install (python3 has no YAML reader "
            f"yet); cache key {outputs['cache-key']}")
        return outputs
    if asked is None:
        extras = policy_extras(workdir, where["config"], where["base_sha"], where["stage"], purpose == "monitor")
        why = "as the policy asks" if extras else "none: the policy asks for none"
    else:
        extras, why = asked, "as the extras input says"
    outputs = {"extras": ",".join(extras), "cache-key": cache_key(mlci_version(), extras)}
    say(f"mlci {mlci_version()} with extras {', '.join(extras) or '(none)'} ({why}); cache key {outputs['cache-key']}")
    return outputs


# -- install -----------------------------------------------------------------------------


def get_uv() -> str | None:
    """uv from PATH, else installed with pip under RUNNER_TEMP; None when neither works."""
    found = shutil.which("uv")
    if found:
        return found
    target = setup_dir() / "uv"
    if not pip_install_target(target, "uv"):
        return None
    binary = target / "bin" / "uv"
    return str(binary) if binary.is_file() else None


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    return canonical(match[0]) if match else ""


def requirements(extras: Sequence[str], purpose: str = "pipeline") -> list[str]:
    """mlci's requirements with ``extras``, from pyproject.toml (for pip, and for uv when the
    purpose leaves some out; else uv reads the file itself)."""
    import tomllib

    project = tomllib.loads(PYPROJECT.read_text("utf-8"))["project"]
    optional: dict[str, list[str]] = project.get("optional-dependencies", {})
    out: list[str] = list(project["dependencies"])
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in optional[extra]:
            own = re.fullmatch(r"mlci\[([\w,]+)\]", requirement)
            if own:
                todo.extend(own[1].split(","))
            else:
                out.append(requirement)
    if purpose == "publish":
        out = [r for r in out if requirement_name(r) not in PUBLISH_LEAVES_OUT]
    return list(dict.fromkeys(out))


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runner_distributions() -> dict[str, str]:
    """name -> version of each distribution the runner's python3 (this interpreter) imports from a
    site-packages folder mlci's venv sees too: the pipeline's dependencies an earlier step installed."""
    dirs = {os.path.realpath(d) for d in [*site.getsitepackages(), site.getusersitepackages()]}
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name, version = dist.metadata["Name"], dist.version
        if name and version and os.path.realpath(str(dist.locate_file(""))) in dirs:
            found.setdefault(canonical(name), version)  # the first on sys.path is the one imported
    return found


def pinned(lines: Sequence[str]) -> dict[str, str]:
    """``name==version`` lines (a resolution) as name -> version."""
    found = (re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line.strip()) for line in lines)
    return {canonical(m[1]): m[2] for m in found if m}


def run(cmd: Sequence[str]) -> None:
    proc = subprocess.run(list(cmd))
    if proc.returncode != 0:
        raise SetupError(f"`{' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}` "
                         f"failed with exit code {proc.returncode} (see its output above)")


def make_venv(venv: Path, extras: Sequence[str], purpose: str = "pipeline") -> tuple[str, str | None]:
    """A fresh venv at ``venv`` with mlci's dependencies; which installer did it, and uv's path."""
    if venv.exists():
        shutil.rmtree(venv)
    uv = None if os.environ.get("MLCI_INSTALLER") == "pip" else get_uv()
    if uv is not None:
        run([uv, "venv", "--quiet", "--system-site-packages", "--python", os.path.realpath(sys.executable), str(venv)])
    else:
        say("installing with pip (uv could not be had)")
        run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)])
    add(venv, extras, uv, purpose)
    return ("uv" if uv else "pip"), uv


def add(venv: Path, extras: Sequence[str], uv: str | None, purpose: str = "pipeline") -> None:
    """mlci's requirements with ``extras`` into ``venv`` (what it holds already stays)."""
    if uv is not None:
        uv_install(uv, venv, extras, purpose)
        return
    python = str(venv / "bin" / "python")
    try:
        reqs = requirements(extras, purpose)
    except ImportError:  # Python 3.10 has no tomllib: pip reads the requirements from the checkout itself
        run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"{ROOT}[{','.join(extras)}]"])
        return
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *reqs])  # pip compiles anyway


def uv_sources(extras: Sequence[str], purpose: str) -> list[str]:
    """uv's arguments naming what to install: pyproject.toml with the extras, or (a purpose that
    leaves some out) the requirements written to a file."""
    if purpose == "pipeline":
        return ["-r", str(PYPROJECT), *(arg for extra in extras for arg in ("--extra", extra))]
    listed = setup_dir() / f"mlci-{purpose}.in"
    listed.parent.mkdir(parents=True, exist_ok=True)
    listed.write_text("".join(f"{r}\n" for r in requirements(extras, purpose)), encoding="utf-8")
    return ["-r", str(listed)]


def uv_install(uv: str, venv: Path, extras: Sequence[str], purpose: str = "pipeline") -> None:
    """mlci's requirements in ``venv``, except the distributions the runner already has at the
    resolved version. uv, unlike pip, does not count what a --system-site-packages venv sees
    (astral-sh/uv#4466), so it would install a second DVC, pandas or scikit-learn beside the
    pipeline's own. Instead: resolve with the runner's versions preferred (uv prefers the pins
    of an existing output file), then install only what the runner lacks, without dependencies
    (the resolution has them all). Which distributions are borrowed is kept in the venv, for a
    restored venv to check against the runner of a later run. A runner with nothing but its
    installers has nothing to lend: one ``uv pip install``, without the resolution before it."""
    runner = runner_distributions()
    python = str(venv / "bin" / "python")
    sources = uv_sources(extras, purpose)
    compile_ = ["--compile-bytecode"] if os.environ.get("MLCI_COMPILE") == "true" else []
    if not runner.keys() - INSTALLERS:
        run([uv, "pip", "install", "--quiet", *compile_, "--python", python, *sources])
        (venv / BORROWED).write_text("{}\n", encoding="utf-8")
        return
    resolved = setup_dir() / "mlci-requirements.txt"
    resolved.parent.mkdir(parents=True, exist_ok=True)
    resolved.write_text("".join(f"{name}=={version}\n" for name, version in sorted(runner.items())), encoding="utf-8")
    run([uv, "pip", "compile", "--quiet", "--no-header", "--no-annotate", "--python", python, "-o", str(resolved),
         *sources[1:]])
    lines = resolved.read_text("utf-8").splitlines()
    pins = pinned(lines)
    borrowed = {name: version for name, version in pins.items() if runner.get(name) == version}
    own = []
    for line in (line.strip() for line in lines):
        pin = pinned([line])
        if line and not line.startswith("#") and not (pin and pin.keys() <= borrowed.keys()):
            own.append(line)  # a pin the runner lacks, or a line that is no pin (a URL)
    missing = setup_dir() / "mlci-missing.txt"
    missing.write_text("".join(f"{line}\n" for line in own), encoding="utf-8")
    if own:
        run([uv, "pip", "install", "--quiet", "--no-deps", *compile_, "--python", python, "-r", str(missing)])
    (venv / BORROWED).write_text(json.dumps(borrowed, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    say(f"{len(pins) - len(borrowed)} of the {len(pins)} distributions mlci needs installed; "
        f"{len(borrowed)} already on the runner at the resolved version, used from there")


def venv_purelib(venv: Path) -> Path:
    out = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                         check=True, capture_output=True, text=True).stdout.strip()
    return Path(out)


def runner_site_dirs() -> list[str]:
    """Site-packages of the runner's python3 that ``--system-site-packages`` skips: those of a
    python3 that is itself a virtual environment (an earlier step made and activated one)."""
    base = site.getsitepackages([sys.base_prefix])
    return [path for path in site.getsitepackages() if path not in base and os.path.isdir(path)]


def link(venv: Path) -> None:
    """Every run, restored or not: mlci's source, the runner's packages, the mlci command."""
    purelib = venv_purelib(venv)
    (purelib / SOURCE_PTH).write_text(f"{ROOT / 'src'}\n", encoding="utf-8")
    # addsitedir, not a bare path: the .pth files there (editable installs) count too; after mlci's own.
    (purelib / RUNNER_PTH).write_text("".join(f"import site; site.addsitedir({p!r})\n" for p in runner_site_dirs()),
                                      encoding="utf-8")
    command = venv / "path" / "mlci"
    command.parent.mkdir(exist_ok=True)
    command.write_text(f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom mlci.cli import main\nsys.exit(main())\n",
                       encoding="utf-8")
    command.chmod(0o755)


def works(venv: Path, purpose: str = "pipeline") -> bool:
    """The venv's python runs and finds mlci's core dependencies (found, not imported: importing
    DVC takes longer), and the runner still has every distribution the venv borrows from it."""
    try:
        borrowed = json.loads((venv / BORROWED).read_text("utf-8"))
    except (OSError, ValueError):
        borrowed = {}  # installed with pip, which borrows by itself
    runner = runner_distributions()
    changed = sorted(name for name, version in borrowed.items() if runner.get(name) != version)
    if changed:
        say(f"the runner no longer has {', '.join(changed[:3])}{' ...' if len(changed) > 3 else ''} "
            f"at the version the cached venv uses: installing again")
        return False
    python = venv / "bin" / "python"
    probe = f"import importlib.util as u, sys; sys.exit(not all(map(u.find_spec, {PROBES[purpose]!r})))"
    return python.exists() and subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


def recorded_extras(venv: Path) -> list[str] | None:
    """The extras a venv was installed with (recorded by the install that made it); None when unknown."""
    try:
        found = json.loads((venv / EXTRAS_RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(found, list) and all(isinstance(e, str) and e in EXTRA_NAMES for e in found)
    return found if ok else None


def deferred_extras(venv: Path) -> list[str]:
    """The policy's extras, read as the plan could not: by this script under the venv's own python,
    which has mlci's core (PyYAML among it) now. Its notes go to the log."""
    proc = subprocess.run([str(venv / "bin" / "python"), str(Path(__file__).resolve()), "extras"],
                          stdout=subprocess.PIPE, text=True)
    *notes, last = proc.stdout.splitlines() or [""]
    for line in notes:
        print(line, flush=True)
    try:
        found = json.loads(last)
    except ValueError:
        found = None
    if proc.returncode != 0 or not (isinstance(found, list) and all(e in EXTRA_NAMES for e in found)):
        say("could not read the policy's extras with the installed core: installing every extra")
        return ["all"]
    return found


def install(env: dict[str, str]) -> list[str]:
    venv = Path(env["MLCI_VENV"])
    purpose = parse_purpose(env.get("MLCI_PURPOSE", ""))
    purpose = "pipeline" if purpose == "monitor" else purpose  # the monitor's venv differs only in the extras planned
    deferred = env.get("MLCI_EXTRAS", "") == "auto"
    extras = [] if deferred else [e for e in env.get("MLCI_EXTRAS", "").split(",") if e]
    started = time.monotonic()
    recorded = recorded_extras(venv) if deferred else extras
    if env.get("MLCI_CACHE_HIT") == "true" and recorded is not None and works(venv, purpose):
        extras = recorded
        say(f"restored {venv} from the cache (extras: {', '.join(extras) or 'none'})")
    else:
        how, uv = make_venv(venv, extras, purpose)
        if deferred:
            extras = deferred_extras(venv)
            say(f"extras {', '.join(extras) or '(none)'}, as the policy asks")
            if extras:
                add(venv, extras, uv, purpose)
        (venv / EXTRAS_RECORD).write_text(json.dumps(extras) + "\n", encoding="utf-8")
        say(f"installed mlci's dependencies{' to publish (no DVC, no GTO)' if purpose == 'publish' else ''} "
            f"with {how} in {time.monotonic() - started:.1f} s (extras: {', '.join(extras) or 'none'})")
    link(venv)
    return extras


def main(argv: Sequence[str]) -> int:
    env = dict(os.environ)
    try:
        if argv == ["plan"]:
            outputs = plan(env)
            output_file = env.get("GITHUB_OUTPUT")
            if output_file:
                with open(output_file, "a", encoding="utf-8") as out:
                    out.writelines(f"{k}={v}\n" for k, v in outputs.items())
            else:
                print(json.dumps(outputs))
            return 0
        if argv == ["install"]:
            extras = install(env)
            output_file = env.get("GITHUB_OUTPUT")
            if output_file:
                with open(output_file, "a", encoding="utf-8") as out:
                    out.write(f"extras={','.join(extras)}\n")
            return 0
        if argv == ["extras"]:  # the install's own call, under the venv's python: a deferred plan's extras
            where = json.loads(plan_file().read_text("utf-8"))
            found = policy_extras(Path(where["workdir"]), where["config"], where["base_sha"], where["stage"],
                                  bool(where.get("monitor")))
            print(json.dumps(found))
            return 0
    except SetupError as exc:
        print(f"mlci setup: error: {exc}", file=sys.stderr)
        return 2
    print("usage: install.py plan|install", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
