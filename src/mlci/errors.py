"""One exception family, handled in one place (``cli.main``).

Every error a user can cause is an :class:`MlciError`: its message is one line
that names the file, key or revision at fault, and its ``exit_code`` is 2
(usage or configuration error) unless a subclass says otherwise.
"""

from __future__ import annotations

class MlciError(Exception):
    """A user-facing error: one clear line, no traceback."""

    exit_code = 2


class ConfigError(MlciError):
    """A configuration file (mlci.yaml, dvc.yaml, params) is wrong."""


class GitError(MlciError):
    """A git operation failed: not a repository, unknown revision, shallow clone."""


class DvcError(MlciError):
    """DVC could not do what was asked (no project, a stage failed, ...)."""

    exit_code = 2


class PipelineFailed(DvcError):
    """A stage of the pipeline failed: exit code 1, like a failed gate, not a usage error.

    Raised by the CLI from the Repro that ``dvc.repro`` returns; it carries no payload.
    """

    exit_code = 1


class BundleError(MlciError):
    """A report bundle is missing, malformed or from an unknown schema version."""


class CommandFailed(MlciError):
    """An external command exited with a non-zero status."""

    def __init__(self, cmd: list[str], code: int, output: str) -> None:
        self.cmd = cmd
        self.code = code
        self.output = output
        tail = output.strip().splitlines()[-1] if output.strip() else "no output"
        super().__init__(f"`{' '.join(cmd)}` exited with {code}: {tail}")


class CheckError(Exception):
    """A check could not be evaluated (file missing, column absent, ...).

    The evaluator turns it into a failed gate whose reason is this message:
    a gate that cannot be evaluated fails closed, it never passes silently.
    """


class ReleaseError(MlciError):
    """A version mlci cannot register: a bad name, a tag that exists, a dirty work tree."""
