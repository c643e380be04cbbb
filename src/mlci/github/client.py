"""A PyGithub client with GitHub's retry guidance, request timeouts, and the token kept out of every message."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from github import Github

DEFAULT_API = "https://api.github.com"
RETRIED_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"})
TIMEOUT_S = 30


def connect(token: str, api_url: str | None = None, *, throttle: bool = True, retry_total: int = 6,
            secondary_rate_wait: float = 60.0, backoff_factor: float = 1.0) -> Github:
    """A client for ``api_url`` (GitHub Enterprise Server works: GITHUB_API_URL).

    PyGithub's GithubRetry retries 5xx answers, dropped connections and primary
    and secondary rate limits, honouring Retry-After and x-ratelimit-reset.
    ``throttle=False`` drops PyGithub's pauses between requests (tests on loopback).
    """
    import logging

    from github import Auth, Github, GithubRetry

    # PyGithub's logger prints each refused or retried request on stderr (its own handler);
    # mlci reports the outcome in one line instead, and warnings still show.
    logging.getLogger("github").setLevel(logging.WARNING)

    # urllib3 leaves POST and PATCH out of its retried methods; mlci's writes are safe to
    # repeat (a duplicate comment from a lost response is removed after creation).
    retry = GithubRetry(total=retry_total, secondary_rate_wait=secondary_rate_wait, backoff_factor=backoff_factor,
                        allowed_methods=RETRIED_METHODS)
    pauses = {} if throttle else {"seconds_between_requests": None, "seconds_between_writes": None}
    return Github(
        base_url=(api_url or DEFAULT_API).rstrip("/"),
        auth=Auth.Token(token),
        timeout=TIMEOUT_S,
        retry=retry,
        per_page=100,
        user_agent="mlci",
        lazy=True,  # objects are built from URLs; only real reads and writes cost a request
        **pauses,  # type: ignore[arg-type]
    )


def redact(text: str, token: str | None) -> str:
    """``text`` with the token (should it ever appear) replaced."""
    return text.replace(token, "***") if token else text
