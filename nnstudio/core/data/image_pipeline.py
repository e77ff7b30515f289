"""Image folders as pipelines: images decoded inside tf.data, once into memory
within the budget, else from disk batch by batch. TensorFlow is imported lazily;
without it, Pillow decodes them (:mod:`~nnstudio.core.data.array_batches`)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nnstudio.core.backend import tensorflow_installed
from nnstudio.core.data.datasets import InMemorySource, Split, autotune
from nnstudio.core.data.image_folder import CHANNELS
from nnstudio.core.data.inspection import LoadedSource
from nnstudio.core.data.prepared import PreparedData
from nnstudio.core.data.progress import TaskState
from nnstudio.core.data.report import Problem


def make_decoder(tf: Any, size: tuple[int, int], channels: int) -> Any:
    """A tf.data map function ``(path, label) -> (uint8 image (h, w, c), label)``.

    Every file is decoded with its own channels, then converted: grey <-> RGB,
    alpha dropped or added (opaque), resized bilinearly and rounded to uint8.
    """
    height, width = int(size[0]), int(size[1])

    def gray(img: Any) -> Any:
        return tf.image.rgb_to_grayscale(img)

    def opaque(img: Any) -> Any:
        return tf.concat(
            [img, tf.fill(tf.concat([tf.shape(img)[:2], [1]], 0), tf.constant(255, tf.uint8))], -1
        )

    if channels == 1:
        branches = [
            lambda img: img,
            lambda img: img[..., :1],
            lambda img: gray(img),
            lambda img: gray(img[..., :3]),
        ]
    elif channels == 3:
        branches = [
            lambda img: tf.tile(img, [1, 1, 3]),
            lambda img: tf.tile(img[..., :1], [1, 1, 3]),
            lambda img: img,
            lambda img: img[..., :3],
        ]
    else:
        branches = [
            lambda img: opaque(tf.tile(img, [1, 1, 3])),
            lambda img: tf.concat([tf.tile(img[..., :1], [1, 1, 3]), img[..., 1:2]], -1),
            lambda img: opaque(img),
            lambda img: img,
        ]

    def decode(path: Any, label: Any) -> tuple[Any, Any]:
        data = tf.io.read_file(path)
        img = tf.io.decode_image(data, channels=0, expand_animations=False, dtype=tf.uint8)
        c = tf.shape(img)[-1]
        img = tf.switch_case(tf.clip_by_value(c, 1, 4) - 1, [lambda b=b: b(img) for b in branches])
        img.set_shape([None, None, channels])
        img = tf.image.resize(img, (height, width), method="bilinear")
        img = tf.cast(tf.clip_by_value(tf.round(img), 0.0, 255.0), tf.uint8)
        return img, label

    return decode


class ImageSource(InMemorySource):
    """Image files. Within the memory budget every image is decoded once, in
    parallel, into a uint8 array (files TensorFlow cannot decode are left out
    and reported); beyond it, images are decoded from disk batch by batch."""

    def __init__(self, loaded: LoadedSource, budget: int, state: TaskState):
        super().__init__(loaded)
        self.budget = budget
        self.state = state
        self.cache = False
        self._decode: Any = None

    def transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, np.float32) / np.float32(255.0)

    def tf_transform(self, x: Any) -> Any:
        import tensorflow as tf

        return tf.cast(x, tf.float32) / 255.0

    def build(self, batch_size: int, seed: int) -> PreparedData:
        loaded = self.loaded
        scan = loaded.scan
        assert scan is not None and loaded.image_size is not None and loaded.color_mode
        files = np.asarray(scan.files, dtype=object)
        val = None
        if loaded.val_scan is not None and loaded.val_scan.files:
            val = (np.asarray(loaded.val_scan.files, dtype=object), loaded.val_scan.labels)
        self._split(files, scan.labels, "classification", val)
        h, w = loaded.image_size
        channels = CHANNELS[loaded.color_mode]
        total = len(files) + (len(val[0]) if val is not None else 0)
        self.cache = total * h * w * channels <= self.budget
        if self.cache:
            self._decode_all()
        preprocessing = {
            "type": "image",
            "image_size": [h, w],
            "color_mode": loaded.color_mode,
            "channels": channels,
            "interpolation": "bilinear",
            "rescale": 1.0 / 255.0,
            "class_names": list(scan.class_names),
        }
        return self._prepared(
            batch_size,
            seed,
            feature_shape=(h, w, channels),
            task="classification",
            class_names=list(scan.class_names),
            num_outputs=len(scan.class_names),
            preprocessing=preprocessing,
            cached=self.cache,
            streamed=not self.cache,
        )

    def _decoder(self) -> Any:
        if self._decode is None:
            import tensorflow as tf

            loaded = self.loaded
            assert loaded.image_size is not None and loaded.color_mode is not None
            self._decode = make_decoder(tf, loaded.image_size, CHANNELS[loaded.color_mode])
        return self._decode

    def _location(self, path: str) -> str:
        """``cat/3.png`` for a training image, ``val/cat/3.png`` for a validation one."""
        full = os.path.abspath(path)
        roots = [(self.config.path, "")]
        if self.config.validation_path:
            val = self.config.validation_path
            roots.append((val, os.path.basename(os.path.normpath(val)) + "/"))
        for root, prefix in roots:
            top = os.path.abspath(root)
            if full.startswith(top + os.sep):
                return prefix + os.path.relpath(full, top).replace(os.sep, "/")
        return path

    def _decode_all(self) -> None:
        """Decode every image once into memory (with progress); drop failures."""
        if not tensorflow_installed():
            self._decode_all_with_pillow()
            return
        import tensorflow as tf

        decode = self._decoder()
        done = 0
        arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        sources = {id(s.x): s for s in self.splits.values()}
        total = sum(len(s.x) for s in sources.values())
        self.state.report(0, total, force=True)
        report = self.loaded.report
        for key, split in sources.items():
            paths = [str(p) for p in split.x]
            n = len(paths)
            h, w = self.loaded.image_size or (0, 0)
            c = CHANNELS[self.loaded.color_mode or "rgb"]
            out = np.zeros((n, h, w, c), np.uint8)
            ok = np.zeros(n, bool)
            ds = tf.data.Dataset.from_tensor_slices((paths, np.arange(n, dtype=np.int64)))
            ds = ds.map(decode, num_parallel_calls=autotune()).ignore_errors()
            for images, index in ds.batch(256).prefetch(2).as_numpy_iterator():
                out[index] = images
                ok[index] = True
                done += len(index)
                self.state.report(done, total)
            for i in np.flatnonzero(~ok):
                report.problems.append(
                    Problem(
                        "warning",
                        self._location(paths[i]),
                        "left out: TensorFlow cannot decode this image",
                    )
                )
            arrays[key] = (out, ok)
        for name, split in list(self.splits.items()):
            out, ok = arrays[id(split.x)]
            keep = split.idx[ok[split.idx]]
            self.splits[name] = Split(out, split.y, keep)

    def _decode_all_with_pillow(self) -> None:
        """Without TensorFlow: Pillow decodes every image once (as ``nnstudio predict``)."""
        from nnstudio.core.data.array_batches import decode_images

        loaded = self.loaded
        size, channels = loaded.image_size or (0, 0), CHANNELS[loaded.color_mode or "rgb"]
        sources = {id(s.x): s for s in self.splits.values()}
        total, done = sum(len(s.x) for s in sources.values()), 0
        arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for key, split in sources.items():
            paths = [str(p) for p in split.x]
            out, ok = decode_images(paths, size, channels)
            for i in np.flatnonzero(~ok):
                loaded.report.problems.append(
                    Problem("warning", self._location(paths[i]), "left out: cannot decode it")
                )
            arrays[key] = (out, ok)
            done += len(paths)
            self.state.report(done, total)
        for name, split in list(self.splits.items()):
            out, ok = arrays[id(split.x)]
            self.splits[name] = Split(out, split.y, split.idx[ok[split.idx]])

    def _pillow_batches(self, name: str, batch_size: int, shuffle: bool, seed: int) -> Any:
        """Without TensorFlow, beyond the memory budget: Pillow decodes each batch from disk
        (a file that cannot be decoded any more is left out of its batch)."""
        from nnstudio.core.data.array_batches import ArrayBatches, decode_images

        split, loaded = self.splits[name], self.loaded
        size, channels = loaded.image_size or (0, 0), CHANNELS[loaded.color_mode or "rgb"]
        paths = [str(p) for p in split.x[split.idx]]
        labels = np.asarray(split.y[split.idx], np.int32)

        def load(picks: np.ndarray) -> tuple[Any, Any]:
            images, ok = decode_images([paths[i] for i in picks], size, channels)
            return self.transform(images[ok]), labels[picks][ok]

        return ArrayBatches(len(paths), load, batch_size, shuffle, seed)

    def dataset(self, name: str, batch_size: int, shuffle: bool, seed: int) -> Any:
        if self.cache:
            return super().dataset(name, batch_size, shuffle, seed)
        if not tensorflow_installed():
            return self._pillow_batches(name, batch_size, shuffle, seed)
        import tensorflow as tf

        split = self.splits[name]
        paths = [str(p) for p in split.x[split.idx]]
        labels = np.asarray(split.y[split.idx], np.int32)
        ds = tf.data.Dataset.from_tensor_slices((paths, labels))
        if shuffle:
            ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
        # a file that changed or vanished since the scan is skipped, never fatal
        ds = ds.map(self._decoder(), num_parallel_calls=autotune()).ignore_errors(log_warning=True)
        ds = ds.batch(batch_size).map(
            lambda x, y: (tf.cast(x, tf.float32) / 255.0, y), num_parallel_calls=autotune()
        )
        return ds.prefetch(autotune())

    def arrays(self, name: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        if self.cache:
            return super().arrays(name, limit)
        xs, ys = [], []
        if not tensorflow_installed():
            batches = self._pillow_batches(name, 256, False, 0)
            batches.n = min(batches.n, batches.n if limit is None else limit)
            for xb, yb in batches:
                xs.append(xb)
                ys.append(yb)
        else:
            import tensorflow as tf

            split = self.splits[name]
            idx = split.idx if limit is None else split.idx[:limit]
            paths = [str(p) for p in split.x[idx]]
            labels = np.asarray(split.y[idx], np.int32)
            ds = tf.data.Dataset.from_tensor_slices((paths, labels))
            ds = ds.map(self._decoder(), num_parallel_calls=autotune()).ignore_errors()
            for xb, yb in ds.batch(256).as_numpy_iterator():
                xs.append(self.transform(xb))
                ys.append(yb)
        loaded = self.loaded
        assert loaded.image_size is not None and loaded.color_mode is not None
        h, w = loaded.image_size
        c = CHANNELS[loaded.color_mode]
        if not xs:
            return np.zeros((0, h, w, c), np.float32), np.zeros((0,), np.int32)
        return np.concatenate(xs), np.concatenate(ys)
