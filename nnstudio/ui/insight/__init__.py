"""The Insight workspace's panels on a trained model (explanations, fairness)."""
