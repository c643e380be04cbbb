"""mlci: DevOps discipline for machine-learning projects on GitHub."""

__version__ = "0.1.0"
