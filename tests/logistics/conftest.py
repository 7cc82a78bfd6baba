"""The tracking tests run on the domain tests' stock world, with the stock books checked after each."""

import pytest

from tests import factories
from tests.domain.conftest import _stock_books_balance, world  # noqa: F401  (fixtures used here too)
from tests.domain.stock_world import receive


@pytest.fixture
def stocked(world):  # noqa: F811
    receive(world.w1, world.a, 50)
    return world


@pytest.fixture
def carrier(stocked):
    return factories.CarrierFactory(code="yuantong", name="圆通速递")
