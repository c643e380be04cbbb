"""The workflow templates, installed with mlci as the package ``mlci.workflow_templates``.

pyproject.toml maps that package to this folder, so ``mlci init`` copies these very
files (the *.yml; the .properties.json stay here, for GitHub's template chooser).
This file only makes the folder importable, which ``pip install -e .`` needs.
"""
