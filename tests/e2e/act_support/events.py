"""Event payloads for act: GitHub's own examples (tests/fixtures/events, from @octokit/webhooks-examples),
adjusted to the test repository: its name, the PR's number, branches and SHAs. Everything else is
the example as GitHub sent it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "fixtures" / "events"


def _example(name: str, repo_was: str, repository: str, number: int | None = None) -> dict[str, Any]:
    """The vendored example with its repository renamed everywhere (names and URLs) to ``repository``,
    and the pull request number in URLs (the examples' PR is #2) set to ``number``.
    """
    text = (EVENTS / name).read_text()
    owner_was, name_was = repo_was.split("/")
    owner, repo_name = repository.split("/")
    text = text.replace(repo_was, repository)
    if number is not None:
        text = re.sub(r"/(pulls|pull|issues)/2(?=[/.\"])", rf"/\1/{number}", text)
    data: dict[str, Any] = json.loads(text)
    for repo in _repositories(data):
        if repo.get("name") == name_was:
            repo["name"] = repo_name
        if isinstance(repo.get("owner"), dict) and repo["owner"].get("login") == owner_was:
            repo["owner"]["login"] = owner
    return data


def _repositories(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "full_name" in node and "name" in node:
            found.append(node)
        for value in node.values():
            found += _repositories(value)
    elif isinstance(node, list):
        for value in node:
            found += _repositories(value)
    return found


def _fork_of(repo: dict[str, Any], owner: str) -> dict[str, Any]:
    upstream = repo["full_name"]
    fork_name = f"{owner}/{repo['name']}"
    fork: dict[str, Any] = json.loads(json.dumps(repo).replace(upstream, fork_name))
    fork.update({"fork": True, "full_name": fork_name})
    fork["owner"]["login"] = owner
    fork["owner"]["type"] = "User"
    return fork


def pull_request(*, repository: str, number: int, branch: str, head_sha: str, base_sha: str, base_branch: str,
                 title: str, body: str, fork_owner: str | None = None, before: str | None = None) -> dict[str, Any]:
    """``pull_request`` for PR ``number`` of ``repository``: ``opened`` (example 0, Codertocat/Hello-World), or
    ``synchronize`` (example 22, same repository) when ``before`` (the head before the push) is given.

    ``fork_owner``: the PR comes from that user's fork (``head.repo`` is the fork).
    """
    name = "pull_request.opened.json" if before is None else "pull_request.synchronize.json"
    event = _example(name, "Codertocat/Hello-World", repository, number)
    if before is not None:
        event["before"], event["after"] = before, head_sha
    event["number"] = number
    event["repository"]["default_branch"] = base_branch
    pr = event["pull_request"]
    pr.update({"number": number, "title": title, "body": body})
    head_repo = event["repository"] if fork_owner is None else _fork_of(event["repository"], fork_owner)
    head_owner = head_repo["owner"]["login"]
    pr["head"].update({"ref": branch, "sha": head_sha, "label": f"{head_owner}:{branch}", "repo": head_repo})
    pr["head"]["user"]["login"] = head_owner
    pr["base"].update({"ref": base_branch, "sha": base_sha, "label": f"{event['repository']['owner']['login']}:{base_branch}",
                       "repo": event["repository"]})
    pr["base"]["user"]["login"] = event["repository"]["owner"]["login"]
    return event


def workflow_run(*, repository: str, run_id: int, workflow_name: str, workflow_path: str, conclusion: str,
                 head_sha: str, branch: str, pull_requests: list[dict[str, Any]],
                 fork_owner: str | None = None, default_branch: str = "main") -> dict[str, Any]:
    """``workflow_run`` / ``completed`` (example 2, octo-org/octo-repo): run ``run_id`` of ``workflow_name``,
    triggered by a ``pull_request`` on ``head_sha``.

    ``pull_requests``: what GitHub lists there ({"number", "head": {"sha", "ref"}, "base": ...}); GitHub lists
    none for a PR from a fork (``fork_owner``).
    """
    event = _example("workflow_run.completed.json", "octo-org/octo-repo", repository)
    run = event["workflow_run"]
    run.update({"id": run_id, "name": workflow_name, "display_title": workflow_name, "path": workflow_path,
                "event": "pull_request", "status": "completed", "conclusion": conclusion, "head_sha": head_sha,
                "head_branch": branch, "pull_requests": pull_requests})
    for key in ("url", "html_url", "jobs_url", "logs_url", "artifacts_url", "cancel_url", "rerun_url"):
        run[key] = run[key].replace("289782451", str(run_id))
    run["head_commit"]["id"] = head_sha
    if fork_owner is not None:
        run["head_repository"] = _fork_of(event["repository"], fork_owner)
    event["workflow"]["name"] = workflow_name
    event["workflow"]["path"] = workflow_path
    event["repository"]["default_branch"] = default_branch
    return event


def push(*, repository: str, branch: str, before: str, after: str, default_branch: str) -> dict[str, Any]:
    """``push`` (Codertocat/Hello-World) of ``branch`` from ``before`` to ``after``."""
    event = _example("push.json", "Codertocat/Hello-World", repository)
    event.update({"ref": f"refs/heads/{branch}", "before": before, "after": after, "base_ref": None})
    event["repository"]["default_branch"] = default_branch
    event["repository"]["master_branch"] = default_branch
    event["compare"] = f"https://github.com/{repository}/compare/{before[:12]}...{after[:12]}"
    for commit in [event["head_commit"], *event["commits"]]:
        commit["id"] = after
    return event


def workflow_dispatch(*, repository: str, workflow_path: str, inputs: dict[str, Any], branch: str,
                      default_branch: str) -> dict[str, Any]:
    """``workflow_dispatch`` of ``workflow_path`` on ``branch`` with ``inputs`` (Run workflow's form)."""
    data = json.loads((EVENTS / "workflow_dispatch.json").read_text())
    was = data["repository"]["full_name"]
    event = _example("workflow_dispatch.json", was, repository)
    event.update({"inputs": dict(inputs), "ref": f"refs/heads/{branch}", "workflow": workflow_path})
    event["repository"]["default_branch"] = default_branch
    return event
