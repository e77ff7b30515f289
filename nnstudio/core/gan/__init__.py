"""GANs: one graph with two components (generator, discriminator) trained against each other.

``config`` (GanConfig, stored as ``TrainingConfig.gan``), ``roles`` (the split of the graph
and its located issues), ``model`` (the Keras models and the ``train_step``), ``samples``
(sample grids, diversity), ``run`` (the GAN kind of the training job).  Only ``config`` and
``roles`` are light; the others import Keras.
"""

from nnstudio.core.gan.config import MODES, GanConfig, GanOptimizer

__all__ = ["MODES", "GanConfig", "GanOptimizer"]
