"""Insight: what a trained model does and why (explanations, cost, data quality, fairness)."""
