"""Entry points that turn the real data sets into what dal_tf's loaders read."""
