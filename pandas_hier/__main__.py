"""``python -m pandas_hier ...``: the ``pandas-hier`` command (:mod:`pandas_hier.cli`)."""

from pandas_hier.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
