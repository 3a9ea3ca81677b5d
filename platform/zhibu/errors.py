"""Errors services raise; the API turns them into JSON a person can act on."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses. ``field`` names the input at fault, if one is."""

    status = 400

    def __init__(
        self, message: str, *, field: str | None = None, errors: dict | list | None = None
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors

    def as_dict(self) -> dict:
        body: dict = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        elif self.field:
            body["errors"] = {self.field: [self.message]}
        return body


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Invalid(ServiceError):
    """Well-formed, but a field's value cannot be taken (the field is named)."""

    status = 422


class Forbidden(ServiceError):
    status = 403


class Unprocessable(ServiceError):
    """Well-formed, but refused by a policy (a password too short)."""

    status = 422
