"""Damaged and hostile model files: one clean, located error each, never a traceback.

One test per defect found by mutating files (issue 11), each failing on the code before the
fix, plus the weights bomb that used to be inflated to disk in full before it was refused.
"""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from interop_helpers import archive_config, small_cnn

from nnstudio.cli import main
from nnstudio.core.interop import (
    ModelImportError,
    UnsafeModelError,
    UnsupportedModelError,
    archive,
    import_config,
    import_model_file,
)


@pytest.fixture(scope="module")
def cnn_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cnn")
    model = small_cnn()
    paths = {"keras": folder / "cnn.keras", "h5": folder / "cnn.h5"}
    for path in paths.values():
        model.save(path)
    return paths


@pytest.fixture
def cnn_config(cnn_files) -> dict:
    return archive_config(cnn_files["keras"])


def _layer(config: dict, class_name: str) -> dict:
    return next(e for e in config["config"]["layers"] if e["class_name"] == class_name)


def _corrupt_deflate(source: Path, target: Path, member: str) -> Path:
    """A copy of ``source`` whose ``member`` is deflated and then has bytes of its stream
    flipped, so that inflating it fails inside zlib."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    data = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as zf:
        info = zf.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(20, 60):
        data[start + k] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if not line.startswith("  - ")]
    assert len(lines) == 1, err
    return lines[0]


# -- the defects, one by one ---------------------------------------------------------------


def test_a_corrupt_deflate_stream_is_a_damaged_archive(cnn_files, tmp_path) -> None:
    path = _corrupt_deflate(cnn_files["keras"], tmp_path / "z.keras", "config.json")
    with pytest.raises(ModelImportError, match=r"z\.keras/config\.json: the archive is damaged"):
        import_model_file(path)


def test_a_corrupt_weights_member_is_a_damaged_archive(cnn_files, tmp_path) -> None:
    path = _corrupt_deflate(cnn_files["keras"], tmp_path / "w.keras", "model.weights.h5")
    with pytest.raises(ModelImportError, match=r"model\.weights\.h5: the archive is damaged") as e:
        import_model_file(path)
    assert e.value.unexpected is None


def test_an_integer_of_5000_digits_in_config_json_is_refused(cnn_config, tmp_path) -> None:
    raw = json.dumps(cnn_config).replace('"units": 3', '"units": ' + "9" * 5000)
    path = tmp_path / "digits.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", raw)
    with pytest.raises(ModelImportError, match=r"digits\.keras/config\.json: Exceeds the limit"):
        import_model_file(path)


@pytest.mark.parametrize(
    "target, error",
    [
        ("h5py.h5o.get_info", RuntimeError("Can't get deprecated info for object")),
        ("h5py._hl.group.Group.__getitem__", KeyError("Unable to synchronously open object")),
        ("h5py._hl.attrs.AttributeManager.get", OSError("Can't synchronously read data")),
    ],
)
def test_h5py_errors_of_a_damaged_file_are_import_errors(
    cnn_files, monkeypatch, target, error
) -> None:
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(target, broken)
    with pytest.raises(ModelImportError, match=r"cnn\.h5: the HDF5 file is damaged") as e:
        import_model_file(cnn_files["h5"], weights=False)
    assert e.value.unexpected is None


def test_a_truly_damaged_h5_file_is_an_import_error(cnn_files, tmp_path) -> None:
    raw = bytearray(cnn_files["h5"].read_bytes())
    rng = np.random.default_rng(5)
    for i in rng.choice(len(raw) - 512, size=400, replace=False) + 512:
        raw[i] ^= 0x5A
    path = tmp_path / "bad.h5"
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelImportError, match=r"bad\.h5") as e:
        import_model_file(path)
    assert e.value.unexpected is None


def test_a_list_where_an_activation_name_belongs_is_refused_by_name(cnn_config) -> None:
    _layer(cnn_config, "Dense")["config"]["activation"] = ["softmax"]
    with pytest.raises(UnsupportedModelError) as e:
        import_config(cnn_config)
    assert any("layer 'probs' (Dense)" in p and "activation" in p for p in e.value.problems)


def test_a_list_where_an_initializer_belongs_falls_back_to_the_default(cnn_config) -> None:
    _layer(cnn_config, "Dense")["config"]["kernel_initializer"] = [["x"]]
    result = import_config(cnn_config)
    assert result.graph.nodes["n7"].params["kernel_initializer"] == "glorot_uniform"
    assert any(w.startswith('kernel_initializer=[["x"]] on 1 layer') for w in result.warnings)


@pytest.mark.parametrize(
    "dtype, expected",
    [({"config": "float16"}, "malformed dtype policy"), (["float16"], "malformed dtype")],
)
def test_a_malformed_dtype_is_a_problem_of_its_layer(cnn_config, dtype, expected) -> None:
    _layer(cnn_config, "Dense")["config"]["dtype"] = dtype
    with pytest.raises(UnsupportedModelError) as e:
        import_config(cnn_config)
    assert any(p.startswith("layer 'probs' (Dense): " + expected) for p in e.value.problems)


def test_a_negative_tensor_index_is_a_malformed_config(cnn_config) -> None:
    cnn_config["config"]["output_layers"] = [["probs", 0, -3]]
    with pytest.raises(ModelImportError, match="malformed: 'probs' has no output #-3") as e:
        import_config(cnn_config)
    assert e.value.unexpected is None


def test_a_config_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ModelImportError, match="config: not a Keras model config"):
        import_config([1, 2, 3])  # type: ignore[arg-type]


# -- the command line ----------------------------------------------------------------------


@pytest.mark.parametrize("member", ["config.json", "model.weights.h5"])
def test_cli_import_of_a_damaged_file_is_one_line_and_exit_2(
    cnn_files, tmp_path, capsys, member
) -> None:
    path = _corrupt_deflate(cnn_files["keras"], tmp_path / "bad.keras", member)
    assert main(["import", str(path), "-o", str(tmp_path / "p")]) == 2
    line = _one_line_error(capsys)
    assert line.startswith(f"nnstudio: error: bad.keras/{member}: the archive is damaged")
    assert not (tmp_path / "p.nnstudio").exists()


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A ``.keras`` export of the small CNN with its model card."""
    from nnstudio.core.export import export_model, source_from_model

    folder = tmp_path_factory.mktemp("export")
    report = export_model(source_from_model(small_cnn()), ["keras"], folder / "m.keras")
    assert report.ok
    return folder / "m.keras"


def _with_card(model: Path, target: Path) -> Path:
    from nnstudio.core.export.model_card import card_path_for

    card_path_for(target).write_bytes(card_path_for(model).read_bytes())
    return target


def test_cli_predict_on_a_damaged_model_is_one_line_and_exit_2(exported, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((2, 12, 12, 3), np.float32))
    bad = _with_card(exported, tmp_path / "bad.keras")
    _corrupt_deflate(exported, bad, "config.json")
    assert main(["predict", str(bad), "-i", str(tmp_path / "x.npy")]) == 2
    line = _one_line_error(capsys)
    assert line.startswith("nnstudio: error: bad.keras/config.json: the archive is damaged")


def test_cli_predict_on_a_weights_bomb_is_refused_before_keras(exported, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((2, 12, 12, 3), np.float32))
    bomb = _with_card(exported, tmp_path / "bomb.keras")
    with zipfile.ZipFile(exported) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "model.weights.h5":
                data += bytes(4 << 20)
            dst.writestr(info.filename, data)
    assert main(["predict", str(bomb), "-i", str(tmp_path / "x.npy")]) == 2
    assert "decompression bomb" in _one_line_error(capsys)


@pytest.mark.parametrize(
    "header",
    [
        b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 12, 12, 3}",
        b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 12, 12, 3), 'x': '''}",
        b"{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 12, 12, 3), }",
    ],
)
def test_cli_predict_on_a_damaged_npz_header_is_one_line_and_exit_2(
    exported, tmp_path, capsys, header
) -> None:
    padded = header + b" " * (118 - len(header)) + b"\n"
    member = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(padded)) + padded + bytes(64)
    with zipfile.ZipFile(tmp_path / "x.npz", "w") as zf:
        zf.writestr("image.npy", member)
    assert main(["predict", str(exported), "-i", str(tmp_path / "x.npz")]) == 2
    assert _one_line_error(capsys).startswith("nnstudio: error: x.npz: image.npy")


# -- the weights bomb ------------------------------------------------------------------------


def _weights_bomb(cnn_files: dict[str, Path], target: Path, size: int) -> Path:
    """The small CNN whose weights member is padded with ``size`` highly compressible bytes,
    mixed with enough noise to stay under the 200x ratio (147x in the report)."""
    noise = np.random.default_rng(0).bytes(size // 150)
    with zipfile.ZipFile(cnn_files["keras"]) as src:
        members = {i.filename: src.read(i.filename) for i in src.infolist()}
    members["model.weights.h5"] += noise + bytes(size)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with zipfile.ZipFile(target) as zf:
        info = zf.getinfo("model.weights.h5")
    assert 50 < info.file_size / info.compress_size < 200
    return target


@pytest.fixture
def writes(monkeypatch) -> list[str]:
    """Paths the archive reader opens for writing."""
    opened: list[str] = []
    real_open = open

    def spy(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            opened.append(str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(archive, "open", spy, raising=False)
    return opened


def test_weights_far_larger_than_the_declared_parameters_are_refused_unwritten(
    cnn_files, tmp_path, writes
) -> None:
    path = _weights_bomb(cnn_files, tmp_path / "bomb.keras", 6 << 20)
    with pytest.raises(UnsafeModelError) as e:
        import_model_file(path)
    assert "the most that the 275 parameters the config declares need" in str(e.value)
    assert writes == []
    # Without weights the architecture still imports.
    assert len(import_model_file(path, weights=False).graph.nodes) == 7


def test_a_member_that_lies_about_its_compressed_size_stops_while_inflating(
    cnn_files, tmp_path, writes
) -> None:
    path = tmp_path / "liar.keras"
    with zipfile.ZipFile(cnn_files["keras"]) as src:
        members = {i.filename: src.read(i.filename) for i in src.infolist()}
    members["model.weights.h5"] += bytes(8 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("model.weights.h5")
    local = info.header_offset
    central = data.find(b"PK\x01\x02" + data[local + 4 : local + 6])
    while data[central + 46 : central + 46 + 16] != b"model.weights.h5":
        central = data.find(b"PK\x01\x02", central + 4)
    lie = 1 << 20  # 8 MiB from "1 MiB": well within the ratio cap
    struct.pack_into("<I", data, local + 18, lie)
    struct.pack_into("<I", data, central + 20, lie)
    path.write_bytes(bytes(data))
    limits = archive.ImportLimits(max_weights_bytes=64 << 20)
    with pytest.raises(ModelImportError) as e:
        archive.extract_keras_weights(path, tmp_path, limits)
    assert "decompression bomb" in str(e.value) or "damaged" in str(e.value)
    assert not (tmp_path / "model.weights.h5").exists()


def test_h5_datasets_far_larger_than_the_declared_parameters_are_refused(
    cnn_files, tmp_path
) -> None:
    import h5py

    path = tmp_path / "padded.h5"
    path.write_bytes(cnn_files["h5"].read_bytes())
    with h5py.File(path, "r+") as f:
        f.create_dataset("extra/noise", data=np.random.default_rng(0).random(300_000))
    with pytest.raises(UnsafeModelError) as e:
        import_model_file(path)
    assert "the most that the 275 parameters the config declares need" in str(e.value)
    assert "in all, more than the limit of 1.1 MiB" in str(e.value)
    assert len(import_model_file(path, weights=False).graph.nodes) == 7
