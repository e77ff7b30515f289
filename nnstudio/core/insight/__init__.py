"""Insight into a model: explanations (explain*), cost, fairness."""
