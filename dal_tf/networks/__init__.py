"""The release's TF-slim networks as Keras models, and reading their weights."""
