"""Store layer, metadata part: SQL that reads a paper's fetched metadata (`paper_metadata`, migration m008).

Metadata is keyed by paper key and read through every key of the paper
(llmreads.aliases): it stays where it was written when a paper's key changes.
Kept apart from store.library so that listings load no dataclasses.
"""

from __future__ import annotations

from llmreads.aliases import aliased_sql, same_paper_sql


def metadata_key_sql(key: str) -> str:
    """The key under which the metadata of the paper `key` names is kept (`key` itself when none is elsewhere)."""
    elsewhere = (
        f"SELECT mm.key FROM paper_metadata mm WHERE mm.key IN {same_paper_sql(key)}"
        " ORDER BY mm.fetched_at IS NULL, mm.fetched_at DESC LIMIT 1"
    )
    return f"CASE WHEN {aliased_sql(key)} THEN coalesce(({elsewhere}), {key}) ELSE {key} END"


def metadata_sql(column: str, key: str = "p.key") -> str:
    """A subquery for one column of the metadata of the paper `key` names (NULL when none is kept)."""
    return f"(SELECT m.{column} FROM paper_metadata m WHERE m.key = {metadata_key_sql(key)})"


def metadata_join(table: str = "p") -> str:
    """`LEFT JOIN paper_metadata m` on the metadata of each paper of `table`, through all its keys."""
    return f"LEFT JOIN paper_metadata m ON m.key = {metadata_key_sql(f'{table}.key')}"


def year_sql(key: str = "p.key", arxiv: str = "p.arxiv") -> str:
    """A paper's year: the fetched one, else the year its new-style arXiv id was given (2106.09685: 2021)."""
    from_id = f"CASE WHEN {arxiv} GLOB '[0-9][0-9][0-9][0-9].*' THEN 2000 + CAST(substr({arxiv}, 1, 2) AS INTEGER) END"
    return f"coalesce({metadata_sql('year', key)}, {from_id})"
