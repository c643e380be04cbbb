"""Stage 3: score the model on data/test.csv.

Writes (all small, kept in git, so any two commits can be compared without a
DVC remote):
  metrics.json         accuracy, f1, precision, recall, roc_auc, log_loss, per-class scores
  plots/roc.json       ROC curve points (fpr, tpr)
  plots/confusion.csv  one row per test example: actual, predicted ("low"/"high")
  plots/importance.csv one row per feature: feature, importance (the absolute logistic-regression
                       coefficient of the standardised feature), most important first
  predictions.csv      y_true, y_pred, y_score, sex, age_band (for fairness checks)
"""

import csv
import json
import os
import pickle

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

DIGITS = 4
LABELS = ["low", "high"]


def r(value: float) -> float:
    return round(float(value), DIGITS)


def main() -> None:
    with open("models/model.pkl", "rb") as f:
        model = pickle.load(f)
    features, pipeline = model["features"], model["pipeline"]

    with open("data/test.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    X = np.array([[float(row[c]) for c in features] for row in rows], dtype=float)
    y_true = np.array([int(row["target"]) for row in rows], dtype=int)

    y_score = pipeline.predict_proba(X)[:, 1]
    y_pred = (y_score >= 0.5).astype(int)

    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=[0, 1], zero_division=0
    )
    metrics = {
        "accuracy": r(accuracy_score(y_true, y_pred)),
        "f1": r(f1_score(y_true, y_pred, zero_division=0)),
        "precision": r(precision_score(y_true, y_pred, zero_division=0)),
        "recall": r(recall_score(y_true, y_pred, zero_division=0)),
        "roc_auc": r(roc_auc_score(y_true, y_score)),
        "log_loss": r(log_loss(y_true, y_score, labels=[0, 1])),
        "per_class": {
            name: {
                "precision": r(precision[i]),
                "recall": r(recall[i]),
                "f1": r(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(LABELS)
        },
        "n_test": int(len(y_true)),
    }
    with open("metrics.json", "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")

    os.makedirs("plots", exist_ok=True)
    fpr, tpr, _ = roc_curve(y_true, y_score)
    roc = {"roc": [{"fpr": r(a), "tpr": r(b)} for a, b in zip(fpr, tpr)]}
    with open("plots/roc.json", "w", encoding="utf-8") as f:
        json.dump(roc, f, indent=2)
        f.write("\n")

    with open("plots/confusion.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["actual", "predicted"])
        writer.writerows([LABELS[t], LABELS[p]] for t, p in zip(y_true, y_pred))

    # The scaler standardises every feature, so the size of a coefficient says how much a change of
    # one standard deviation in that feature moves the log-odds: comparable across features.
    coefficients = np.abs(pipeline[-1].coef_[0])
    importance = sorted(zip(features, coefficients), key=lambda fc: (-r(fc[1]), fc[0]))
    with open("plots/importance.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["feature", "importance"])
        writer.writerows([name, f"{r(value):.4f}"] for name, value in importance)

    with open("predictions.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["y_true", "y_pred", "y_score", "sex", "age_band"])
        for row, t, p, s in zip(rows, y_true, y_pred, y_score):
            writer.writerow([int(t), int(p), f"{s:.6f}", row["sex"], row["age_band"]])

    print("evaluate: " + ", ".join(f"{k}={metrics[k]}" for k in ("accuracy", "f1", "roc_auc")))


if __name__ == "__main__":
    main()
