"""Attention Anatomy."""
