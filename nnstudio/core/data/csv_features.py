"""CSV features: checks of the feature columns and their encoding as model inputs
(standardized numbers, one-hot or integer codes), recorded for inference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.csv_columns import CsvTable, distinct_values
from nnstudio.core.data.report import ProblemLog

MAX_ONEHOT = 100


@dataclass
class FeatureSpec:
    """How one column becomes model inputs (recorded for inference)."""

    name: str
    kind: str
    mean: float = 0.0
    std: float = 1.0
    vocabulary: list[str] | None = None
    encoding: str | None = None

    @property
    def width(self) -> int:
        if self.kind == "categorical" and self.encoding == "onehot":
            return len(self.vocabulary or [])
        return 1

    def to_json(self) -> dict[str, Any]:
        if self.kind == "numeric":
            return {"name": self.name, "type": "numeric", "mean": self.mean, "std": self.std}
        return {
            "name": self.name,
            "type": "categorical",
            "encoding": self.encoding,
            "vocabulary": list(self.vocabulary or []),
        }


def check_features(table: CsvTable, config: DataConfig, log: ProblemLog) -> list[str]:
    """Constant and identifier-like columns (warnings); returns the constant ones."""
    constant = []
    n = table.n_rows
    for c in table.features:
        if c.kind == "numeric":
            if n and float(np.min(c.values)) == float(np.max(c.values)):
                constant.append(c.name)
                log.warning(
                    f'column "{c.name}"',
                    f"has the same value ({c.values[0]:.6g}) in every row: it tells the model "
                    "nothing",
                )
        else:
            distinct = len(distinct_values(c.values))
            if distinct == 1:
                constant.append(c.name)
                log.warning(
                    f'column "{c.name}"',
                    f'has the same value ("{c.values[0]}") in every row: it tells the model '
                    "nothing",
                )
            elif distinct == n and n > 20:
                log.warning(
                    f'column "{c.name}"',
                    "has a different text in every row (an identifier?): consider leaving it "
                    "out of the features",
                )
            elif config.categorical_encoding == "onehot" and distinct > MAX_ONEHOT:
                log.warning(
                    f'column "{c.name}"',
                    f"has {distinct} different values: one-hot encoding makes {distinct} "
                    "inputs of it",
                )
    return constant


def fit_features(
    tables: list[CsvTable], fit: CsvTable, fit_rows: np.ndarray, encoding: str
) -> list[FeatureSpec]:
    """Normalization statistics from ``fit_rows`` of ``fit`` (the training rows);
    vocabularies from every table so no category is unseen."""
    specs = []
    for j, c in enumerate(fit.features):
        if c.kind == "numeric":
            vals = c.values[fit_rows] if len(fit_rows) else c.values
            mean = float(vals.mean()) if len(vals) else 0.0
            std = float(vals.std()) if len(vals) else 1.0
            if not np.isfinite(std) or std < 1e-12:
                std = 1.0
            specs.append(FeatureSpec(c.name, "numeric", mean=mean, std=std))
        else:
            vocab: set[str] = set()
            for t in tables:
                vocab.update(distinct_values(t.features[j].values).tolist())
            specs.append(
                FeatureSpec(c.name, "categorical", vocabulary=sorted(vocab), encoding=encoding)
            )
    return specs


def encode_features(table: CsvTable, specs: list[FeatureSpec]) -> np.ndarray:
    """The model inputs: standardized numbers, one-hot or integer codes (float32)."""
    n = table.n_rows
    width = sum(s.width for s in specs)
    x = np.empty((n, width), np.float32)
    k = 0
    for spec, c in zip(specs, table.features, strict=True):
        if spec.kind == "numeric":
            x[:, k] = (c.values - spec.mean) / spec.std
            k += 1
            continue
        import pandas as pd

        codes = pd.Categorical(c.values, categories=spec.vocabulary).codes.astype(np.int64)
        if spec.encoding == "onehot":
            block = x[:, k : k + spec.width]
            block[:] = 0.0
            block[np.arange(n), codes] = 1.0
            k += spec.width
        else:
            x[:, k] = codes
            k += 1
    return x


def feature_width(table: CsvTable, config: DataConfig) -> int:
    width = 0
    for c in table.features:
        if c.kind == "categorical" and config.categorical_encoding == "onehot":
            width += len(distinct_values(c.values))
        else:
            width += 1
    return width
