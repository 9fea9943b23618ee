"""The one error a use-case raises: a sentence for the user, never a traceback."""

from __future__ import annotations


class UseCaseError(Exception):
    """The request was refused and nothing was written; the message says why and what to do instead."""


class UnknownAgent(UseCaseError):
    """The roster has no such agent; front ends add how to go ahead (`--force`, add it to the roster)."""
