"""The group of every sample of a split, lined up with the split's arrays.

Two kinds of group:

* a CSV column (any column of the file: a feature, the target, or one left out of the
  features).  The column is read again from the file, the rows the missing-value policy
  dropped are dropped (``CsvTable.kept_rows``), and the split's rows are taken
  (``PreparedData.split_rows``): the same rows, in the same order, as ``val_arrays()``.
* the image sub-folder tag (:data:`IMAGE_SUBFOLDER`): the first folder below the class
  folder (``digits/3/<tag>/x.png``), ``(class folder)`` for an image directly in it.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nnstudio.core.data.config import DataConfig
from nnstudio.core.insight.fairness import FairnessError

IMAGE_SUBFOLDER = "image sub-folder"
NO_SUBFOLDER = "(class folder)"
MAX_GROUPS = 50
SPLITS = {"validation": "val", "val": "val", "test": "test", "train": "train"}


def group_choices(config: DataConfig | None) -> list[str]:
    """What samples of this source can be grouped by: a CSV's columns (its header only is
    read), :data:`IMAGE_SUBFOLDER` for an image folder, nothing otherwise."""
    if config is None:
        return []
    if config.kind == "images":
        return [IMAGE_SUBFOLDER]
    if config.kind != "csv":
        return []
    return csv_columns(config)


def csv_columns(config: DataConfig) -> list[str]:
    """The column names of the CSV (``FairnessError`` when the file cannot be read)."""
    from nnstudio.core.data.csv_sniff import column_names, detect_dialect, read_text_file
    from nnstudio.core.data.report import ProblemLog

    log = ProblemLog()
    text = read_text_file(config.path, config.encoding, log, "")
    dialect = None
    if text is not None:
        dialect = detect_dialect(
            text.sample(), config.delimiter, config.header, config.path, log, ""
        )
    if text is None or dialect is None:
        raise FairnessError(f"{config.path}: {_first_error(log)}")
    return column_names(dialect.header_fields, dialect.n_fields, dialect.header)


def _first_error(log: Any) -> str:
    errors = [p for p in log.problems() if p.severity == "error"]
    return errors[0].message if errors else "cannot be read"


def split_groups(prepared: Any, by: str, split: str = "validation") -> np.ndarray:
    """The group label of every sample of ``split`` of ``prepared`` (a
    :class:`~nnstudio.core.data.prepared.PreparedData`), lined up with its arrays.

    ``by``: a CSV column name or :data:`IMAGE_SUBFOLDER`.  :class:`FairnessError` (one
    line) for an unknown column, a source kind without groups, or too many groups.
    """
    name = SPLITS.get(split)
    if name is None:
        raise FairnessError(f"no split {split!r}: validation, test or train")
    loaded = prepared.loaded
    config: DataConfig = loaded.config
    rows = prepared.split_rows(name)
    separate = name == "val" and bool(config.validation_path)
    if config.kind == "images":
        if by != IMAGE_SUBFOLDER:
            raise FairnessError(f'an image folder is grouped by "{IMAGE_SUBFOLDER}", not by "{by}"')
        scan = loaded.val_scan if separate else loaded.scan
        labels = np.asarray([subfolder_tag(scan.root, f) for f in scan.files], dtype=object)
        return _checked(labels[rows], by)
    if config.kind != "csv":
        raise FairnessError(
            "groups come from a CSV column or an image sub-folder; this source is "
            f"{config.kind} arrays"
        )
    table = loaded.val_table if separate else loaded.table
    if by not in table.column_names:
        shown = ", ".join(f'"{c}"' for c in table.column_names)
        raise FairnessError(
            f'{os.path.basename(table.path)}: there is no column "{by}"; the columns are {shown}'
        )
    like = loaded.table if separate else None
    values = read_csv_column(table.path, config, by, like)
    if len(values) != table.rows_read:
        raise FairnessError(
            f"{os.path.basename(table.path)}: the file changed while it was read "
            f"({len(values)} rows now, {table.rows_read} before)"
        )
    return _checked(values[table.kept_rows][rows], by)


def _checked(labels: np.ndarray, by: str) -> np.ndarray:
    distinct = len(set(labels.tolist()))
    if distinct > MAX_GROUPS:
        raise FairnessError(
            f'"{by}" has {distinct} distinct values in the split; choose a column with at '
            f"most {MAX_GROUPS} groups"
        )
    return labels


def subfolder_tag(root: str, path: str) -> str:
    """The first folder below the class folder of ``path`` (under ``root``)."""
    rel = os.path.relpath(path, root).replace(os.sep, "/").split("/")
    return rel[1] if len(rel) > 2 else NO_SUBFOLDER


def read_csv_column(path: str, config: DataConfig, column: str, like: Any = None) -> np.ndarray:
    """Every row's text in ``column`` (``None`` where empty), row for row as the source
    read the file (rows with too many or too few values dropped the same way)."""
    from nnstudio.core.data import csv_source
    from nnstudio.core.data.progress import as_state
    from nnstudio.core.data.report import ProblemLog

    log = ProblemLog()
    where = "" if like is None else os.path.basename(path)
    layout = csv_source._read_layout(path, config, log, as_state(), where, like)
    framed = None
    if layout is not None:
        if column not in layout.used:
            layout.features = [*layout.features, column]
        layout.forced = {**layout.forced, column: "categorical"}
        framed = csv_source._read_rows(layout, config, log, where)
    if framed is None:
        raise FairnessError(f"{path}: {_first_error(log)}")
    series = framed[0][column]
    return np.asarray(series.to_numpy(dtype=object, na_value=None), dtype=object)
