"""Insight into a model: explanations (explain*), the cost of every node (cost*), fairness."""
