"""Learning-curve artefacts: recorded tables, nearest-config serving, surrogate models."""
