"""serve.model: real ONNX files loaded into onnxruntime, their tensors in V2's terms, and one-line refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlci.errors import MlciError
from mlci.serve import ServeError
from mlci.serve.model import load
from tests.unit.serve.models import Classifier, sequence_input_model


def test_a_classifier_is_described_as_v2_tensors(iris: Classifier) -> None:
    model = load(iris.path)
    assert model.name == "iris" and model.version is None
    assert model.metadata() == {
        "name": "iris",
        "versions": [],
        "platform": "onnxruntime_onnx",
        "inputs": [{"name": "X", "datatype": "FP32", "shape": [-1, 4]}],
        # skl2onnx's ZipMap output (a sequence of maps) is served as an FP32 tensor [rows, classes]
        "outputs": [{"name": "output_label", "datatype": "INT64", "shape": [-1]},
                    {"name": "output_probability", "datatype": "FP32", "shape": [-1, -1]}],
    }


def test_a_name_and_a_version_can_be_given(iris: Classifier) -> None:
    model = load(iris.path, "flowers", "1.2.0")
    assert model.metadata()["name"] == "flowers" and model.metadata()["versions"] == ["1.2.0"]


def test_the_zipmap_output_holds_the_same_numbers_as_zipmap_false(iris: Classifier, iris_plain: Classifier) -> None:
    zipped, plain = load(iris.path), load(iris_plain.path)
    labels, probabilities = zipped.run({"X": iris.X}, ["output_label", "output_probability"])
    plain_labels, plain_probabilities = plain.run({"X": iris.X}, ["label", "probabilities"])
    assert probabilities.dtype == np.float32 and probabilities.shape == (len(iris.X), 3)
    np.testing.assert_array_equal(probabilities, plain_probabilities)
    np.testing.assert_array_equal(labels, plain_labels)
    np.testing.assert_array_equal(labels, iris.labels)
    np.testing.assert_allclose(probabilities, iris.probabilities, atol=1e-6)


def test_an_empty_batch_gives_empty_outputs(iris: Classifier) -> None:
    labels, probabilities = load(iris.path).run({"X": np.zeros((0, 4), np.float32)}, ["output_label", "output_probability"])
    assert labels.shape == (0,) and probabilities.shape == (0, 0)


def test_values_onnxruntime_refuses_are_a_value_error_on_one_line(iris: Classifier) -> None:
    with pytest.raises(ValueError, match="INVALID_ARGUMENT") as error:
        load(iris.path).run({"X": np.zeros((2, 5), np.float32)}, ["output_label"])
    assert "\n" not in str(error.value)


def test_typed_inputs_map_to_their_v2_datatypes(typed: Path) -> None:
    model = load(typed)
    assert [(t.name, t.datatype, t.shape) for t in model.inputs] == [
        ("n", "INT64", (-1, 2)), ("b", "BOOL", (-1,)), ("s", "BYTES", (-1,))]


@pytest.mark.parametrize("case, expected", [
    ("missing", "missing.onnx: no such file"),
    ("folder", "folder: not a file"),
    ("text", "text.onnx: not an ONNX model onnxruntime can load: "),
    ("empty", "empty.onnx: not an ONNX model onnxruntime can load: "),
])
def test_a_file_that_is_no_model_is_one_line(tmp_path: Path, case: str, expected: str) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "text.onnx").write_text("name,value\na,1\n")
    (tmp_path / "empty.onnx").write_bytes(b"")
    path = {"missing": "missing.onnx", "folder": "folder", "text": "text.onnx", "empty": "empty.onnx"}[case]
    with pytest.raises(ServeError) as error:
        load(tmp_path / path)
    message = str(error.value)
    assert message.startswith(str(tmp_path / expected.split(":")[0]) + ":" + expected.split(":", 1)[1]), message
    assert "\n" not in message and isinstance(error.value, MlciError) and error.value.exit_code == 2


def test_a_model_whose_input_is_no_tensor_is_refused(tmp_path: Path) -> None:
    path = sequence_input_model(tmp_path)
    with pytest.raises(ServeError, match=r"sequence\.onnx: input 'items' has type seq\(tensor\(float\)\), which V2 tensors cannot carry"):
        load(path)


@pytest.mark.parametrize("name, version, expected", [
    ("my model", None, "'my model' cannot be a model name"),
    ("a/b", None, "'a/b' cannot be a model name"),
    ("", None, "'' cannot be a model name"),
    ("ok", "1 2", "'1 2' cannot be a model version"),
])
def test_names_and_versions_must_fit_in_a_url_path(iris: Classifier, name: str, version: str | None, expected: str) -> None:
    with pytest.raises(ServeError, match=expected):
        load(iris.path, name, version)


def test_a_file_stem_that_is_no_name_says_to_give_one(tmp_path: Path, iris: Classifier) -> None:
    odd = tmp_path / "my model.onnx"
    odd.write_bytes(iris.path.read_bytes())
    with pytest.raises(ServeError, match="give one with --name"):
        load(odd)
    assert load(odd, "mine").name == "mine"
