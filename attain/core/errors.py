"""Domain errors shared by every app: each carries a message a person can act on."""

from __future__ import annotations


class AttainError(Exception):
    """Base class for errors that are shown to users as they are (no traceback)."""


class ValidationFailed(AttainError):
    """One or more fields are wrong; `problems` maps field name to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        detail = "; ".join(f"{field}: {reason}" for field, reason in self.problems.items())
        super().__init__(detail)


class NotFound(AttainError):
    """A referenced record does not exist (or is outside the caller's scope)."""
