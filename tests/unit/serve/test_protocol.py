"""serve.protocol: V2 inference requests read and checked against a real model; answers written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlci.serve.model import Model, load
from mlci.serve.protocol import BadRequest, error_body, infer_response, parse_infer
from tests.unit.serve.models import Classifier, infer_body


@pytest.fixture(scope="module")
def model(iris: Classifier) -> Model:
    return load(iris.path)


def parse(body: Any, model: Model) -> Any:
    return parse_infer(body if isinstance(body, bytes) else json.dumps(body).encode(), model)


def test_a_request_becomes_the_model_s_feeds(iris: Classifier, model: Model) -> None:
    request = parse(infer_body(iris.X[:3], id="r-1"), model)
    assert request.id == "r-1" and request.outputs == ("output_label", "output_probability")
    assert request.feeds["X"].dtype == np.float32
    np.testing.assert_array_equal(request.feeds["X"], iris.X[:3])


def test_flat_data_is_read_in_row_major_order(iris: Classifier, model: Model) -> None:
    request = parse(infer_body(iris.X[:3], nested=False), model)
    np.testing.assert_array_equal(request.feeds["X"], iris.X[:3])


def test_the_outputs_asked_for_are_answered_in_that_order(iris: Classifier, model: Model) -> None:
    body = infer_body(iris.X[:2], outputs=[{"name": "output_probability"}, {"name": "output_label"}])
    request = parse(body, model)
    assert request.outputs == ("output_probability", "output_label")
    answer = json.loads(infer_response(model, request, model.run(request.feeds, request.outputs)))
    assert [o["name"] for o in answer["outputs"]] == ["output_probability", "output_label"]
    assert "id" not in answer and "model_version" not in answer and answer["model_name"] == "iris"


def test_the_answer_s_floats_read_back_as_the_model_s_float32s(iris: Classifier, model: Model) -> None:
    request = parse(infer_body(iris.X), model)
    answer = json.loads(infer_response(model, request, model.run(request.feeds, request.outputs)))
    labels, probabilities = answer["outputs"]
    assert labels == {"name": "output_label", "datatype": "INT64", "shape": [len(iris.X)], "data": iris.onnx_labels.tolist()}
    assert probabilities["shape"] == [len(iris.X), 3] and probabilities["datatype"] == "FP32"
    np.testing.assert_array_equal(np.array(probabilities["data"], dtype=np.float32).reshape(-1, 3), iris.onnx_probabilities)


def test_typed_tensors_go_through_unchanged(typed: Path) -> None:
    model = load(typed)
    body = {"inputs": [
        {"name": "n", "shape": [2, 2], "datatype": "INT64", "data": [[1, -2], [2**62, 4]]},
        {"name": "b", "shape": [2], "datatype": "BOOL", "data": [True, False]},
        {"name": "s", "shape": [2], "datatype": "BYTES", "data": ["é", ""]},
    ]}
    request = parse(body, model)
    answer = json.loads(infer_response(model, request, model.run(request.feeds, request.outputs)))
    assert [(o["name"], o["datatype"], o["shape"], o["data"]) for o in answer["outputs"]] == [
        ("n_out", "INT64", [2, 2], [1, -2, 2**62, 4]), ("b_out", "BOOL", [2], [True, False]), ("s_out", "BYTES", [2], ["é", ""])]


def test_an_empty_batch_is_an_empty_answer(model: Model) -> None:
    request = parse({"inputs": [{"name": "X", "shape": [0, 4], "datatype": "FP32", "data": []}]}, model)
    answer = json.loads(infer_response(model, request, model.run(request.feeds, request.outputs)))
    assert answer["outputs"][0]["shape"] == [0] and answer["outputs"][0]["data"] == []


def test_a_version_and_an_id_are_in_the_answer(iris: Classifier) -> None:
    model = load(iris.path, version="7")
    request = parse(infer_body(iris.X[:1], id="abc"), model)
    answer = json.loads(infer_response(model, request, model.run(request.feeds, request.outputs)))
    assert answer["model_version"] == "7" and answer["id"] == "abc"


def test_parameters_and_unknown_keys_are_accepted(iris: Classifier, model: Model) -> None:
    body = infer_body(iris.X[:1], parameters={"priority": 1, "tag": "x", "fast": True}, extra_key={"ignored": 1})
    body["inputs"][0]["parameters"] = {"content_type": "np"}
    assert parse(body, model).feeds["X"].shape == (1, 4)


X = {"name": "X", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}


def with_x(**changes: Any) -> dict[str, Any]:
    return {"inputs": [{**X, **changes}]}


BAD: list[tuple[str, Any, str]] = [
    ("empty body", b"", "the request has no body"),
    ("malformed JSON", b'{"inputs": [', "malformed JSON: "),
    ("NaN is not JSON", b'{"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP32", "data": [NaN, 1, 2, 3]}]}', "malformed JSON"),
    ("a list", [X], "the body must be a JSON object (an inference request), not a list"),
    ("no inputs", {"id": "1"}, "'inputs' must be a non-empty list of input tensors: the model takes 'X'"),
    ("empty inputs", {"inputs": []}, "'inputs' must be a non-empty list"),
    ("input not an object", {"inputs": [1]}, "inputs[0] must be an object, not a number"),
    ("input without name", {"inputs": [{"shape": [1, 4]}]}, "inputs[0] has no 'name' (a string)"),
    ("unknown input", with_x(name="x"), "unknown input 'x': the model takes 'X'"),
    ("input twice", {"inputs": [X, X]}, "input 'X' is given twice"),
    ("id not a string", {**with_x(), "id": 5}, "'id' must be a string, not a number"),
    ("parameters not an object", {**with_x(), "parameters": [1]}, "the request's 'parameters' must be an object, not a list"),
    ("parameter value", {**with_x(), "parameters": {"a": [1]}}, "the request's parameter 'a' must be a string, number or boolean"),
    ("no datatype", {"inputs": [{"name": "X", "shape": [1, 4], "data": [1, 2, 3, 4]}]}, "input 'X' has no 'datatype' (a string such as 'FP32')"),
    ("unknown datatype", with_x(datatype="FLOAT"), "input 'X': unknown datatype 'FLOAT' (V2's are FP32, FP64"),
    ("another datatype", with_x(datatype="FP64"), "input 'X': datatype FP64, but the model takes FP32"),
    ("shape not a list", with_x(shape="1,4"), "input 'X': 'shape' must be a list of non-negative integers"),
    ("negative dimension", with_x(shape=[-1, 4]), "'shape' must be a list of non-negative integers"),
    ("boolean dimension", with_x(shape=[True, 4]), "'shape' must be a list of non-negative integers"),
    ("another rank", with_x(shape=[4]), "input 'X': shape [4] does not fit the model's [-1, 4]"),
    ("another width", with_x(shape=[1, 5], data=[1, 2, 3, 4, 5]), "input 'X': shape [1, 5] does not fit the model's [-1, 4]"),
    ("no data", {"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP32"}]}, "input 'X' has no 'data'"),
    ("data not a list", with_x(data=1.0), "input 'X': 'data' must be a list, not a number"),
    ("too few values", with_x(data=[1, 2, 3]), "input 'X': 'data' has 3 elements, shape [1, 4] holds 4"),
    ("too many values", with_x(shape=[1, 4], data=[1, 2, 3, 4, 5]), "'data' has 5 elements, shape [1, 4] holds 4"),
    ("nested in another shape", with_x(shape=[2, 4], data=[[1, 2, 3, 4, 5, 6, 7, 8]]), "'data' has 8 elements in shape [1, 8], shape [2, 4] holds 8"),
    ("ragged rows", with_x(shape=[2, 4], data=[[1, 2, 3, 4], [5, 6, 7]]), "input 'X': 'data' is not a regular array"),
    ("strings as numbers", with_x(data=["1", "2", "3", "4"]), "input 'X': FP32 data must be numbers"),
    ("booleans as numbers", with_x(data=[True, False, True, False]), "input 'X': FP32 data must be numbers"),
    ("null in data", with_x(data=[1, None, 3, 4]), "input 'X': FP32 data must be numbers"),
    ("over FP32's range", with_x(data=[1e39, 2, 3, 4]), "input 'X': a value is out of FP32's range"),
    ("binary input", with_x(parameters={"binary_data_size": 16}), "binary tensor data (binary_data_size) is not supported"),
    ("unknown output", {**with_x(), "outputs": [{"name": "label"}]}, "unknown output 'label': the model gives 'output_label', 'output_probability'"),
    ("output twice", {**with_x(), "outputs": [{"name": "output_label"}, {"name": "output_label"}]}, "output 'output_label' is asked for twice"),
    ("output without name", {**with_x(), "outputs": ["output_label"]}, "outputs[0] must be an object with a 'name' (a string)"),
    ("outputs not a list", {**with_x(), "outputs": {"name": "output_label"}}, "'outputs' must be a list of objects with a 'name', not an object"),
    ("binary output", {**with_x(), "outputs": [{"name": "output_label", "parameters": {"binary_data": True}}]},
     "output 'output_label': binary tensor data (binary_data) is not supported"),
]


@pytest.mark.parametrize("body, expected", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_bad_request_is_one_line_naming_the_mistake(model: Model, body: Any, expected: str) -> None:
    with pytest.raises(BadRequest) as error:
        parse(body, model)
    assert expected in str(error.value) and "\n" not in str(error.value)


TYPED_BAD = [
    ("n", {"shape": [1, 2], "datatype": "INT64", "data": [1.5, 2]}, "input 'n': INT64 data must be integers"),
    ("n", {"shape": [1, 2], "datatype": "INT64", "data": [2**63, 2]}, "input 'n': a value is out of INT64's range"),
    ("n", {"shape": [1, 2], "datatype": "INT64", "data": [2**63]}, "input 'n': 'data' has 1 elements"),
    ("b", {"shape": [2], "datatype": "BOOL", "data": [1, 0]}, "input 'b': BOOL data must be true or false"),
    ("s", {"shape": [2], "datatype": "BYTES", "data": ["a", 1]}, "input 's': BYTES data must be strings"),
]


@pytest.mark.parametrize("name, tensor, expected", TYPED_BAD)
def test_values_must_be_of_the_datatype_s_kind(typed: Path, name: str, tensor: dict[str, Any], expected: str) -> None:
    good = {"n": {"shape": [2, 2], "datatype": "INT64", "data": [1, 2, 3, 4]},
            "b": {"shape": [2], "datatype": "BOOL", "data": [True, False]},
            "s": {"shape": [2], "datatype": "BYTES", "data": ["a", "b"]}}
    good[name] = tensor
    with pytest.raises(BadRequest, match=expected.replace("(", r"\(").replace(")", r"\)")):
        parse({"inputs": [{"name": key, **value} for key, value in good.items()]}, load(typed))


def test_a_missing_input_is_named_with_what_it_takes(typed: Path) -> None:
    body = {"inputs": [{"name": "n", "shape": [1, 2], "datatype": "INT64", "data": [1, 2]}]}
    with pytest.raises(BadRequest, match=r"missing input 'b' \(datatype BOOL, shape \[-1\]\)"):
        parse(body, load(typed))


def test_an_error_body_is_v2_s_error_object() -> None:
    assert json.loads(error_body("no \"such\" thing")) == {"error": 'no "such" thing'}
