"""Image folders: every file decoded once; bad files listed with the reason and
left out; empty classes refused; the pipeline never meets a bad image."""

from __future__ import annotations

import io
import pickle

import pytest
from data_helpers import find, image_folder, inspect, sha, write_image

from nnstudio.core.data import Cancelled, DataConfig, inspect_source


def test_good_folder_summary(tmp_path):
    root = image_folder(tmp_path / "pets", per_class=5)
    write_image(root / "dog" / "extra.jpg", mode="RGB", fmt="JPEG")
    report = inspect(root)
    assert report.ok, report.format_text()
    assert report.kind == "images"
    assert report.samples == 11
    assert report.task == "classification"
    assert report.classes == [("cat", 5), ("dog", 6)]
    # the most common size (10 high, 12 wide); a colour image makes the mode rgb
    assert report.feature_shape == (10, 12, 3)
    assert report.details["color_mode"] == "rgb"
    assert report.content_hash.startswith("listing-sha256:")
    only_gray = image_folder(tmp_path / "gray", per_class=3)
    assert inspect(only_gray).feature_shape == (10, 12, 1)
    chosen = inspect(only_gray, image_size=(8, 8), color_mode="rgba")
    assert chosen.feature_shape == (8, 8, 4)


def test_bad_files_are_listed_with_the_reason(tmp_path):
    root = image_folder(tmp_path / "pets", per_class=4)
    jpeg = write_image(tmp_path / "src.jpg", size=(64, 64), mode="RGB", fmt="JPEG").read_bytes()
    (root / "cat" / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (root / "cat" / "notes.png").write_text("this is text, not a picture\n")
    write_image(root / "dog" / "scan.tiff", fmt="TIFF")
    (root / "dog" / "labels.txt").write_text("hello")
    (root / "dog" / "empty.png").write_bytes(b"")
    webp_as_png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (5, 5)).save(webp_as_png, "WEBP")
    (root / "dog" / "actually_webp.png").write_bytes(webp_as_png.getvalue())
    (root / ".DS_Store").write_bytes(b"\x00\x01")
    (root / "readme.md").write_text("hi")
    before = sha(root)
    report = inspect_source(DataConfig(kind="images", path=str(root)))
    assert sha(root) == before
    assert report.ok, report.format_text()
    assert report.samples == 9  # 8 generated + the WebP (decodable whatever its name)
    assert find(report, "truncated or corrupt", "warning").location == "cat/truncated.jpg"
    assert find(report, "not an image: it holds text", "warning").location == "cat/notes.png"
    tiff = find(report, ".tiff images are not supported", "warning")
    assert tiff.location == "dog/scan.tiff"
    assert find(report, "not an image file (.txt)", "info").location == "dog/labels.txt"
    assert find(report, "empty (0 bytes)").location == "dog/empty.png"
    assert find(report, "not inside a class folder").location == "readme.md"
    find(report, "hidden file", "info")


def test_empty_class_folder_is_refused(tmp_path):
    root = image_folder(tmp_path / "pets", per_class=3)
    (root / "bird").mkdir()
    report = inspect(root)
    problem = find(report, 'class folder "bird" has no usable images', "error")
    assert problem.location == "bird"
    (root / "bird" / "broken.png").write_text("nope")
    report = inspect(root)
    assert "1 file(s) skipped" in find(report, 'class folder "bird"', "error").message


def test_folder_without_classes_or_with_one(tmp_path):
    flat = tmp_path / "flat"
    write_image(flat / "a.png")
    find(inspect(flat), "no class sub-folders", "error")
    single = image_folder(tmp_path / "single", classes=("only",), per_class=3)
    find(inspect(single), "only one class", "error")


def test_validation_folder_must_use_the_training_classes(tmp_path):
    train = image_folder(tmp_path / "train", per_class=3)
    val = image_folder(tmp_path / "val", classes=("cat", "dog", "cow"), per_class=2)
    report = inspect(train, validation_path=str(val))
    problem = find(report, 'has a class "cow" that the training folder lacks', "error")
    assert problem.location == "val/cow"
    good = image_folder(tmp_path / "val2", per_class=2)
    report = inspect(train, validation_path=str(good))
    assert report.ok and report.details["validation_samples"] == 4

    from nnstudio.core.data import prepare

    prepared = prepare(
        DataConfig(kind="images", path=str(train), validation_path=str(good)), batch_size=2
    )
    assert (prepared.train_size, prepared.val_size) == (6, 4)
    assert sum(len(y) for _, y in prepared.val) == 4


def test_scan_reports_progress_and_can_be_cancelled(tmp_path):
    root = image_folder(tmp_path / "pets", per_class=10)
    calls = []
    inspect_source(
        DataConfig(kind="images", path=str(root)), progress=lambda d, t: calls.append((d, t))
    )
    assert calls[0] == (0, 20) and calls[-1][0] == 20

    from nnstudio.core.data.image_folder import clear_scan_cache

    clear_scan_cache()
    seen = []

    def cancelled():
        return len(seen) > 0

    def progress(done, total):
        seen.append(done)

    with pytest.raises(Cancelled):
        inspect_source(
            DataConfig(kind="images", path=str(root)), progress=progress, cancelled=cancelled
        )


def test_pickled_image_is_not_an_image(tmp_path):
    root = image_folder(tmp_path / "pets", per_class=2)
    (root / "cat" / "evil.png").write_bytes(pickle.dumps({"a": 1}))
    report = inspect(root)
    assert find(report, "not an image", "warning").location == "cat/evil.png"


# -- pipelines ------------------------------------------------------------------


@pytest.mark.parametrize("budget", [None, 0], ids=["in-memory", "streaming"])
def test_pipeline_never_meets_a_bad_image(tmp_path, budget):
    from nnstudio.core.data import prepare

    root = image_folder(tmp_path / "pets", per_class=8)
    jpeg = write_image(tmp_path / "src.jpg", size=(64, 64), mode="RGB", fmt="JPEG").read_bytes()
    (root / "dog" / "truncated.jpg").write_bytes(jpeg[:300])
    (root / "cat" / "text.png").write_text("not an image")
    config = DataConfig(kind="images", path=str(root), image_size=(8, 6), val_fraction=0.25)
    prepared = prepare(config, batch_size=4, cache_budget_bytes=budget)
    assert prepared.cached is (budget is None)
    assert prepared.train_size + prepared.val_size == 16
    assert prepared.feature_shape == (8, 6, 1)
    assert prepared.class_names == ["cat", "dog"]
    assert prepared.preprocessing["image_size"] == [8, 6]
    assert prepared.preprocessing["color_mode"] == "grayscale"
    seen = 0
    for _ in range(2):  # two epochs
        for x, y in prepared.train:
            assert x.shape[1:] == (8, 6, 1) and x.dtype.name == "float32"
            assert float(x.numpy().max()) <= 1.0
            seen += len(y)
    assert seen == 2 * prepared.train_size
    val_seen = sum(len(y) for _, y in prepared.val)
    assert val_seen == prepared.val_size == 4
    vx, vy = prepared.val_arrays()
    assert vx.shape == (4, 8, 6, 1) and sorted(vy.tolist()) == [0, 0, 1, 1]
    sx, _ = prepared.sample_batch(3)
    sx2, _ = prepared.sample_batch(3)
    assert sx.shape == (3, 8, 6, 1) and (sx == sx2).all()
    assert prepared.class_counts == [6, 6]


def test_decoded_pixels_match_pillow(tmp_path):
    import numpy as np
    from PIL import Image

    from nnstudio.core.data import prepare

    root = image_folder(tmp_path / "pets", per_class=2, mode="RGB")
    config = DataConfig(kind="images", path=str(root), val_fraction=0.0)
    prepared = prepare(config, batch_size=8)
    x, y = next(iter(prepared.train))
    files = sorted(root.rglob("*.png"))
    expected = {np.asarray(Image.open(f), np.float32).tobytes() for f in files}
    got = {(arr * 255).round().astype(np.float32).tobytes() for arr in x.numpy()}
    assert got == expected


def test_color_conversions(tmp_path):
    from nnstudio.core.data import prepare

    root = tmp_path / "mix"
    write_image(root / "a" / "gray.png", mode="L")
    write_image(root / "a" / "rgba.png", mode="RGBA")
    write_image(root / "b" / "rgb.jpg", mode="RGB", fmt="JPEG")
    write_image(root / "b" / "pal.gif", mode="RGB", fmt="GIF")
    write_image(root / "b" / "rgb.bmp", mode="RGB", fmt="BMP")
    for mode, channels in (("grayscale", 1), ("rgb", 3), ("rgba", 4)):
        config = DataConfig(
            kind="images", path=str(root), color_mode=mode, image_size=(5, 5), val_fraction=0.0
        )
        prepared = prepare(config, batch_size=8)
        x, _ = next(iter(prepared.train))
        assert tuple(x.shape) == (5, 5, 5, channels)


@pytest.mark.parametrize("budget", [None, 0], ids=["in-memory", "streaming"])
def test_a_file_that_only_tensorflow_rejects_never_stops_training(tmp_path, monkeypatch, budget):
    """Belt and braces: if the scan ever lets a bad file through (or a file changes
    after the scan), the pipeline leaves it out instead of failing mid-epoch."""
    from nnstudio.core.data import image_folder as scanner
    from nnstudio.core.data import prepare

    root = image_folder(tmp_path / "pets", per_class=4)
    (root / "dog" / "fake.png").write_text("not an image at all")
    real = scanner.check_image
    monkeypatch.setattr(
        scanner,
        "check_image",
        lambda path: (True, "", (10, 12), "L") if path.endswith("fake.png") else real(path),
    )
    config = DataConfig(kind="images", path=str(root), val_fraction=0.0)
    prepared = prepare(config, batch_size=3, cache_budget_bytes=budget)
    seen = sum(len(y) for _, y in prepared.train)
    assert seen == 8
    if budget is None:
        assert prepared.train_size == 8
        problem = find(prepared.report, "TensorFlow cannot decode", "warning")
        assert problem.location == "dog/fake.png"
