"""Hosting a PR's plot images on the assets branch: the hosting half of issue 14's goal (a comment with 6 plots
drawn and hosted in under 5 s on 2 cores, with at most 4 git-data API calls plus 1 per image).

Run:  python bench/bench_hosting.py      (needs the test and plots extras: pip install -e '.[test,plots]'; ~1 minute)
Records: bench/README.md. Six PNG plots (30-60 KB each, drawn once with vl-convert from simple Vega-Lite
specifications) hosted with `mlci.github.assets.host_assets` through mlci's own PyGithub client against the
contract-checked fake GitHub of the test suite on loopback: a first run (the branch made) and a later run
(the branch holding 24 earlier runs of 8 pull requests, of which it prunes some), each median of ROUNDS,
a fresh fake per round. The fake checks every request and answer against GitHub's OpenAPI description;
the time it spends doing that (and serving) is measured apart, so the client's own share shows. The client
runs without PyGithub's pauses; a last line measures one later run with them (GitHub's guidance: a second
between writes), as CI pays it.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlci.github import client  # noqa: E402
from mlci.github.assets import Asset, Hosted, HostSettings, host_assets  # noqa: E402
from tests.github.fake_github import FakeGitHub  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REPO = "acme/churn"
TOKEN = "ghs_benchHostingToken0123456789"
NOW = datetime(2026, 12, 2, 0, 30, tzinfo=timezone.utc)


def plots() -> list[Asset]:
    """Six PNGs as a PR comment shows them: base against head, drawn with vl-convert at scale 1."""
    import vl_convert as vlc

    rng = random.Random(14)

    def spec(title: str, mark: dict[str, Any], rows: list[dict[str, Any]], encoding: dict[str, Any]) -> dict[str, Any]:
        return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "title": title, "width": 360,
                "height": 240, "data": {"values": rows}, "mark": mark, "encoding": encoding}

    def q(name: str) -> dict[str, str]:
        return {"field": name, "type": "quantitative"}

    def n(name: str) -> dict[str, str]:
        return {"field": name, "type": "nominal"}

    revs = ("base", "head")
    specs = [
        spec("ROC curve", {"type": "line"}, [{"fpr": i / 100, "tpr": min(1.0, (i / 100) ** (0.3 + k / 5)), "rev": r}
                                              for k, r in enumerate(revs) for i in range(101)],
             {"x": q("fpr"), "y": q("tpr"), "color": n("rev")}),
        spec("Precision-recall", {"type": "line", "point": True},
             [{"recall": i / 50, "precision": max(0.0, 1 - (i / 50) ** (2 + k) + rng.gauss(0, 0.01)), "rev": r}
              for k, r in enumerate(revs) for i in range(51)], {"x": q("recall"), "y": q("precision"), "color": n("rev")}),
        spec("Confusion matrix", {"type": "rect"}, [{"actual": str(i), "predicted": str(j), "rows": rng.randint(0, 90)}
                                                    for i in range(10) for j in range(10)],
             {"x": n("actual"), "y": n("predicted"), "color": q("rows")}),
        spec("Feature importance", {"type": "bar"}, [{"feature": f"feature_{i}", "importance": rng.random(), "rev": r}
                                                     for r in revs for i in range(12)],
             {"y": n("feature"), "x": q("importance"), "color": n("rev"), "yOffset": n("rev")}),
        spec("Training loss", {"type": "line"}, [{"step": s, "loss": 1 / (1 + s * (0.05 + k / 50)) + rng.gauss(0, 0.004),
                                                  "rev": r} for k, r in enumerate(revs) for s in range(200)],
             {"x": q("step"), "y": q("loss"), "color": n("rev")}),
        spec("Residuals", {"type": "point", "filled": True, "opacity": 0.6},
             [{"predicted": rng.gauss(0, 1), "residual": rng.gauss(0, 0.3), "rev": rng.choice(revs)} for _ in range(300)],
             {"x": q("predicted"), "y": q("residual"), "color": n("rev")}),
    ]
    names = ("roc.png", "precision_recall.png", "confusion.png", "importance.png", "loss.png", "residuals.png")
    return [Asset(name, vlc.vegalite_to_png(s, scale=1)) for name, s in zip(names, specs, strict=True)]


class Timed(FakeGitHub):
    """The fake, with the time it spends answering (serving and checking the contract) summed."""

    serving = 0.0

    def handle(self, method: str, target: str, headers: Any, raw: bytes) -> Any:
        start = time.perf_counter()
        try:
            return super().handle(method, target, headers, raw)
        finally:
            self.serving += time.perf_counter() - start


def fresh() -> Timed:
    fake = Timed().start()
    fake.add_token(TOKEN)
    fake.add_repo(REPO)
    return fake


def host(fake: Timed, assets: list[Asset], *, key: str, run: str, now: datetime, throttle: bool = False,
         open_prs: Callable[[], set[int]] = lambda: {12}) -> tuple[Hosted, float, float, int, int]:
    """(hosted, wall seconds, seconds inside the fake, git-data calls, all requests) of one host_assets call."""
    gh = client.connect(TOKEN, fake.url, throttle=throttle)
    try:
        repo = gh.get_repo(REPO)
        fake.reset_requests()
        fake.serving = 0.0
        start = time.perf_counter()
        hosted = host_assets(repo, assets, key=key, run=run, server_url="https://github.com", now=now,
                             open_prs=open_prs)
        wall = time.perf_counter() - start
    finally:
        gh.close()
    assert not fake.violations, fake.violations
    git_data = sum("/git/" in r.path for r in fake.requests)
    return hosted, wall, fake.serving, git_data, len(fake.requests)


def seeded(assets: list[Asset]) -> Timed:
    """A fake whose branch holds 24 earlier runs: 3 each of PRs 1-8 (PRs 1-4 closed), 20 to 30 days old."""
    fake = fresh()
    small = [Asset(a.name, a.data[:2000]) for a in assets]  # what the earlier runs hold does not matter here
    for number in range(1, 9):
        for run in range(3):
            host(fake, small, key=f"pr-{number}", run=f"run-{number}{run}-1",
                 now=NOW - timedelta(days=30 - number - run), open_prs=lambda: set(range(1, 13)))
    return fake


def main() -> None:
    assets = plots()
    sizes = [len(a.data) for a in assets]
    print(f"6 PNGs: {', '.join(f'{s / 1024:.0f}' for s in sizes)} KB ({sum(sizes) / 1024:.0f} KB in all)\n")
    cases: dict[str, list[tuple[Hosted, float, float, int, int]]] = {"first": [], "later": []}
    for _ in range(ROUNDS):  # interleaved, so drift in machine load hits both alike
        fake = fresh()
        try:
            cases["first"].append(host(fake, assets, key="pr-12", run="run-100-1", now=NOW))
        finally:
            fake.stop()
        fake = seeded(assets)
        try:
            cases["later"].append(host(fake, assets, key="pr-12", run="run-101-1", now=NOW,
                                       open_prs=lambda: {5, 6, 7, 8, 12}))
        finally:
            fake.stop()
    print("| run | wall (median of %d) | of it in the fake (serving, contract checks) | client's share | "
          "git-data calls | all requests | pruned |\n|---|--:|--:|--:|--:|--:|--:|" % ROUNDS)
    for name, label in (("first", "first run: the branch made"), ("later", "later run: 24 runs there, pruning")):
        runs = cases[name]
        wall = statistics.median(r[1] for r in runs)
        inside = statistics.median(r[2] for r in runs)
        client_share = statistics.median(r[1] - r[2] for r in runs)
        hosted, _, _, git_data, everything = runs[0]
        print(f"| {label} | {wall:.3f} s | {inside:.3f} s | {client_share:.3f} s | {git_data} (goal <= {4 + len(assets)}) "
              f"| {everything} | {len(hosted.pruned)} |")
    fake = seeded(assets)
    try:
        _, wall, _, git_data, everything = host(fake, assets, key="pr-12", run="run-102-1", now=NOW, throttle=True,
                                                open_prs=lambda: {5, 6, 7, 8, 12})
    finally:
        fake.stop()
    print(f"\nA later run with PyGithub's pauses (0.25 s between requests, 1 s between writes): {wall:.2f} s, "
          f"{git_data} git-data calls of {everything} requests")


if __name__ == "__main__":
    main()
