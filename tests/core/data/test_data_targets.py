"""One target policy: the same labels read the same way from a CSV column and a .npy array."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from data_helpers import find, inspect

from nnstudio.core.data import targets as policy
from nnstudio.core.data.report import ProblemLog


def _csv(tmp_path: Path, labels: list, name: str = "d.csv") -> Path:
    path = tmp_path / name
    rows = ["f,label"] + [f"{i * 0.5},{v}" for i, v in enumerate(labels)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _npy(tmp_path: Path, labels: np.ndarray, stem: str = "x") -> Path:
    folder = tmp_path / f"npy_{stem}"
    folder.mkdir()
    x = (np.arange(len(labels), dtype=np.float32) * 0.5).reshape(-1, 1)
    np.save(folder / "x.npy", x)
    np.save(folder / "y.npy", labels)
    return folder / "x.npy"


def _same_reading(tmp_path: Path, labels: list, array: np.ndarray, **options):
    """Inspect the labels as a CSV column and as a .npy array; both reports."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    csv_report = inspect(_csv(tmp_path, labels), target_columns=["label"], **options)
    npy_report = inspect(_npy(tmp_path, array), **options)
    return csv_report, npy_report


@pytest.mark.parametrize(
    ("labels", "task", "classes"),
    [
        (
            ["cat", "dog", "cat", "bird", "dog", "bird"] * 4,
            "classification",
            ["bird", "cat", "dog"],
        ),
        ([0.0, 1.0, 2.0, 1.0] * 6, "classification", ["0", "1", "2"]),
        ([0.25 * i for i in range(24)], "regression", None),
    ],
)
def test_a_label_column_and_an_array_give_the_same_task_and_classes(
    tmp_path, labels, task, classes
):
    csv_report, npy_report = _same_reading(tmp_path, labels, np.array(labels))
    assert csv_report.ok and npy_report.ok, csv_report.format_text() + npy_report.format_text()
    assert csv_report.task == npy_report.task == task
    assert csv_report.class_names == npy_report.class_names == classes
    assert csv_report.classes == npy_report.classes
    assert csv_report.num_outputs == npy_report.num_outputs


def test_whole_numbers_past_the_auto_limit_are_values_in_both(tmp_path):
    labels = [float(i % (policy.MAX_AUTO_CLASSES + 1)) for i in range(3 * 21)]
    csv_report, npy_report = _same_reading(tmp_path, labels, np.array(labels))
    assert csv_report.task == npy_report.task == "regression"
    few = [float(i % policy.MAX_AUTO_CLASSES) for i in range(3 * 20)]
    csv_few, npy_few = _same_reading(tmp_path / "few", few, np.array(few))
    assert csv_few.task == npy_few.task == "classification"
    assert len(csv_few.classes) == len(npy_few.classes) == policy.MAX_AUTO_CLASSES
    find(csv_few, "whole numbers: treated as class labels", "info")
    find(npy_few, "whole numbers: treated as class labels", "info")


@pytest.mark.parametrize("kind", ["numbers", "text"])
def test_past_the_class_limit_both_refuse_with_one_message(tmp_path, kind):
    n = policy.MAX_CLASSES + 1
    if kind == "numbers":
        labels: list = [float(i) for i in range(n)]
        array = np.array(labels)
    else:
        labels = [f"c{i}" for i in range(n)]
        array = np.array(labels)
    csv_report, npy_report = _same_reading(tmp_path, labels, array, task="classification")
    expected = policy.too_many_classes(n)
    csv_error = find(csv_report, expected, "error")
    npy_error = find(npy_report, expected, "error")
    assert csv_error.message == npy_error.message == expected
    assert str(policy.MAX_CLASSES) in expected
    # one class fewer passes in both
    fits = labels[:-1] * 2
    csv_ok, npy_ok = _same_reading(tmp_path / "fits", fits, np.array(fits), task="classification")
    assert csv_ok.ok and npy_ok.ok
    assert len(csv_ok.classes) == len(npy_ok.classes) == policy.MAX_CLASSES


def test_validation_labels_map_to_the_training_classes_in_both(tmp_path):
    train = ["b", "a", "c", "a", "b", "c"] * 3
    val = ["c", "a", "b", "z"]
    csv_train = _csv(tmp_path, train, "train.csv")
    csv_val = _csv(tmp_path, val, "val.csv")
    csv_report = inspect(csv_train, target_columns=["label"], validation_path=str(csv_val))
    npy_train = _npy(tmp_path, np.array(train), "train")
    npy_val = _npy(tmp_path, np.array(val), "val")
    npy_report = inspect(npy_train, validation_path=str(npy_val))
    csv_error = find(csv_report, "does not occur in the training data", "error")
    npy_error = find(npy_report, "does not occur in the training data", "error")
    assert csv_error.message == npy_error.message == 'class "z" does not occur in the training data'
    assert csv_error.location == "val.csv, line 5"
    assert npy_error.location == "validation targets, sample 3"


def test_validation_mapping_gives_training_indices():
    log = ProblemLog()
    y = policy.map_to_classes(np.array([2.0, 0.0, 1.0]), [0.0, 1.0, 2.0], log, str)
    assert y is not None and y.tolist() == [2, 0, 1] and not log.has_errors
    y = policy.map_to_classes(np.array(["c", "a"], dtype=object), ["a", "b", "c"], log, str)
    assert y is not None and y.tolist() == [2, 0]
    y = policy.map_to_classes(np.array([b"b"]), ["a", "b"], log, str)  # bytes read as text
    assert y is not None and y.tolist() == [1]
    missing = policy.map_to_classes(np.array([0.0, 7.0]), [0.0, 1.0], log, lambda i: f"row {i}")
    assert missing is None
    (problem,) = log.problems()
    assert problem.location == "row 1" and problem.message.startswith("class 7 does")


def test_read_labels_decides_the_task():
    log = ProblemLog()
    ints = np.array([3, 1, 2, 1] * 30)
    reading = policy.read_labels(ints, "auto", log, "t", integer_typed=True)
    assert reading is not None and reading.task == "classification"
    assert reading.class_names == ["1", "2", "3"] and reading.y[:4].tolist() == [2, 0, 1, 0]
    many = np.arange(policy.MAX_AUTO_CLASSES + 5)
    assert policy.read_labels(many, "auto", log, "t", integer_typed=True).task == "classification"
    assert policy.read_labels(many.astype(float), "auto", log, "t").task == "regression"
    negative = np.array([-1, 0, 1, 2])
    assert policy.read_labels(negative, "auto", log, "t", integer_typed=True).task == "regression"
    assert not log.has_errors
    assert policy.read_labels(np.array(["a", "b"]), "regression", log, "t") is None
    assert "text" in log.problems()[-1].message


def test_class_indices_into_known_names_keep_every_class():
    log = ProblemLog()
    names = ["zero", "one", "two", "three"]
    reading = policy.read_labels(np.array([0, 2, 2, 0]), "auto", log, "t", True, names)
    assert reading is not None and reading.class_names == names
    assert reading.class_values == [0, 1, 2, 3] and reading.y.tolist() == [0, 2, 2, 0]


def test_one_hot_rows_are_classes_unless_regression_is_asked():
    log = ProblemLog()
    rows = np.eye(3)[[0, 2, 1, 2]]
    reading = policy.read_onehot(rows, "auto", log, "t")
    assert reading is not None and reading.task == "classification"
    assert reading.y.tolist() == [0, 2, 1, 2] and reading.class_values == [0, 1, 2]
    assert policy.read_onehot(rows, "regression", log, "t").task == "regression"
    soft = np.array([[0.2, 0.8], [0.5, 0.5]])
    assert policy.read_onehot(soft, "classification", log, "t") is None
    assert "cannot be class labels" in log.problems()[-1].message
