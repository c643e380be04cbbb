"""The workflow templates ``mlci init`` writes, as shipped with mlci, and what their text says."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from mlci.errors import MlciError

TEMPLATES_PACKAGE = "mlci.workflow_templates"  # the repository's workflows-templates/, see pyproject.toml
WORKFLOWS: dict[str, tuple[str, ...]] = {
    "pull-request": ("mlci-pull-request.yml",),
    "fork-safe": ("mlci-pull-request-fork-safe.yml", "mlci-publish.yml"),
    "none": (),
}


def template(name: str) -> bytes:
    """A workflow template as shipped in the package (the repository's workflows-templates/), its
    mlci actions pinned to the release this package was built from when it is one (mlci.pins)."""
    from mlci import pins

    try:
        return pins.as_installed(resources.files(TEMPLATES_PACKAGE).joinpath(name).read_bytes())
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    # mlci run from a source checkout that is not installed (the actions' setup step links src/):
    # the templates are the checkout's own workflows-templates/ (this file is src/mlci/scaffold/workflows.py).
    checkout = Path(__file__).resolve().parents[3] / "workflows-templates" / name
    try:
        return pins.as_installed(checkout.read_bytes())
    except OSError:
        raise MlciError(f"the workflow template {name} is not installed with mlci; reinstall it "
                        "(`pip install .`, or `pip install -e .` in a checkout)") from None


def secrets_in(text: str) -> list[str]:
    """The secrets a workflow reads (``secrets.NAME`` anywhere in a ``${{ }}``), in order of appearance."""
    expressions = re.findall(r"\$\{\{(.*?)\}\}", text)
    return list(dict.fromkeys(name for e in expressions for name in re.findall(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)", e)))


def pushed_branches(text: str) -> list[str]:
    """The branches a workflow's ``push:`` trigger names in the templates' one-line form."""
    match = re.search(r"^  push:\n    branches: \[([^\]]*)\]", text, re.M)
    return [b.strip() for b in match[1].split(",")] if match else []
