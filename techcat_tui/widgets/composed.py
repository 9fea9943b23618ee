"""Whether a widget has all of its widgets: the one readiness test the app asks before filling a view."""

from __future__ import annotations

from textual.widget import Widget

RETRY_SECONDS = 0.02
"""How soon to look again when a widget is not composed yet: a timer, not `call_after_refresh`, which would
post again on every refresh and keep the app from ever going idle while it waits."""


def composed(widget: Widget) -> bool:
    """Whether `widget` and every widget under it are mounted, so that the queries a view's `load` makes find
    what its `compose` yields.

    Each container composes its children in its own task when it mounts. On a busy machine a view can be in the DOM
    with only some of its widgets (a list there, the card inside the detail pane not yet), so "has children" is
    not enough. A widget counts as mounted only after its own compose has mounted its children, so a tree in
    which every node is mounted is complete."""
    return widget.is_mounted and bool(widget.children) and all(node.is_mounted for node in widget.walk_children(Widget))
