"""Model options and priors, as frozen, JSON-able values (no PyMC import here).

Examples
--------
>>> from pandas_hier import Prior
>>> Prior("HalfNormal", sigma=2.0)
Prior('HalfNormal', sigma=2.0)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from pandas_hier._params import Boolean, Options, Real, check_params, close_match
from pandas_hier.errors import InvalidParameterError
from pandas_hier.families import FAMILIES

__all__ = ["FitOptions", "Prior", "varying_mask"]

#: The likelihood families (:mod:`pandas_hier.families`).
LIKELIHOODS = tuple(FAMILIES)
PARAMETERIZATIONS = ("auto", "marginal", "augmented", "centered", "noncentered")
SD_PER = ("level", "parent")
SAMPLERS = ("nutpie", "pymc", "numpyro", "blackjax")
#: ``fit(method=...)``: NUTS (with ``sampler``) or a quick approximation of the posterior.
METHODS = ("nuts", "advi", "pathfinder")

# Distributions a Prior may name, with the parameters that carry the data's scale (multiplied by
# the scale of the coefficient when a default prior is put on unstandardised data).
_FAMILIES: dict[str, tuple[str, ...]] = {
    "Normal": ("mu", "sigma"),
    "StudentT": ("mu", "sigma"),
    "Cauchy": ("alpha", "beta"),
    "HalfNormal": ("sigma",),
    "HalfStudentT": ("sigma",),
    "HalfCauchy": ("beta",),
    "Exponential": ("scale",),
    "Uniform": ("lower", "upper"),
    "Gamma": (),
    "InverseGamma": (),
    "LogNormal": (),
    "Weibull": (),
    "LKJ": (),
}


# Every parameter a Prior may pass to its PyMC distribution (PyMC silently ignores unknown
# keyword arguments such as ``sd``, so they are refused here), and those that must be > 0.
_PARAMS: dict[str, tuple[str, ...]] = {
    "Normal": ("mu", "sigma"),
    "StudentT": ("nu", "mu", "sigma"),
    "Cauchy": ("alpha", "beta"),
    "HalfNormal": ("sigma",),
    "HalfStudentT": ("nu", "sigma"),
    "HalfCauchy": ("beta",),
    "Exponential": ("lam", "scale"),
    "Uniform": ("lower", "upper"),
    "Gamma": ("alpha", "beta"),
    "InverseGamma": ("alpha", "beta"),
    "LogNormal": ("mu", "sigma"),
    "Weibull": ("alpha", "beta"),
    "LKJ": ("eta",),
}
_POSITIVE = {"sigma", "beta", "nu", "lam", "scale", "alpha", "eta"}
_ALIASES = {"sd": "sigma", "scale": "sigma", "loc": "mu", "mean": "mu", "rate": "lam"}


def _check_params(dist: str, params: dict) -> None:
    import difflib
    import math

    valid = _PARAMS[dist]
    for key, value in params.items():
        if key not in valid:
            guess = _ALIASES.get(key) if _ALIASES.get(key) in valid else None
            guess = guess or next(iter(difflib.get_close_matches(key, valid, n=1)), None)
            hint = f" (did you mean {guess!r}?)" if guess else ""
            raise ValueError(
                f"Prior({dist!r}): unknown parameter {key!r}{hint}; {dist} takes "
                f"{', '.join(map(repr, valid))}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"Prior({dist!r}): {key} must be a number, got {value!r}")
        positive = key in _POSITIVE and not (dist == "Cauchy" and key == "alpha")  # a location
        if not math.isfinite(value) or (positive and value <= 0):
            need = "a finite number > 0" if positive else "a finite number"
            raise ValueError(f"Prior({dist!r}): {key}={value!r} must be {need}")
    if dist == "Uniform" and params.get("lower", 0.0) >= params.get("upper", 1.0):
        raise ValueError(f"Prior('Uniform'): lower must be below upper, got {params!r}")
    if dist == "Exponential" and {"lam", "scale"} <= set(params):
        raise ValueError("Prior('Exponential'): give lam or scale, not both")


class Prior:
    """A prior distribution: a PyMC distribution name and its parameters.

    Parameters
    ----------
    dist : str
        One of ``Normal``, ``StudentT``, ``Cauchy`` (coefficients), ``HalfNormal``,
        ``HalfStudentT``, ``HalfCauchy``, ``Exponential``, ``Uniform``, ``Gamma``,
        ``InverseGamma``, ``LogNormal``, ``Weibull`` (scales), ``LKJ`` (``eta``, correlations).
    **params : float
        The distribution's parameters, by PyMC's names (``Exponential`` takes ``scale`` or
        ``lam``).

    Examples
    --------
    >>> from pandas_hier import Prior
    >>> p = Prior("Uniform", lower=0, upper=1000)
    >>> p.params
    {'lower': 0.0, 'upper': 1000.0}
    >>> Prior.from_dict(p.to_dict()) == p
    True
    """

    __slots__ = ("_dist", "_params")

    def __init__(self, dist: str, **params: float) -> None:
        if dist not in _FAMILIES:
            raise ValueError(f"unknown prior distribution {dist!r}; choose one of {sorted(_FAMILIES)}")
        _check_params(dist, params)
        object.__setattr__(self, "_dist", dist)
        object.__setattr__(self, "_params", tuple(sorted((k, float(v)) for k, v in params.items())))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Prior is immutable")

    @property
    def dist(self) -> str:
        """The PyMC distribution name."""
        return self._dist

    @property
    def params(self) -> dict[str, float]:
        """The parameters (a fresh dict)."""
        return dict(self._params)

    def scaled(self, factor) -> dict:
        """Parameters with the scale-carrying ones multiplied by ``factor`` (array-like)."""
        keys = _FAMILIES[self._dist]
        return {k: (v * factor if k in keys else v) for k, v in self._params}

    def to_dict(self) -> dict:
        """JSON-able form."""
        return {"dist": self._dist, **dict(self._params)}

    @classmethod
    def from_dict(cls, record: Mapping) -> Prior:
        """Inverse of :meth:`to_dict`."""
        record = dict(record)
        return cls(record.pop("dist"), **record)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Prior) and (self._dist, self._params) == (other._dist, other._params)

    def __hash__(self) -> int:
        return hash((self._dist, self._params))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params)
        return f"Prior({self._dist!r}{', ' if args else ''}{args})"


#: Defaults on the standardised scale (x and y standardised internally).
DEFAULT_PRIORS: Mapping[str, Prior] = MappingProxyType(
    {
        "intercept": Prior("Normal", mu=0.0, sigma=2.5),
        "slope": Prior("Normal", mu=0.0, sigma=2.5),
        "sd": Prior("HalfNormal", sigma=1.0),
        "sigma": Prior("HalfNormal", sigma=1.0),
        "nu": Prior("Gamma", alpha=2.0, beta=0.1),
        "alpha": Prior("HalfCauchy", beta=1.0),
        "corr": Prior("LKJ", eta=2.0),
    }
)


#: The model options of ``fit`` and their constraints, declared once (checked by FitOptions).
OPTION_CONSTRAINTS: dict = {
    "likelihood": [Options(*LIKELIHOODS)],
    "nu": [None, Real(0, None, closed="neither")],
    "parameterization": [Options(*PARAMETERIZATIONS)],
    "sd_per": [Options(*SD_PER)],
    "varying": [None, Mapping],
    "correlated": [Boolean()],
    "priors": [None, Mapping],
    "standardize": [Boolean()],
    "target_accept": [Real(0.5, 1, closed="left")],
    "trials": [None, str],
    "exposure": [None, str],
}


@dataclass(frozen=True)
class FitOptions:
    """Validated model options; see :func:`pandas_hier.fit` for their meaning.

    Examples
    --------
    >>> from pandas_hier.options import FitOptions
    >>> FitOptions(likelihood="cauchy").likelihood
    'cauchy'
    >>> FitOptions(likelihood="gauss")
    Traceback (most recent call last):
    ...
    pandas_hier.errors.InvalidParameterError: fit: likelihood='gauss' is not one of 'normal', ...
    """

    likelihood: str = "normal"
    nu: float | None = None
    parameterization: str = "auto"
    sd_per: str = "level"
    varying: Mapping[Hashable, tuple[str, ...]] | None = None
    correlated: bool = False
    priors: Mapping[str, Prior] = field(default_factory=dict)
    standardize: bool = True
    target_accept: float = 0.9
    trials: str | None = None
    exposure: str | None = None

    def __post_init__(self) -> None:
        check_params(OPTION_CONSTRAINTS, {k: getattr(self, k) for k in OPTION_CONSTRAINTS},
                     caller="fit")  # fmt: skip
        for name in ("correlated", "standardize"):
            object.__setattr__(self, name, bool(getattr(self, name)))  # np.bool_ -> bool
        if self.nu is not None and "nu" not in FAMILIES[self.likelihood].extra:
            raise InvalidParameterError(
                f"fit: nu={self.nu!r} applies to likelihood='studentt' only, not "
                f"likelihood={self.likelihood!r}"
            )
        family = FAMILIES[self.likelihood]
        if family.rows_column == "trials" and self.trials is None:
            raise InvalidParameterError(
                f"fit: likelihood={self.likelihood!r} needs trials= naming the column of trials per row"
            )
        for name in ("trials", "exposure"):
            if getattr(self, name) is not None and family.rows_column != name:
                users = [n for n, f in FAMILIES.items() if f.rows_column == name]
                raise InvalidParameterError(
                    f"fit: {name}= applies to likelihood {' or '.join(map(repr, users))} only, not "
                    f"likelihood={self.likelihood!r}"
                )
        priors = dict(self.priors or {})
        for key, prior in priors.items():
            if not isinstance(prior, Prior):
                raise InvalidParameterError(
                    f"fit: priors[{key!r}] must be a pandas_hier.Prior, e.g. Prior('HalfNormal', "
                    f"sigma=1), got {prior!r}"
                )
        if self.parameterization == "marginal" and not FAMILIES[self.likelihood].marginal:
            raise ValueError(
                "parameterization='marginal' integrates the coefficients out analytically, which "
                "needs likelihood='normal'; use 'centered', 'noncentered' or 'auto' for "
                f"likelihood={self.likelihood!r}"
            )
        if self.parameterization == "augmented" and not FAMILIES[self.likelihood].augmentation:
            raise ValueError(
                "parameterization='augmented' is a Gibbs sampler for likelihoods 'studentt', "
                "'cauchy', 'bernoulli', 'binomial', 'negbinomial' and 'poisson'; "
                f"use 'auto', 'centered' or 'noncentered' for likelihood={self.likelihood!r}"
            )
        if self.correlated and self.sd_per == "parent":
            raise ValueError("correlated=True needs sd_per='level' (one covariance per level)")
        object.__setattr__(self, "priors", MappingProxyType(priors))
        if self.varying is not None:
            object.__setattr__(
                self,
                "varying",
                MappingProxyType({k: tuple(v) for k, v in dict(self.varying).items()}),
            )

    def prior(self, key: str, level: Hashable | None = None) -> tuple[Prior, bool]:
        """The prior for ``key`` (``sd`` may be overridden per level as ``sd_<level>``) and
        whether it is a default (defaults scale with the data when not standardising)."""
        if level is not None and f"{key}_{level}" in self.priors:
            return self.priors[f"{key}_{level}"], False
        if key in self.priors:
            return self.priors[key], False
        return DEFAULT_PRIORS[key], True

    def check_prior_keys(self, levels: Sequence[Hashable]) -> None:
        """Raise listing unknown prior keys."""
        valid = set(DEFAULT_PRIORS) | {f"sd_{lv}" for lv in levels}
        unknown = sorted(set(self.priors) - valid)
        if unknown:
            guess = close_match(unknown[0], sorted(valid))
            hint = f" (did you mean {guess!r}?)" if guess is not None else ""
            raise InvalidParameterError(
                f"fit: unknown prior keys {unknown!r}{hint}; valid keys are {sorted(valid)!r}"
            )

    def to_dict(self) -> dict:
        """JSON-able form (for save/load)."""
        return {
            "likelihood": self.likelihood,
            "nu": self.nu,
            "parameterization": self.parameterization,
            "sd_per": self.sd_per,
            "varying": None if self.varying is None else {str(k): list(v) for k, v in self.varying.items()},
            "correlated": self.correlated,
            "priors": {k: p.to_dict() for k, p in self.priors.items()},
            "standardize": self.standardize,
            "target_accept": self.target_accept,
            "trials": self.trials,
            "exposure": self.exposure,
        }


def varying_mask(opts: FitOptions, levels: Sequence[Hashable], coefs: Sequence[str]) -> np.ndarray:
    """Which coefficient varies at which level: ``(levels, coefficients)`` booleans from
    ``opts.varying`` (levels not named vary in every coefficient)."""
    mask = np.ones((len(levels), len(coefs)), dtype=bool)
    if opts.varying is None:
        return mask
    unknown = [k for k in opts.varying if k not in levels]
    if unknown:
        guess = close_match(unknown[0], list(levels))
        hint = f" (did you mean {guess!r}?)" if guess is not None else ""
        raise InvalidParameterError(
            f"fit: varying= names unknown levels {unknown!r}{hint}; the levels are {list(levels)!r}"
        )
    for level, chosen in opts.varying.items():
        bad = [n for n in chosen if n not in coefs]
        if bad:
            guess = close_match(bad[0], list(coefs))
            hint = f" (did you mean {guess!r}?)" if guess is not None else ""
            raise InvalidParameterError(
                f"fit: varying[{level!r}] names unknown coefficients {bad!r}{hint}; choose from "
                f"{list(coefs)!r}"
            )
        mask[list(levels).index(level)] = [c in chosen for c in coefs]
    return mask
