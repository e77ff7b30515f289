"""Fixtures of the sweep tests: the MLP template on the species sample, and a stand-in for
the training job (``fake_execute``) so that the search loop is tested without Keras."""

from __future__ import annotations

import math

import pytest
from sweep_helpers import SPECIES_DATA

from nnstudio.core.templates import build_template


@pytest.fixture
def project(tmp_path):
    """The MLP template saved as ``tmp_path/mlp.nnstudio`` (species data, 1 epoch, no
    activation probes, no TensorBoard logs of its own)."""
    p = build_template("mlp")
    p.training = {
        "epochs": 1,
        "batch_size": 32,
        "learning_rate": 0.01,
        "probe_budget": 0.0,
        "tensorboard": False,  # the runs' own logs are tested by tboard; HParams still written
    }
    p.data = SPECIES_DATA
    p.save(tmp_path / "mlp.nnstudio")
    return p


class FakeJobs:
    """Replaces ``execute``: each epoch's ``val_loss`` follows from the trial's values
    (smaller units and a learning rate near 0.01 do better), the epoch events go through
    the trial's state like a real run's, and a stop ends the run after the epoch (a stop
    after the last epoch leaves it completed, as in a real run)."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.on_epoch = None  # called with (params, epoch, state) after each epoch event

    def loss(self, params: dict, epoch: int) -> float:
        lr = params.get("learning_rate", 0.01)
        units = params.get("hidden_1.units", 64)
        return abs(math.log10(lr) + 2) + units / 100 + 1 / (epoch + 1)

    def __call__(self, job, state):
        from nnstudio.core.training.history import History
        from nnstudio.core.training.job import RunOutcome
        from nnstudio.core.training.run import RunResult

        params = job.options["sweep"]["params"]
        self.calls.append(params)
        history = History()
        status, message = "completed", "completed"
        for epoch in range(job.config["epochs"]):
            if state.stop_requested:
                status, message = "stopped", state.stop_reason or "stopped"
                break
            logs = {"loss": self.loss(params, epoch) + 0.1, "val_loss": self.loss(params, epoch)}
            history.append(logs)
            state.emit({"type": "epoch", "epoch": epoch, "logs": logs})
            if self.on_epoch is not None:
                self.on_epoch(params, epoch, state)
        result = RunResult(status, message, history)
        return RunOutcome(result=result, where=job.run_dir)


@pytest.fixture
def fake_jobs(monkeypatch):
    """Trials that "train" instantly (see :class:`FakeJobs`); the data is not prepared."""
    jobs = FakeJobs()
    monkeypatch.setattr("nnstudio.core.training.job.execute", jobs)
    monkeypatch.setattr("nnstudio.core.sweeps.trial.DataCache.get", lambda self, c, s: None)
    return jobs
