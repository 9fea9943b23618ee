"""Handlers never take the server down: a failure is logged and answered with an empty result."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger("techcat_lsp")

F = TypeVar("F", bound=Callable[..., Any])


def guarded(default: Any = None) -> Callable[[F], F]:
    """Wrap a handler (sync or async): on any exception, log it and return `default`."""

    def wrap(handler: F) -> F:
        if inspect.iscoroutinefunction(handler):
            @functools.wraps(handler)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await handler(*args, **kwargs)
                except Exception:
                    logger.exception("%s failed", handler.__name__)
                    return default

            return run_async  # type: ignore[return-value]

        @functools.wraps(handler)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            except Exception:
                logger.exception("%s failed", handler.__name__)
                return default

        return run  # type: ignore[return-value]

    return wrap
