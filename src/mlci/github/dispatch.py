"""Starting a workflow by workflow_dispatch: the one event the job's own token may start.

Tags and pull requests made with GITHUB_TOKEN start no workflow (GitHub's rule against
recursive runs); workflow_dispatch and repository_dispatch are the exceptions. `mlci promote
--dispatch` starts the deployment this way, `mlci drift publish` the retraining.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mlci.github.client import GitHubError, door, github_message

if TYPE_CHECKING:
    from github.Repository import Repository

PERMISSION = "actions: write"


@door
def dispatch(repo: Repository, workflow: str, inputs: Mapping[str, str], ref: str | None = None) -> str:
    """Start ``workflow`` (its file name, e.g. retrain.yml, or its id) on ``ref`` (default: the
    repository's default branch) with ``inputs``, which the workflow must declare; the ref it ran on.

    GitHub's refusal is a GitHubError with its message and what to change: a 403 names the
    permission the token lacks, a 422 the inputs or ref GitHub did not accept."""
    from github import GithubException

    from mlci.github.contents import default_branch

    ref = ref or default_branch(repo)
    found = repo.get_workflow(int(workflow) if workflow.isdigit() else workflow)  # lazy: no request
    try:
        found.create_dispatch(ref, dict(inputs), throw=True)
    except GithubException as exc:
        if not isinstance(exc.status, int) or exc.status >= 500:
            raise  # the client's retries are behind it: GitHub is unavailable
        message = github_message(exc)
        if exc.status == 403:
            accepted = (exc.headers or {}).get("x-accepted-github-permissions")
            hint = f"the token needs `{PERMISSION}`" + (f" (GitHub accepts {accepted})" if accepted else "")
        elif exc.status == 404:
            hint = f"no workflow {workflow} in the repository (its file name under .github/workflows, or its id)"
        else:
            hint = (f"the workflow must run on workflow_dispatch at {ref} and declare the inputs "
                    f"{', '.join(sorted(inputs)) or '(none)'}")
        raise GitHubError(exc.status, f"{message}: {workflow} was not started; {hint}") from None
    return ref
