#!/usr/bin/env python3
"""Vendor the slice of GitHub's REST description (and a few real webhook payloads) that the tests use.

The fake GitHub in tests/github/ validates every request and response against
``github-openapi-subset.json`` beside this script, so the fake cannot drift from
the real API. That file, and the event payloads in tests/fixtures/events/, are
data checked into the repository: the test suite needs neither npm nor a network.

How to regenerate
-----------------
    python tests/contract/extract_openapi.py

It needs ``npm`` and the npm registry. It downloads the two pinned packages below
with ``npm pack`` into a temporary directory, reads
``generated/api.github.com.json`` (OpenAPI 3.0.3, with ``$ref``s kept, which makes
a much smaller subset than the dereferenced variant), and writes:

- tests/contract/github-openapi-subset.json: the operations in ``OPERATIONS``,
  every component they reference (``$ref``s resolved transitively, so the file is
  self-contained), the components in ``EXTRA_COMPONENTS``, and an
  ``x-mlci-subset`` header naming the source package, its version and integrity,
  the date and the operations. Media-type ``examples`` (documentation only) are
  left out to keep the file small; nothing that validation reads is changed.
- tests/contract/github-openapi-subset.json.sha256: its checksum (a test checks it,
  so a hand edit shows up).
- tests/fixtures/events/*.json and README.md: the payloads in ``EVENTS``, copied
  as shipped by @octokit/webhooks-examples (only re-indented), and where each
  came from.

Re-running with the same pins gives the same files (the date is kept when nothing
else changed). To move to a newer description, run with
``--openapi-version X.Y.Z`` (``npm view @octokit/openapi version`` shows the
newest), run the tests, then update ``OPENAPI_VERSION`` below. To serve a new
operation in the fake, add it to ``OPERATIONS`` and re-run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

# --- What to take ----------------------------------------------------------------------------------------------------

# "METHOD /path" as in GitHub's description, or an operationId ("repos/get"). Add operations here, then re-run.
OPERATIONS: list[str] = [
    "GET /repos/{owner}/{repo}",
    "GET /repos/{owner}/{repo}/pulls/{pull_number}",
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits",
    "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls",
    "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
    "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
    "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
    "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}",
    "GET /repos/{owner}/{repo}/issues/comments/{comment_id}",
    "POST /repos/{owner}/{repo}/check-runs",
    "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
    "GET /repos/{owner}/{repo}/check-runs/{check_run_id}",
    "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
    "POST /repos/{owner}/{repo}/statuses/{sha}",
    "GET /repos/{owner}/{repo}/commits/{ref}/statuses",
    "GET /rate_limit",
    # PyGithub's repo.get_commit(sha) fetches the commit (unless Github(lazy=True)) before
    # commit.get_check_runs(), .create_status(), .get_pulls() can be called.
    "GET /repos/{owner}/{repo}/commits/{ref}",
    # The fork-safe publish job reads the default branch's mlci.yaml: the policy it trusts.
    "GET /repos/{owner}/{repo}/contents/{path}",
    # ... and names what a fork's PR changes (workflows, dvc.yaml, code), from GitHub, not the bundle.
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
    # mlci release: the versions another run registered meanwhile (each tag with its commit).
    "GET /repos/{owner}/{repo}/tags",
    # mlci promote --dispatch: start the deployment (tags pushed with GITHUB_TOKEN start no workflow).
    "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
    # `mlci release` publishes a version: an annotated tag (a tag object, then its refs/tags/ ref) and a release.
    "POST /repos/{owner}/{repo}/git/tags",
    "GET /repos/{owner}/{repo}/git/tags/{tag_sha}",
    "POST /repos/{owner}/{repo}/git/refs",
    "GET /repos/{owner}/{repo}/git/ref/{ref}",
    "GET /repos/{owner}/{repo}/git/matching-refs/{ref}",
    "DELETE /repos/{owner}/{repo}/git/refs/{ref}",
    "POST /repos/{owner}/{repo}/releases",
    "GET /repos/{owner}/{repo}/releases",
    "GET /repos/{owner}/{repo}/releases/tags/{tag}",
    "GET /repos/{owner}/{repo}/releases/{release_id}",
    "PATCH /repos/{owner}/{repo}/releases/{release_id}",
    "DELETE /repos/{owner}/{repo}/releases/{release_id}",
    # release.assets: the artifact's file on its release (sent to the release's upload_url, GitHub's uploads
    # server), the assets a release has (a re-run uploads only those it lacks), and an unfinished one removed.
    "POST /repos/{owner}/{repo}/releases/{release_id}/assets",
    "GET /repos/{owner}/{repo}/releases/{release_id}/assets",
    "DELETE /repos/{owner}/{repo}/releases/assets/{asset_id}",
    # github.assets: plot images committed to an orphan branch through the git data API (a blob per image, one
    # tree on the branch head's tree, one commit, the branch moved on), and the open PRs that keep their images.
    "POST /repos/{owner}/{repo}/git/blobs",
    "POST /repos/{owner}/{repo}/git/trees",
    "GET /repos/{owner}/{repo}/git/trees/{tree_sha}",
    "POST /repos/{owner}/{repo}/git/commits",
    "GET /repos/{owner}/{repo}/git/commits/{commit_sha}",
    "PATCH /repos/{owner}/{repo}/git/refs/{ref}",
    "GET /repos/{owner}/{repo}/pulls",
    # mlci comment create --target commit: CML's commit comment, edited in place (a duplicate removed).
    "GET /repos/{owner}/{repo}/commits/{commit_sha}/comments",
    "POST /repos/{owner}/{repo}/commits/{commit_sha}/comments",
    "PATCH /repos/{owner}/{repo}/comments/{comment_id}",
    "DELETE /repos/{owner}/{repo}/comments/{comment_id}",
    # mlci drift publish: the one tracking issue of a monitored dataset (found by its label and hidden
    # marker, opened, edited in place, closed when the drift clears) and the retraining's dispatch above.
    "GET /repos/{owner}/{repo}/issues",
    "POST /repos/{owner}/{repo}/issues",
    "GET /repos/{owner}/{repo}/issues/{issue_number}",
    "PATCH /repos/{owner}/{repo}/issues/{issue_number}",
    # mlci drift publish --retrain-mode pull-request: the updated .dvc files committed to a branch of mlci's own
    # (the git data API above, the base read through the contents API) and ONE pull request from it, edited on
    # later runs.
    "POST /repos/{owner}/{repo}/pulls",
    "PATCH /repos/{owner}/{repo}/pulls/{pull_number}",
]

# Components the fake needs beyond what the operations reference: GitHub answers 401/403/404/422 on
# operations whose description does not declare them, with these bodies.
EXTRA_COMPONENTS: list[str] = [
    "#/components/schemas/basic-error",
    "#/components/schemas/validation-error",
]

OPENAPI_PACKAGE = "@octokit/openapi"
OPENAPI_VERSION = "23.0.2"
OPENAPI_FILE = "generated/api.github.com.json"

EXAMPLES_PACKAGE = "@octokit/webhooks-examples"
EXAMPLES_VERSION = "7.6.1"
EXAMPLES_FILE = "api.github.com/index.json"

# (file name, event, action or None, index in that event's "examples" list, why this one)
EVENTS: list[tuple[str, str, str | None, int, str]] = [
    ("pull_request.opened.json", "pull_request", "opened", 0, "the first `opened` example"),
    ("pull_request.synchronize.json", "pull_request", "synchronize", 22, "the only `synchronize` example"),
    ("push.json", "push", None, 4, "the first push of a branch with a commit (examples 0-3 push tags)"),
    ("workflow_run.completed.json", "workflow_run", "completed", 2,
     "the `completed` example with a conclusion (`success`) and a pull request in `pull_requests`"),
    ("workflow_dispatch.json", "workflow_dispatch", None, 0, "the first example"),
    ("release.published.json", "release", "published", 0, "the first `published` example"),
]

HERE = Path(__file__).resolve().parent
SUBSET = HERE / "github-openapi-subset.json"
EVENTS_DIR = HERE.parent / "fixtures" / "events"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# --- npm -------------------------------------------------------------------------------------------------------------

def npm_pack(package: str, version: str, dest: Path) -> dict[str, Any]:
    """``npm pack package@version`` into ``dest``; npm's JSON description of the tarball (filename, integrity...)."""
    out = subprocess.run(["npm", "pack", f"{package}@{version}", "--pack-destination", str(dest), "--json"],
                         check=True, capture_output=True, text=True).stdout
    info: dict[str, Any] = json.loads(out)[0]
    if info["version"] != version:
        raise SystemExit(f"npm packed {package}@{info['version']}, expected {version}")
    return info


def read_member(tarball: Path, member: str) -> Any:
    with tarfile.open(tarball, "r:gz") as tar:
        handle = tar.extractfile(f"package/{member}")
        if handle is None:
            raise SystemExit(f"{member} is not a file in {tarball.name}")
        return json.load(handle)


# --- The subset ------------------------------------------------------------------------------------------------------

def find_operation(spec: dict[str, Any], wanted: str) -> tuple[str, str]:
    """(path, method) for "METHOD /path" or an operationId."""
    if " " in wanted:
        method, path = wanted.split(" ", 1)
        if method.lower() not in spec["paths"].get(path, {}):
            raise SystemExit(f"{wanted}: no such operation in the description")
        return path, method.lower()
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if item.get(method, {}).get("operationId") == wanted:
                return path, method
    raise SystemExit(f"{wanted}: no operation has this operationId")


def without_examples(node: Any, *, names: bool = False) -> Any:
    """``node`` less the ``examples`` maps of media types, parameters and headers (documentation only).

    ``names``: ``node`` maps names to schemas (``properties``), where a key "examples" is a property.
    """
    if isinstance(node, dict):
        return {key: without_examples(value, names=(key == "properties" and not names))
                for key, value in node.items() if names or not (key == "examples" and isinstance(value, dict))}
    if isinstance(node, list):
        return [without_examples(value) for value in node]
    return node


def refs_in(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            found |= refs_in(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs_in(value)
    return found


def resolve_pointer(spec: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise SystemExit(f"{ref}: only local references are supported")
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def build_subset(spec: dict[str, Any], operations: list[str], source: dict[str, Any], date: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    listed: list[dict[str, str]] = []
    for wanted in operations:
        path, method = find_operation(spec, wanted)
        item = paths.setdefault(path, {k: v for k, v in spec["paths"][path].items() if k not in HTTP_METHODS})
        item[method] = without_examples(spec["paths"][path][method])
        listed.append({"method": method.upper(), "path": path, "operationId": item[method]["operationId"]})

    # Components: follow $refs transitively from the operations (and the extras) until nothing new appears.
    components: dict[str, dict[str, Any]] = {}
    pending = sorted(refs_in(paths) | set(EXTRA_COMPONENTS))
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parts = ref.split("/")
        if len(parts) != 4 or parts[:2] != ["#", "components"]:
            raise SystemExit(f"{ref}: expected a reference to a component")
        value = without_examples(resolve_pointer(spec, ref))
        components.setdefault(parts[2], {})[parts[3]] = value
        pending.extend(sorted(refs_in(value) - seen))

    # Keep the description's order of sections and names, so a re-run with a new version diffs well.
    ordered = {section: {name: components[section][name] for name in spec["components"][section]
                         if name in components[section]}
               for section in spec["components"] if section in components}
    used_tags = {tag for item in paths.values() for method in HTTP_METHODS for tag in item.get(method, {}).get("tags", [])}
    subset: dict[str, Any] = {
        "openapi": spec["openapi"],
        "x-mlci-subset": {
            "about": "A subset of GitHub's REST API description for mlci's fake GitHub; "
                     "made by tests/contract/extract_openapi.py, do not edit by hand.",
            "source": source,
            "generated": date,
            "left_out": "operations not listed below; media-type, parameter and header `examples` maps; x-webhooks",
            "operations": listed,
        },
        "info": spec["info"],
        "servers": spec.get("servers", []),
        "externalDocs": spec.get("externalDocs", {}),
        "tags": [tag for tag in spec.get("tags", []) if tag["name"] in used_tags],
        "paths": {path: paths[path] for path in spec["paths"] if path in paths},
        "components": ordered,
    }
    check_self_contained(subset)
    return subset


def check_self_contained(doc: dict[str, Any]) -> None:
    for ref in sorted(refs_in(doc)):
        try:
            resolve_pointer(doc, ref)
        except (KeyError, TypeError):
            raise SystemExit(f"the subset is not self-contained: {ref} does not resolve") from None


def dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_subset(spec: dict[str, Any], source: dict[str, Any]) -> None:
    today = dt.date.today().isoformat()
    subset = build_subset(spec, OPERATIONS, source, today)
    if SUBSET.exists():  # keep the old date when nothing else changed, so a re-run leaves no diff
        old = json.loads(SUBSET.read_text(encoding="utf-8"))
        old_date = old.get("x-mlci-subset", {}).get("generated", today)
        if dump(build_subset(spec, OPERATIONS, source, old_date)) == dump(old):
            subset = old
    text = dump(subset)
    SUBSET.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    SUBSET.with_name(SUBSET.name + ".sha256").write_text(f"{digest}  {SUBSET.name}\n", encoding="utf-8")
    print(f"wrote {SUBSET.relative_to(HERE.parent.parent)}: {len(text.encode('utf-8')):,} bytes, "
          f"{len(subset['x-mlci-subset']['operations'])} operations, "
          f"{sum(len(v) for v in subset['components'].values())} components")


# --- Event payloads --------------------------------------------------------------------------------------------------

def write_events(index: list[dict[str, Any]], source: dict[str, Any]) -> None:
    by_name = {event["name"]: event for event in index}
    EVENTS_DIR.mkdir(parents=True, exist_ok=True)
    rows = []
    for file_name, event, action, position, why in EVENTS:
        example = by_name[event]["examples"][position]
        if example.get("action") != action:
            raise SystemExit(f"{event} example {position} has action {example.get('action')!r}, expected {action!r}; "
                             "the package changed: pick again in EVENTS")
        (EVENTS_DIR / file_name).write_text(dump(example), encoding="utf-8")
        rows.append(f"| `{file_name}` | `{event}` | {f'`{action}`' if action else '-'} | {position} | "
                    f"`{example['repository']['full_name']}` | {why} |")
    readme = f"""# GitHub event payloads

Real webhook payloads as GitHub documents them, for tests that need a `GITHUB_EVENT_PATH`.
Do not edit them by hand: `python tests/contract/extract_openapi.py` writes them (see its docstring).

Source: npm package `{source['package']}` version {source['version']}
(integrity `{source['integrity']}`), file `{EXAMPLES_FILE}`: a list of events,
each with an `examples` list. Each file here is one element of that list, unchanged but for
indentation.

| file | event | action | index in `examples` | repository | why this one |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

The examples come from the community-maintained octokit/webhooks project; their repositories, SHAs and
ids are those of the examples, not of any repository here: a test that needs its own values loads a
payload and sets them (for example `pull_request.head.sha`) in its temporary copy.
"""
    (EVENTS_DIR / "README.md").write_text(readme, encoding="utf-8")
    print(f"wrote {len(EVENTS)} event payloads to {EVENTS_DIR.relative_to(HERE.parent.parent)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--openapi-version", default=OPENAPI_VERSION)
    parser.add_argument("--examples-version", default=EXAMPLES_VERSION)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mlci-openapi-") as tmp:
        dest = Path(tmp)
        api = npm_pack(OPENAPI_PACKAGE, args.openapi_version, dest)
        spec = read_member(dest / api["filename"], OPENAPI_FILE)
        if not re.match(r"3\.0\.\d+$", spec["openapi"]):
            raise SystemExit(f"{OPENAPI_FILE} is OpenAPI {spec['openapi']}; the fake's validator expects 3.0.x")
        write_subset(spec, {"package": OPENAPI_PACKAGE, "version": api["version"], "file": OPENAPI_FILE,
                            "integrity": api["integrity"]})
        hooks = npm_pack(EXAMPLES_PACKAGE, args.examples_version, dest)
        write_events(read_member(dest / hooks["filename"], EXAMPLES_FILE),
                     {"package": EXAMPLES_PACKAGE, "version": hooks["version"], "integrity": hooks["integrity"]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
