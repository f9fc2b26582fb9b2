import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# The blog's recipe and model live in benchmarks/blog_recipe.py (the baseline both the benchmarks
# and the blog-equivalence test use).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
