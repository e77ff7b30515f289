"""Fairness slices: a classifier's evaluation per group of samples and the gaps between groups.

Given the true classes, the predictions (class indices or scores) and a group label per
sample, :func:`fairness_report` gives, per group, the support, accuracy, precision, recall
(= true-positive rate), false-positive rate and positive rate (the share predicted
positive), and the gaps between the groups:

* demographic parity difference: max - min of the groups' positive rates;
* equalized-odds difference: the larger of the TPR gap (max - min) and the FPR gap;
* worst-group accuracy: the lowest accuracy of any group (and which group).

Groups with fewer than ``min_support`` samples are flagged ``small`` (their rates are noisy);
they are counted in the gaps, and the same gaps are given again without them
(``FairnessReport.supported``) when at least two groups are large enough.

Two classes: "positive" is the class ``positive`` (index 1 unless told); precision, recall,
FPR and positive rate are that class's.  More than two classes: every class is taken
one-vs-rest.  A group's precision and recall are macro averages over the classes (a class
never predicted in the group is left out of the precision average, a class absent from it
out of the recall average); the two differences are the largest over the classes of each
class's one-vs-rest gap; the positive rate, TPR and FPR shown per group are those of the
*focus* class: ``positive`` when given, else the class with the largest demographic parity
gap.  A rate nothing defines (the recall of a group without positives) is NaN (``null`` in
JSON) and is left out of the gaps.  Plain NumPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MIN_SUPPORT = 30
MISSING_GROUP = "(missing)"
RATES = ("positive_rate", "tpr", "fpr", "precision")


class FairnessError(ValueError):
    """Inputs that cannot be sliced (the message says which and why)."""


@dataclass
class GroupMetrics:
    """One group's numbers (NaN where undefined); ``class_rates`` holds every class's
    one-vs-rest ``positive_rate``, ``tpr``, ``fpr`` and ``precision``."""

    group: str
    support: int
    accuracy: float
    precision: float
    recall: float
    positive_rate: float
    tpr: float
    fpr: float
    small: bool = False
    class_rates: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (NaN as ``null``)."""
        return {
            "group": self.group,
            "support": self.support,
            "accuracy": _num(self.accuracy),
            "precision": _num(self.precision),
            "recall": _num(self.recall),
            "positive_rate": _num(self.positive_rate),
            "tpr": _num(self.tpr),
            "fpr": _num(self.fpr),
            "small": self.small,
            "class_rates": {
                c: {k: _num(v) for k, v in r.items()} for c, r in self.class_rates.items()
            },
        }


@dataclass
class FairnessReport:
    """Per-group metrics, the overall ones and the gaps between the groups."""

    by: str
    class_names: list[str]
    mode: str  # "binary" | "multiclass"
    focus: str  # the class whose positive rate, TPR and FPR are shown per group
    groups: list[GroupMetrics]
    overall: GroupMetrics
    demographic_parity_difference: float
    equalized_odds_difference: float
    worst_group: str | None
    worst_group_accuracy: float
    min_support: int = MIN_SUPPORT
    split: str = "validation"
    per_class_gaps: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: the same gaps among the groups with at least ``min_support`` samples (``None`` unless
    #: there are two such groups and some smaller ones)
    supported: dict[str, Any] | None = None

    @property
    def samples(self) -> int:
        """Samples sliced."""
        return self.overall.support

    @property
    def small_groups(self) -> list[str]:
        """The groups with fewer than ``min_support`` samples."""
        return [g.group for g in self.groups if g.small]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (NaN as ``null``)."""
        return {
            "by": self.by,
            "split": self.split,
            "samples": self.samples,
            "mode": self.mode,
            "class_names": list(self.class_names),
            "focus_class": self.focus,
            "min_support": self.min_support,
            "groups": [g.to_json() for g in self.groups],
            "overall": self.overall.to_json(),
            "gaps": {
                "demographic_parity_difference": _num(self.demographic_parity_difference),
                "equalized_odds_difference": _num(self.equalized_odds_difference),
                "worst_group": self.worst_group,
                "worst_group_accuracy": _num(self.worst_group_accuracy),
            },
            "per_class_gaps": {
                c: {k: _num(v) for k, v in gaps.items()} for c, gaps in self.per_class_gaps.items()
            },
            "small_groups": self.small_groups,
            "gaps_without_small_groups": None
            if self.supported is None
            else {k: v if isinstance(v, str | int) else _num(v) for k, v in self.supported.items()},
            "notes": list(self.notes),
        }


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


# -- inputs -------------------------------------------------------------------------------
def true_classes(y: Any) -> np.ndarray:
    """Targets as class indices: one-hot rows arg-maxed, a single column flattened."""
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y.reshape(-1, y.shape[-1]), axis=-1).astype(np.int64)
    return np.rint(y.reshape(-1).astype(np.float64)).astype(np.int64)


def predicted_classes(pred: Any) -> np.ndarray:
    """Predictions as class indices: integers are indices already; float scores of one
    unit (or a 1-D array) are cut at 0.5, several units are arg-maxed."""
    pred = np.asarray(pred)
    if pred.dtype.kind in "iub":
        return pred.reshape(-1).astype(np.int64)
    if pred.ndim == 1 or pred.shape[-1] == 1:
        return (pred.reshape(-1) >= 0.5).astype(np.int64)
    return np.argmax(pred.reshape(-1, pred.shape[-1]), axis=-1).astype(np.int64)


def group_labels(groups: Any) -> np.ndarray:
    """Group labels as text (``None``/NaN/empty become ``(missing)``; ``3.0`` becomes
    ``3``)."""
    out = []
    for g in np.asarray(groups, dtype=object).reshape(-1):
        if g is None or (isinstance(g, float) and math.isnan(g)) or str(g).strip() == "":
            out.append(MISSING_GROUP)
        elif isinstance(g, float | np.floating) and float(g).is_integer():
            out.append(str(int(g)))
        else:
            out.append(str(g))
    return np.asarray(out, dtype=object)


def ordered_groups(labels: np.ndarray) -> list[str]:
    """The distinct groups: numerically when every label is a number, else by text;
    ``(missing)`` last."""
    names = sorted({str(v) for v in labels} - {MISSING_GROUP})

    def number(text: str) -> float | None:
        try:
            return float(text)
        except ValueError:
            return None

    if names and all(number(n) is not None for n in names):
        names.sort(key=lambda n: number(n) or 0.0)
    return names + ([MISSING_GROUP] if MISSING_GROUP in set(labels.tolist()) else [])


# -- the numbers --------------------------------------------------------------------------
def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else math.nan


def class_rates(true: np.ndarray, pred: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """One-vs-rest ``positive_rate``, ``tpr``, ``fpr`` and ``precision`` of each of ``k``
    classes (arrays of length ``k``, NaN where undefined)."""
    n = len(true)
    out = {name: np.full(k, math.nan) for name in RATES}
    for c in range(k):
        t, p = true == c, pred == c
        tp, fp = int(np.sum(t & p)), int(np.sum(~t & p))
        fn, tn = int(np.sum(t & ~p)), int(np.sum(~t & ~p))
        out["positive_rate"][c] = _ratio(tp + fp, n)
        out["tpr"][c] = _ratio(tp, tp + fn)
        out["fpr"][c] = _ratio(fp, fp + tn)
        out["precision"][c] = _ratio(tp, tp + fp)
    return out


def _mean_finite(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else math.nan


def spread(values: list[float] | np.ndarray) -> float:
    """max - min of the finite values (0 for one, NaN for none)."""
    arr = np.asarray(values, dtype=np.float64)
    finite = arr[np.isfinite(arr)]
    return float(finite.max() - finite.min()) if finite.size else math.nan


def _group_metrics(
    name: str,
    true: np.ndarray,
    pred: np.ndarray,
    k: int,
    names: list[str],
    binary: bool,
    positive: int,
    min_support: int,
) -> tuple[GroupMetrics, dict[str, np.ndarray]]:
    rates = class_rates(true, pred, k)
    n = len(true)
    if binary:
        precision, recall = rates["precision"][positive], rates["tpr"][positive]
    else:
        precision, recall = _mean_finite(rates["precision"]), _mean_finite(rates["tpr"])
    metrics = GroupMetrics(
        group=name,
        support=n,
        accuracy=_ratio(int(np.sum(true == pred)), n),
        precision=float(precision),
        recall=float(recall),
        positive_rate=math.nan,  # the focus class's: filled in once it is known
        tpr=math.nan,
        fpr=math.nan,
        small=n < min_support,
        class_rates={names[c]: {r: float(rates[r][c]) for r in RATES} for c in range(k)},
    )
    return metrics, rates


def fairness_report(
    y_true: Any,
    y_pred: Any,
    groups: Any,
    *,
    class_names: list[str] | None = None,
    positive: int | str | None = None,
    min_support: int = MIN_SUPPORT,
    by: str = "group",
    split: str = "validation",
) -> FairnessReport:
    """Slice a classifier's predictions by ``groups`` (see the module docstring).

    ``y_true``: class indices or one-hot rows; ``y_pred``: class indices (integers) or
    scores (floats); ``groups``: one label per sample.  ``positive``: the positive class
    (index or name; binary default 1, multi-class default: the class with the largest
    demographic parity gap).  :class:`FairnessError` for mismatched lengths or no samples.
    """
    true, pred = true_classes(y_true), predicted_classes(y_pred)
    labels = group_labels(groups)
    if not (len(true) == len(pred) == len(labels)):
        raise FairnessError(
            f"{len(true)} targets, {len(pred)} predictions and {len(labels)} group labels: "
            "they must be as many"
        )
    if len(true) == 0:
        raise FairnessError("no samples to slice")
    names = list(class_names or [])
    k = max(2, len(names), int(max(true.max(), pred.max())) + 1)
    names = names[:k] + [str(i) for i in range(len(names), k)]
    binary = k == 2
    focus_index = _class_index(positive, names)
    if binary and focus_index is None:
        focus_index = 1
    args = (k, names, binary, focus_index or 0, min_support)
    overall, _ = _group_metrics("(all)", true, pred, *args)
    overall.small = False
    per_group = []
    for name in ordered_groups(labels):
        mask = labels == name
        per_group.append(_group_metrics(name, true[mask], pred[mask], *args))
    checked = list(range(k)) if not binary else [focus_index or 0]
    gaps = _class_gaps([r for _, r in per_group], names, checked)
    if focus_index is None:
        focus_index = max(
            checked, key=lambda c: _or_minus(gaps[names[c]]["demographic_parity_difference"])
        )
    for metrics in [overall] + [m for m, _ in per_group]:
        rates = metrics.class_rates[names[focus_index]]
        metrics.positive_rate, metrics.tpr, metrics.fpr = (
            rates["positive_rate"],
            rates["tpr"],
            rates["fpr"],
        )
    dpd, eod, worst = _summary(gaps, [m for m, _ in per_group])
    supported = _without_small(per_group, names, checked)
    return FairnessReport(
        by=by,
        class_names=names,
        mode="binary" if binary else "multiclass",
        focus=names[focus_index],
        groups=[m for m, _ in per_group],
        overall=overall,
        demographic_parity_difference=dpd,
        equalized_odds_difference=eod,
        worst_group=worst.group,
        worst_group_accuracy=worst.accuracy,
        min_support=min_support,
        split=split,
        per_class_gaps=gaps,
        supported=supported,
    )


def _class_gaps(
    rates: list[dict[str, np.ndarray]], names: list[str], checked: list[int]
) -> dict[str, dict[str, float]]:
    """Each checked class's one-vs-rest gaps over the groups whose ``rates`` are given."""
    gaps: dict[str, dict[str, float]] = {}
    for c in checked:
        dp = spread([r["positive_rate"][c] for r in rates])
        tpr_gap = spread([r["tpr"][c] for r in rates])
        fpr_gap = spread([r["fpr"][c] for r in rates])
        eo = max((g for g in (tpr_gap, fpr_gap) if math.isfinite(g)), default=math.nan)
        gaps[names[c]] = {
            "demographic_parity_difference": dp,
            "tpr_difference": tpr_gap,
            "fpr_difference": fpr_gap,
            "equalized_odds_difference": eo,
        }
    return gaps


def _summary(
    gaps: dict[str, dict[str, float]], groups: list[GroupMetrics]
) -> tuple[float, float, GroupMetrics]:
    """The largest parity and odds differences over the classes, and the worst group."""
    dpd = max((g["demographic_parity_difference"] for g in gaps.values()), key=_or_minus)
    eod = max((g["equalized_odds_difference"] for g in gaps.values()), key=_or_minus)
    return dpd, eod, min(groups, key=lambda m: m.accuracy)


def _without_small(
    per_group: list[tuple[GroupMetrics, dict[str, np.ndarray]]],
    names: list[str],
    checked: list[int],
) -> dict[str, Any] | None:
    """The gaps among the groups that are not small (``None`` unless two are left and some
    were small)."""
    large = [(m, r) for m, r in per_group if not m.small]
    if not 2 <= len(large) < len(per_group):
        return None
    dpd, eod, worst = _summary(
        _class_gaps([r for _, r in large], names, checked), [m for m, _ in large]
    )
    return {
        "groups": len(large),
        "demographic_parity_difference": dpd,
        "equalized_odds_difference": eod,
        "worst_group": worst.group,
        "worst_group_accuracy": worst.accuracy,
    }


def _or_minus(value: float) -> float:
    return value if math.isfinite(value) else -1.0


def _class_index(positive: int | str | None, names: list[str]) -> int | None:
    if positive is None:
        return None
    if isinstance(positive, str) and positive in names:
        return names.index(positive)
    try:
        index = int(positive)
    except (TypeError, ValueError):
        raise FairnessError(f"no class {positive!r}; the classes are {', '.join(names)}") from None
    if not 0 <= index < len(names):
        raise FairnessError(f"class index {index} is out of range (0..{len(names) - 1})")
    return index
