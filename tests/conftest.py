"""What the test files share: example households loaded once per session. Builders of small
households from plain rows are in :mod:`tests.helpers` (one builder; :mod:`tests.optimizer_cases`
reads the same rows in the optimizer tests' column orders)."""
from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from hypothesis import settings

from planner import Household, load_household
from tests.helpers import EXAMPLES

# Every property test runs fixed examples by default (a CI run is reproducible); with
# PLANNER_PROPERTY_EXAMPLES set they are random, to search further.
settings.register_profile("planner", derandomize="PLANNER_PROPERTY_EXAMPLES" not in os.environ)
settings.load_profile("planner")


@pytest.fixture(scope="session")
def example() -> Callable[[str], Household]:
    """``example("scenario_a")``: that folder of examples/ as a household, loaded once."""
    cache: dict[str, Household] = {}

    def get(name: str) -> Household:
        if name not in cache:
            cache[name] = load_household(EXAMPLES / name)
        return cache[name]
    return get
