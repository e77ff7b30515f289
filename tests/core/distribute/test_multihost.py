"""Two processes on loopback train one model (JAX's distributed runtime): both finish, the
result matches a one-process run, and a killed worker ends the other with a message."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distribute_helpers import ROOT, child_env

pytest.importorskip("jax")

SPECIES = ROOT / "resources" / "samples" / "species.csv"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    from nnstudio.core.templates import build_template

    p = build_template("mlp")
    for node in p.graph.nodes.values():
        if node.key == "Dropout":  # random masks would differ between the layouts
            node.params["rate"] = 0.0
    p.training = {"epochs": 2, "batch_size": 16, "learning_rate": 0.01, "shuffle": False}
    return p.save(tmp_path_factory.mktemp("multihost") / "mlp.nnstudio")


def _launch(project: Path, out: Path, n: int, *extra: str) -> list[subprocess.Popen[str]]:
    port = _free_port()
    procs = []
    for pid in range(n):
        cmd = [
            *(sys.executable, "-m", "nnstudio", "train", str(project)),
            *("--data", str(SPECIES), "--out", str(out), "--backend", "jax"),
            *("--distribute", "multihost", "--coordinator", f"127.0.0.1:{port}"),
            *("--num-processes", str(n), "--process-id", str(pid), "--no-tensorboard"),
            *("--join-timeout", "120", *extra),
        ]
        procs.append(
            subprocess.Popen(
                cmd,
                env=child_env("jax"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
        )
    return procs


def _finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    ended = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        ended.append((p.returncode, out, err))
    return ended


def test_two_processes_train_one_model_as_one_process_does(project, tmp_path) -> None:
    runs = {n: tmp_path / f"run{n}" for n in (1, 2)}
    two = _launch(project, runs[2], 2, "--quiet")
    one = _launch(project, runs[1], 1, "--quiet")
    ended = _finish(two) + _finish(one)
    for code, _out, err in ended:
        assert code == 0, err[-2000:]
    assert "run written to" in ended[0][1] and "run written to" not in ended[1][1]
    loss = {
        n: json.loads((d / "metrics.json").read_text())["final"]["loss"] for n, d in runs.items()
    }
    assert loss[2] == pytest.approx(loss[1], rel=1e-4)


def test_a_killed_worker_ends_the_other_with_a_message(project, tmp_path) -> None:
    project_long = project.with_name("long.nnstudio")
    text = json.loads(project.read_text())
    text["training"]["epochs"] = 500
    project_long.write_text(json.dumps(text))
    coordinator, worker = _launch(project_long, tmp_path / "run", 2, "--peer-timeout", "4")
    assert worker.stderr is not None
    for line in worker.stderr:  # wait until training runs
        if line.startswith("Epoch 2/"):
            break
    worker.kill()
    killed = time.monotonic()
    _, err = coordinator.communicate(timeout=120)
    assert coordinator.returncode not in (0, None)
    assert time.monotonic() - killed < 60  # not a hang (JAX alone would wait minutes)
    assert "process 1 stopped responding" in err or "another process of the run stopped" in err, (
        err[-2000:]
    )
    worker.communicate()
