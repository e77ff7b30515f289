"""Decoding images inside tf.data (TensorFlow is imported by the caller)."""

from __future__ import annotations

from typing import Any


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
