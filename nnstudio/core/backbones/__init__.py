"""Pretrained backbones: keras.applications models as one node (architectures, build,
weights, checks, reading back, freeze and two-phase fine-tuning)."""
