"""mlci: DevOps discipline for machine-learning projects on GitHub."""

__version__ = "0.1.0"

# The one place that names mlci's GitHub Action and the major tag users call it by. The
# workflow templates, README, docs and the demo's mlci.yaml repeat it literally, because
# people copy them: `python tools/sync_docs.py` rewrites them from here, and
# tests/test_docs.py fails while any of them differs.
ACTION_REPOSITORY = "mlci-actions/mlci"
ACTION_MAJOR = "v1"
