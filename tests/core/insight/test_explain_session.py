"""The Explain panel's core: a project's latest trained run (the MLP template on the species
sample, its run recorded by hand: the initial weights do for this), its validation rows with
the CSV's column names, one row's attributions and the split's mean |attribution|."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.insight.explain_maps import ExplainError
from nnstudio.core.insight.explain_session import (
    explain_sample,
    load_run_samples,
    mean_abs_over_split,
)
from nnstudio.core.project import Project
from nnstudio.core.templates import build_template

SAMPLES = Path(__file__).resolve().parents[3] / "resources" / "samples"


def _record_a_run(project: Project, folder: Path) -> None:
    from nnstudio.core.compiler import build_model
    from nnstudio.core.data import prepare
    from nnstudio.core.training.records import RunRecord

    data = prepare(project.data, batch_size=32)
    run_dir = folder / "mlp.runs" / "run-1"
    run_dir.mkdir(parents=True)
    build_model(project.graph, seed=0, name="model").save(run_dir / "model.keras")
    record = {
        "id": "run-1",
        "name": "Run 1",
        "status": "completed",
        "epochs_completed": 1,
        "dir": "mlp.runs/run-1",
        "preprocessing": data.preprocessing,
        "class_names": data.class_names,
    }
    project.add_run(RunRecord.from_json(record))


def test_rows_of_the_latest_run(tmp_path: Path) -> None:
    project = build_template("mlp", SAMPLES)
    path = tmp_path / "mlp.nnstudio"
    project.save(path)
    with pytest.raises(ExplainError, match="no trained run"):
        load_run_samples(None, Project.load(path))
    _record_a_run(project, tmp_path)
    project.save(path)
    samples = load_run_samples(None, Project.load(path))
    assert samples.kind == "tabular" and samples.layers == []
    assert len(samples.feature_names) == samples.x.shape[1] > 1
    assert not samples.feature_names[0].startswith("f0")  # the CSV's column names
    assert samples.labels is not None and len(samples.labels) == len(samples.x)
    assert len(samples.class_names) == samples.preds.shape[1]
    wrong = samples.misclassified()
    assert all(samples.predicted[i] != samples.labels[i] for i in wrong)
    e = explain_sample(None, samples, 0, "ig")
    assert e.attributions.shape == (samples.x.shape[1],) and e.params["baseline"] == "mean"
    assert e.class_name == samples.class_names[e.class_index]
    mean = mean_abs_over_split(None, samples)
    assert mean.shape == (samples.x.shape[1],) and np.all(mean >= 0) and mean.sum() > 0
    with pytest.raises(ExplainError, match="no sample"):
        explain_sample(None, samples, len(samples.x), "saliency")
