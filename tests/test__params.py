"""Tests of pandas_hier._params: declared parameter constraints and their messages."""

import inspect
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pandas_hier._params import (
    Boolean,
    Callable_,
    Instance,
    Integer,
    Interval,
    InvalidParameterError,
    NoneOr,
    Options,
    Real,
    check_params,
    close_match,
    validate_params,
)

LIKELIHOOD = Options("normal", "studentt", "cauchy")


def raises(message, constraints, values, caller="fit", exc=InvalidParameterError):
    """check_params raises ``exc`` with exactly ``message``."""
    with pytest.raises(exc, match=f"^{re.escape(message)}$"):
        check_params(constraints, values, caller=caller)


# ---------------------------------------------------------------------------------------- options
def test_misspelt_option_with_close_match():
    raises(
        "fit: likelihood='studnett' is not one of 'normal', 'studentt', 'cauchy'; "
        "did you mean 'studentt'?",
        {"likelihood": [LIKELIHOOD]}, {"likelihood": "studnett"},
    )  # fmt: skip


def test_misspelt_option_without_close_match():
    raises(
        "fit: likelihood='poisson' is not one of 'normal', 'studentt', 'cauchy'",
        {"likelihood": [LIKELIHOOD]}, {"likelihood": "poisson"},
    )  # fmt: skip


def test_option_case_only_difference_is_suggested():
    raises(
        "fit: likelihood='Normal' is not one of 'normal', 'studentt', 'cauchy'; "
        "did you mean 'normal'?",
        {"likelihood": [LIKELIHOOD]}, {"likelihood": "Normal"},
    )  # fmt: skip


def test_option_hint_and_unhashable_value():
    opts = Options("nuts", "advi", hint="approximations are faster but biased")
    raises(
        "fit: method='hmc' is not one of 'nuts', 'advi'; approximations are faster but biased",
        {"method": [opts]}, {"method": "hmc"},
    )  # fmt: skip
    assert not opts.accepts(["nuts"]) and not opts.accepts(np.array(["nuts"]))
    assert opts.accepts(np.str_("nuts"))


def test_option_bool_is_not_one():
    assert not Options(0, 1).accepts(True)
    assert Options(True, "auto").accepts(True)


# ------------------------------------------------------------------------------------- integers
def test_bool_given_for_an_int_is_a_type_error():
    with pytest.raises(TypeError, match=r"^fit: draws must be an integer, got True \(bool\)$"):
        check_params({"draws": [Integer(1, 1_000_000)]}, {"draws": True}, caller="fit")


def test_float_given_for_an_int():
    raises(
        "fit: chains must be an integer, got 4.0 (float)",
        {"chains": [Interval("int", 1, 64)]}, {"chains": 4.0},
    )  # fmt: skip


def test_out_of_range_int_with_both_bounds_uses_thousands_separators():
    raises(
        "fit: draws=0 is out of range: choose 1 <= draws <= 1,000,000",
        {"draws": [Integer(1, 1_000_000)]}, {"draws": 0}, exc=ValueError,
    )  # fmt: skip
    raises(
        "fit: draws=10000000 is out of range: choose 1 <= draws <= 1,000,000",
        {"draws": [Integer(1, 1_000_000)]}, {"draws": 10**7},
    )  # fmt: skip


def test_out_of_range_int_with_only_a_lower_bound():
    raises(
        "predict: samples=0 is out of range: choose 1 <= samples",
        {"samples": [Interval("int", 1, None)]}, {"samples": 0}, caller="predict",
    )  # fmt: skip


def test_out_of_range_hint_is_appended():
    tune = Integer(50, 1_000_000, hint="NUTS needs warm-up iterations to adapt its step size")
    raises(
        "fit: tune=0 is out of range: choose 50 <= tune <= 1,000,000; "
        "NUTS needs warm-up iterations to adapt its step size",
        {"tune": [tune]}, {"tune": 0},
    )  # fmt: skip
    semicolon = Integer(50, None, hint="; see the docs")
    assert semicolon.error("tune", 1) == "tune=1 is out of range: choose 50 <= tune; see the docs"


def test_numpy_integers_are_integers():
    check_params({"draws": [Integer(1, 10)]}, {"draws": np.int64(5)}, caller="fit")
    raises(
        "fit: draws=11 is out of range: choose 1 <= draws <= 10",
        {"draws": [Integer(1, 10)]}, {"draws": np.int32(11)},
    )  # fmt: skip


# ---------------------------------------------------------------------------------------- reals
def test_open_interval_for_reals():
    target = Interval("real", 0.5, 1, closed="left")
    raises(
        "fit: target_accept=1.0 is out of range: choose 0.5 <= target_accept < 1",
        {"target_accept": [target]}, {"target_accept": 1.0},
    )  # fmt: skip
    check_params({"target_accept": [target]}, {"target_accept": 0.5}, caller="fit")
    check_params({"target_accept": [target]}, {"target_accept": np.float32(0.9)}, caller="fit")
    raises(
        "fit: sigma=0 is out of range: choose 0 < sigma",
        {"sigma": [Real(0, None, closed="neither")]}, {"sigma": 0},
    )  # fmt: skip
    assert Interval("real", 0, 1, closed="right").range("p") == "0 < p <= 1"


def test_nan_and_inf_are_not_numbers():
    nan = r"^fit: target_accept must be a number, got nan \(float\)$"
    with pytest.raises(ValueError, match=nan):
        check_params({"target_accept": [Real(0.5, 1)]}, {"target_accept": np.nan}, caller="fit")
    raises(
        "fit: scale must be a finite number, got inf (float)",
        {"scale": [Real(0, None)]}, {"scale": float("inf")},
    )  # fmt: skip
    raises(
        "fit: scale must be a number, got '1.0' (str)", {"scale": [Real()]}, {"scale": "1.0"}
    )
    raises("fit: scale must be a number, got True (bool)", {"scale": [Real()]}, {"scale": True})


def test_reals_accept_ints_and_huge_ints():
    check_params({"x": [Real(0, None)]}, {"x": 3}, caller="f")
    check_params({"x": [Real(0, None)]}, {"x": 10**400}, caller="f")


def test_float_bounds_are_formatted():
    assert Real(1e-8, 2.5).range("tol") == "1e-08 <= tol <= 2.5"
    assert Real(0.0, 1_000_000.0).range("x") == "0 <= x <= 1,000,000"


# ----------------------------------------------------------------------------- boolean, instance
def test_string_false_is_not_a_boolean():
    raises(
        "encode: dropna must be True or False, got 'False' (str)",
        {"dropna": [Boolean()]}, {"dropna": "False"}, caller="encode",
    )  # fmt: skip
    check_params({"dropna": [Boolean()]}, {"dropna": np.True_}, caller="encode")
    raises(
        "encode: dropna must be True or False, got 0 (int)",
        {"dropna": [Boolean()]}, {"dropna": 0}, caller="encode",
    )  # fmt: skip


def test_instance_and_bare_type():
    raises(
        "fit: data must be a DataFrame, got list",
        {"data": [Instance(pd.DataFrame)]}, {"data": [1]},
    )  # fmt: skip
    raises(
        "fit: priors must be a Mapping, got str", {"priors": [Mapping]}, {"priors": "x"}
    )
    raises(
        "fit: data must be a DataFrame or a Series, got int",
        {"data": [Instance(pd.DataFrame, pd.Series)]}, {"data": 1},
    )  # fmt: skip
    check_params({"priors": [Mapping]}, {"priors": {"a": 1}}, caller="fit")


def test_long_values_are_shortened():
    message = str(pytest.raises(InvalidParameterError, check_params, {"m": [Options("a")]},
                                {"m": "x" * 200}, caller="f").value)  # fmt: skip
    assert message == f"f: m='{'x' * 75} ... is not one of 'a'"


def test_callable():
    check_params({"f": [Callable_()]}, {"f": len}, caller="g")
    raises("g: f must be a callable, got int", {"f": [Callable_()]}, {"f": 3}, caller="g")


# --------------------------------------------------------------------------------- alternatives
def test_none_allowed_among_alternatives():
    seed = {"random_seed": [None, Interval("int", 0, None)]}
    check_params(seed, {"random_seed": None}, caller="fit")
    check_params(seed, {"random_seed": 7}, caller="fit")
    raises("fit: random_seed must be None or an integer with 0 <= random_seed, got -1", seed,
           {"random_seed": -1})  # fmt: skip
    raises(
        "fit: random_seed must be None or an integer with 0 <= random_seed, got '3' (str)",
        seed, {"random_seed": "3"},
    )  # fmt: skip


def test_none_or_is_the_same_as_none_in_the_list():
    raises(
        "fit: random_seed must be None or an integer with 0 <= random_seed, got -1",
        {"random_seed": NoneOr(Integer(0))}, {"random_seed": -1},
    )  # fmt: skip
    check_params({"random_seed": [NoneOr(Integer(0))]}, {"random_seed": None}, caller="fit")
    assert NoneOr(pd.DataFrame).describe("data") == "None or a DataFrame"
    raises(
        "fit: data must be None or a DataFrame, got list",
        {"data": [NoneOr(NoneOr(pd.DataFrame))]}, {"data": []},
    )  # fmt: skip


def test_undeclared_and_absent_parameters_are_not_checked():
    check_params({"draws": [Integer(1)]}, {"tune": -5, "other": object()}, caller="fit")


def test_unknown_constraint_kind_is_refused():
    with pytest.raises(TypeError, match="not a parameter constraint"):
        check_params({"x": ["array-like"]}, {"x": 1}, caller="f")


def test_bad_interval_declarations():
    with pytest.raises(ValueError, match="kind="):
        Interval("float", 0, 1)
    with pytest.raises(ValueError, match="closed="):
        Interval("int", 0, 1, closed="open")
    with pytest.raises(ValueError, match="lo=2 is above hi=1"):
        Interval("int", 2, 1)
    assert repr(Integer(1, 64)) == "Integer(1, 64, 'both')"
    assert repr(Options("a", "b")) == "Options('a', 'b')"


# ------------------------------------------------------------------------------------ decorator
CONSTRAINTS = {
    "draws": [Integer(1, 1_000_000)],
    "likelihood": [LIKELIHOOD],
    "random_seed": [None, Integer(0)],
}


@validate_params(CONSTRAINTS, caller="fit")
def fit(data, draws=1000, *, likelihood="normal", random_seed=None, **kwargs):
    """Fit the model."""
    return data, draws, likelihood, random_seed, kwargs


def test_decorator_checks_bound_arguments():
    assert fit("df", 10, random_seed=3) == ("df", 10, "normal", 3, {})
    with pytest.raises(InvalidParameterError, match=r"^fit: draws=0 is out of range"):
        fit("df", 0)
    with pytest.raises(InvalidParameterError, match=r"^fit: likelihood='x' is not one of"):
        fit("df", likelihood="x")


def test_decorator_checks_defaults():
    @validate_params({"tune": [Integer(50)]})
    def sample(tune=10):
        return tune

    with pytest.raises(ValueError, match=r"sample: tune=10 is out of range: choose 50 <= tune$"):
        sample()
    assert sample(tune=60) == 60


def test_decorator_preserves_signature_doc_and_exposes_constraints():
    assert fit.__doc__ == "Fit the model."
    assert fit.__name__ == "fit"
    assert fit.__wrapped__.__name__ == "fit"
    assert inspect.signature(fit) == inspect.signature(fit.__wrapped__)
    assert list(inspect.signature(fit).parameters) == [
        "data", "draws", "likelihood", "random_seed", "kwargs",
    ]  # fmt: skip
    assert fit.__parameter_constraints__ == CONSTRAINTS


def test_decorator_leaves_undeclared_parameters_untouched():
    sentinel = object()
    assert fit(sentinel, extra=-1)[0] is sentinel
    assert fit(None, extra="anything")[4] == {"extra": "anything"}


def test_decorator_checks_declared_var_keywords():
    @validate_params({"progressbar": [Boolean()]}, caller="plot")
    def plot(**options):
        return options

    assert plot() == {}
    with pytest.raises(TypeError, match=r"^plot: progressbar must be True or False"):
        plot(progressbar="no")


def test_decorator_caller_defaults_to_qualname():
    class Accessor:
        @validate_params({"n": [Integer(1)]})
        def head(self, n=5):
            return n

    with pytest.raises(ValueError, match=r"^test_decorator_caller_defaults_to_qualname\.<locals>"
                                         r"\.Accessor\.head: n=0 is out of range"):  # fmt: skip
        Accessor().head(0)
    assert Accessor().head(2) == 2


def test_decorator_leaves_bad_calls_to_python():
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        fit()


def test_decorator_refuses_constraints_for_missing_parameters():
    with pytest.raises(TypeError, match=r"has no parameter \['drawz'\]"):

        @validate_params({"drawz": [Integer(1)]})
        def f(draws=1):
            return draws


def test_several_alternatives_keep_suggestion_and_hint():
    raises(
        "fit: chains must be an integer with 1 <= chains <= 64 or one of 'auto', got 'atuo'; "
        "did you mean 'auto'?",
        {"chains": [Integer(1, 64), Options("auto")]}, {"chains": "atuo"},
    )  # fmt: skip
    raises(
        "fit: by must be None or True or False, got {'a': 1} (dict)",
        {"by": [None, Boolean()]}, {"by": {"a": 1}},
    )  # fmt: skip


def test_close_match():
    assert close_match("monht", ["state", "month"]) == "month"
    assert close_match("xyz", ["state", "month"]) is None
    assert close_match(10, [0, 1, 2]) == "1"


# ----------------------------------------------------------------------------------- properties
@given(
    st.one_of(
        st.integers(-1000, 1000),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.text(max_size=5),
        st.integers(-1000, 1000).map(np.int64),
    )
)
def test_int_interval_accepts_exactly_non_bool_integers_in_range(value):
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and 1 <= value <= 100
    constraints = {"n": [Interval("int", 1, 100)]}
    if ok:
        check_params(constraints, {"n": value}, caller="f")
    else:
        with pytest.raises(InvalidParameterError, match=r"^f: n(=| must be an integer)"):
            check_params(constraints, {"n": value}, caller="f")
