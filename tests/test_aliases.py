"""A paper whose link changes keeps its reader's data: the old key becomes an alias of the new one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmreads import aliases
from llmreads.db import open_db

# ---------------------------------------------------------------- the store functions


@pytest.fixture
def blank(tmp_path):  # type: ignore[no-untyped-def]
    conn = open_db(tmp_path / "aliases.db")
    yield conn
    conn.close()


def test_add_alias_resolves_chains_and_never_makes_a_cycle(blank):
    aliases.add_alias(blank, "a", "b")
    aliases.add_alias(blank, "b", "c")
    assert aliases.canonical_key(blank, "a") == aliases.canonical_key(blank, "b") == "c"
    assert aliases.same_keys(blank, "a") == ["c", "a", "b"]
    aliases.add_alias(blank, "c", "a")  # back to the first key
    assert sorted(tuple(r) for r in blank.execute("SELECT alias, key FROM key_aliases")) == [("b", "a"), ("c", "a")]
    aliases.add_alias(blank, "a", "a")
    aliases.add_alias(blank, "b", "a")  # already so
    assert aliases.canonical_keys(blank, ["a", "b", "c", "z"]) == {"a": "a", "b": "a", "c": "a", "z": "z"}
    with pytest.raises(ValueError, match="must not be empty"):
        aliases.add_alias(blank, "", "a")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.sampled_from("abcdef")), max_size=12))
def test_any_sequence_of_aliases_keeps_one_current_key_per_paper(tmp_path_factory, pairs):
    conn = open_db(tmp_path_factory.mktemp("aliases") / "p.db")
    try:
        groups = {key: {key} for key in "abcdef"}  # which keys name one paper, by union
        for old, new in pairs:
            aliases.add_alias(conn, old, new)
            merged = groups[old] | groups[new]
            for key in merged:
                groups[key] = merged
            if old != new:
                assert aliases.canonical_key(conn, old) == new  # the newest link names the paper
        rows = dict(conn.execute("SELECT alias, key FROM key_aliases").fetchall())
        assert not set(rows.values()) & set(rows)  # a current key is never an alias: no chain, no cycle
        for key in "abcdef":
            current = aliases.canonical_key(conn, key)
            assert {k for k in "abcdef" if aliases.canonical_key(conn, k) == current} == groups[key]
            assert sorted(aliases.same_keys(conn, key)) == sorted(groups[key])
    finally:
        conn.close()
