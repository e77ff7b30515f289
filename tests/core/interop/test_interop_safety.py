"""Hostile model files: each is refused by name before Keras deserializes anything.

The ``keras_untouched`` fixture replaces Keras' deserialization and loading entry points by
spies that record any call: every test here ends with them unused.  Files that carry a
payload prove that it stayed inert (its marker file never appears), and the control test
shows that the same payload does run under plain Keras with ``safe_mode=False``.
"""

from __future__ import annotations

import json
import struct
import tracemalloc
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from interop_helpers import archive_config, keras_archive, replace_layer, small_cnn

from nnstudio.core.interop import (
    ImportLimits,
    ModelImportError,
    UnsafeModelError,
    UnsupportedModelError,
    import_config,
    import_model_file,
)
from nnstudio.core.interop.safety import (
    CONSTRAINTS,
    DTYPE_POLICIES,
    INITIALIZERS,
    REGULARIZERS,
    check_config,
)

SMALL = ImportLimits(
    max_config_bytes=1 << 20,
    max_weights_bytes=8 << 20,
    max_array_bytes=4 << 20,
    ratio_floor_bytes=64 << 10,
)


@pytest.fixture
def keras_untouched(monkeypatch):
    """Fail the test if anything asks Keras to deserialize or load a model."""
    import keras
    from keras.src.legacy.saving import legacy_h5_format
    from keras.src.models.functional import Functional
    from keras.src.saving import saving_lib

    calls: list[str] = []

    def spy(name):
        def called(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return called

    for owner, attr in [
        (keras.saving, "deserialize_keras_object"),
        (keras.saving, "load_model"),
        (keras.models, "load_model"),
        (keras.models, "model_from_json"),
        (saving_lib, "load_model"),
        (legacy_h5_format, "load_model_from_hdf5"),
    ]:
        monkeypatch.setattr(owner, attr, spy(f"{owner.__name__}.{attr}"))
    for cls in (Functional, keras.Sequential):
        monkeypatch.setattr(cls, "from_config", classmethod(spy(f"{cls.__name__}.from_config")))
    yield calls
    assert calls == [], f"Keras was asked to load the hostile file: {calls}"


@pytest.fixture(scope="module")
def cnn_keras(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cnn") / "cnn.keras"
    small_cnn().save(path)
    return path


@pytest.fixture(scope="module")
def cnn_h5(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cnn_h5") / "cnn.h5"
    small_cnn().save(path)
    return path


def _lambda_model_file(path: Path, marker: Path) -> Path:
    """A model whose Lambda layer creates ``marker`` whenever its code runs."""
    import keras

    # The marker path is a constant inside the lambda's own code object.
    payload = eval(f"lambda t: (__import__('pathlib').Path({str(marker)!r}).touch(), t)[1]")
    x = keras.Input((4,), name="x")
    y = keras.layers.Lambda(payload, name="evil")(x)
    keras.Model(x, keras.layers.Dense(2, name="head")(y)).save(path)
    marker.unlink()  # building the model ran the code once; start clean
    return path


# -- code and classes --------------------------------------------------------------------


def test_lambda_layer_is_refused_and_its_code_never_runs(tmp_path, keras_untouched) -> None:
    marker = tmp_path / "lambda_ran"
    path = _lambda_model_file(tmp_path / "evil.keras", marker)
    with pytest.raises(UnsafeModelError) as info:
        import_model_file(path)
    assert "layer 'evil' (Lambda)" in str(info.value)
    assert "runs Python code" in str(info.value)
    assert not marker.exists()


def test_the_lambda_payload_is_live_under_unsafe_keras(tmp_path) -> None:
    import keras

    marker = tmp_path / "lambda_ran"
    path = _lambda_model_file(tmp_path / "evil.keras", marker)
    keras.saving.load_model(path, safe_mode=False)
    assert marker.exists()  # the file really carries code; the refusal above matters


def test_lambda_in_legacy_h5_is_refused(tmp_path, keras_untouched) -> None:
    import keras

    marker = tmp_path / "ran"
    x = keras.Input((4,), name="x")
    y = keras.layers.Lambda(lambda t: t * 2.0, name="double")(x)
    keras.Model(x, y).save(tmp_path / "lam.h5")
    with pytest.raises(UnsafeModelError, match=r"layer 'double' \(Lambda\)"):
        import_model_file(tmp_path / "lam.h5")
    assert not marker.exists()


@pytest.mark.parametrize(
    "entry_change, expected",
    [
        (
            {"module": "os", "class_name": "system"},
            "class from module 'os', which is not part of Keras",
        ),
        ({"module": "my_pkg.layers", "class_name": "MyLayer"}, "class from module 'my_pkg.layers'"),
        (
            {"module": "keras.layers", "registered_name": "my_pkg>Dense"},
            "custom registered class 'my_pkg>Dense'",
        ),
        (
            {"module": None, "class_name": "Frobnicator", "registered_name": None},
            "unknown class (custom code, not part of Keras)",
        ),
        ({"class_name": "TFSMLayer"}, "loads and runs another SavedModel"),
    ],
)
def test_custom_and_foreign_layer_classes_are_refused(
    tmp_path, cnn_keras, keras_untouched, entry_change, expected
) -> None:
    config = replace_layer(archive_config(cnn_keras), "relu", **entry_change)
    path = keras_archive(tmp_path / "bad.keras", config)
    with pytest.raises(UnsafeModelError) as info:
        import_model_file(path)
    assert expected in str(info.value)
    assert "refused before anything in it was loaded" in str(info.value)


@pytest.mark.parametrize(
    "activation, expected",
    [
        (
            {
                "module": "os",
                "class_name": "function",
                "config": "system",
                "registered_name": "system",
            },
            "function reference",
        ),
        (
            {
                "module": "keras.activations",
                "class_name": "function",
                "config": "relu",
                "registered_name": "relu",
            },
            "function reference",
        ),
        (
            {
                "class_name": "__lambda__",
                "config": {"code": "YQ==", "defaults": None, "closure": None},
            },
            "serialized Python lambda",
        ),
    ],
)
def test_function_configs_are_refused(
    tmp_path, cnn_keras, keras_untouched, activation, expected
) -> None:
    config = replace_layer(archive_config(cnn_keras), "relu", config={"activation": activation})
    with pytest.raises(UnsafeModelError, match=expected):
        import_model_file(keras_archive(tmp_path / "fn.keras", config))


def test_non_initializer_in_an_initializer_slot_is_refused(
    tmp_path, cnn_keras, keras_untouched
) -> None:
    config = archive_config(cnn_keras)
    replace_layer(
        config,
        "conv",
        config={
            "kernel_initializer": {
                "module": "keras.layers",
                "class_name": "Dense",
                "config": {"units": 1},
            }
        },
    )
    with pytest.raises(UnsafeModelError, match="kernel_initializer is 'Dense', not a built-in"):
        import_model_file(keras_archive(tmp_path / "init.keras", config))


def test_every_offending_layer_is_listed(tmp_path, cnn_keras, keras_untouched) -> None:
    config = archive_config(cnn_keras)
    replace_layer(config, "relu", class_name="Lambda")
    replace_layer(config, "pool", module="evil", class_name="Pool")
    with pytest.raises(UnsafeModelError) as info:
        import_model_file(keras_archive(tmp_path / "two.keras", config))
    text = str(info.value)
    assert "layer 'relu' (Lambda)" in text and "layer 'pool' (Pool)" in text
    assert len(info.value.problems) == 2


def test_allowlists_name_real_keras_classes() -> None:
    import keras

    for names, module in (
        (INITIALIZERS, keras.initializers),
        (REGULARIZERS, keras.regularizers),
        (CONSTRAINTS, keras.constraints),
    ):
        for name in names:
            assert isinstance(getattr(module, name), type), name
    assert {"DTypePolicy", "FloatDTypePolicy"} <= DTYPE_POLICIES


def test_config_of_a_plain_model_passes_the_walk(cnn_keras) -> None:
    report = check_config(archive_config(cnn_keras))
    assert report.ok, report.unsafe + report.unsupported


# -- plain Keras that the catalog cannot represent ---------------------------------------


def test_unsupported_keras_layers_refuse_the_whole_model(tmp_path, keras_untouched) -> None:
    import keras
    from keras import layers

    x = keras.Input((6,), name="x")
    h = layers.Dense(4, name="d1")(x)
    h = layers.PReLU(name="prelu")(h)
    h = layers.Dense(4, name="d2")(h)
    y = layers.ELU(name="elu")(h)
    keras.Model(x, y).save(tmp_path / "unsupported.keras")
    with pytest.raises(UnsupportedModelError) as info:
        import_model_file(tmp_path / "unsupported.keras")
    assert "(ELU, PReLU)" in str(info.value)
    assert "nothing was imported" in str(info.value)
    assert not any(p.startswith("layer 'd1'") for p in info.value.problems)


def test_layerscale_of_convnext_is_reported_by_class(keras_untouched) -> None:
    config = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "x",
                    "module": "keras.layers",
                    "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "x"},
                    "inbound_nodes": [],
                },
                {
                    "class_name": "LayerScale",
                    "name": "scale",
                    "module": "keras.src.applications.convnext",
                    "registered_name": "LayerScale",
                    "config": {"name": "scale", "init_values": 1e-6, "projection_dim": 4},
                    "inbound_nodes": [[["x", 0, 0, {}]]],
                },
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [["scale", 0, 0]],
        },
    }
    with pytest.raises(UnsupportedModelError, match=r"\(LayerScale\)"):
        import_config(config)


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"groups": 3}, "groups=3 is not supported"),
        ({"data_format": "channels_first"}, 'data_format="channels_first" is not supported'),
        ({"lora_rank": 4}, "unknown setting lora_rank=4"),
    ],
)
def test_settings_that_change_the_output_are_refused(
    tmp_path, cnn_keras, keras_untouched, change, expected
) -> None:
    config = replace_layer(archive_config(cnn_keras), "conv", config=change)
    with pytest.raises(UnsupportedModelError) as info:
        import_model_file(keras_archive(tmp_path / "settings.keras", config))
    assert f"layer 'conv' (Conv2D): {expected}" in str(info.value)


def test_shared_layers_are_refused(tmp_path, keras_untouched) -> None:
    import keras

    shared = keras.layers.Dense(3, name="shared")
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    out = keras.layers.Add(name="add")([shared(a), shared(b)])
    keras.Model([a, b], out).save(tmp_path / "shared.keras")
    with pytest.raises(UnsupportedModelError, match="'shared' .Dense. is called 2 times"):
        import_model_file(tmp_path / "shared.keras")


# -- archive and array bombs -------------------------------------------------------------


def test_zip_bomb_config_is_refused_before_inflating(tmp_path, cnn_keras, keras_untouched) -> None:
    config = json.dumps(archive_config(cnn_keras)).encode()
    padded = config[:-1] + b" " * (16 << 20) + b"}"
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", padded)
    del padded
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeModelError, match="decompression bomb"):
            import_model_file(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


def test_member_larger_than_its_cap_is_refused(tmp_path, cnn_keras, keras_untouched) -> None:
    config = archive_config(cnn_keras)
    config["padding"] = "x" * (2 << 20)  # stored, not compressed: no ratio to catch
    path = keras_archive(tmp_path / "big.keras", config)
    with pytest.raises(UnsafeModelError, match=r"config.json: declares 2\.0 MiB, more than"):
        import_model_file(path, limits=SMALL)


def test_a_member_that_lies_about_its_size_stops_at_the_declared_size(
    tmp_path, cnn_keras, keras_untouched
) -> None:
    payload = json.dumps(archive_config(cnn_keras)).encode() + b" " * (8 << 20)
    path = tmp_path / "liar.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", payload)
    data = bytearray(path.read_bytes())
    # Rewrite the uncompressed size in the local header and the central directory.
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(sig)
        struct.pack_into("<I", data, at + offset, 1000)
    path.write_bytes(bytes(data))
    with pytest.raises(ModelImportError, match="damaged"):
        import_model_file(path)


def test_duplicate_members_are_refused(tmp_path, cnn_keras, keras_untouched) -> None:
    good = json.dumps(archive_config(cnn_keras))
    path = tmp_path / "dup.keras"
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", good)
        zf.writestr("config.json", good.replace('"relu"', '"Lambda"'))
    with pytest.raises(UnsafeModelError, match="two members called 'config.json'"):
        import_model_file(path)


def test_json_nested_too_deeply_is_refused(tmp_path, keras_untouched) -> None:
    deep = {"class_name": "Functional", "config": {"layers": []}}
    cur = deep["config"]
    for _ in range(400):
        cur["x"] = {}
        cur = cur["x"]
    with pytest.raises(UnsafeModelError, match="nested more than 200 levels"):
        import_model_file(keras_archive(tmp_path / "deep.keras", deep))


def _with_weights(tmp_path: Path, source: Path, edit) -> Path:
    """A copy of ``source`` (.h5 model) changed by ``edit(h5py.File)``."""
    path = tmp_path / f"edited_{source.name}"
    path.write_bytes(source.read_bytes())
    with h5py.File(path, "a") as f:
        edit(f)
    return path


def test_h5_dataset_declaring_a_huge_shape_is_refused_unread(
    tmp_path, cnn_h5, keras_untouched
) -> None:
    def add_bomb(f):
        f["model_weights"].create_dataset(
            "bomb", shape=(10**6, 10**6), dtype="f4", chunks=(1, 1024)
        )

    path = _with_weights(tmp_path, cnn_h5, add_bomb)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeModelError) as info:
            import_model_file(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "/model_weights/bomb: declares shape 1000000x1000000 (3.6 TiB)" in str(info.value)
    assert peak < 4 << 20


def test_h5_dataset_far_larger_than_its_storage_is_refused(
    tmp_path, cnn_h5, keras_untouched
) -> None:
    def add_sparse(f):
        f["model_weights"].create_dataset("sparse", shape=(2048, 2048), dtype="f4", chunks=(64, 64))

    path = _with_weights(tmp_path, cnn_h5, add_sparse)
    with pytest.raises(UnsafeModelError, match="declares 16.0 MiB but stores 0 bytes"):
        import_model_file(path)


@pytest.mark.parametrize("kind", ["external_link", "soft_link", "virtual", "external_storage"])
def test_h5_links_and_foreign_storage_are_refused(tmp_path, cnn_h5, keras_untouched, kind) -> None:
    raw = tmp_path / "secret.bin"
    raw.write_bytes(np.arange(4, dtype="f4").tobytes())

    def edit(f):
        group = f["model_weights"]
        if kind == "external_link":
            group["peek"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/data")
        elif kind == "soft_link":
            group["loop"] = h5py.SoftLink("/model_weights")
        elif kind == "virtual":
            layout = h5py.VirtualLayout(shape=(4,), dtype="f4")
            layout[:] = h5py.VirtualSource(str(tmp_path / "other.h5"), "data", shape=(4,))
            group.create_virtual_dataset("vds", layout)
        else:
            group.create_dataset("ext", shape=(4,), dtype="f4", external=[(str(raw), 0, 16)])

    path = _with_weights(tmp_path, cnn_h5, edit)
    expected = {
        "external_link": "external link to",
        "soft_link": "soft link to",
        "virtual": "virtual dataset",
        "external_storage": "stored in external files",
    }
    with pytest.raises(UnsafeModelError, match=expected[kind]):
        import_model_file(path)


def test_weights_inside_a_keras_archive_are_checked_too(
    tmp_path, cnn_keras, keras_untouched
) -> None:
    weights = tmp_path / "w.h5"
    with zipfile.ZipFile(cnn_keras) as zf:
        weights.write_bytes(zf.read("model.weights.h5"))
    with h5py.File(weights, "a") as f:
        f["evil"] = h5py.ExternalLink("/etc/passwd", "/")
    path = keras_archive(tmp_path / "w.keras", archive_config(cnn_keras), weights.read_bytes())
    with pytest.raises(UnsafeModelError, match="/evil: external link to /etc/passwd"):
        import_model_file(path)
    # The architecture alone never opens the weights.
    assert len(import_model_file(path, weights=False).graph.nodes) == 7


@pytest.mark.parametrize(
    "content, expected",
    [
        (None, "no such file"),
        (b"not a model at all", "not a .keras archive"),
        (b"PK\x03\x04 broken", "not a zip file"),
    ],
)
def test_unreadable_files_get_clear_messages(tmp_path, keras_untouched, content, expected) -> None:
    path = tmp_path / "model.keras"
    if content is not None:
        path.write_bytes(content)
        if content.startswith(b"not"):
            path = path.rename(tmp_path / "model.bin")
    with pytest.raises(ModelImportError, match=expected):
        import_model_file(path)


def test_weights_only_h5_is_explained(tmp_path, keras_untouched) -> None:
    model = small_cnn()
    model.save_weights(tmp_path / "only.weights.h5")
    with pytest.raises(ModelImportError, match="weights-only file"):
        import_model_file(tmp_path / "only.weights.h5")


def test_nested_compile_configs_are_checked_and_never_compiled(tmp_path, keras_untouched) -> None:
    from interop_helpers import tiny_functional

    tiny_functional().save(tmp_path / "nested.keras")
    config = archive_config(tmp_path / "nested.keras")
    sub = next(e for e in config["config"]["layers"] if e["name"] == "sub")
    sub["compile_config"] = {
        "optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {}},
        "loss": "mse",
        "metrics": [{"module": "keras.metrics", "class_name": "AUC"}],
    }
    assert check_config(config).ok  # built-in optimizer, loss and metric
    sub["compile_config"]["loss"] = {"module": "os", "class_name": "function", "config": "system"}
    report = check_config(config)
    assert report.unsafe == [
        "layer 'sub': its compile settings name 'function' (module 'os'), "
        "not a built-in Keras optimizer, loss or metric"
    ]
    # Import strips every compile config, so the architecture still imports.
    path = keras_archive(tmp_path / "edited.keras", config)
    assert len(import_model_file(path, weights=False).graph.nodes) == 10
