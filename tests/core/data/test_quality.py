"""The data-quality scan: each kind of problem found where it is, nothing on clean data,
near-duplicate images after a brightness change or a re-encode, leakage across the splits,
damaged files counted, cancel and the time budget, and ``nnstudio inspect --json``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from nnstudio.cli import main
from nnstudio.core.data import Cancelled, config_for_path
from nnstudio.core.data.classes import balanced_class_weight
from nnstudio.core.data.inspection import load_source
from nnstudio.core.data.progress import TaskState
from nnstudio.core.data.quality import inspect_with_quality, scan_quality, split_assignment
from nnstudio.core.data.quality_images import file_hashes, hash_files, perceptual_hash
from nnstudio.core.data.tabular_pipeline import TabularSource


def by_kind(quality) -> dict:
    return {p.kind: p for p in quality.problems}


def clean_rows(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [f"{a:.4f},{b:.4f},{'xy'[i % 2]}" for i, (a, b) in enumerate(rng.normal(size=(n, 2)))]


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    return path


# -- rows -----------------------------------------------------------------------


def test_clean_csv_has_no_quality_problems(tmp_path):
    report, quality = inspect_with_quality(
        config_for_path(str(write_csv(tmp_path / "c.csv", clean_rows(60))))
    )
    assert quality.problems == [] and quality.complete and quality.samples == 60
    assert not any(getattr(p, "kind", "") for p in report.problems)
    assert quality.class_weights == pytest.approx({"x": 1.0, "y": 1.0}, rel=0.1)


def test_duplicates_and_conflicts_are_located_by_file_line(tmp_path):
    rows = clean_rows(40)
    rows[10] = rows[3]  # an exact copy: data row 11 = file line 12
    rows[20] = rows[3]
    a, b, label = rows[5].split(",")
    rows[30] = f"{a},{b},{'y' if label == 'x' else 'x'}"  # same features, other label
    path = write_csv(tmp_path / "d.csv", rows)
    report, quality = inspect_with_quality(config_for_path(str(path)))
    found = by_kind(quality)
    dup = found["duplicate_rows"]
    assert dup.count == 3 and dup.n_groups == 1 and dup.indices == (3, 10, 20)
    assert dup.groups[0].locations == ("line 5", "line 12", "line 22")
    assert dup.location == "line 5, line 12, line 22"
    assert dict(dup.groups[0].values)["a"] == rows[3].split(",")[0].rstrip("0").rstrip(".")
    conflict = found["label_conflicts"]
    assert conflict.indices == (5, 30) and conflict.groups[0].locations == ("line 7", "line 32")
    assert sorted(conflict.groups[0].labels) == ["x", "y"]
    assert dup in report.problems and conflict in report.problems  # listed with the others
    # a row with a blank line before it keeps its real line number
    path.write_text(path.read_text().replace("\n", "\n\n", 1))
    _, quality = inspect_with_quality(config_for_path(str(path)))
    assert by_kind(quality)["duplicate_rows"].groups[0].locations[0] == "line 6"


def test_leakage_uses_the_pipelines_split(tmp_path):
    rows = clean_rows(50)
    rows[40:50] = rows[0:10]  # ten copies: some land in validation, some in training
    config = config_for_path(str(write_csv(tmp_path / "l.csv", rows)), val_fraction=0.3)
    loaded = load_source(config, TaskState())
    source = TabularSource(loaded)
    source._split(None, loaded.targets.y, loaded.targets.task, None)
    codes = split_assignment(config, loaded.targets.task, loaded.targets.y, None)
    for code, name in enumerate(("train", "val", "test")):
        assert np.array_equal(np.flatnonzero(codes == code), source.splits[name].idx)
    leak = by_kind(scan_quality(loaded))["split_leakage"]
    for group in leak.groups:
        assert len(set(group.splits)) > 1 and len(group.locations) == 2
    expected = sum(codes[i] != codes[i + 40] for i in range(10))
    assert leak.n_groups == expected > 0


def test_leakage_into_a_separate_validation_file(tmp_path):
    rows = clean_rows(30)
    train = write_csv(tmp_path / "train.csv", rows)
    val = write_csv(tmp_path / "val.csv", clean_rows(8, seed=5) + [rows[4]])
    _, quality = inspect_with_quality(config_for_path(str(train), validation_path=str(val)))
    leak = by_kind(quality)["split_leakage"]
    assert leak.groups[0].locations == ("line 6", "val.csv, line 10")
    assert leak.indices == (4,) and leak.validation_indices == (8,)


def test_numpy_duplicates_and_imbalance_with_class_weights(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3, 2)).astype(np.float32)
    y = np.array([0] * 110 + [1] * 10)
    x[50] = x[7]
    np.savez(tmp_path / "a.npz", x=x, y=y)
    report, quality = inspect_with_quality(config_for_path(str(tmp_path / "a.npz")))
    found = by_kind(quality)
    assert found["duplicate_rows"].groups[0].locations == ("sample 7", "sample 50")
    imbalance = found["class_imbalance"]
    assert "11.0x" in imbalance.message and imbalance.count == 10
    codes = split_assignment(
        load_source(config_for_path(str(tmp_path / "a.npz")), TaskState()).config,
        "classification",
        y,
        None,
    )
    expected = balanced_class_weight(np.bincount(y[codes == 0]).tolist())
    assert [w for _, w in imbalance.class_weights] == pytest.approx(list(expected.values()))
    # the inspection's own imbalance warning is replaced, not repeated
    assert sum("imbalanced" in p.message for p in report.problems) == 1


# -- images ---------------------------------------------------------------------


def pattern(seed: int, size: int = 32) -> Image.Image:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
    return Image.fromarray(small).resize((size, size), Image.BILINEAR)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("quality") / "pics"
    for c in ("cat", "dog"):
        (root / c).mkdir(parents=True)
    for i in range(24):
        pattern(i).save(root / ("cat", "dog")[i % 2] / f"p{i}.png")
    ImageEnhance.Brightness(pattern(0)).enhance(1.2).save(root / "cat" / "p0_bright.png")
    pattern(2).save(root / "cat" / "p2_again.jpg", quality=85)  # re-encoded
    pattern(4).save(root / "dog" / "p4_copy.png")  # an identical file in the other class
    (root / "dog" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    return root


def test_image_folder_problems(folder):
    report, quality = inspect_with_quality(config_for_path(str(folder)))
    found = by_kind(quality)
    near = found["near_duplicates"]
    groups = sorted(sorted(g.files) for g in near.groups)
    assert ["cat/p0.png", "cat/p0_bright.png"] in groups
    assert ["cat/p2.png", "cat/p2_again.jpg"] in groups
    assert all(len(g) == 2 for g in groups)  # distinct patterns are never grouped
    dup = found["duplicate_files"]
    assert dup.files == ("cat/p4.png", "dog/p4_copy.png")
    assert found["label_conflicts"].files == ("cat/p4.png", "dog/p4_copy.png")
    assert "dog/broken.png" in {p.location for p in report.problems}  # skipped by the scan
    for group in found.get("split_leakage", near).groups:
        assert group.paths and all(Path(p).exists() for p in group.paths)


def test_perceptual_hash_is_imagehash_and_survives_small_changes(tmp_path):
    import imagehash

    for seed in range(12):  # the batched DCT gives imagehash.phash's bits exactly
        path = tmp_path / f"s{seed}.png"
        pattern(seed, 40 + seed).save(path)
        with Image.open(path) as im:
            assert perceptual_hash(str(path)) == int(str(imagehash.phash(im)), 16)
    base = pattern(7, 48)
    base.save(tmp_path / "a.png")
    ImageEnhance.Brightness(base).enhance(0.85).save(tmp_path / "b.jpg", quality=80)
    pattern(8, 48).save(tmp_path / "c.png")
    a, b, c = (perceptual_hash(str(tmp_path / n)) for n in ("a.png", "b.jpg", "c.png"))
    assert bin(a ^ b).count("1") <= 6 < bin(a ^ c).count("1")


def test_damaged_files_are_counted_not_fatal(folder, tmp_path):
    (tmp_path / "junk.png").write_bytes(b"not an image")
    assert file_hashes(str(tmp_path / "junk.png")) is None
    assert file_hashes(str(tmp_path / "missing.png")) is None
    paths = [str(tmp_path / "junk.png"), str(folder / "cat" / "p0.png")]
    keys = hash_files(paths, TaskState(), deadline=float("inf"))
    assert keys.unreadable == 1 and keys.ok.tolist() == [False, True]
    # a file damaged after the inspection is left out, with a note
    loaded = load_source(config_for_path(str(folder)), TaskState())
    victim = Path(loaded.scan.files[0])
    saved = victim.read_bytes()
    try:
        victim.write_bytes(b"garbage")
        quality = scan_quality(loaded)
    finally:
        victim.write_bytes(saved)
    assert any("1 image could not be read" in n for n in quality.notes)


def test_cancel_and_time_budget(folder):
    loaded = load_source(config_for_path(str(folder)), TaskState())
    state = TaskState()
    state.request_stop()
    with pytest.raises(Cancelled):
        scan_quality(loaded, state)
    quality = scan_quality(loaded, budget_s=0.0)
    assert not quality.complete and "time budget" in " ".join(quality.notes)


def test_arrays_stop_at_the_time_budget(tmp_path):
    x = np.zeros((50, 4), np.float32)  # all duplicates, but never reported half-hashed
    np.savez(tmp_path / "z.npz", x=x, y=np.arange(50) % 2)
    loaded = load_source(config_for_path(str(tmp_path / "z.npz")), TaskState())
    quality = scan_quality(loaded, budget_s=0.0)
    assert not quality.complete and quality.problems == []
    assert "duplicate_rows" in by_kind(scan_quality(loaded))


# -- the command line -------------------------------------------------------------


def test_inspect_json_lists_the_quality_problems(tmp_path, capsys):
    rows = clean_rows(30)
    rows[9] = rows[2]
    path = write_csv(tmp_path / "d.csv", rows)
    assert main(["inspect", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"kind", "samples", "classes", "problems", "config"} <= set(data)
    dup = next(p for p in data["problems"] if p["kind"] == "duplicate_rows")
    assert dup["indices"] == [2, 9] and dup["count"] == 2 and dup["location"] == "line 4, line 11"
    assert dup["severity"] == "warning" and dup["sample_groups"][0]["samples"] == [
        "line 4",
        "line 11",
    ]
    assert all("kind" in p and "severity" in p for p in data["problems"])
    assert data["quality"]["complete"] and set(data["quality"]["class_weights"]) == {"x", "y"}
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "line 4, line 11: 1 row repeats another exactly" in out
    assert "balanced class weights: x" in out
    assert main(["inspect", str(path), "--json", "--no-quality"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "quality" not in data and not any("kind" in p for p in data["problems"])


def test_similar_glyphs_are_not_near_duplicates():
    """The sample digits: small glyphs whose perceptual hashes are often close (a 0 and
    an 8) but whose pixels differ: none is flagged."""
    digits = Path(__file__).resolve().parents[3] / "resources" / "samples" / "digits"
    _, quality = inspect_with_quality(config_for_path(str(digits)))
    assert quality.samples == 640 and quality.problems == [] and quality.complete


def test_damaged_inputs_never_break_the_scan(tmp_path):
    """Seeded damage of a CSV with duplicates and of image files: the scan gives a report
    (or notes), never another exception."""
    import random

    from data_helpers import write_image
    from test_fuzz_data import _bounded, mutate

    rng = random.Random(14)
    rows = clean_rows(30)
    rows[7] = rows[1]
    text = ("a,b,label\n" + "\n".join(rows) + "\n").encode()
    images = tmp_path / "pics"
    for i in range(6):
        write_image(images / "ab"[i % 2] / f"{i}.png", size=(16, 16), seed=i)
    originals = {p: p.read_bytes() for p in images.rglob("*.png")}
    for case in range(12):
        path = tmp_path / f"f{case}.csv"
        path.write_bytes(mutate(text, rng))
        with _bounded():
            report, quality = inspect_with_quality(config_for_path(str(path)))
        assert quality.complete and all(p.kind for p in quality.problems)
        for p, data in originals.items():
            p.write_bytes(mutate(data, rng) if rng.random() < 0.5 else data)
        with _bounded():
            loaded = load_source(config_for_path(str(images)), TaskState())
            scan_quality(loaded)
        for p, data in originals.items():  # damaged after the inspection read them
            p.write_bytes(mutate(data, rng))
        with _bounded():
            scan_quality(loaded)
        for p, data in originals.items():
            p.write_bytes(data)
