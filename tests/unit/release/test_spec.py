"""release.spec: mlci.yaml's ``release:`` section, as the schema accepts it and config builds it."""

from __future__ import annotations

import pytest

from mlci.config import load_policy
from mlci.errors import ConfigError
from mlci.release.spec import ReleaseSpec, parse


def test_no_section_is_the_defaults() -> None:
    assert parse(None, None) == ReleaseSpec()
    assert ReleaseSpec().assets is False and ReleaseSpec().first_version == "v0.1.0"


def test_assets_and_the_rest_of_the_section() -> None:
    spec = parse({"artifacts": ["churn"], "first_version": "v1.0.0", "assets": True}, 4)
    assert spec == ReleaseSpec(artifacts=("churn",), first_version="v1.0.0", assets=True, line=4)


def test_mlci_yaml_turns_assets_on() -> None:
    policy = load_policy("version: 1\nrelease:\n  assets: true\n", "mlci.yaml")
    assert policy.release.assets is True and policy.release.line == 2


def test_assets_must_be_a_boolean() -> None:
    with pytest.raises(ConfigError, match=r"mlci\.yaml:3: release\.assets"):
        load_policy("version: 1\nrelease:\n  assets: 'yes'\n", "mlci.yaml")
