"""The engine and the request-scoped session.

Plain SQLAlchemy 2 with a scoped session (not Flask-SQLAlchemy): the test suite binds the same
session to a connection holding an outer transaction, and everything the code under test commits
becomes a savepoint that the test rolls back.
"""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session, sessionmaker

session_factory = sessionmaker(expire_on_commit=False)
db_session: scoped_session[OrmSession] = scoped_session(session_factory)

_engine: Engine | None = None


def make_engine(url: str, *, pool_size: int = 5, statement_timeout_ms: int = 15000, app_name: str = "gridgov") -> Engine:
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        hide_parameters=True,  # a logged SQL error must not carry names, phones or hashes
        connect_args={
            # an abandoned transaction is ended after a minute: it would hold locks and, while it
            # lives, keep the live stream from reading past it (api/emergency/stream.py). JIT off:
            # a request's statements run for milliseconds, and a plan whose estimate crosses
            # jit_above_cost (a district's assessment) spent 180 ms compiling to save nothing
            "options": f"-c statement_timeout={int(statement_timeout_ms)} "
                       f"-c idle_in_transaction_session_timeout=60000 -c timezone=UTC -c jit=off",
            "application_name": app_name,
            "connect_timeout": 10,
        },
    )


def init_engine(url: str, **kwargs) -> Engine:
    """Create (once per URL) the process-wide engine and bind the session factory to it."""
    global _engine
    if _engine is None or str(_engine.url.render_as_string(hide_password=False)) != url:
        if _engine is not None:
            _engine.dispose()
        _engine = make_engine(url, **kwargs)
    session_factory.configure(bind=_engine)
    return _engine


def get_engine() -> Engine:
    if _engine is None:
        raise RuntimeError("the database engine is not initialised")
    return _engine
