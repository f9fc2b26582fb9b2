"""Templates of the generated kernel module: real Python files, read as text (see
:mod:`pandas_hier.kernels.generate`)."""
