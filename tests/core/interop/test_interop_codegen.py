"""Code generation: readable, deterministic, and rebuilding the same model in plain Keras.

The generated files are run in a separate, isolated interpreter (``python -I``) that imports
Keras only; it reports each model's config and parameter count, which must equal those of
the model NN Studio compiles from the same graph.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from interop_helpers import max_diff, tiny_functional, tiny_inputs

from nnstudio.cli import main
from nnstudio.core import catalog
from nnstudio.core.compiler import CompileError, build_model
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.interop import generate_code, import_model, save_weights, write_code
from nnstudio.core.project import Project
from nnstudio.core.templates import TEMPLATES

DRIVER = textwrap.dedent("""
    import json, runpy, sys
    out = {}
    for path in sys.argv[2:]:
        module = runpy.run_path(path)
        model = module["build_model"]()
        out[path] = {"config": model.get_config(), "params": model.count_params(),
                     "loss": str(model.loss)}
    out["nnstudio_imported"] = any(m.startswith("nnstudio") for m in sys.modules)
    with open(sys.argv[1], "w") as fh:
        json.dump(out, fh, default=str)
""")


def _alternate(p):
    """A non-default, valid value for a parameter (None: keep the default)."""
    if p.kind == "bool":
        return not p.default
    if p.kind == "choice":
        return next(c for c in p.choices if c != p.default)
    if p.kind == "int" and p.default is not None and p.name not in ("axis", "groups"):
        return p.default + 1 if p.max is None or p.default + 1 <= p.max else p.default - 1
    if p.kind == "float" and p.default is not None:
        v = round(p.default / 2 + 0.05, 3)
        return v if (p.min is None or v >= p.min) and (p.max is None or v <= p.max) else None
    return None


_KEEP_DEFAULT = {
    ("Normalization", "invert"),
    ("Attention", "score_mode"),
    ("MultiHeadAttention", "key_dim"),
}


def _spec_graph(spec, alternate: bool):
    """Inputs -> one layer of ``spec`` -> output, with defaults or non-default values."""
    values = {}
    if alternate:
        for p in spec.params:
            alt = _alternate(p)
            if alt is not None and (spec.key, p.name) not in _KEEP_DEFAULT:
                values[p.name] = alt
    b = GraphBuilder()
    sources = [b.add("Input", shape=s, dtype=spec.example_dtype) for s in spec.example_input]
    if spec.variadic:
        node = b.add(spec.key, sources, **values)
    else:
        node = b.add(spec.key, ports=dict(zip(spec.inputs, sources, strict=False)), **values)
    b.output(node)
    return b.graph


def _graphs():
    graphs = {}
    for spec in catalog.all_specs():
        # a backbone's keras.applications model names its own layers from Keras' global
        # counters (input_layer_N), which differ between processes: it is checked by
        # tests/core/backbones/test_interop.py instead
        if spec.is_input or spec.key == "PretrainedBackbone":
            continue
        graphs[f"{spec.key}_defaults"] = _spec_graph(spec, False)
        graphs[f"{spec.key}_changed"] = _spec_graph(spec, True)
    for key, (_, _, make) in TEMPLATES.items():
        graph = make().graph
        if any(n.key == "PretrainedBackbone" for n in graph.nodes.values()):
            continue  # the transfer template: as above
        graphs[f"template_{key}"] = graph
    graphs["imported_functional"] = import_model(tiny_functional(), weights=False).graph
    return graphs


def _run_isolated(paths: list[Path], tmp_path: Path) -> dict:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-I", str(driver), str(report), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(report.read_text())


def _normal(config) -> str:
    return json.dumps(config, sort_keys=True, default=str)


def test_generated_code_rebuilds_every_layer_type_in_plain_keras(tmp_path) -> None:
    graphs = _graphs()
    paths = {}
    for name, graph in graphs.items():
        paths[name] = write_code(graph, tmp_path / f"{name}.py")
    report = _run_isolated(list(paths.values()), tmp_path)
    assert report["nnstudio_imported"] is False
    for name, graph in graphs.items():
        got = report[str(paths[name])]
        expected = build_model(graph)
        assert got["params"] == expected.count_params(), name
        assert _normal(got["config"]) == _normal(expected.get_config()), name


def test_code_is_readable(tmp_path) -> None:
    graph = TEMPLATES["residual_cnn"][2]().graph
    code = generate_code(graph)
    assert 'image = keras.Input(shape=(28, 28, 1), name="image")' in code
    assert (
        'stem = layers.Conv2D(32, 3, padding="same", activation="relu", name="stem")(image)' in code
    )
    assert 'block1_add = layers.Add(name="block1_add")([stem, block1_bn_b])' in code
    # Arguments equal to Keras' defaults are left out.
    for default in (
        'padding="valid"',
        'activation="linear"',
        "use_bias=True",
        "strides=(1, 1)",
        'kernel_initializer="glorot_uniform"',
    ):
        assert default not in code
    assert "def build_model():" in code and 'if __name__ == "__main__":' in code
    assert 'loss="sparse_categorical_crossentropy",\n        metrics=["accuracy"],' in code
    assert all(len(line) <= 99 for line in code.splitlines())
    assignments = [
        line for line in code.splitlines() if " = layers." in line or " = keras.Input" in line
    ]
    assert len(assignments) == len(graph.nodes)  # one line per layer


def test_same_graph_same_bytes() -> None:
    graph = import_model(tiny_functional(), weights=False).graph
    first = generate_code(graph, weights_file="w.weights.h5")
    assert generate_code(graph.copy(), weights_file="w.weights.h5") == first
    assert generate_code(graph) != first


def test_generated_code_loads_the_weights_file(tmp_path) -> None:
    source = tiny_functional(seed=4)
    result = import_model(source)
    save_weights(result.graph, result.weights, tmp_path / "model.weights.h5")
    path = write_code(
        result.graph, tmp_path / "model.py", weights_file="model.weights.h5", model_name="outer"
    )
    batch = tiny_inputs(3)
    np.save(tmp_path / "x0.npy", batch[0])
    np.save(tmp_path / "x1.npy", batch[1])
    script = textwrap.dedent("""
        import os, sys, numpy as np, runpy
        os.chdir("/")  # the weights path is relative to the generated file, not the cwd
        model = runpy.run_path(sys.argv[1])["build_model"]()
        folder = os.path.dirname(sys.argv[1])
        xs = [np.load(os.path.join(folder, f"x{i}.npy")) for i in (0, 1)]
        for i, y in enumerate(model.predict(xs, verbose=0)):
            np.save(os.path.join(folder, f"y{i}.npy"), y)
    """)
    proc = subprocess.run(
        [sys.executable, "-I", "-c", script, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = [np.load(tmp_path / f"y{i}.npy") for i in (0, 1)]
    assert max_diff(got, source.predict(batch, verbose=0)) < 1e-5


def test_optimizer_and_multi_output_compile_call() -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(4,))
    a = b.add("Dense", x, name="a", units=2)
    c = b.add("Dense", x, name="c", units=1, activation="sigmoid")
    b.output(a, "mse", ["mae"], loss_weight=0.5)
    b.output(c, "binary_crossentropy", [])
    code = generate_code(b.graph, optimizer="sgd", learning_rate=0.05)
    assert "optimizer=keras.optimizers.SGD(learning_rate=0.05)," in code
    assert 'optimizer="sgd",' in generate_code(b.graph, optimizer="sgd", learning_rate=0.01)
    assert 'loss=["mse", "binary_crossentropy"],' in code
    assert "loss_weights=[0.5, 1.0]," in code
    assert 'metrics=[["mae"], []],' in code
    assert 'model = keras.Model(inputs=input, outputs=[a, c], name="model")' not in code
    assert "input_ = keras.Input" in code  # a name that shadows a builtin gets a suffix


def test_graph_with_errors_gives_no_code_and_keeps_the_old_file(tmp_path) -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    c = b.add("Conv2D", x)
    b.output(c)
    target = tmp_path / "model.py"
    target.write_text("# previous\n")
    with pytest.raises(CompileError, match="expects a 4-D input"):
        write_code(b.graph, target)
    assert target.read_text() == "# previous\n"


def test_cli_codegen(tmp_path, capsys) -> None:
    project = Project(graph=TEMPLATES["mlp"][2]().graph, name="MLP for tabular data")
    path = project.save(tmp_path / "mlp.nnstudio")
    assert main(["codegen", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith('"""Keras model "mlp_for_tabular_data"')
    assert (
        main(["codegen", str(path), "-o", str(tmp_path / "mlp.py"), "--weights", "mlp.weights.h5"])
        == 0
    )
    text = (tmp_path / "mlp.py").read_text()
    assert "model.load_weights(weights_file)" in text and '"mlp.weights.h5")' in text
    project.training = {"optimizer": "sgd", "learning_rate": 0.05}
    project.save()
    assert main(["codegen", str(path)]) == 0
    assert "optimizer=keras.optimizers.SGD(learning_rate=0.05)," in capsys.readouterr().out
    project.training = {"optimizer": "adam", "learning_rate": 0.001}  # Adam's own default
    project.save()
    assert main(["codegen", str(path)]) == 0
    assert 'optimizer="adam",' in capsys.readouterr().out
    broken = Project(graph=GraphBuilder().graph, name="Empty").save(tmp_path / "e.nnstudio")
    assert main(["codegen", str(broken)]) == 2
    assert "the graph has errors" in capsys.readouterr().err
