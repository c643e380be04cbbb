"""Stage 1: build the dataset and split it into data/train.csv and data/test.csv.

The data is scikit-learn's bundled diabetes dataset (442 patients, no download).
The regression target (disease progression one year after baseline) is turned
into a binary label: 1 ("high") when it is above the median, else 0 ("low").

Two sensitive-attribute columns are kept for fairness checks; they are not
model features:
  sex       "group_1" / "group_2" (the raw codes 1 and 2; the dataset does not
            document which code is which sex, so we do not guess)
  age_band  "<40", "40-59" or "60+"
"""

import csv
import os

import numpy as np
import yaml
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

FEATURES = ["age", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
HEADER = FEATURES + ["sex", "age_band", "target"]


def age_band(age: float) -> str:
    if age < 40:
        return "<40"
    if age < 60:
        return "40-59"
    return "60+"


def write_csv(path: str, rows: list) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


def main() -> None:
    with open("params.yaml", encoding="utf-8") as f:
        params = yaml.safe_load(f)["prepare"]

    ds = load_diabetes(scaled=False)
    names = list(ds.feature_names)
    X, progression = ds.data, ds.target
    y = (progression > np.median(progression)).astype(int)

    rows = []
    for x, label in zip(X, y):
        raw = dict(zip(names, x.tolist()))
        rows.append(
            [repr(raw[name]) for name in FEATURES]
            + [f"group_{int(raw['sex'])}", age_band(raw["age"]), int(label)]
        )

    train_rows, test_rows = train_test_split(
        rows,
        test_size=float(params["test_size"]),
        random_state=int(params["seed"]),
        stratify=y,
    )

    os.makedirs("data", exist_ok=True)
    write_csv("data/train.csv", train_rows)
    write_csv("data/test.csv", test_rows)
    print(f"prepare: {len(train_rows)} train rows, {len(test_rows)} test rows")


if __name__ == "__main__":
    main()
