"""Insight into models and data: explanations, the cost of every node, data quality, fairness."""
