"""The API's blueprints: flask-smorest's, with the work that is the same for every request
done once.

- webargs makes a schema given as a class afresh for every request it parses (marshmallow
  copies each declared field then); here each class is made once, the first time it is
  needed, and used again: a schema keeps nothing of a request it loads.
- The pagination header's metadata (integers only) is written as it is, not passed
  through a new schema on each page.

Every endpoint of the core uses this ``Blueprint``; a plugin may too, or keep
flask-smorest's own: both declare the same OpenAPI document.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import flask_smorest
from marshmallow import Schema
from webargs.flaskparser import FlaskParser


class Parser(FlaskParser):
    """webargs' parser, each schema class made once."""

    def _get_schema(self, argmap, req) -> Schema:
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            return _made(argmap)
        return super()._get_schema(argmap, req)


@cache
def _made(schema_class: type[Schema]) -> Schema:
    return schema_class()


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()
    PAGINATION_ARGUMENTS_PARSER = Parser()

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, Any]:
        """What flask-smorest's ``X-Pagination`` header holds (``total``, ``total_pages``,
        then those of ``first_page``, ``last_page``, ``page``, ``previous_page`` and
        ``next_page`` that exist), without a schema: they are integers already."""
        pages = -(-item_count // page_size)
        metadata: dict[str, Any] = {"total": item_count, "total_pages": pages}
        if pages:
            metadata |= {"first_page": 1, "last_page": pages}
            if page <= pages:
                metadata["page"] = page
                if page > 1:
                    metadata["previous_page"] = page - 1
                if page < pages:
                    metadata["next_page"] = page + 1
        return metadata
