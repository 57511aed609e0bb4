"""Result CSVs are the bytes pandas writes: the column-by-column writer (``csv_text``) against
``DataFrame.to_csv(index=False)`` on generated tables, and its hand-back to pandas wherever a
field needs quoting or a column is of another kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chokepoint.io.write import csv_text, write_csv

_FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0.0, -0.0, 1e16, 1e-5, 100000.0, 0.1, 2.02]))
_TEXT = st.one_of(st.none(), st.text(max_size=6),
                  st.sampled_from(["a", "L0", " x ", "é", "a,b", 'q"', "two\nlines", ""]))


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 6))
    cols: dict[str, object] = {}
    for j in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["int", "float", "bool", "str", "object", "arrow"]))
        name = draw(st.sampled_from(["rank", "element", "name", f"c{j}", "a,b", "x y"]))
        if name in cols:
            continue
        if kind == "int":
            cols[name] = np.array(draw(st.lists(st.integers(-10**12, 10**12), min_size=n,
                                                max_size=n)), dtype=np.int64)
        elif kind == "float":
            cols[name] = np.array(draw(st.lists(_FLOATS, min_size=n, max_size=n)), dtype=float)
        elif kind == "bool":
            cols[name] = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        elif kind == "str":
            cols[name] = pd.array(draw(st.lists(_TEXT, min_size=n, max_size=n)), dtype="str")
        elif kind == "arrow":
            cols[name] = pd.array(draw(st.lists(_TEXT, min_size=n, max_size=n)),
                                  dtype="string[pyarrow]")
        else:  # text, numbers or None mixed in one object column
            cols[name] = np.array(draw(st.lists(st.one_of(_TEXT, st.integers(0, 9)),
                                                min_size=n, max_size=n)), dtype=object)
    return pd.DataFrame(cols)


@settings(max_examples=300, deadline=None)
@given(frame=_frames())
def test_csv_text_is_what_pandas_writes(frame: pd.DataFrame) -> None:
    text = csv_text(frame)
    if text is not None:
        assert text == frame.to_csv(index=False)


def test_plain_result_tables_take_the_fast_path() -> None:
    frame = pd.DataFrame({"rank": [1, 2], "element": np.array(["L0", "L1"], dtype=object),
                          "name": pd.array(["x", None], dtype="str"),
                          "alt_km": [np.inf, np.nan], "ok": [False, True]})
    assert csv_text(frame) == "rank,element,name,alt_km,ok\n1,L0,x,inf,False\n2,L1,,,True\n"
    assert csv_text(frame) == frame.to_csv(index=False)


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"a": ["x,y"], "b": [1]}),          # a comma in a field: quoted by pandas
    pd.DataFrame({"a": ['say "hi"'], "b": [1]}),
    pd.DataFrame({"a": ["two\nlines"], "b": [1]}),
    pd.DataFrame({"a": [1]}),                          # one column: an empty row is quoted
    pd.DataFrame({"a": pd.to_datetime(["2023-11-29"]), "b": [1]}),
    pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": [1, 2]}),
])
def test_other_tables_go_through_pandas(frame: pd.DataFrame, tmp_path: Path) -> None:
    assert csv_text(frame) is None
    p = write_csv(tmp_path / "t.csv", frame)
    assert p.read_text(encoding="utf-8") == frame.to_csv(index=False)
