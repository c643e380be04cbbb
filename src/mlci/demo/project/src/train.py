"""Stage 2: fit StandardScaler + LogisticRegression on data/train.csv.

Writes models/model.pkl: a pickled dict {"features": [...], "pipeline": ...},
so evaluate.py uses exactly the columns the model was trained on.
"""

import csv
import os
import pickle
import sys

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

NUMERIC = ["age", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def load(path: str, features: list) -> tuple:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    X = np.array([[float(r[c]) for c in features] for r in rows], dtype=float)
    y = np.array([int(r["target"]) for r in rows], dtype=int)
    return X, y


def main() -> None:
    with open("params.yaml", encoding="utf-8") as f:
        params = yaml.safe_load(f)["train"]
    features = list(params["features"])
    unknown = [c for c in features if c not in NUMERIC]
    if not features or unknown:
        sys.exit(f"train: train.features must be a non-empty subset of {NUMERIC}; unknown: {unknown}")

    X, y = load("data/train.csv", features)
    pipeline = make_pipeline(
        StandardScaler(),
        LogisticRegression(C=float(params["C"]), max_iter=int(params["max_iter"]), random_state=0),
    )
    pipeline.fit(X, y)

    os.makedirs("models", exist_ok=True)
    with open("models/model.pkl", "wb") as f:
        pickle.dump({"features": features, "pipeline": pipeline}, f, protocol=4)
    print(f"train: {len(y)} rows, features={features}, C={params['C']}")


if __name__ == "__main__":
    main()
