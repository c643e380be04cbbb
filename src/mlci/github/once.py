"""Writes made at most once: a client that never repeats a POST whose answer may follow the write.

The client of :mod:`mlci.github.client` repeats a POST after a 5xx, a dropped connection or a
read timeout (mlci's comments are found and deduplicated afterwards). Some writes cannot be taken
back: a second tracking issue notifies everyone watching the repository, a second workflow_dispatch
starts a second retraining. For those, :func:`writing_once` gives the same repository through a
client whose retry gives up on a POST at such an answer (a 5xx leaves as PyGithub's
GithubException, a lost answer as the connection error requests raises), so the caller can look
whether the write was done before trying again. Everything else is retried as usual: a rate limit
(403, 429) or a connection that never opened cannot follow a write.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from github.Repository import Repository


@contextmanager
def writing_once(repo: Repository) -> Iterator[Repository]:
    """``repo`` through a client like its own (token, server, timeouts, pauses) whose POSTs are never
    repeated after an answer that may follow the write; closed after the block."""
    from github import Github, GithubRetry

    kwargs = repo.requester.kwargs
    retry = kwargs.get("retry")
    if isinstance(retry, GithubRetry):
        once = retry.new()
        once.__class__ = _once_class(type(retry))  # the same settings, one more rule
        kwargs["retry"] = once
    client = Github(**kwargs)
    try:
        yield client.get_repo(repo.url.rsplit("/repos/", 1)[1])  # lazy: no request
    finally:
        client.close()


_CLASSES: dict[str, type[Any]] = {}


def _once_class(base: type[Any]) -> type[Any]:
    """``base`` (the client's retry class) with one more rule; made once per class."""
    key = f"{base.__module__}.{base.__qualname__}:{id(base)}"
    if key not in _CLASSES:
        _CLASSES[key] = _make(base)
    return _CLASSES[key]


def _make(base: type[Any]) -> type[Any]:
    from github import GithubException

    class PostOnce(base):  # type: ignore[misc]
        def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                      error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> Any:
            if method == "POST":
                if error is not None and not self._is_connection_error(error):
                    raise error.with_traceback(_stacktrace)
                if response is not None and response.status >= 500:
                    content: Any = self.get_content(response, url)
                    try:
                        content = json.loads(content)
                    except ValueError:
                        pass
                    raise GithubException(response.status, content, dict(response.headers))
            return super().increment(method, url, response, error, _pool, _stacktrace)

    return PostOnce
