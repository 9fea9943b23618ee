"""Widgets of the TUI: one per view, plus the table that renders only visible rows."""
