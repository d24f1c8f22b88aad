"""Typesetting: tables, the values file, figures, published numbers beside ours."""
