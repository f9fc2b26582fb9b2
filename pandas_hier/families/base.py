"""The interface every likelihood family implements (see :mod:`pandas_hier.families`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from pandas_hier.families._glm import sigmoid

__all__ = ["Family"]


class Family:
    """A likelihood family for the response given the linear predictor ``mu`` and a scale.

    Attributes
    ----------
    name : str
        The value of ``fit(likelihood=...)``.
    link : str
        How ``mu`` relates to the response's mean (``"identity"`` for these families).
    marginal : bool
        Whether the exact Gaussian engine (coefficients integrated out analytically, from
        sufficient statistics) applies directly.
    extra : tuple of str
        Further parameters, sampled under the prior of the same key (e.g. ``"nu"``) unless the
        options fix them.
    """

    name: str = ""
    link: str = "identity"
    marginal: bool = False
    extra: tuple[str, ...] = ()
    #: Whether the family has a noise sd ``sigma`` (location-scale families, whose response is
    #: standardised); GLM families have none and keep the response as it is.
    scale: bool = True
    #: What the response must be: ``"real"``, ``"binary"`` (0/1 or bool), ``"count"`` (whole
    #: numbers >= 0) or ``"successes"`` (whole numbers between 0 and ``trials``).
    outcome: str = "real"
    #: The extra data column the family takes: ``"trials"``, ``"exposure"`` or ``None``.
    rows_column: str | None = None
    #: How the augmented Gibbs sampler (:mod:`pandas_hier.backend.augmented`) makes the rows
    #: conditionally Gaussian: ``"gamma"`` (Student-t as a Gamma scale mixture of normals),
    #: ``"polyagamma"`` (logit-type likelihoods, Polson, Scott and Windle 2013), ``"leaf-mh"``
    #: (no augmentation: the leaf coefficients move by Metropolis-Hastings, the Poisson) or
    #: ``None``.
    augmentation: str | None = None
    #: How the Gibbs sampler may merge rows of one leaf with equal predictors into one, leaving
    #: the likelihood unchanged up to a constant: ``"trials"`` (successes and trials add: a
    #: Bernoulli row is one trial), ``"exposure"`` (counts and exposures add), ``"rows"``
    #: (rows of equal offsets: counts add, each cell keeps its number of rows, and the rows'
    #: distinct counts are kept in ``extra`` for the likelihood's own parameter) or ``None``.
    merge: str | None = None
    #: Whether the likelihood is a Gamma mixture of Poissons (negative binomial, binomial,
    #: Bernoulli), which the Poisson's sweep samples given per-cell Gamma variables
    #: (:mod:`pandas_hier.backend.poissonmix`).
    poisson_mixture: bool = False

    def mixture_nu(self, extra: Mapping) -> float:
        """Degrees of freedom of a ``"gamma"`` augmentation (per-row precision weights
        ``lambda ~ Gamma(nu / 2, nu / 2)``), from the current extra parameters."""
        raise NotImplementedError

    def polyagamma_terms(self, y, extra: Mapping):
        """``(b, kappa, shift)`` of a ``"polyagamma"`` augmentation: the row's likelihood is
        ``exp((kappa + b / 2) psi) / (1 + exp(psi))^b`` up to a constant, with ``psi = eta + shift``."""
        raise NotImplementedError

    def scale_note(self) -> str:
        """What the coefficients mean, for summaries and displays."""
        if self.link == "identity":
            return "coefficients on the response's scale"
        unit, mean = {"logit": ("log-odds", "probabilities"), "log": ("log rates", "rates")}[self.link]
        return (f"coefficients on the {self.link} link scale ({unit}); "
                f"predict(kind='mean') gives {mean}")  # fmt: skip

    def inverse_link(self, eta):
        """The response-scale mean of the linear predictor ``eta`` (a probability or a rate
        for GLM families), by the family's ``link``."""
        return {"identity": lambda e: e, "logit": sigmoid, "log": np.exp}[self.link](eta)

    def fixed(self, options) -> dict[str, float]:
        """Extra parameters fixed by the options (not sampled)."""
        return {}

    def extra_draws(self, posterior: Mapping, options, n_draws: int) -> dict[str, np.ndarray]:
        """Per posterior draw, the extra parameters: sampled ones from ``posterior`` (any
        mapping of name to array with ``n_draws`` values), fixed ones from the options."""
        fixed = self.fixed(options)
        out = {}
        for name in self.extra:
            if name in fixed:
                out[name] = np.full(n_draws, fixed[name], dtype=float)
            else:
                out[name] = np.asarray(posterior[name], dtype=float).reshape(n_draws)
        return out

    def logpdf(self, y, mu, sigma, **extra) -> np.ndarray:
        """Log-density of ``y`` given ``mu`` and ``sigma`` (broadcasting). For GLM families ``mu``
        is the linear predictor (link scale, offset included), ``sigma`` is ignored and
        ``extra`` may hold per-row ``trials``."""
        raise NotImplementedError

    def loglik_at(self, y, mu, **data):
        """The rows' summed log-likelihood as a function ``f(sigma, **params)`` of the family's
        parameters at a fixed linear predictor ``mu`` (the augmented route's slice updates call
        it many times per sweep). ``data`` holds per-row ``trials``; families may override this
        with work done once per ``mu``.

        Examples
        --------
        >>> from pandas_hier import families
        >>> f = families.get("negbinomial").loglik_at(np.array([0.0, 3.0]), np.array([0.1, 1.2]))
        >>> direct = families.get("negbinomial").logpdf(np.array([0.0, 3.0]), np.array([0.1, 1.2]),
        ...                                             alpha=np.array([2.5])).sum()
        >>> bool(np.isclose(f(None, alpha=2.5), direct))
        True
        """

        def f(sigma, **params) -> float:
            extra = {k: np.array([v]) for k, v in params.items()}
            return float(np.sum(self.logpdf(y, mu, sigma, **data, **extra)))

        return f

    def draw(self, rng: np.random.Generator, mu, sigma, **extra) -> np.ndarray:
        """Random responses around ``mu`` (shape of ``mu``); extra parameters per draw are
        given as arrays of shape ``(draws,)`` and broadcast over the rows."""
        raise NotImplementedError

    def pymc_observed(self, pm, mu, sigma, observed, extra: Mapping) -> None:
        """Add the row-level likelihood to the PyMC model in context (``pm`` is the pymc
        module, passed by the backend: family modules do not import PyMC)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<likelihood family {self.name!r}>"


def per_draw(value, like) -> np.ndarray:
    """``value`` of shape (draws,) as a column broadcasting against ``like`` (draws, rows)."""
    value = np.asarray(value, dtype=float)
    return value.reshape(value.shape + (1,) * (np.ndim(like) - value.ndim))
