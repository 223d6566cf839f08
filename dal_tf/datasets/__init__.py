from dal_tf.datasets.base import ReidDataset, Tracklet, TrackletSet, natural_sorted  # noqa: F401
from dal_tf.datasets.registry import load, names, register  # noqa: F401
