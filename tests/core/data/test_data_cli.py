"""``nnstudio inspect``: summary, every problem with its location, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from data_helpers import image_folder, sha

from nnstudio.cli import main


def run(capsys, *args):
    code = main(["inspect", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_good_csv_exits_0(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_text("a,b,kind\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]}\n" for i in range(20)))
    code, out, _ = run(capsys, path, "--target", "kind")
    assert code == 0
    assert "samples: 20 rows" in out and "classes: x (10), y (10)" in out
    assert "ready to train" in out


def test_json_output(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_text("a,b,kind\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]}\n" for i in range(20)))
    code, out, _ = run(capsys, path, "--target", "kind", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["kind"] == "csv" and data["samples"] == 20 and data["feature_shape"] == [2]
    assert data["task"] == "classification"
    assert data["classes"] == [{"name": "x", "count": 10}, {"name": "y", "count": 10}]
    assert isinstance(data["problems"], list)
    assert data["config"]["target_columns"] == ["kind"]


def test_blocking_problems_exit_1_with_locations(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("age,y\n1,a\n2,b\nn/a,a\n4,b\n5\n")
    before = sha(path)
    code, out, _ = run(capsys, path)
    assert code == 1
    assert "line 6: this row has 1 values, too few" in out
    assert "NOT ready to train" in out
    code, out, _ = run(capsys, path, "--json")
    errors = [p for p in json.loads(out)["problems"] if p["severity"] == "error"]
    assert errors[0]["location"] == "line 6" and "too few" in errors[0]["message"]
    assert sha(path) == before


def test_image_folder_and_numpy(tmp_path, capsys):
    root = image_folder(tmp_path / "pets", per_class=3)
    (root / "cat" / "broken.png").write_text("text")
    code, out, _ = run(capsys, root, "--image-size", "16x8")
    assert code == 0
    assert "feature shape: (16, 8, 1)" in out and "cat/broken.png" in out
    np.savez(tmp_path / "a.npz", feats=np.zeros((4, 2)), lab=np.array([0, 1, 0, 1]))
    code, out, _ = run(capsys, tmp_path / "a.npz", "--features", "feats", "--target", "lab")
    assert code == 0 and "samples: 4 samples" in out


def test_unusable_arguments_exit_2(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path / "missing.csv")
    assert code == 2 and "no such file or folder" in err
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n")
    code, _, err = run(capsys, path, "--delimiter", ";;")
    assert code == 2 and "single character" in err
    code, _, err = run(capsys, tmp_path, "--image-size", "big")
    assert code == 2 and "--image-size" in err
    code, _, err = run(capsys, path, "--missing", "ignore")
    assert code == 2


def test_inspect_does_not_import_tensorflow(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,x\n2,y\n3,x\n4,y\n")
    code = (
        "import sys; from nnstudio.cli import main; "
        f"rc = main(['inspect', {str(path)!r}]); "
        "heavy = [m for m in ('tensorflow', 'keras', 'PySide6') if m in sys.modules]; "
        "print('HEAVY', heavy); sys.exit(rc)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
