"""pandas_hier.plots: every plot of a fit is a Figure, renders to a PNG that is not blank, keeps
its labels inside the figure, and works on a loaded fit (with data= where it needs rows).

``rendered`` is the check the per-plot test modules share."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import image  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import pandas_hier  # noqa: E402
from pandas_hier.errors import InvalidParameterError  # noqa: E402

KINDS = ("forest", "shrinkage", "groups", "trace", "ppc")


def rendered(fig, tmp_path, name="plot") -> list[str]:
    """Save ``fig`` as a PNG, check it is not blank and that no text lies outside the figure;
    return every visible text of the figure (titles, axis and tick labels, annotations)."""
    assert isinstance(fig, Figure)
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=60)
    pixels = image.imread(path)[..., :3]
    assert pixels.std() > 0.05 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox.padded(1.0)  # a pixel of tolerance
    for ax in fig.axes:  # what each axes draws: its ticks and labels, titles, secondary axes
        if ax.get_visible():
            ext = ax.get_tightbbox(renderer)
            assert box.x0 <= ext.x0 and ext.x1 <= box.x1 and box.y0 <= ext.y0 and ext.y1 <= box.y1, (
                f"clipped: the axes titled {ax.get_title()!r} reach {ext.bounds} in a figure {fig.bbox.bounds}"
            )
    for t in fig.texts + [lg for lg in fig.legends]:
        ext = t.get_window_extent(renderer)
        assert box.x0 <= ext.x0 and ext.x1 <= box.x1 and box.y0 <= ext.y0 and ext.y1 <= box.y1
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
    return texts


@pytest.fixture(scope="module")
def loaded(fit, tmp_path_factory):
    return pandas_hier.load(fit.save(tmp_path_factory.mktemp("fit") / "salary.hier"))


@pytest.mark.parametrize("kind", KINDS)
def test_every_plot_renders_on_a_fit_and_on_a_loaded_fit(kind, fit, loaded, tmp_path):
    from conftest import _salary_frame

    small = {"max_groups": 4} if kind == "groups" else {}  # fewer panels: a faster test
    texts = rendered(getattr(fit, f"plot_{kind}")(**small), tmp_path, kind)
    needs_rows = kind in ("shrinkage", "groups", "ppc")
    kwargs = {"data": _salary_frame(), **small} if needs_rows else {}
    texts_loaded = rendered(getattr(loaded, f"plot_{kind}")(**kwargs), tmp_path, f"{kind}-loaded")
    if kind != "ppc":  # the replicates are random draws; every label is the same
        assert sorted(texts) == sorted(texts_loaded)
    if needs_rows:
        with pytest.raises(InvalidParameterError, match=rf"plot_{kind}: data is required for a fit loaded from a file"):
            getattr(loaded, f"plot_{kind}")()


def test_plot_methods_take_the_functions_signatures(fit):
    import inspect

    from pandas_hier import plots

    for kind in KINDS:
        method = inspect.signature(getattr(pandas_hier.HierFit, f"plot_{kind}"))
        func = inspect.signature(getattr(plots, kind))
        assert list(method.parameters)[1:] == list(func.parameters)[1:]
        # every argument is optional: the command line calls fit.plot_<kind>() with a level at most
        assert all(p.default is not p.empty or p.kind is p.VAR_KEYWORD for p in list(func.parameters.values())[1:])


def test_plots_are_not_left_open_in_pyplot(fit):
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    fit.plot_forest()
    fit.plot_trace()
    assert set(plt.get_fignums()) == before


def test_the_clipping_check_catches_a_clipped_label(tmp_path):
    fig = Figure(figsize=(3, 2))  # no layout engine: a long tick label runs off the left edge
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_yticks([0.5], ["a very long group label / with its parents / and more"])
    with pytest.raises(AssertionError, match="clipped"):
        rendered(fig, tmp_path)


@pytest.mark.slow
def test_a_logistic_fit_states_the_link_scale_and_checks_calibration(df, tmp_path):
    from helpers import LEVELS, quiet_fit

    df = df.assign(high=(df["salary"] > df["salary"].median()).astype(int))
    fit = quiet_fit(df, "month", "high", levels=LEVELS, likelihood="bernoulli", draws=60, tune=60)
    forest = fit.plot_forest()
    assert forest.axes[0].get_xlabel() == "intercept (94% HDI), logit link scale (log-odds)"
    shrink = fit.plot_shrinkage()
    assert shrink.axes[0].get_ylabel() == "partial pooling: posterior mean\nlogit link scale (log-odds)"
    groups = fit.plot_groups(max_groups=4)
    assert groups.axes[0].get_ylabel() == "high (probability)"
    lines = [ax.get_lines()[0].get_ydata() for ax in groups.axes]
    assert all(((0 < y) & (y < 1)).all() for y in lines)  # the mean on the response scale
    ppc = fit.plot_ppc(random_seed=0)
    assert "calibration" in ppc.texts[0].get_text()
    for name, fig in {"forest": forest, "shrink": shrink, "groups": groups, "ppc": ppc}.items():
        rendered(fig, tmp_path, name)
