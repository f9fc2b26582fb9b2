"""Hypothesis strategies for nested hierarchy frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

# Mixed pools: small ints, short strings, and (for object columns) both 1 and "1".
_LABELS = {
    "str": st.sampled_from(["a", "b", "c", "d", "A", "ä", "", "x y"]),
    "int": st.integers(-3, 3),
    "mixed": st.sampled_from([1, "1", 2, "b", 0, "0"]),
    "bool": st.booleans(),
}


@st.composite
def nested_frames(draw, max_levels: int = 3, max_rows: int = 40) -> tuple[pd.DataFrame, list]:
    """A frame with 1..max_levels level columns (``L0``, ``L1``, ...) and a numeric ``x``.

    Labels at each level are drawn independently per row from a small pool, so the same child
    label often appears under several parents. Columns get one of object, str, category, int or
    bool dtypes; the index is a shuffled, non-default integer index.
    """
    n_levels = draw(st.integers(1, max_levels))
    n_rows = draw(st.integers(1, max_rows))
    data = {}
    for i in range(n_levels):
        kind = draw(st.sampled_from(sorted(_LABELS)))
        values = draw(st.lists(_LABELS[kind], min_size=n_rows, max_size=n_rows))
        if kind == "str":
            as_dtype = draw(st.sampled_from(["object", "str", "category"]))
            col = pd.Series(values, dtype=as_dtype)
            if as_dtype == "category" and draw(st.booleans()):
                col = col.cat.add_categories(["unused"])  # unused categories make no groups
        elif kind == "int":
            col = pd.Series(values, dtype=draw(st.sampled_from(["int64", "int8", "category"])))
        elif kind == "bool":
            col = pd.Series(values, dtype="bool")
        else:
            col = pd.Series(values, dtype=object)
        data[f"L{i}"] = col.to_numpy() if col.dtype == object else col.array
    levels = list(data)
    data["x"] = np.arange(n_rows, dtype=float)
    perm = draw(st.permutations(range(n_rows)))
    df = pd.DataFrame(data, index=pd.Index(np.asarray(perm) * 7 + 3))
    for lv in levels:  # object columns keep Python objects (1 and "1" distinct)
        if df[lv].dtype == object:
            df[lv] = pd.Series(list(data[lv]), index=df.index, dtype=object)
    return df, levels
