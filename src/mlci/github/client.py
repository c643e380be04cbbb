"""A PyGithub client with GitHub's retry guidance, request timeouts, and the token kept out of every message.

The door to PyGithub: every function of mlci.github raises :class:`GitHubError` (an
:class:`~mlci.errors.MlciError`) where PyGithub raises ``GithubException``, so no code
outside mlci.github imports PyGithub or catches its errors.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from mlci.errors import MlciError

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository as Repository  # for type hints outside mlci.github

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_API = "https://api.github.com"
RETRIED_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"})
# POSTs never repeated after an answer that may follow a write (a 5xx, a lost connection, a read
# timeout): the writes that cannot be taken back. A repeated create makes a second check run, a second
# tracking issue (everyone watching is notified), a second pull request, a second retraining
# (workflow_dispatch). checks.py, issues.py and data_pull.py find the one made instead; a dispatch
# whose answer was lost is not tried again.
NOT_REPEATED = re.compile(r"/(?:check-runs|issues|pulls|dispatches)$")
TIMEOUT_S = 30
# Pauses between requests and between writes. PyGithub's defaults are 0.25 s and 1 s; publishing plots
# makes a burst of writes (a blob per image, a tree, a commit, a ref: 9 for 6 images), which at 1 s
# apart took 8 s, four times as long as drawing them. GitHub's secondary limit is 80 content-creating
# requests a minute (docs: "Rate limits for the REST API"), far above one publish run's dozen or so;
# should it be hit, GithubRetry waits out its Retry-After.
REQUEST_PAUSE_S = 0.1
WRITE_PAUSE_S = 0.2


def connect(token: str, api_url: str | None = None, *, throttle: bool = True, retry_total: int = 6,
            secondary_rate_wait: float = 60.0, backoff_factor: float = 1.0) -> Github:
    """A client for ``api_url`` (GitHub Enterprise Server works: GITHUB_API_URL).

    PyGithub's GithubRetry retries 5xx answers, dropped connections and primary
    and secondary rate limits, honouring Retry-After and x-ratelimit-reset.
    ``throttle=False`` drops the pauses between requests (tests on loopback); else they are
    REQUEST_PAUSE_S and WRITE_PAUSE_S.
    """
    import logging

    from github import Auth, Github, GithubRetry

    # PyGithub's logger prints each refused or retried request on stderr (its own handler);
    # mlci reports the outcome in one line instead, and warnings still show.
    logging.getLogger("github").setLevel(logging.WARNING)

    # urllib3 leaves POST and PATCH out of its retried methods; mlci's writes are safe to
    # repeat (a duplicate comment from a lost response is removed after creation), except
    # the creates in NOT_REPEATED, which their callers retry themselves, finding what was made first.
    retry = _retry_class()(total=retry_total, secondary_rate_wait=secondary_rate_wait, backoff_factor=backoff_factor,
                           allowed_methods=RETRIED_METHODS)
    pauses = ({"seconds_between_requests": REQUEST_PAUSE_S, "seconds_between_writes": WRITE_PAUSE_S} if throttle
              else {"seconds_between_requests": None, "seconds_between_writes": None})
    return Github(
        base_url=(api_url or DEFAULT_API).rstrip("/"),
        auth=Auth.Token(token),
        timeout=TIMEOUT_S,
        retry=retry,
        per_page=100,
        user_agent="mlci",
        lazy=True,  # objects are built from URLs; only real reads and writes cost a request
        **pauses,
    )


_connect = connect  # open_repository's parameter of that name hides it


@functools.cache
def _retry_class() -> type[Any]:
    """GithubRetry that does not repeat a POST to ``NOT_REPEATED`` after a 5xx or a lost answer.

    Such an answer can come after GitHub did the write; a rate limit (403, 429) or a connection
    that never opened cannot, and they are retried as for every request. The refused 5xx leaves
    as PyGithub's GithubException, the lost answer as the connection error requests raises.
    """
    import json
    import urllib.parse

    from github import GithubException, GithubRetry

    class WriteOnceRetry(GithubRetry):
        def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                      error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> Any:
            if method == "POST" and url and NOT_REPEATED.search(urllib.parse.urlsplit(url).path):
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

    return WriteOnceRetry


def redact(text: str, token: str | None) -> str:
    """``text`` with the token (should it ever appear) replaced."""
    return text.replace(token, "***") if token else text


class GitHubError(MlciError):
    """GitHub answered a request with an error: its HTTP status and GitHub's message (the token redacted)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"GitHub answered {status}: {message}")
        self.status = status
        self.message = message


class GitHubUnavailable(GitHubError):
    """GitHub did not answer (a 5xx, a dropped connection, a timeout) after the client's retries:
    its own exit code, so a workflow can tell an outage from a failed gate or a mistake."""

    exit_code = 4

    def __init__(self, status: int, message: str, what: str | None = None) -> None:
        super().__init__(status, message)
        self.what = what
        answer = f"answered {status}" if status else "did not answer"
        Exception.__init__(self, f"GitHub is unavailable: it {answer} to {what or 'a request'} ({message}) "
                                 f"after retries; GitHub's status: {STATUS_PAGE}")


STATUS_PAGE = "https://www.githubstatus.com"


def github_message(exc: Any) -> str:
    """GitHub's own message in an error answer (``{"message": ...}``), else the exception's text."""
    data = getattr(exc, "data", None)
    if isinstance(data, Mapping) and isinstance(data.get("message"), str):
        return str(data["message"])
    return str(exc)


@contextmanager
def translated(token: str | None = None, what: str | None = None) -> Iterator[None]:
    """PyGithub's ``GithubException`` raised inside becomes a :class:`GitHubError` (a 5xx, or no
    answer at all, a :class:`GitHubUnavailable`: the retries are behind it); with ``token``,
    any GitHubError leaving has the token redacted from its message. ``what``: the request,
    in words, for the outage's message."""
    import requests
    from github import GithubException

    try:
        yield
    except GithubException as exc:
        message = redact(github_message(exc), token)
        if isinstance(exc.status, int) and exc.status >= 500:
            raise GitHubUnavailable(exc.status, message, what) from None
        raise GitHubError(exc.status, message) from None
    except (requests.exceptions.RetryError, requests.ConnectionError, requests.Timeout) as exc:
        # urllib3 gave up: on a status GithubRetry retries (a 5xx), or on a connection or timeout.
        text = str(exc)
        status = re.search(r"too many (\d{3}) error responses", text)
        url = re.search(r"with url: (\S+)", text)
        on = url.group(1) if url else "its API"
        detail = on if status else f"{type(exc).__name__} on {on}"
        raise GitHubUnavailable(int(status.group(1)) if status else 0, redact(detail, token), what) from None
    except GitHubError as exc:
        if token and token in exc.message:
            if isinstance(exc, GitHubUnavailable):
                raise GitHubUnavailable(exc.status, redact(exc.message, token), exc.what) from None
            raise GitHubError(exc.status, redact(exc.message, token)) from None
        raise


def door(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` under :func:`translated`: what it raises from PyGithub is a GitHubError."""

    what = func.__name__.replace("_", " ")

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translated(what=what):
            return func(*args, **kwargs)

    return wrapper


Connect = Callable[[str, "str | None"], "Github"]


@contextmanager
def open_repository(token: str, api_url: str | None, full_name: str, *,
                    connect: Connect | None = None) -> Iterator[Repository]:
    """The repository ``owner/name`` (no request yet: the client is lazy), for the ``with`` block.

    The client is closed afterwards; every GitHub error inside the block leaves as a
    GitHubError with the token redacted. ``connect`` replaces :func:`connect` (tests).
    """
    client = (connect or _connect)(token, api_url)
    try:
        with translated(token):
            yield client.get_repo(full_name)
    finally:
        client.close()

