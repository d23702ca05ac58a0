"""Alembic environment: runs on the connection handed over by ``polyvox.store.db.upgrade``."""

from alembic import context
from sqlalchemy import create_engine

import polyvox.store.models_pronunciation  # noqa: F401
from polyvox.store.models import Base

config = context.config
connection = config.attributes.get("connection")


def _run(conn) -> None:
    context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # `alembic revision --autogenerate` from the command line
    with create_engine(config.get_main_option("sqlalchemy.url")).connect() as conn:
        _run(conn)
