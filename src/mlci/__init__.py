"""mlci: DevOps discipline for machine-learning projects on GitHub."""

# The package's one version (pyproject.toml reads it from here). A release X.Y.Z is the commit
# tagged vX.Y.Z whose version this is; docs/releasing.md.
__version__ = "0.2.0.dev0"

# The one place that names mlci's GitHub Action and the major tag users call it by (the
# README's short form `mlci-actions/mlci@v0`, moved to each 0.x release; the schema and docs
# URLs). The workflow templates, README, docs and the demo's mlci.yaml repeat it literally,
# because people copy them: `python tools/sync_docs.py` rewrites them from here, and
# tests/test_docs.py fails while any of them differs. The templates pin a release by commit
# instead (`@<commit> # vX.Y.Z`): tools/pin_release.py keeps them at the latest one.
ACTION_REPOSITORY = "mlci-actions/mlci"
ACTION_MAJOR = "v0"
