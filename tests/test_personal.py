"""Your own reading: the status history, tags, your star ratings, through every command."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import settle

LORA_ID = "50f228"  # arXiv 2106.09685
ATTENTION_ID = "f77a8b"  # 1706.03762
GPT3_ID = "09794a"


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def json_out(result):  # type: ignore[no-untyped-def]
    return json.loads(ok(result))


@pytest.fixture
def db() -> Path:
    return Path(os.environ["LLMREADS_DB"])


@pytest.fixture
def seeded(cli, db):  # type: ignore[no-untyped-def]
    ok(cli("list", "--limit", "1"))
    return db


@pytest.fixture
def utc8(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC+8 (a POSIX TZ rule: no time zone data needed)."""
    monkeypatch.setenv("TZ", "XST-8")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def events(db: Path, user: str = "alice") -> list[tuple[str, str, str]]:
    settle(db)
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT paper_key, status, at FROM status_history WHERE user = ? ORDER BY at, rowid", (user,)
        ).fetchall()
    finally:
        conn.close()


def status_at(cli, ref: str) -> str | None:  # type: ignore[no-untyped-def]
    return json_out(cli("show", ref, "--json"))["status_at"]


# ---------------------------------------------------------------- the status history


def test_every_status_change_is_an_event_and_marking_again_changes_nothing(cli, seeded):
    ok(cli("mark-read", LORA_ID))
    first = status_at(cli, LORA_ID)
    ok(cli("mark-read", LORA_ID))  # already read: not a change
    assert status_at(cli, LORA_ID) == first
    ok(cli("mark-unread", LORA_ID))
    ok(cli("mark-reading", LORA_ID))
    found = events(seeded)
    assert [(key, status) for key, status, _ in found] == [
        ("arxiv:2106.09685", "read"), ("arxiv:2106.09685", "unread"), ("arxiv:2106.09685", "reading"),
    ]
    assert found[0][2] == first
    assert all(at.endswith("+00:00") for _, _, at in found)
    ok(cli("mark-unread", ATTENTION_ID))  # unread already (never marked): no event
    assert len(events(seeded)) == 3


def test_mark_read_date_backfills_at_local_midnight(cli, seeded, utc8):
    detail = json_out(cli("mark-read", LORA_ID, "--date", "2024-03-01", "--json"))
    assert detail[0]["status"] == "read"
    assert events(seeded) == [("arxiv:2106.09685", "read", "2024-02-29T16:00:00+00:00")]
    assert status_at(cli, LORA_ID) == "2024-02-29T16:00:00+00:00"
    ok(cli("mark-read", LORA_ID, "--date", "2024-05-02T08:30:00+02:00"))
    assert events(seeded)[-1] == ("arxiv:2106.09685", "read", "2024-05-02T06:30:00+00:00")


@pytest.mark.parametrize("value", ["2024-13-01", "yesterday", "2024-03-01T25:00", "", "2999-01-01"])
def test_a_bad_date_is_a_usage_error_naming_the_option(cli, seeded, value):
    result = cli("mark-read", LORA_ID, "--date", value)
    assert result.exit_code == 2, result.stdout
    assert "--date" in result.stderr and "Traceback" not in result.stderr
    assert events(seeded) == []
