"""Verifiers: does a paper state a claim? (see base.py for the seam, crossencoder.py for the trained judge)."""
