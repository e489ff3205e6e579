"""Errors the user can act on. The CLI prints them as one line and exits 1."""

from __future__ import annotations


class LlmreadsError(Exception):
    """Base of every error shown to the user as `Error: ...`."""


class NotFound(LlmreadsError):
    """A paper, section, note or list that is not there."""


class Ambiguous(LlmreadsError):
    """A reference that matches more than one paper."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class ImportFailed(LlmreadsError):
    """A document that cannot be read or holds no papers."""


class InvalidQuery(LlmreadsError):
    """A search query or filter value that cannot be used."""


class Conflict(LlmreadsError):
    """A change refused because what it was based on changed meanwhile (an edit of a note saved elsewhere)."""


class DatabaseError(LlmreadsError):
    """A database file that is not usable by llmreads."""
