"""Pin the copy-in workflows to a release of mlci's actions (a step of docs/releasing.md).

    python tools/pin_release.py 0.2.0            # the commit of tag v0.2.0, read from git
    python tools/pin_release.py 0.2.0 COMMIT     # or this commit (it must be in the repository)
    python tools/pin_release.py --check          # the files' pin is a consistent release, exit 1 if not

Every reference to mlci's actions in workflows-templates/*.yml becomes
`mlci-actions/mlci[/actions/NAME]@<commit> # v0.2.0`, the form Dependabot bumps; in README.md
and docs/*.md only references already in that form are rewritten (short forms such as `@v0`
are tools/sync_docs.py's). Before writing, it checks that the commit is that version
(`__version__` in its src/mlci/__init__.py), that tag vVERSION, if present, points at it, and
that the release's action.yml files have every input the templates pass: a template must
work with the release it pins. Mistakes are one line on stderr and exit 2; nothing is written.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mlci import ACTION_REPOSITORY  # noqa: E402
from mlci.pins import COMMIT, VERSION, Pin, pinned, references  # noqa: E402

TEMPLATES = "workflows-templates/*.yml"  # every reference pinned
# Templates that call an action, or pass an input, newer than the pinned release: they work only
# once a release holds it (until then the setup action installs an mlci without the command).
# Each waits here with what it needs: an action ("actions/promote") or one input of an action
# ("actions/setup:stage"; the root action's: ":publish"); once a pinned release has them, they are checked as every other's,
# and the entry can go.
AWAITING_RELEASE: dict[str, tuple[str, ...]] = {
    "workflows-templates/mlci-release.yml": ("actions/release",),
    "workflows-templates/mlci-promote.yml": ("actions/promote", "actions/setup:stage"),
    "workflows-templates/mlci-deploy.yml": ("actions/promote", "actions/setup:stage"),
    "workflows-templates/mlci-pull-request.yml": (":publish", "actions/publish:gate", "actions/publish:install"),
    "workflows-templates/mlci-publish.yml": ("actions/publish:install",),
    "workflows-templates/mlci-drift-monitor.yml": ("actions/drift", "actions/setup:purpose"),
}
DOCS = ("README.md", "docs/*.md")  # only references already pinned


class Refused(Exception):
    """A mistake of the caller's: one line, exit 2."""


def git(root: Path, *args: str) -> str | None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    proc = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    return proc.stdout.strip() if proc.returncode == 0 else None


def version_at(root: Path, commit: str) -> str | None:
    """``__version__`` in src/mlci/__init__.py at ``commit``."""
    text = git(root, "show", f"{commit}:src/mlci/__init__.py")
    found = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text or "", re.M)
    return found[1] if found else None


def resolve(root: Path, version: str, commit: str | None = None) -> Pin:
    """The release ``version`` (``0.2.0`` or ``v0.2.0``) at ``commit``, or at its tag's commit, checked."""
    version = version.removeprefix("v")
    if not VERSION.fullmatch(version):
        raise Refused(f"VERSION: expected X.Y.Z (e.g. 0.2.0), got {version!r}")
    if git(root, "rev-parse", "--git-dir") is None:
        raise Refused(f"{root} is not a git repository")
    tag = f"v{version}"
    tagged = git(root, "rev-parse", "-q", "--verify", f"refs/tags/{tag}^{{commit}}")
    if commit is None:
        if tagged is None:
            raise Refused(f"no tag {tag} in this repository: tag the release first "
                          f"(git tag -a {tag} -m {tag} COMMIT) or give its commit")
        full = tagged
    else:
        full = git(root, "rev-parse", "-q", "--verify", f"{commit}^{{commit}}") or ""
        if not COMMIT.fullmatch(full):
            raise Refused(f"COMMIT: {commit!r} is not a commit of this repository")
        if tagged is not None and tagged != full:
            raise Refused(f"tag {tag} is commit {tagged}, not {full}")
    at = version_at(root, full)
    if at != version:
        raise Refused(f"commit {full} is version {at or 'unknown'} (src/mlci/__init__.py), not {version}")
    return Pin(full, version)


def files(root: Path) -> Iterator[tuple[Path, bool]]:
    """Each file to pin, and whether only its already-pinned references are rewritten."""
    for path in sorted(root.glob(TEMPLATES)):
        yield path, False
    for pattern in DOCS:
        for path in sorted(root.glob(pattern)):
            yield path, True


def _steps(workflow: Any) -> Iterator[dict[str, Any]]:
    jobs = workflow.get("jobs") if isinstance(workflow, dict) else None
    for job in (jobs or {}).values():
        for step in (job or {}).get("steps") or []:
            if isinstance(step, dict):
                yield step


def missing_inputs(root: Path, pin: Pin) -> list[str]:
    """The inputs the templates pass to mlci's actions that the release's action.yml files lack."""
    problems = []
    prefix = f"{ACTION_REPOSITORY}"
    for path in sorted(root.glob(TEMPLATES)):
        for step in _steps(yaml.safe_load(path.read_text(encoding="utf-8"))):
            uses = str(step.get("uses", ""))
            action = uses.split("@", 1)[0]
            if action != prefix and not action.startswith(f"{prefix}/actions/"):
                continue
            where = action.removeprefix(prefix).strip("/")
            metadata = git(root, "show", f"{pin.commit}:{where + '/' if where else ''}action.yml")
            awaited = AWAITING_RELEASE.get(path.relative_to(root).as_posix(), ())
            waiting = where in awaited
            if metadata is None and not waiting:
                problems.append(f"{path.relative_to(root)}: {action} has no action.yml at {pin.tag}")
            if metadata is None:
                continue
            inputs = set((yaml.safe_load(metadata) or {}).get("inputs") or {})
            for name in step.get("with") or {}:
                if name not in inputs and f"{where}:{name}" not in awaited:
                    problems.append(f"{path.relative_to(root)}: passes input '{name}' to {action}, "
                                    f"which {pin.tag} ({pin.commit[:12]}) does not have")
    return problems


def current_pin(root: Path) -> Pin:
    """The one release the templates pin; Refused when they pin none, several, or a short form."""
    found: set[Pin | None] = set()
    for path in sorted(root.glob(TEMPLATES)):
        found |= {ref.pin for ref in references(path.read_text(encoding="utf-8"))}
    if None in found:
        raise Refused(f"{TEMPLATES}: a reference to {ACTION_REPOSITORY} is not pinned (@COMMIT # vX.Y.Z)")
    pins = sorted((pin for pin in found if pin is not None), key=lambda p: (p.version, p.commit))
    if len(pins) != 1:
        listed = ", ".join(f"{p.tag} at {p.commit[:12]}" for p in pins) or "none"
        raise Refused(f"{TEMPLATES}: expected one pinned release, found {listed}")
    return pins[0]


def pin_files(root: Path, pin: Pin) -> list[Path]:
    """Rewrite the files to ``pin``; the ones that changed."""
    changed = []
    for path, only_pinned in files(root):
        text = path.read_text(encoding="utf-8")
        new = pinned(text, pin, only_pinned=only_pinned)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def check(root: Path) -> list[str]:
    """What is wrong with the pin the files hold now (empty: nothing)."""
    try:
        pin = current_pin(root)
    except Refused as exc:
        return [str(exc)]
    try:
        resolve(root, pin.version, pin.commit)
    except Refused as exc:
        return [f"the templates pin {pin.tag} at {pin.commit}: {exc}"]
    stale = [f"{path.relative_to(root)}: not pinned to {pin.tag}" for path, only in files(root)
             if pinned(path.read_text(encoding="utf-8"), pin, only_pinned=only) != path.read_text(encoding="utf-8")]
    return stale + missing_inputs(root, pin)


def main(argv: list[str], root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(prog="pin_release.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("version", nargs="?", help="the release, X.Y.Z")
    parser.add_argument("commit", nargs="?", help="its commit (default: the commit of tag vX.Y.Z)")
    parser.add_argument("--check", action="store_true", help="check the pin the files hold now")
    args = parser.parse_args(argv)
    try:
        if args.check:
            if args.version:
                raise Refused("--check takes no VERSION")
            problems = check(root)
            for problem in problems:
                print(problem)
            return 1 if problems else 0
        if not args.version:
            raise Refused("give the VERSION to pin (X.Y.Z), or --check")
        pin = resolve(root, args.version, args.commit)
        problems = missing_inputs(root, pin)
        if problems:
            raise Refused(f"{problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
        changed = pin_files(root, pin)
    except Refused as exc:
        print(f"pin_release.py: {exc}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"{path.relative_to(root)}: pinned to {pin.tag} ({pin.commit})")
    if not changed:
        print(f"already pinned to {pin.tag} ({pin.commit})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
