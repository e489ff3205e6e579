"""Query layer: turn what a user types into a safe FTS5 MATCH expression.

The language (also in `llmreads search --help`): words are ANDed; "an exact
phrase"; OR between two terms; -word or NOT word leaves papers out; title:word
looks in titles only; a qualifier (QUALIFIERS: tag:T) narrows the papers
by something other than their text, and -tag:T leaves them out; anything
else is literal text. No input raises: text that holds nothing searchable
compiles to an empty query. What a qualifier's value means is the store's
business (store.filters.qualifier_filter), not this module's.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from llmreads.text import is_cjk, segment, tokens

# Words before a colon that narrow the papers rather than name words to find.
QUALIFIERS = ("tag",)

_TOKEN = re.compile(
    r'(?P<neg>-)?(?:(?P<col>title):|(?P<qual>' + "|".join(QUALIFIERS) + r'):(?=[^\s]))?'
    r'(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))'
)


def _cjk_token(token: str) -> bool:
    return len(token) == 1 and is_cjk(token)


class Term(NamedTuple):
    tokens: tuple[str, ...]
    phrase: bool  # typed in quotes: no prefix matching
    column: str | None
    negated: bool

    def fts(self) -> str:
        body = " ".join(self.tokens)
        prefix = not self.phrase and not _cjk_token(self.tokens[-1])
        expr = f'"{body}"' + ("*" if prefix else "")
        return f"{self.column} : {expr}" if self.column else expr

    def pattern(self) -> str:
        """A regex that finds this term in display text, for snippets and highlighting."""
        parts = [re.escape(t) for t in self.tokens]
        joined = ""
        for i, part in enumerate(parts):
            if i:
                both_cjk = _cjk_token(self.tokens[i - 1]) and _cjk_token(self.tokens[i])
                joined += r"\s*" if both_cjk else r"[\W_]*"
            joined += part
        if not self.phrase and not _cjk_token(self.tokens[-1]):
            joined += r"\w*"
        return joined


class Qualifier(NamedTuple):
    """`name:value` in a query (one of QUALIFIERS), or `-name:value` to leave such papers out."""

    name: str
    value: str
    negated: bool


class Query(NamedTuple):
    groups: tuple[tuple[Term, ...], ...]  # ANDed groups of ORed terms
    excluded: tuple[Term, ...]
    text: str
    qualifiers: tuple[Qualifier, ...] = ()  # ANDed with the words

    @property
    def empty(self) -> bool:
        """No words to find (there may still be qualifiers)."""
        return not self.groups

    def fts(self) -> str:
        """The MATCH expression; only meaningful when not empty."""
        return self._excluding(self.positive())

    def fts_in_titles(self) -> str:
        """The MATCH expression of the hits whose title holds the words looked for."""
        return self._excluding(self.in_titles())

    def _excluding(self, expr: str) -> str:
        for term in self.excluded:
            expr = f"({expr}) NOT {term.fts()}"
        return expr

    def positive(self) -> str:
        """The MATCH expression of the words looked for, without the exclusions."""
        parts = []
        for group in self.groups:
            inner = " OR ".join(term.fts() for term in group)
            parts.append(f"({inner})" if len(group) > 1 else inner)
        return " AND ".join(parts)

    def in_titles(self) -> str:
        """A MATCH expression true where the words looked for are in the title."""
        return "title : (" + self.positive() + ")"

    def terms(self) -> list[Term]:
        return [term for group in self.groups for term in group]

    def patterns(self) -> list[str]:
        return [term.pattern() for term in self.terms()]

    def words(self) -> list[str]:
        """Each positive term as one string, for spelling suggestions."""
        return [" ".join(term.tokens) for term in self.terms()]


def compile_query(text: str) -> Query:
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    qualifiers: list[Qualifier] = []
    pending_or = False
    pending_not = False
    for match in _TOKEN.finditer(text):
        word = match.group("word")
        if match.group("qual") is not None:
            value = (match.group("phrase") if match.group("phrase") is not None else word or "").strip()
            if value:
                qualifiers.append(Qualifier(match.group("qual"), value, bool(match.group("neg")) or pending_not))
            pending_or = pending_not = False
            continue
        if word is not None and match.group("neg") is None and match.group("col") is None:
            if word == "OR":
                pending_or = bool(groups)
                continue
            if word == "AND":
                continue
            if word == "NOT":
                pending_not = True
                continue
        raw = match.group("phrase") if match.group("phrase") is not None else (word or "")
        found = tuple(tokens(raw))
        if not found:
            continue
        term = Term(
            tokens=found,
            phrase=match.group("phrase") is not None,
            column=match.group("col"),
            negated=bool(match.group("neg")) or pending_not,
        )
        if term.negated:
            excluded.append(term)
            pending_not = pending_or = False
            continue
        if pending_or and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = pending_not = False
    return Query(
        groups=tuple(tuple(g) for g in groups), excluded=tuple(excluded), text=text, qualifiers=tuple(qualifiers)
    )


def raw_query(text: str) -> str:
    """FTS5 syntax passed through, with ideographs spaced apart as the index has them.

    Case is kept so that the operators AND, OR, NOT and NEAR keep working.
    """
    spaced = segment(text, casefold=False)
    return re.sub(r"\s+", " ", spaced).strip()
