"""Tracklet data sets: the data model (base), the --dataset registry, and the loaders."""
