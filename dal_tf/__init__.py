"""dal_tf: Deep Association Learning (Chen, Zhu, Gong, BMVC 2018) in TensorFlow 2 / Keras 3."""

__version__ = "0.1.0"
