"""The moment the TUI package was first imported, so the app can report how long start-up took."""

from __future__ import annotations

import time

START_TIME = time.perf_counter()
