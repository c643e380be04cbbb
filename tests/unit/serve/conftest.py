"""The models the unit tests of mlci.serve load, made once per session in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.serve.models import Classifier, classifier, typed_model


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve-models")


@pytest.fixture(scope="session")
def iris(models_dir: Path) -> Classifier:
    return classifier(models_dir)


@pytest.fixture(scope="session")
def iris_plain(models_dir: Path) -> Classifier:
    return classifier(models_dir, "iris_plain", zipmap=False)


@pytest.fixture(scope="session")
def typed(models_dir: Path) -> Path:
    return typed_model(models_dir)
