"""Per-group metrics and gaps against hand computations (plain NumPy, no Keras)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nnstudio.core.insight.fairness import (
    MISSING_GROUP,
    FairnessError,
    fairness_report,
    group_labels,
    ordered_groups,
    predicted_classes,
)

# group A: TP 1, FN 1, TN 2; group B: TP 1, FP 2, TN 1
TRUE = [1, 1, 0, 0, 1, 0, 0, 0]
PRED = [1, 0, 0, 0, 1, 1, 1, 0]
GROUPS = ["A"] * 4 + ["B"] * 4


def test_binary_by_hand():
    r = fairness_report(TRUE, PRED, GROUPS, class_names=["no", "yes"], min_support=1)
    a, b = r.groups
    assert (a.group, b.group) == ("A", "B")
    assert (a.support, b.support) == (4, 4)
    assert a.accuracy == pytest.approx(0.75) and b.accuracy == pytest.approx(0.5)
    assert a.precision == pytest.approx(1.0) and b.precision == pytest.approx(1 / 3)
    assert a.recall == pytest.approx(0.5) and b.recall == pytest.approx(1.0)
    assert a.fpr == pytest.approx(0.0) and b.fpr == pytest.approx(2 / 3)
    assert a.positive_rate == pytest.approx(0.25) and b.positive_rate == pytest.approx(0.75)
    assert r.demographic_parity_difference == pytest.approx(0.5)
    # TPR gap 0.5, FPR gap 2/3: the larger
    assert r.equalized_odds_difference == pytest.approx(2 / 3)
    assert r.worst_group == "B" and r.worst_group_accuracy == pytest.approx(0.5)
    assert r.overall.accuracy == pytest.approx(5 / 8)
    assert r.overall.positive_rate == pytest.approx(4 / 8)
    assert r.mode == "binary" and r.focus == "yes"
    assert r.small_groups == []


def test_the_positive_class_can_be_chosen():
    r = fairness_report(TRUE, PRED, GROUPS, class_names=["no", "yes"], positive="no")
    a, b = r.groups
    # "no" is positive now: A predicts it 3/4, B 1/4
    assert a.positive_rate == pytest.approx(0.75) and b.positive_rate == pytest.approx(0.25)
    assert a.recall == pytest.approx(1.0)  # both true "no" of A predicted "no"
    assert b.recall == pytest.approx(1 / 3)
    assert r.demographic_parity_difference == pytest.approx(0.5)
    with pytest.raises(FairnessError, match="no class 'maybe'"):
        fairness_report(TRUE, PRED, GROUPS, class_names=["no", "yes"], positive="maybe")


def test_multiclass_by_hand():
    true = [0, 1, 2, 0, 0, 1, 2, 2]
    pred = [0, 1, 1, 0, 0, 0, 2, 2]
    groups = ["g"] * 3 + ["h"] * 5
    r = fairness_report(true, pred, groups, class_names=["a", "b", "c"], min_support=1)
    g, h = r.groups
    assert r.mode == "multiclass"
    assert g.accuracy == pytest.approx(2 / 3) and h.accuracy == pytest.approx(4 / 5)
    # g: class a P 1/1 R 1/1; b P 1/2 R 1/1; c never predicted (left out of P), R 0/1
    assert g.precision == pytest.approx((1 + 0.5) / 2)
    assert g.recall == pytest.approx((1 + 1 + 0) / 3)
    # h: a P 2/3 R 2/2; b never predicted, R 0/1; c P 2/2 R 2/2
    assert h.precision == pytest.approx((2 / 3 + 1) / 2)
    assert h.recall == pytest.approx((1 + 0 + 1) / 3)
    # one-vs-rest predicted rates: a 1/3 vs 3/5, b 2/3 vs 0, c 0 vs 2/5
    gaps = r.per_class_gaps
    assert gaps["a"]["demographic_parity_difference"] == pytest.approx(3 / 5 - 1 / 3)
    assert gaps["b"]["demographic_parity_difference"] == pytest.approx(2 / 3)
    assert gaps["c"]["demographic_parity_difference"] == pytest.approx(2 / 5)
    assert r.demographic_parity_difference == pytest.approx(2 / 3)
    assert r.focus == "b"  # the class with the largest gap
    assert g.positive_rate == pytest.approx(2 / 3) and h.positive_rate == pytest.approx(0.0)
    # class b: TPR 1 vs 0; class c: TPR 0 vs 1 -> 1
    assert r.equalized_odds_difference == pytest.approx(1.0)
    assert r.worst_group == "g"


def test_a_perfectly_fair_classifier_has_no_gaps():
    rng = np.random.default_rng(0)
    base_true = rng.integers(0, 2, 50)
    base_pred = np.where(rng.random(50) < 0.8, base_true, 1 - base_true)
    true = np.concatenate([base_true] * 3)
    pred = np.concatenate([base_pred] * 3)
    groups = np.repeat(["x", "y", "z"], 50)
    r = fairness_report(true, pred, groups)
    assert r.demographic_parity_difference == pytest.approx(0.0)
    assert r.equalized_odds_difference == pytest.approx(0.0)
    assert len({round(g.accuracy, 9) for g in r.groups}) == 1
    assert r.worst_group_accuracy == pytest.approx(r.overall.accuracy)


def test_a_clearly_unfair_classifier():
    true = np.tile([0, 1], 100)
    groups = np.repeat(["fair", "unfair"], 100)
    pred = np.where(groups == "fair", true, 1)  # the second group always gets "positive"
    r = fairness_report(true, pred, groups)
    fair, unfair = r.groups
    assert fair.accuracy == 1.0 and unfair.accuracy == pytest.approx(0.5)
    assert unfair.positive_rate == 1.0 and fair.positive_rate == pytest.approx(0.5)
    assert r.demographic_parity_difference == pytest.approx(0.5)
    assert r.equalized_odds_difference == pytest.approx(1.0)  # FPR 0 vs 1
    assert r.worst_group == "unfair"


def test_scores_become_classes():
    assert predicted_classes(np.array([0.2, 0.7, 0.5])).tolist() == [0, 1, 1]
    assert predicted_classes(np.array([[0.9], [0.1]])).tolist() == [1, 0]
    assert predicted_classes(np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])).tolist() == [1, 0]
    scores = np.array([[0.9, 0.1], [0.2, 0.8]] * 4)
    r = fairness_report(np.eye(2)[[0, 1] * 4], scores, GROUPS)  # one-hot targets
    assert r.overall.accuracy == 1.0


def test_small_groups_are_flagged_and_missing_labels_grouped():
    true = [0, 1, 0, 1, 0, 1]
    pred = [0, 1, 0, 1, 1, 1]
    groups = ["big", "big", "big", "big", None, float("nan")]
    r = fairness_report(true, pred, groups, min_support=3)
    assert [g.group for g in r.groups] == ["big", MISSING_GROUP]
    assert r.small_groups == [MISSING_GROUP]
    assert r.groups[1].support == 2 and r.groups[1].accuracy == pytest.approx(0.5)


def test_an_undefined_rate_is_null_and_left_out_of_the_gaps():
    true = [0, 0, 1, 0]
    pred = [0, 1, 1, 0]
    groups = ["p", "p", "q", "q"]  # group p has no positive: its TPR is undefined
    r = fairness_report(true, pred, groups, min_support=1)
    assert math.isnan(r.groups[0].tpr)
    assert r.per_class_gaps["1"]["tpr_difference"] == 0.0  # one finite TPR only
    data = json.loads(json.dumps(r.to_json(), allow_nan=False))
    assert data["groups"][0]["tpr"] is None
    assert data["gaps"]["worst_group"] == "p"
    assert data["groups"][1]["class_rates"]["1"]["tpr"] == 1.0


def test_group_order_and_labels():
    labels = group_labels([10, 9.0, "2.5", None])
    assert labels.tolist() == ["10", "9", "2.5", MISSING_GROUP]
    assert ordered_groups(labels) == ["2.5", "9", "10", MISSING_GROUP]
    assert ordered_groups(group_labels(["b", "a", "10"])) == ["10", "a", "b"]


def test_bad_inputs_get_one_clear_error():
    with pytest.raises(FairnessError, match="must be as many"):
        fairness_report([0, 1], [0, 1, 1], ["a", "b"])
    with pytest.raises(FairnessError, match="no samples"):
        fairness_report([], np.zeros(0, np.int64), [])


def test_the_gaps_are_given_again_without_the_small_groups():
    true = np.tile([0, 1], 40)
    groups = np.array(["a"] * 30 + ["b"] * 30 + ["c"] * 20, dtype=object)
    pred = true.copy()
    pred[60:] = 1 - true[60:]  # group c (small) is always wrong
    pred[30:32] = 1  # group b: one false positive
    r = fairness_report(true, pred, groups, min_support=25)
    assert r.small_groups == ["c"]
    assert r.worst_group == "c" and r.worst_group_accuracy == 0.0
    sup = r.supported
    assert sup["groups"] == 2 and sup["worst_group"] == "b"
    assert sup["worst_group_accuracy"] == pytest.approx(29 / 30)
    assert sup["demographic_parity_difference"] == pytest.approx(16 / 30 - 15 / 30)
    assert sup["equalized_odds_difference"] == pytest.approx(1 / 15)  # FPR 0 vs 1/15
    assert r.to_json()["gaps_without_small_groups"]["worst_group"] == "b"
    assert fairness_report(true, pred, groups, min_support=1).supported is None
