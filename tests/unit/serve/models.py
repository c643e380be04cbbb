"""Real ONNX models for the serving tests, made in the test: scikit-learn exported with skl2onnx, and
a small hand-made graph for the datatypes scikit-learn models do not take (INT64, BOOL, BYTES)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = 4  # iris


@dataclass(frozen=True)
class Classifier:
    """A LogisticRegression on iris, its ONNX file, held-out rows and the model's own predictions."""

    path: Path
    X: np.ndarray  # float32 rows the model did not see
    labels: np.ndarray  # scikit-learn's predict
    probabilities: np.ndarray  # scikit-learn's predict_proba
    onnx_labels: np.ndarray  # onnxruntime's, in-process: what the server must answer
    onnx_probabilities: np.ndarray  # float32, [rows, classes], from one run on all the rows
    row_probabilities: np.ndarray  # the same, one run per row (the last bit can differ from a batch's)


def classifier(folder: Path, name: str = "iris", *, zipmap: bool = True) -> Classifier:
    """Train, export (skl2onnx's default ZipMap output, or zipmap=False), and predict offline."""
    import onnxruntime as ort
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X.astype(np.float32), y, test_size=0.3, random_state=0, stratify=y)
    model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    options = None if zipmap else {id(model): {"zipmap": False}}
    onnx = convert_sklearn(model, initial_types=[("X", FloatTensorType([None, FEATURES]))], options=options)
    path = folder / f"{name}.onnx"
    path.write_bytes(onnx.SerializeToString())
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    labels, probabilities = session.run(None, {"X": X_test})
    rows = [session.run(None, {"X": X_test[i:i + 1]})[1] for i in range(len(X_test))]
    if zipmap:
        probabilities = np.array([[row[k] for k in row] for row in probabilities], dtype=np.float32)
        rows = [np.array([[row[k] for k in row] for row in one], dtype=np.float32) for one in rows]
    return Classifier(path, X_test, model.predict(X_test), model.predict_proba(X_test), labels, probabilities,
                      np.concatenate(rows))


def typed_model(folder: Path) -> Path:
    """A graph with inputs n (INT64 [-1, 2]), b (BOOL [-1]) and s (BYTES [-1]), each returned as it came."""
    from onnx import TensorProto, helper, save

    inputs = [helper.make_tensor_value_info("n", TensorProto.INT64, ["N", 2]),
              helper.make_tensor_value_info("b", TensorProto.BOOL, ["N"]),
              helper.make_tensor_value_info("s", TensorProto.STRING, ["N"])]
    outputs = [helper.make_tensor_value_info(f"{name}_out", kind, shape) for name, kind, shape in
               (("n", TensorProto.INT64, ["N", 2]), ("b", TensorProto.BOOL, ["N"]), ("s", TensorProto.STRING, ["N"]))]
    nodes = [helper.make_node("Identity", [name], [f"{name}_out"]) for name in ("n", "b", "s")]
    graph = helper.make_graph(nodes, "typed", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = folder / "typed.onnx"
    save(model, str(path))
    return path


def sequence_input_model(folder: Path) -> Path:
    """A model whose input is a sequence of tensors: no V2 tensor can carry it."""
    from onnx import TensorProto, helper, save

    seq = helper.make_tensor_sequence_value_info("items", TensorProto.FLOAT, None)
    out = helper.make_tensor_value_info("first", TensorProto.FLOAT, None)
    position = helper.make_tensor("zero", TensorProto.INT64, [], [0])
    nodes = [helper.make_node("SequenceAt", ["items", "zero"], ["first"])]
    graph = helper.make_graph(nodes, "seq", [seq], [out], initializer=[position])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = folder / "sequence.onnx"
    save(model, str(path))
    return path


def infer_body(X: np.ndarray, *, name: str = "X", nested: bool = True, **extra: object) -> dict[str, object]:
    """A V2 inference request for rows ``X`` of the classifier."""
    rows = [[float(v) for v in row] for row in X]
    data: object = rows if nested else [v for row in rows for v in row]
    return {"inputs": [{"name": name, "shape": list(X.shape), "datatype": "FP32", "data": data}], **extra}
