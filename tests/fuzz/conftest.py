"""The language server fixtures of tests/lsp/ (a committed workspace, a pytest-lsp client), for the LSP fuzz."""

from tests.lsp.conftest import client, repo

__all__ = ["client", "repo"]
