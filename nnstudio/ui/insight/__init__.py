"""The Insight workspace's panels (explanations, fairness slices)."""
