"""Stage 4: export the model to ONNX, the form it is served in (`mlci serve`).

Writes:
  models/model.onnx   StandardScaler + LogisticRegression as one ONNX graph (skl2onnx): input X,
                      float32 [rows, features]; outputs output_label and output_probability
  models/sample.csv   20 rows of the test set, in the model's feature columns: what the served-model
                      gate (promote.stages.staging in mlci.yaml) sends to the server
"""

import csv
import os
import pickle

from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

SAMPLE_ROWS = 20


def main() -> None:
    with open("models/model.pkl", "rb") as f:
        model = pickle.load(f)
    features, pipeline = model["features"], model["pipeline"]
    onnx = convert_sklearn(pipeline, name="diabetes-risk", initial_types=[("X", FloatTensorType([None, len(features)]))],
                           target_opset=17)
    # skl2onnx lists the opsets the graph imports in a set's order, which changes with Python's
    # hash seed from run to run; in a fixed order the file is the same bytes on every run.
    imports = sorted(onnx.opset_import, key=lambda o: o.domain)
    del onnx.opset_import[:]
    onnx.opset_import.extend(imports)
    os.makedirs("models", exist_ok=True)
    with open("models/model.onnx", "wb") as f:
        f.write(onnx.SerializeToString())

    with open("data/test.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:SAMPLE_ROWS]
    with open("models/sample.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(features)
        writer.writerows([row[c] for c in features] for row in rows)
    print(f"export: models/model.onnx ({len(features)} features), models/sample.csv ({len(rows)} rows)")


if __name__ == "__main__":
    main()
