"""Shared test helpers: paths, the in-process CLI, output checks and database peeks.

One meaning per name; fixtures live in conftest.py.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
