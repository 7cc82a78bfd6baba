"""Calls to other systems never run inside a database transaction.

A sales platform or a message gateway may take seconds to answer, or thirty to time out. A transaction
held across that wait keeps its row locks on PostgreSQL and, on SQLite (every transaction is
``BEGIN IMMEDIATE``, see app/sqlite_tuning.py), the whole database's write lock: every other worker and
web request would queue behind one slow gateway.

So every place an adapter is called follows one pattern: load what the call needs into plain values and
commit (or claim the work in a short transaction), call with no transaction open, then record the answer
in a new short transaction (the next use of the session begins it; the caller commits it as usual).
``call_outside`` is the middle step, written once. The commit it makes is the caller's: jobs and
commands hand in ``db.session.commit`` (domain functions call it ``checkpoint``), so the unit of work
still has one owner, it is only cut at each outside call.

Everything the call needs must be an argument: Python evaluates the arguments before the commit, while
touching an ORM object afterwards would reload it and open a new transaction during the call.
"""

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from app.db import db

P = ParamSpec("P")
T = TypeVar("T")


class TransactionOpenError(RuntimeError):
    """A bug, not a condition to handle: a transaction was still open at an outside call."""


def call_outside(commit: Callable[[], None], call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Commit the work so far with ``commit``, check that no transaction is left open (a ``commit`` that
    did not end it, such as a flush passed by mistake, raises TransactionOpenError and nothing is
    called), then return ``call(*args, **kwargs)``. Whatever the call raises propagates, with nothing
    open to roll back."""
    commit()
    if db.session().in_transaction():
        what = getattr(call, "__qualname__", repr(call))
        raise TransactionOpenError(f"a database transaction is still open before the outside call {what}")
    return call(*args, **kwargs)
