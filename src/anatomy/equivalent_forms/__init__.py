"""Equivalent forms (Layer B): linear attention and its kernels, message passing, convolution,
speed."""
