"""What the test files share: example households loaded once per session. Builders of small
households from plain rows are in :mod:`tests.helpers` (one builder; :mod:`tests.optimizer_cases`
reads the same rows in the optimizer tests' column orders)."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from planner import Household, load_household
from tests.helpers import EXAMPLES


@pytest.fixture(scope="session")
def example() -> Callable[[str], Household]:
    """``example("scenario_a")``: that folder of examples/ as a household, loaded once."""
    cache: dict[str, Household] = {}

    def get(name: str) -> Household:
        if name not in cache:
            cache[name] = load_household(EXAMPLES / name)
        return cache[name]
    return get
