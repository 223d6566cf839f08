"""Neighbourhoods of feature arrays: k-reciprocal encodings, Jaccard distances, DBSCAN."""
