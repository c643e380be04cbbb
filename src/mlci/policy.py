"""Which mlci.yaml applies: the base's by default, so a PR cannot loosen its own gate."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from mlci import git
from mlci.config import DEFAULT_CONFIG, Policy, load_policy
from mlci.errors import ConfigError
from mlci.report import PolicyInfo, Revision
from mlci.safeload import read_text
from mlci.yamlfile import POLICY_LIMITS

MAX_DIFF = 8_000
MAX_DIFF_INPUT = 200_000  # characters of both copies: difflib's time grows with the product of their lines


def select_policy(cwd: str | Path, base: Revision, head: Revision, config: str | None = None) -> tuple[Policy | None, PolicyInfo | None]:
    """Read the policy at base and at head and choose one.

    The base's copy applies unless it says ``policy: head``. Without a copy at
    base (the PR adds mlci.yaml), the head's applies and the report says so.
    ``config`` names another file (relative to ``cwd``); the same rules apply.

    Both copies are read within the same limits (:data:`mlci.yamlfile.POLICY_LIMITS`). When
    the base's applies, the head's (the PR's, maybe hostile) is parsed only to say whether it
    is valid: a copy that cannot be read or parsed is a note, never the run's failure.
    """
    name = config or DEFAULT_CONFIG
    head_error: ConfigError | None = None
    try:
        head_text = _read_head(cwd, name, head)
    except ConfigError as exc:
        head_text, head_error = None, exc
    base_text = None
    if base.sha is not None:
        try:
            base_text = _show(cwd, base, name)
        except ValueError:  # a --config outside the repository: nothing at base
            base_text = None
    if head_error is not None and (base_text is None or load_policy(base_text, f"{name} (at {base.rev})").use != "base"):
        raise head_error
    if head_text is None and base_text is None:
        if config:
            raise ConfigError(f"{config}: file not found")
        return None, None

    changed = base_text is not None and (head_error is not None or head_text is not None and base_text != head_text)
    diff = _diff(base_text, head_text, name) if changed and head_text is not None else ""
    base_policy = load_policy(base_text, f"{name} (at {base.rev})") if base_text is not None else None
    if base_policy is not None and base_policy.use == "base":
        note = "the base's copy applies, so a change cannot loosen its own gate"
        if changed:
            note += f"; this change edits {name}, which takes effect once merged"
            try:
                if head_error is not None:
                    raise head_error
                assert head_text is not None
                load_policy(head_text, name)
            except ConfigError as exc:
                note += f", but its new copy is invalid: {exc}"
        return base_policy, _info(base_policy, file=name, source="base", rev=base.rev, sha=base.sha, changed=changed, diff=diff, note=note)

    assert head_text is not None or base_policy is not None
    if head_text is None:  # the change deletes the policy file; the base's still applies
        assert base_policy is not None
        return base_policy, _info(base_policy, file=name, source="base", rev=base.rev, sha=base.sha, changed=True,
                                  diff="", note=f"this change deletes {name}; the base's copy applies")
    policy = load_policy(head_text, name)
    note = (f"{name} at {base.rev} says `policy: head`, so this change's copy applies" if base_policy is not None
            else f"{name} is new in this change, so its own copy applies")
    return policy, _info(policy, file=name, source="head", rev=head.rev, sha=head.sha, changed=changed, diff=diff, note=note)


def _info(policy: Policy, **fields: Any) -> PolicyInfo:
    """Which copy applied, with how it says the report is published: chosen once, here."""
    return PolicyInfo(comment_mode=policy.comment_mode, take_over_cml=policy.take_over_cml,
                      check_name=policy.check_name, plots=policy.plots, **fields)


def _read_head(cwd: str | Path, name: str, head: Revision) -> str | None:
    """The head's copy: from the work tree, from the head commit, or (a --config outside
    the repository) from the file as it is."""
    path = Path(cwd, name)
    if not head.workspace:
        try:
            return _show(cwd, head, name)
        except ValueError:
            pass
    try:
        return read_text(path, POLICY_LIMITS.bytes, error=ConfigError)
    except FileNotFoundError:
        return None


def _show(cwd: str | Path, rev: Revision, name: str) -> str | None:
    """The copy at ``rev``; ValueError for a file outside the repository."""
    assert rev.sha is not None
    relative = git.relative_to_root(cwd, name)
    try:
        return git.show_file(cwd, rev.sha, relative)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name} (at {rev.rev}): not UTF-8 text: the byte 0x{exc.object[exc.start]:02X}") from None


def _diff(base: str | None, head: str | None, name: str) -> str:
    if len(base or "") + len(head or "") > MAX_DIFF_INPUT:
        return f"(not shown: {name} is too large to compare line by line)\n"
    lines = difflib.unified_diff((base or "").splitlines(True), (head or "").splitlines(True),
                                 fromfile=f"a/{name}", tofile=f"b/{name}", n=1)
    text = "".join(lines)
    return text if len(text) <= MAX_DIFF else text[:MAX_DIFF] + "\n… (diff cut)\n"
