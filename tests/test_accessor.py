"""Tests of pandas_hier.accessor (with pandas_hier._facade): the df.hier accessor."""


def test_accessor_is_registered():
    import pandas as pd

    import pandas_hier  # noqa: F401

    assert hasattr(pd.DataFrame({"a": [1]}), "hier")


def test_accessor_methods_have_the_signatures_of_the_functions_they_call():
    """Defaults are written once: each df.hier method is its function less the frame."""
    import inspect

    import pandas as pd

    import pandas_hier

    for name in ("encode", "tables", "validate", "decode", "fit"):
        method = inspect.signature(getattr(pd.DataFrame.hier, name))
        function = inspect.signature(getattr(pandas_hier, name))
        assert list(method.parameters.values())[1:] == list(function.parameters.values())[1:], name
        assert getattr(pd.DataFrame.hier, name).__doc__ == getattr(pandas_hier, name).__doc__
