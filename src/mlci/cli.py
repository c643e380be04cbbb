"""The command line: click's options become a command's Settings (mlci.commands); errors become exit codes.

Exit codes: 0 ok, 1 a gate failed, 2 usage or configuration error, 3 a bug in mlci.
Each command's module is imported when it runs, and heavy modules (DVC, scikit-learn,
jsonschema) only inside it, so that ``mlci --help`` stays fast.
"""

from __future__ import annotations

import io
import os
import sys
import traceback as _traceback
from typing import Any

import click

from mlci.commands import DEFAULT_OUT, echo, echo_err
from mlci.errors import MlciError
from mlci.pins import version_text

# Every option can also come from an MLCI_* environment variable (shown in --help): the
# composite actions pass their inputs that way, so no shell code sits between an input
# and mlci. An empty variable counts as unset.
BUNDLE_ENV = "MLCI_REPORT_DIR"
FORMATS = ("text", "md", "json")


def use_color(stream: Any = None) -> bool:
    """Colours only on a terminal, and never when NO_COLOR is set."""
    stream = sys.stdout if stream is None else stream
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def live_progress() -> bool:
    """A progress line redrawn in place: on a terminal, and never in CI (act gives its steps a terminal;
    a log wants whole lines)."""
    return sys.stderr.isatty() and not (os.environ.get("CI") or os.environ.get("GITHUB_ACTIONS"))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version_text(), "-V", "--version", prog_name="mlci", message="%(prog)s %(version)s")
@click.option("--traceback", is_flag=True, help="Show the full Python traceback on errors (on stderr; the exit code stays the error's own).")
@click.pass_context
def cli(ctx: click.Context, traceback: bool) -> None:
    """mlci: reproduce a DVC pipeline, compare metrics and params with the base, report and gate.

    \b
    Typical use, in CI or locally:
      mlci init             write a starter mlci.yaml and the GitHub workflow (once)
      mlci repro            run the pipeline (pull from the DVC remote first)
      mlci report           compare with the base, evaluate mlci.yaml, write the bundle mlci-report/
      mlci gate             exit 1 when a gate failed
      mlci publish          the PR comment, the check and the job summary on GitHub
      mlci drift            data drift and validation of production data against the training data
      mlci demo             see it all on an example project
    """
    ctx.obj = {"traceback": traceback}


@cli.command(context_settings={"ignore_unknown_options": True})
@click.option("--pull/--no-pull", default=None, envvar="MLCI_DVC_PULL", show_envvar=True, help="Pull outputs and run-cache first. Default: when a default remote is set.")
@click.option("--push", is_flag=True, envvar="MLCI_DVC_PUSH", show_envvar=True, help="Push outputs and run-cache to the default remote afterwards.")
@click.option("--out", "out", default=DEFAULT_OUT, show_default=True, type=click.Path(file_okay=False),
              envvar=BUNDLE_ENV, show_envvar=True, help="Bundle directory where the stage results are kept for `mlci report`.")
@click.option("--record-failure", is_flag=True, envvar="MLCI_RECORD_FAILURE", show_envvar=True,
              help="When a stage fails, keep the failure for `mlci report` (its verdict fails and says where) "
                   "and exit 0, so the report is still published; `mlci gate` fails the job afterwards. "
                   "Default: exit 1.")
@click.argument("dvc_args", nargs=-1, type=click.UNPROCESSED)
def repro(pull: bool | None, push: bool, out: str, record_failure: bool, dvc_args: tuple[str, ...]) -> None:
    """Run the pipeline as CI should: pull, `dvc repro [DVC_ARGS]...`, push when asked.

    Extra arguments go to `dvc repro` unchanged, e.g. `mlci repro --force train`.
    Exits 1 when a stage fails (0 with --record-failure).
    """
    from mlci.commands import repro as command

    _exit(command.run(command.Settings(out=out, pull=pull, push=push, record_failure=record_failure,
                                       dvc_args=dvc_args, echo=echo, stream=echo)))


@cli.command()
@click.option("--base", envvar="MLCI_BASE", show_envvar=True, help="Revision to compare with. Default: the PR base, the previous commit on the default branch, or the merge-base with it.")
@click.option("--head", envvar="MLCI_HEAD", show_envvar=True, help="Revision to compare. Default: the workspace (what `mlci repro` produced).")
@click.option("--out", "out", default=DEFAULT_OUT, show_default=True, type=click.Path(file_okay=False),
              envvar=BUNDLE_ENV, show_envvar=True, help="Directory for the bundle (report.json, report.md).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="What to print on standard output.")
@click.option("--project", envvar="MLCI_PROJECT", show_envvar=True, help="Project name shown in the report. Default: `project` in mlci.yaml, else the DVC project's folder name.")
@click.option("--config", envvar="MLCI_CONFIG", show_envvar=True, help="The policy file. Default: mlci.yaml. On a PR the base's copy applies unless it says `policy: head`.")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Draw the plots dvc.yaml declares into the bundle's plots/ folder, as mlci.yaml's `plots:` says.")
def report(base: str | None, head: str | None, out: str, fmt: str, project: str | None, config: str | None,
           plots: bool) -> None:
    """Compare metrics and params with the base, evaluate the policy; write the bundle and print it.

    Exits 0 whatever the verdict: `mlci gate` turns the verdict into an exit code.
    """
    from mlci.commands import report as command

    _exit(command.run(command.Settings(out=out, fmt=fmt, base=base, head=head, project=project,  # type: ignore[arg-type]
                                       config=config, plots=plots, color=use_color(), echo=echo)))


@cli.command()
@click.argument("bundle", default=DEFAULT_OUT, type=click.Path(file_okay=False), envvar=BUNDLE_ENV)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="How to print the verdict.")
def gate(bundle: str, fmt: str) -> None:
    """Print the verdict of a bundle; exit 0 when every non-informational gate passed, 1 when any failed."""
    from mlci.commands import gate as command

    _exit(command.run(command.Settings(bundle=bundle, fmt=fmt, color=use_color(), echo=echo)))  # type: ignore[arg-type]


@cli.command()
@click.argument("bundle", default=DEFAULT_OUT, type=click.Path(file_okay=False), envvar=BUNDLE_ENV)
@click.option("--token", help="GitHub token. Default: GITHUB_TOKEN, then GH_TOKEN. Without one, nothing is posted (local mode).")
@click.option("--comment", "comment", type=click.Choice(["update", "new", "once", "off"]), envvar="MLCI_COMMENT", show_envvar=True,
              help="How to post the PR comment. Default: `comment.mode` of the policy that judged the gates "
                   "(recorded in the bundle; not under workflow_run), else update.")
@click.option("--check-name", envvar="MLCI_CHECK_NAME", show_envvar=True, help="The check's name. Default: `check.name` of the policy that judged the gates, else mlci.")
@click.option("--take-over-cml", is_flag=True, default=None, envvar="MLCI_TAKE_OVER_CML", show_envvar=True, help="Reuse a comment CML left instead of adding one.")
@click.option("--config", envvar="MLCI_CONFIG", show_envvar=True, help="A policy file to take the comment and check settings from instead of the bundle's policy.")
@click.option("--gate", is_flag=True, envvar="MLCI_GATE", show_envvar=True,
              help="After posting, print the verdict and exit 1 when it is fail, as `mlci gate` (the verdict posted: judged again under workflow_run).")
def publish(bundle: str, token: str | None, comment: str | None, check_name: str | None,
            take_over_cml: bool | None, config: str | None, gate: bool) -> None:
    """Post a bundle: the sticky PR comment, the check run (or a commit status), the job summary, step outputs."""
    from mlci.commands import publish as command

    _exit(command.run(command.Settings(bundle=bundle, token=token, comment=comment,  # type: ignore[arg-type]
                                       check_name=check_name, take_over_cml=take_over_cml, config=config,
                                       gate=gate, echo=echo)))


@cli.command()
@click.argument("which", type=click.Choice(["policy", "report"]), default="policy")
def schema(which: str) -> None:
    """Print a JSON Schema: the policy file mlci.yaml (default) or the bundle's report.json."""
    from mlci.commands import schema as command

    _exit(command.run(command.Settings(which=which, echo=echo)))  # type: ignore[arg-type]


@cli.command()
@click.argument("directory", metavar="[DIR]", default=".")
@click.option("--workflow", type=click.Choice(["pull-request", "fork-safe", "none"]), default="pull-request",
              show_default=True, help="Which workflow to write into DIR/.github/workflows/: the one-job PR check, "
              "the fork-safe pair (PR job + publish job), or none.")
@click.option("--force", is_flag=True, help="Overwrite files that exist (default: keep them).")
def init(directory: str, workflow: str, force: bool) -> None:
    """Write a starter mlci.yaml (a gate per metric of the DVC project in DIR) and the GitHub workflow.

    DIR holds dvc.yaml; default: the current directory. Files that exist are kept
    unless --force. Prints what is left to do.
    """
    from mlci.commands import init as command

    _exit(command.run(command.Settings(directory=directory, workflow=workflow, force=force,  # type: ignore[arg-type]
                                       echo=echo)))


@cli.command()
@click.argument("bundle", default=DEFAULT_OUT, type=click.Path(file_okay=False), envvar=BUNDLE_ENV)
@click.option("--dry-run", is_flag=True, envvar="MLCI_DRY_RUN", show_envvar=True,
              help="Print the tags and model cards it would create, and create nothing.")
@click.option("--bump", type=click.Choice(["major", "minor", "patch"]), envvar="MLCI_BUMP", show_envvar=True,
              help="The part of the version to bump. Default: from the merged PR's labels (release:major|minor|patch), "
                   "then its conventional title (feat: minor, fix: patch, '!': major), else patch.")
@click.option("--pr", "pr_number", type=click.IntRange(min=1), help="The number of the PR the commit came from.")
@click.option("--pr-title", help="Its title (for the bump, and the model card).")
@click.option("--label", "labels", multiple=True, help="Its labels (repeat the option for each).")
@click.option("--config", envvar="MLCI_CONFIG", show_envvar=True, help="The policy file. Default: mlci.yaml.")
def release(bundle: str, dry_run: bool, bump: str | None, pr_number: int | None, pr_title: str | None,
            labels: tuple[str, ...], config: str | None) -> None:
    """Version each artifact whose content changed: a GTO tag (name@vX.Y.Z) and its model card.

    Needs the bundle `mlci report` made for this commit, with its gates passed (exit 1 otherwise).
    With a token (GITHUB_TOKEN) in GitHub Actions, the tag goes to GitHub with a release whose body
    is the model card; without one, the tag stays in the local clone and the card is printed.
    """
    from mlci.commands import release as command

    _exit(command.run(command.Settings(bundle=bundle, dry_run=dry_run, bump=bump,  # type: ignore[arg-type]
                                       pr_number=pr_number, pr_title=pr_title, labels=labels, config=config,
                                       echo=echo)))


@cli.command()
@click.argument("name")
@click.argument("version")
@click.argument("stage")
@click.option("--demote", is_flag=True, envvar="MLCI_DEMOTE", show_envvar=True,
              help="Take VERSION out of STAGE instead (GTO's name#stage!#N tag).")
@click.option("--dry-run", is_flag=True, envvar="MLCI_DRY_RUN", show_envvar=True,
              help="Judge the stage's gates (even for a version in STAGE: a deployment's re-check) and say what "
                   "it would do; write no tag.")
@click.option("--dispatch", envvar="MLCI_DISPATCH", show_envvar=True,
              help="A workflow (file name or id) to start once the tag is on GitHub, with inputs name, version "
                   "and stage: tags pushed with the job's own token start none.")
@click.option("--policy-ref", envvar="MLCI_POLICY_REF", show_envvar=True,
              help="Judge with the policy at this git revision (e.g. origin/main: today's gates for an older "
                   "version checked out), not the work tree's.")
@click.option("--config", envvar="MLCI_CONFIG", show_envvar=True, help="The policy file. Default: mlci.yaml.")
def promote(name: str, version: str, stage: str, demote: bool, dry_run: bool, dispatch: str | None,
            policy_ref: str | None, config: str | None) -> None:
    """Move VERSION of artifact NAME into STAGE: GTO's stage tag (name#stage#N), once the stage's gates pass.

    The gates are mlci.yaml's promote.stages.STAGE, judged on the version's commit against the
    version in STAGE now; promote.order says which stage must come first; .gto which stages exist.
    Exit 1 when a gate failed (no tag), 2 for an unknown version or stage, or a stage out of order.
    """
    from mlci.commands import promote as command

    _exit(command.run(command.Settings(name=name, version=version, stage=stage, demote=demote, dry_run=dry_run,
                                       dispatch=dispatch or None, config=config, policy_ref=policy_ref or None,
                                       echo=echo)))


@cli.command()
@click.argument("model_path", type=click.Path(dir_okay=False))
@click.option("--name", envvar="MLCI_MODEL_NAME", show_envvar=True,
              help="The model's name in the API's paths. Default: the file's stem (model.onnx: model).")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on (0.0.0.0 in a container).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="The port (0: any free one).")
@click.option("--version", "model_version", help="The model's version in V2's metadata and paths. Default: none.")
@click.option("--max-request-bytes", default=16 * 1024 * 1024, show_default=True, type=click.IntRange(min=1),
              help="A larger request body is refused with 413.")
@click.option("--shutdown-timeout", default=30, show_default=True, type=click.IntRange(min=0),
              help="Seconds a shutdown (SIGTERM) waits for the requests in flight.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
def serve(model_path: str, name: str | None, host: str, port: int, model_version: str | None,
          max_request_bytes: int, shutdown_timeout: int, log_level: str) -> None:
    """Serve an ONNX model behind the Open Inference Protocol's REST API (KServe V2): /v2/health/live|ready,
    /v2/models/NAME[/ready], POST /v2/models/NAME/infer, and Prometheus /metrics. Needs mlci[serve].

    JSON access logs on standard error; SIGTERM answers the requests in flight, then exits 0.
    """
    from mlci.commands import serve as command

    _exit(command.run(command.Settings(model_path=model_path, name=name, host=host, port=port, version=model_version,
                                       max_request_bytes=max_request_bytes, shutdown_timeout_s=shutdown_timeout,
                                       log_level=log_level.upper(), echo=echo)))


@cli.group()
def comment() -> None:
    """CML's `cml comment create`, for your own markdown report: `mlci comment create report.md`."""


def _comment_options(func: Any) -> Any:
    options = [
        click.argument("file", metavar="[FILE]", default="-"),
        click.option("--target", help="Where to comment, CML's syntax: pr (the run's PR, else the open PR the commit "
                     "heads), commit (a commit comment), pr/N, issue/N, commit/SHA. Default: the PR, else the commit."),
        click.option("--watermark-title", default="", help="Names the comment, so that comments of different titles "
                     "stay apart; {workflow} and {run} are replaced. The CML comment of the same title is taken over."),
        click.option("--publish/--no-publish", default=True, show_default=True,
                     help="Commit the local images the markdown shows to the assets branch and link them there "
                     "(--no-publish: leave their links as written; GitHub does not show them)."),
        click.option("--watch", is_flag=True, help="Post again whenever FILE or an image it shows changes, until Ctrl-C."),
        click.option("--token", "--driver-token", "token",
                     help="GitHub token. Default: GITHUB_TOKEN, then GH_TOKEN, then REPO_TOKEN (CML's). Without one, "
                     "nothing is posted (local mode: what would be posted is printed)."),
        click.option("--repo", help="The repository (owner/name or its URL). Default: GITHUB_REPOSITORY."),
        click.option("--driver", type=click.Choice(["github", "gitlab", "bitbucket"]), hidden=True),
        click.option("--pr", is_flag=True, hidden=True),
        click.option("--commit-sha", "--head-sha", "commit_sha", hidden=True),
        click.option("--update", is_flag=True, hidden=True),
        click.option("--publish-url", hidden=True),
        click.option("--native", "--publish-native", "native", is_flag=True, hidden=True),
        click.option("--rm-watermark", is_flag=True, hidden=True),
        click.option("--log", type=click.Choice(["error", "warn", "info", "debug"]), hidden=True),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _comment_create(file: str, target: str | None, watermark_title: str, publish: bool, watch: bool,
                    token: str | None, repo: str | None, driver: str | None, pr: bool, commit_sha: str | None,
                    update: bool, **cml: Any) -> None:
    """``update`` (CML's `cml comment update`) is what mlci always does."""
    from mlci.commands import comment as command

    target, notes = command.cml_flags(target=target, pr=pr, commit_sha=commit_sha, driver=driver, **cml)
    _exit(command.run(command.Settings(file=file, target=target, watermark_title=watermark_title, publish=publish,
                                       watch=watch, token=token, repo=repo, notes=notes, echo=echo)))


@comment.command("create")
@_comment_options
def comment_create(**options: Any) -> None:
    """Post FILE (markdown; - or none: standard input) as one comment, edited in place on the next run.

    \b
    Local images (![alt](plot.png), <img src="plot.png">) are committed to the repository's assets
    branch (mlci-assets) and their links rewritten; remote links are left as written. An image outside
    the repository, missing, not PNG/JPEG/GIF/SVG or over 10 MB is named, in the output and the comment.
    Needs pull-requests: write (issues: write for issue/N, contents: write for commit comments and the
    images).
    """
    _comment_create(**options)


@comment.command("update")
@_comment_options
def comment_update(**options: Any) -> None:
    """The same as `mlci comment create` (CML's `cml comment update`): mlci always edits its comment in place."""
    _comment_create(**options)


DRIFT_ENV = "MLCI_DRIFT_DIR"
DRIFT_OUT = "mlci-drift"


@cli.group(invoke_without_command=True)
@click.option("--reference", envvar="MLCI_DRIFT_REFERENCE", show_envvar=True,
              help="The reference data (CSV/Parquet file, a directory of them) or a profile (*.profile). "
                   "Default: every entry of `checks.drift` in mlci.yaml.")
@click.option("--current", envvar="MLCI_DRIFT_CURRENT", show_envvar=True,
              help="The current data (CSV/Parquet file or a directory of them). Given with --reference.")
@click.option("--reference-rev", envvar="MLCI_DRIFT_REFERENCE_REV", show_envvar=True,
              help="Read the reference as of this git revision (through DVC when it is tracked).")
@click.option("--current-rev", envvar="MLCI_DRIFT_CURRENT_REV", show_envvar=True,
              help="Read the current data as of this git revision (through DVC when it is tracked).")
@click.option("--config", envvar="MLCI_CONFIG", show_envvar=True, help="The policy file. Default: mlci.yaml.")
@click.option("--out", "out", default=DRIFT_OUT, show_default=True, type=click.Path(file_okay=False),
              envvar=DRIFT_ENV, show_envvar=True, help="Directory for the bundle (report.json, report.md).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="What to print on standard output.")
@click.option("--threshold-share", type=click.FloatRange(0, 1, min_open=True), envvar="MLCI_DRIFT_THRESHOLD_SHARE",
              show_envvar=True, help="Dataset drift when this share of the tested columns drifted. "
                                     "Default: the policy's, else 0.5.")
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="Run the data validation (mlci.yaml's `checks.data` rules) on the current data too.")
@click.option("--dvc-update", "dvc_update", multiple=True, envvar="MLCI_DVC_UPDATE", show_envvar=True,
              metavar="FILE.dvc", help="First `dvc update` this .dvc file of `dvc import`ed data (repeat for each; "
                                       "the variable takes several, separated by spaces).")
@click.pass_context
def drift(ctx: click.Context, reference: str | None, current: str | None, reference_rev: str | None,
          current_rev: str | None, config: str | None, out: str, fmt: str, threshold_share: float | None,
          validate: bool, dvc_update: tuple[str, ...]) -> None:
    """Data drift of the current data against the reference, and its validation; write the bundle.

    \b
    Exit 0: no dataset drift and validation passed; 1: dataset drift or a failed validation gate;
    2: bad input. `mlci drift profile` stores the reference's statistics once; `mlci drift publish`
    posts a bundle (the job summary, the tracking issue, the retraining).
    """
    if ctx.invoked_subcommand is not None:
        return
    from mlci.commands import drift as command

    _exit(command.run(command.Settings(reference=reference, current=current, reference_rev=reference_rev,
                                       current_rev=current_rev, config=config, out=out, fmt=fmt,  # type: ignore[arg-type]
                                       threshold_share=threshold_share, validate=validate, color=use_color(),
                                       dvc_update=dvc_update, progress=live_progress(), echo=echo,
                                       echo_err=echo_err)))


@drift.command("profile")
@click.argument("data")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The profile file to write.")
@click.option("--rev", envvar="MLCI_DRIFT_REV", show_envvar=True,
              help="Read DATA as of this git revision (through DVC when it is tracked).")
def drift_profile(data: str, out: str, rev: str | None) -> None:
    """Store what the drift tests need from DATA (a CSV/Parquet file or a directory), to compare against later."""
    from mlci.commands import drift as command

    _exit(command.run_profile(command.ProfileSettings(data=data, out=out, rev=rev, progress=live_progress(),
                                                      echo=echo, echo_err=echo_err)))


@drift.command("publish")
@click.argument("bundle", default=DRIFT_OUT, type=click.Path(file_okay=False), envvar=DRIFT_ENV)
@click.option("--token", help="GitHub token. Default: GITHUB_TOKEN, then GH_TOKEN. Without one, nothing is posted (local mode).")
@click.option("--label", default="mlci-drift", show_default=True, envvar="MLCI_DRIFT_LABEL", show_envvar=True,
              help="The label of the one tracking issue.")
@click.option("--retrain-workflow", envvar="MLCI_RETRAIN_WORKFLOW", show_envvar=True,
              help="The retraining workflow (its file name or id) to dispatch when drift crosses the retrain share.")
@click.option("--retrain-ref", envvar="MLCI_RETRAIN_REF", show_envvar=True,
              help="The ref to run the retraining workflow on. Default: the repository's default branch.")
@click.option("--retrain-share", type=click.FloatRange(0, 1), envvar="MLCI_RETRAIN_SHARE", show_envvar=True,
              help="Retrain when this share of columns drifted. Default: the bundle's retrain_share, "
                   "else when the dataset drifted.")
@click.option("--cooldown", "cooldown_hours", type=click.FloatRange(min=0), default=24, show_default=True,
              envvar="MLCI_COOLDOWN", show_envvar=True, help="Hours between two retraining dispatches, at most one in each.")
@click.option("--fail-on-drift", is_flag=True, envvar="MLCI_FAIL_ON_DRIFT", show_envvar=True,
              help="Exit 1 after posting when the data drifted.")
@click.option("--retrain-mode", type=click.Choice(["dispatch", "pull-request"]), default="dispatch",
              show_default=True, envvar="MLCI_RETRAIN_MODE", show_envvar=True,
              help="How to retrain: start --retrain-workflow, or open ONE pull request with the --update-file "
                   "files (moved and edited on later updates).")
@click.option("--update-file", "update_files", multiple=True, envvar="MLCI_DVC_UPDATE", show_envvar=True,
              metavar="FILE.dvc", help="pull-request mode: a .dvc file `mlci drift --dvc-update` brought up to date, "
                                       "proposed as it is in the workspace (repeat for each; the variable takes "
                                       "several, separated by spaces).")
def drift_publish(bundle: str, token: str | None, label: str, retrain_workflow: str | None, retrain_ref: str | None,
                  retrain_share: float | None, cooldown_hours: float, fail_on_drift: bool, retrain_mode: str,
                  update_files: tuple[str, ...]) -> None:
    """Post a drift bundle: the job summary, the ONE tracking issue (open, update, close), the retraining (a
    dispatch, or a pull request that updates the data)."""
    from mlci.commands import drift_publish as command

    token = token or os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or None
    _exit(command.run(command.Settings(bundle=bundle, token=token, label=label, retrain_workflow=retrain_workflow,
                                       retrain_ref=retrain_ref, retrain_share=retrain_share,
                                       cooldown_hours=cooldown_hours, fail_on_drift=fail_on_drift,
                                       retrain_mode=retrain_mode, update_files=update_files,
                                       echo=echo, echo_err=echo_err)))


@cli.command("check-ref")
@click.argument("ref", envvar="GITHUB_REF")
def check_ref(ref: str) -> None:
    """What the GTO tag REF says (default: GITHUB_REF): event, name, version, stage, as gto-action's outputs."""
    from mlci.commands import check_ref as command

    _exit(command.run(command.Settings(ref=ref, echo=echo)))


@cli.command()
@click.option("--keep", type=click.Path(file_okay=False), help="Build the example here and keep it (default: a temporary directory, removed afterwards).")
def demo(keep: str | None) -> None:
    """Build an example DVC project with two PRs and show mlci's report for each."""
    from mlci.commands import demo as command

    _exit(command.run(command.Settings(keep=keep, color=use_color(), echo=echo)))


def _exit(code: int) -> None:
    """A command's exit code: 0 returns to click, anything else ends the process with it."""
    if code:
        sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one place where errors become messages and exit codes.

    Every line goes through the commands' echo (stdout) or echo_err (stderr): in GitHub Actions
    a message that quotes the user's text starts no workflow command. ``--traceback`` adds the
    traceback on standard error; the exit code stays the error's own.
    """
    args = sys.argv[1:] if argv is None else argv
    show_traceback = "--traceback" in args
    try:
        cli.main(args=args, prog_name="mlci", standalone_mode=False)
    except SystemExit:
        raise
    except MlciError as exc:
        _fail(f"mlci: error: {exc}", exc.exit_code, show_traceback)
    except click.exceptions.Abort:
        _fail("mlci: aborted", 130, False)
    except click.ClickException as exc:
        shown = io.StringIO()
        exc.show(file=shown)
        echo_err(shown.getvalue(), nl=False)
        sys.exit(2 if exc.exit_code not in (0, 1) else exc.exit_code)
    except KeyboardInterrupt:
        _fail("mlci: interrupted", 130, False)
    except Exception as exc:  # a bug in mlci, not the user's mistake
        missing = (exc.name or "").split(".")[0] if isinstance(exc, ModuleNotFoundError) else ""
        if missing in ("dvc", "gto"):  # the setup action's `purpose: publish` installs mlci without them
            _fail(f"mlci: error: this command needs {missing.upper()}, which this mlci was installed without "
                  "(the setup action's `purpose: publish`, for publish, gate and comment): set it up with "
                  "`purpose: pipeline` (the default)", 2, show_traceback)
        hint = "report it" if show_traceback else "run with --traceback and report it"
        _fail(f"mlci: internal error: {type(exc).__name__}: {exc} ({hint})", 3, show_traceback)
    sys.exit(0)


def _fail(message: str, code: int, show_traceback: bool) -> None:
    """The message on standard error (after the traceback when asked), then exit ``code``."""
    if show_traceback:
        echo_err(_traceback.format_exc(), nl=False)
    echo_err(message)
    sys.exit(code)
