"""Shared fixtures of the domain tests: a small stock world, and the stock books checked after every test.

The books check (``stock_differences()``: levels = ledger, no negative bucket, levels = reservations,
no reservation on an order that may no longer hold stock) runs at the teardown of every test in this
package, so each scenario ends with a balanced ledger or fails. A test that corrupts the books on
purpose either repairs them before it ends or opts out with ``@pytest.mark.corrupts_stock``.
"""

import pytest

from app.domain.orders.consistency import stock_differences
from app.extensions import db
from tests.domain.stock_world import build_world


def pytest_configure(config):
    config.addinivalue_line("markers", "corrupts_stock: the test leaves the stock books wrong on purpose; "
                                       "skip the consistency check after it")


@pytest.fixture(autouse=True)
def _stock_books_balance(request, _transaction, app_context):
    """After the test: the stock books agree with themselves and with the orders.

    It holds the app context open for the test too, so the check reads through the test's own session.
    """
    yield
    if request.node.get_closest_marker("corrupts_stock"):
        return
    if not db.session.is_active:
        # The test ended inside a failed flush; what it committed is still there to check.
        db.session.rollback()
    assert stock_differences() == []


@pytest.fixture
def world(_transaction, app_context):
    return build_world()
