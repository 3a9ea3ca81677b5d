"""Pagination for flask-smorest's ``@blp.paginate()`` over a SQLAlchemy query."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from zhibu.db import db


def paginate_query(query: Select, pagination_parameters, total: int | None = None) -> list:
    """One page of ``query``; sets the total for the ``X-Pagination`` header (``total``
    when the caller knows it already). A page past the last is empty, without asking the
    database (its offset may be beyond what the database's integers hold:
    ``?page=10**20``)."""
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pagination_parameters.item_count = total
    if pagination_parameters.first_item >= total:
        return []
    page = query.offset(pagination_parameters.first_item).limit(pagination_parameters.page_size)
    return db.session.scalars(page).all()
