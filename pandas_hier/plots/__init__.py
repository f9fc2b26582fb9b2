"""Figures of a :class:`~pandas_hier.HierFit`, one module per kind; each returns a
``matplotlib.figure.Figure`` (constrained layout, not managed by pyplot) and works on a fit
returned by :func:`pandas_hier.load` too, where plots that need rows take them as ``data=``.

- :func:`forest`: per-group coefficients with HDIs, grouped by parent (``fit.plot_forest``);
- :func:`shrinkage`: no-pooling estimates against partially pooled ones (``fit.plot_shrinkage``);
- :func:`groups`: each group's data with the posterior mean line and band (``fit.plot_groups``);
- :func:`trace` and :func:`ppc`: sampler traces and the posterior predictive check, drawn with
  ArviZ's ``arviz-plots`` (``fit.plot_trace``, ``fit.plot_ppc``).

matplotlib (and arviz-plots) are the ``plots`` extra; they load when a plot is drawn. These
functions use only the fit's public interface.

Examples
--------
>>> from pandas_hier import plots
>>> plots.forest(fit, "state").axes[0].get_title()
'intercept'
"""

from pandas_hier.plots.diagnostic import ppc, trace
from pandas_hier.plots.forest import forest
from pandas_hier.plots.groups import groups
from pandas_hier.plots.shrinkage import shrinkage

__all__ = ["forest", "groups", "ppc", "shrinkage", "trace"]
