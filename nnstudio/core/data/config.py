"""DataConfig: what the project file records about its data source.

The project stores :meth:`DataConfig.to_json` under its ``"data"`` key: the
path, the options and a content hash, never a copy of the data.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.data.errors import DataError

KINDS = ("csv", "images", "numpy")
CATEGORICAL_ENCODINGS = ("onehot", "integer")
MISSING_POLICIES = ("stop", "drop", "fill")
TASKS = ("auto", "classification", "regression")
COLOR_MODES = ("grayscale", "rgb", "rgba")
COLUMN_TYPES = ("numeric", "categorical")
NORMALIZATIONS = ("none", "standardize")
DELIMITERS = (",", ";", "\t", "|")

NUMPY_SUFFIXES = (".npy", ".npz")

#: the values of :attr:`DataConfig.targets` (NumPy-free: the window reads this module
#: before the first frame)
TARGET_SOURCES = ("labels", "inputs")
#: the task of a source whose targets are its inputs
RECONSTRUCTION = "reconstruction"


@dataclass
class DataConfig:
    """Describes a data source and how to read it.

    Common: ``kind`` (``"csv"``, ``"images"`` or ``"numpy"``), ``path``, the
    split (``val_fraction``, ``test_fraction``, ``seed``, ``stratify``) or a
    separate ``validation_path``, and ``content_hash``.

    CSV: ``delimiter``, ``header`` and ``encoding`` (``None`` = detect),
    ``feature_columns`` (``None`` = every column but the targets),
    ``target_columns`` (empty = the last column), ``categorical_encoding``,
    ``missing`` (``"stop"``, ``"drop"`` rows or ``"fill"`` with mean/mode),
    ``na_values`` (extra cell texts that mean "missing"; an empty cell always
    does), ``column_types`` (force ``"numeric"`` or ``"categorical"``) and
    ``task`` (``"auto"`` decides from the target).

    Images: ``image_size`` as ``(height, width)`` and ``color_mode``
    (``None`` = the most common size / mode found by the scan).

    NumPy: ``features_key``/``targets_key`` name the arrays of an ``.npz``;
    ``targets_path`` is the second ``.npy`` of a pair (and
    ``validation_targets_path`` that of the validation pair);
    ``normalization`` is ``"none"`` or ``"standardize"``.

    Every kind: ``targets`` is ``"labels"`` (read from the source) or
    ``"inputs"`` (each sample is its own target: autoencoders, denoising).

    Unknown keys found in a project file are kept in ``extra`` and written back.
    """

    kind: str
    path: str
    # CSV
    delimiter: str | None = None
    header: bool | None = None
    encoding: str | None = None
    feature_columns: list[str] | None = None
    target_columns: list[str] = field(default_factory=list)
    categorical_encoding: str = "onehot"
    missing: str = "stop"
    na_values: list[str] = field(default_factory=list)
    column_types: dict[str, str] = field(default_factory=dict)
    task: str = "auto"
    # what the model learns to produce: the source's labels or its own inputs
    targets: str = "labels"
    # images
    image_size: tuple[int, int] | None = None
    color_mode: str | None = None
    # NumPy
    features_key: str | None = None
    targets_key: str | None = None
    targets_path: str | None = None
    normalization: str = "none"
    # split / validation source
    validation_path: str | None = None
    validation_targets_path: str | None = None
    val_fraction: float = 0.2
    test_fraction: float = 0.0
    seed: int = 0
    stratify: bool = True
    content_hash: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.image_size is not None and not isinstance(self.image_size, tuple):
            self.image_size = tuple(self.image_size)
        self.validate()

    # -- checks -----------------------------------------------------------
    def validate(self) -> None:
        """Raise :class:`DataError` naming the first option that is not usable."""
        _choice("kind", self.kind, KINDS)
        if not isinstance(self.path, str) or not self.path:
            raise DataError("the data source needs a path", "data.path")
        if self.delimiter is not None and (
            not isinstance(self.delimiter, str) or len(self.delimiter) != 1
        ):
            raise DataError(
                f"the delimiter must be a single character, got {self.delimiter!r}",
                "data.delimiter",
            )
        if self.delimiter in ('"', "\n", "\r"):
            raise DataError(f"{self.delimiter!r} cannot be a delimiter", "data.delimiter")
        _opt_type("header", self.header, bool)
        if self.encoding is not None:
            _encoding_name(self.encoding)
        if self.feature_columns is not None:
            _str_list("feature_columns", self.feature_columns)
        _str_list("target_columns", self.target_columns)
        _str_list("na_values", self.na_values)
        _choice("categorical_encoding", self.categorical_encoding, CATEGORICAL_ENCODINGS)
        _choice("missing", self.missing, MISSING_POLICIES)
        _choice("task", self.task, TASKS)
        _choice("targets", self.targets, TARGET_SOURCES)
        if not isinstance(self.column_types, dict):
            raise DataError("column_types must map column names to a type", "data.column_types")
        for name, kind in self.column_types.items():
            if not isinstance(name, str):
                raise DataError("column_types keys must be column names", "data.column_types")
            _choice(f"column_types[{name!r}]", kind, COLUMN_TYPES)
        if self.image_size is not None:
            size = self.image_size
            if len(size) != 2 or not all(
                isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 8192 for v in size
            ):
                raise DataError(
                    f"image_size must be (height, width) in pixels, 1 to 8192, got {list(size)}",
                    "data.image_size",
                )
        if self.color_mode is not None:
            _choice("color_mode", self.color_mode, COLOR_MODES)
        for name in (
            "features_key",
            "targets_key",
            "targets_path",
            "validation_path",
            "validation_targets_path",
            "content_hash",
        ):
            _opt_type(name, getattr(self, name), str)
        _choice("normalization", self.normalization, NORMALIZATIONS)
        for name in ("val_fraction", "test_fraction"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0.0 <= value < 1.0
            ):
                raise DataError(
                    f"{name} must be a number from 0 up to (not including) 1, got {value!r}",
                    f"data.{name}",
                )
        if self.val_fraction + self.test_fraction >= 1.0:
            raise DataError(
                "val_fraction + test_fraction must leave some data for training "
                f"(got {self.val_fraction} + {self.test_fraction})",
                "data.val_fraction",
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise DataError(f"seed must be a whole number >= 0, got {self.seed!r}", "data.seed")
        _opt_type("stratify", self.stratify, bool)
        if not isinstance(self.extra, dict):
            raise DataError("extra must be a dict", "data.extra")

    # -- JSON -------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict; unknown keys read earlier are written back."""
        out: dict[str, Any] = dict(self.extra)
        for f in dataclasses.fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if isinstance(value, tuple | list):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, d: Any) -> DataConfig:
        """Build from :meth:`to_json` output; raise :class:`DataError` for bad dicts."""
        if not isinstance(d, dict):
            raise DataError(
                f"the data section must be a JSON object, got {type(d).__name__}", "data"
            )
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        if "kind" not in d:
            raise DataError("the data section has no 'kind' (csv, images or numpy)", "data")
        if "path" not in d:
            raise DataError("the data section has no 'path'", "data")
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in d.items():
            if key in known:
                kwargs[key] = value
            else:
                extra[key] = value
        if "image_size" in kwargs and kwargs["image_size"] is not None:
            size = kwargs["image_size"]
            if not isinstance(size, list | tuple):
                raise DataError(
                    f"image_size must be [height, width], got {size!r}", "data.image_size"
                )
            kwargs["image_size"] = tuple(size)
        for key in ("feature_columns", "target_columns", "na_values"):
            if key in kwargs and isinstance(kwargs[key], tuple):
                kwargs[key] = list(kwargs[key])
        for key in ("target_columns", "na_values"):
            if key in kwargs and kwargs[key] is None:
                kwargs[key] = []
        if kwargs.get("targets") is None:
            kwargs["targets"] = "labels"
        if "column_types" in kwargs and kwargs["column_types"] is None:
            kwargs["column_types"] = {}
        return cls(**kwargs, extra=extra)

    # -- helpers ----------------------------------------------------------
    def replace(self, **changes: Any) -> DataConfig:
        """A copy with some options changed (checked like the constructor)."""
        return dataclasses.replace(self, **changes)

    def all_paths(self) -> list[str]:
        """Every file or folder this source reads, main first."""
        paths = [self.path]
        for extra_path in (self.targets_path, self.validation_path, self.validation_targets_path):
            if extra_path:
                paths.append(extra_path)
        return paths


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise DataError(
            f"{name} must be one of {', '.join(allowed)}; got {value!r}", f"data.{name}"
        )


def _opt_type(name: str, value: Any, typ: type) -> None:
    if value is not None and not isinstance(value, typ):
        raise DataError(
            f"{name} must be {typ.__name__} or null, got {type(value).__name__} {value!r}",
            f"data.{name}",
        )


def _str_list(name: str, value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"{name} must be a list of names, got {value!r}", f"data.{name}")


def _encoding_name(encoding: str) -> str:
    import codecs

    try:
        return codecs.lookup(encoding).name
    except (LookupError, TypeError):
        raise DataError(f"unknown text encoding {encoding!r}", "data.encoding") from None


def detect_kind(path: str) -> str:
    """``"images"`` for a folder, ``"numpy"`` for ``.npy``/``.npz``, else ``"csv"``."""
    if os.path.isdir(path):
        return "images"
    if path.lower().endswith(NUMPY_SUFFIXES):
        return "numpy"
    return "csv"


_TARGET_NAME_PAIRS = (
    ("x", "y"),
    ("X", "Y"),
    ("features", "targets"),
    ("features", "labels"),
    ("inputs", "targets"),
    ("inputs", "labels"),
    ("data", "labels"),
)


def guess_targets_file(path: str) -> str | None:
    """For ``x_train.npy`` find a sibling ``y_train.npy`` (and similar pairs)."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    candidates = []
    for a, b in _TARGET_NAME_PAIRS:
        for sep in ("", "_", "-", "."):
            if stem == a:
                candidates.append(b)
            if stem.startswith(a + sep) and sep:
                candidates.append(b + stem[len(a) :])
            if stem.endswith(sep + a) and sep:
                candidates.append(stem[: -len(a)] + b)
    for cand in candidates:
        full = os.path.join(folder, cand + ext)
        if cand != stem and os.path.isfile(full):
            return full
    return None


def config_for_path(path: str | os.PathLike[str], **options: Any) -> DataConfig:
    """A DataConfig for ``path`` with its kind detected; ``options`` override.

    For an ``.npy`` of features, a sibling targets file (``y.npy`` next to
    ``x.npy``, ``y_train.npy`` next to ``x_train.npy``, ...) is filled in.
    """
    path = os.fspath(path)
    kind = options.pop("kind", None) or detect_kind(path)
    if kind == "numpy" and path.lower().endswith(".npy") and "targets_path" not in options:
        guessed = guess_targets_file(path)
        if guessed:
            options["targets_path"] = guessed
    return DataConfig(kind=kind, path=path, **options)
