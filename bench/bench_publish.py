"""API requests of a full `mlci publish` on a PR with 0, 100 and 1,000 earlier comments.

Run:  python bench/bench_publish.py      (needs the test extra: pip install -e '.[test]')
Counts requests against the contract-checked fake GitHub of the test suite, first
publish and re-publish (the comment and the check run already exist). Goal: <= 6
requests when the PR has under 100 comments. Records: bench/README.md.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlci.context import RunContext  # noqa: E402
from mlci.github import client  # noqa: E402
from mlci.publish import PublishSettings, publish  # noqa: E402
from tests.github.fake_github import FakeGitHub  # noqa: E402
from tests.github.test_publish import BASE, HEAD, REPO, TOKEN, report  # noqa: E402


def count(earlier: int) -> tuple[int, int, list[str]]:
    fake = FakeGitHub().start()
    try:
        fake.add_token(TOKEN)
        fake.add_repo(REPO)
        fake.add_pull(REPO, 42, HEAD, BASE)
        for i in range(earlier):
            fake.add_comment(REPO, 42, f"earlier comment {i}", user="someone", created_at="2026-01-01T00:00:00Z")
        payload = {"number": 42, "pull_request": {"number": 42, "head": {"sha": HEAD}, "base": {"sha": BASE}}}
        ctx = RunContext(event="pull_request", payload=payload, repository=REPO, api_url=fake.url)
        settings = PublishSettings(token=TOKEN)

        def connect(token: str, url: str | None):  # type: ignore[no-untyped-def]
            return client.connect(token, url, throttle=False)

        publish(report(), ctx, settings, env={}, connect=connect)
        first = len(fake.requests)
        fake.reset_requests()
        publish(replace(report(), gates=()), ctx, settings, env={}, connect=connect)
        again = [f"{r[0]} {r[1]}" for r in fake.requests]
        assert not fake.violations, fake.violations
        return first, len(again), again
    finally:
        fake.stop()


def main() -> None:
    print("| earlier comments on the PR | first publish | re-publish | goal |\n|--:|--:|--:|---|")
    for earlier in (0, 100, 1000):
        first, again, _ = count(earlier)
        goal = "<= 6" if earlier < 100 else "(none)"
        print(f"| {earlier:,} | {first} | {again} | {goal} |")
    _, _, requests = count(0)
    print("\nRe-publish on a PR with no other comments:\n" + "\n".join(f"- `{r}`" for r in requests))


if __name__ == "__main__":
    main()
