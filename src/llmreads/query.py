"""Query layer: turn what a user types into a safe FTS5 MATCH expression.

The language (also in `llmreads search --help`): words are ANDed; "an exact
phrase"; OR between two terms; -word or NOT word leaves papers out; title:word
looks in titles only; a qualifier (QUALIFIERS: tag:T, author:NAME,
year:2023 or year:2022..2023) narrows the papers
by something other than their text, and -tag:T leaves them out; anything
else is literal text. No input raises: text that holds nothing searchable
compiles to an empty query. What a qualifier's value means is the store's
business (store.filters.qualifier_filter), not this module's.

Words that are a form of a glossary term (llmreads.glossary) also find its
other forms: `思维链` is `(思维链 OR "chain of thought" OR cot ...)`, also
when glued to other text (`思维链技术` is that AND 技术) or typed as several
words (`chain of thought`). A quoted phrase expands only when it is a form
as a whole. The query as typed is kept beside, for ranking literal hits first.
"""

# No `from __future__ import annotations`: typing.NamedTuple would compile each field's
# annotation from its string (~25 µs a field, on every search).

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from llmreads.errors import InvalidQuery
from llmreads.text import is_cjk, segment, tokens

if TYPE_CHECKING:
    from llmreads.glossary import Form, Glossary

# Words before a colon that narrow the papers rather than name words to find.
QUALIFIERS = ("tag", "author", "year")

_TOKEN = re.compile(
    r'(?P<neg>-)?(?:(?P<col>title):|(?P<qual>' + "|".join(QUALIFIERS) + r'):(?=[^\s]))?'
    r'(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))'
)

_YEARS = re.compile(r"(?P<low>\d{4})(?:\.\.(?P<high>\d{4}))?")



def parse_years(spec: str, where: str) -> tuple[int, int]:
    """`2023` or `2022..2023` as (low, high); InvalidQuery naming `where` otherwise."""
    match = _YEARS.fullmatch(spec.strip())
    if match is None:
        raise InvalidQuery(f"{where} takes a year (2023) or a range of years (2022..2023), not {spec!r}")
    low, high = int(match.group("low")), int(match.group("high") or match.group("low"))
    if low > high:
        raise InvalidQuery(f"{where}: {spec!r} starts after it ends")
    return low, high


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
        """A regex that finds this term in display text (folded: text.fold_scripts), for snippets and highlights.

        A Latin word starts where a letter or digit does not precede it, as FTS5 sees words.
        """
        parts = [re.escape(t) for t in self.tokens]
        joined = "" if _cjk_token(self.tokens[0]) else "(?<![0-9A-Za-z])"
        for i, part in enumerate(parts):
            if i:
                both_cjk = _cjk_token(self.tokens[i - 1]) and _cjk_token(self.tokens[i])
                joined += r"\s*" if both_cjk else r"[\W_]*"
            joined += part
        if not _cjk_token(self.tokens[-1]):
            joined += r"(?![0-9A-Za-z])" if self.phrase else r"\w*"
        return joined

    def label(self) -> str:
        """The term as one string: ideographs side by side, words apart."""
        return _label(self.tokens)


def _label(found: Sequence[str]) -> str:
    out = ""
    for i, token in enumerate(found):
        if i and not (_cjk_token(found[i - 1]) and _cjk_token(token)):
            out += " "
        out += token
    return out


class Alternative(NamedTuple):
    """One way of writing what a group looks for: its terms, ANDed."""

    terms: tuple[Term, ...]
    label: str  # as typed (folded), or as the glossary writes the form
    literal: bool  # as typed

    def fts(self) -> str:
        inner = " AND ".join(term.fts() for term in self.terms)
        return f"({inner})" if len(self.terms) > 1 else inner

    def patterns(self) -> list[str]:
        return [term.pattern() for term in self.terms]


class Qualifier(NamedTuple):
    """`name:value` in a query (one of QUALIFIERS), or `-name:value` to leave such papers out."""

    name: str
    value: str
    negated: bool


class Query(NamedTuple):
    groups: tuple[tuple[Term, ...], ...]  # as typed: ANDed groups of ORed terms
    excluded: tuple[Term, ...]
    text: str
    qualifiers: tuple[Qualifier, ...] = ()  # ANDed with the words
    # With the glossary's forms: ANDed groups of ORed alternatives; empty when no word was in the glossary.
    expanded: tuple[tuple[Alternative, ...], ...] = ()

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

    def fts_literal(self) -> str:
        """The MATCH expression of the query as typed, without the glossary's forms."""
        return self._excluding(self.literal())

    def fts_literal_in_titles(self) -> str:
        return self._excluding("title : (" + self.literal() + ")")

    def fts_in_text(self) -> str:
        """The MATCH expression of the hits with the words in titles or introductions (not only in abstracts)."""
        return self._excluding("{title body} : (" + self.positive() + ")")

    def _excluding(self, expr: str) -> str:
        for term in self.excluded:
            expr = f"({expr}) NOT {term.fts()}"
        return expr

    def positive(self) -> str:
        """The MATCH expression of the words looked for (and their forms), without the exclusions."""
        if not self.expanded:
            return self.literal()
        parts = []
        for group in self.expanded:
            inner = " OR ".join(alternative.fts() for alternative in group)
            parts.append(f"({inner})" if len(group) > 1 else inner)
        return " AND ".join(parts)

    def literal(self) -> str:
        """The MATCH expression of the words looked for as typed, without the exclusions."""
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

    def alternatives(self) -> list[Alternative]:
        """Every way of writing each group: as typed first, then the glossary's forms."""
        if self.expanded:
            return [alternative for group in self.expanded for alternative in group]
        return [Alternative((term,), term.label(), True) for term in self.terms()]

    def patterns(self) -> list[str]:
        """Regexes of the words as typed, then of the glossary's forms: a snippet shows the first found."""
        found = [term.pattern() for term in self.terms()]
        for alternative in self.alternatives():
            found += [pattern for pattern in alternative.patterns() if pattern not in found]
        return found

    def words(self) -> list[str]:
        """Each positive term as one string, for spelling suggestions."""
        return [" ".join(term.tokens) for term in self.terms()]


def compile_query(text: str, expand: bool = True, glossary_terms: Iterable[Sequence[str]] = ()) -> Query:
    """The query `text` stands for; `expand` adds the glossary's forms (the built-in terms and `glossary_terms`)."""
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
    query = Query(
        groups=tuple(tuple(g) for g in groups), excluded=tuple(excluded), text=text, qualifiers=tuple(qualifiers)
    )
    if expand and groups:
        from llmreads.glossary import glossary

        return query._replace(expanded=_expand(query.groups, glossary(glossary_terms)))
    return query


def _expand(groups: tuple[tuple[Term, ...], ...], terms: "Glossary") -> tuple[tuple[Alternative, ...], ...]:
    """The groups with the glossary's forms as alternatives; () when no word is in the glossary."""
    out: list[tuple[Alternative, ...]] = []
    run: list[Term] = []  # consecutive single words (not phrases) of one column: matched as one run of tokens
    changed = False

    def flush() -> None:
        nonlocal changed
        if run:
            expanded = _expand_run(run, terms)
            changed = changed or expanded is not None
            out.extend(expanded or [(_as_typed(term),) for term in run])
            run.clear()

    for group in groups:
        if len(group) == 1 and not group[0].phrase and (not run or run[-1].column == group[0].column):
            run.append(group[0])
            continue
        flush()
        if len(group) == 1 and not group[0].phrase:
            run.append(group[0])
            continue
        # A phrase, or words ORed: each expands when it is a form as a whole.
        alternatives: list[Alternative] = []
        for term in group:
            alternatives.append(_as_typed(term))
            forms = terms.forms_of(term.tokens)
            if forms:
                alternatives += _other_forms(forms, term.tokens, term.column, term.phrase)
                changed = True
        out.append(tuple(alternatives))
    flush()
    return tuple(out) if changed else ()


def _as_typed(term: Term) -> Alternative:
    return Alternative((term,), term.label(), True)


def _other_forms(
    forms: "Sequence[Form]", typed: Sequence[str], column: str | None, quoted: bool = False
) -> list[Alternative]:
    """The alternatives of a term's forms other than the one typed (kept when quoted: then its plural too)."""
    from llmreads.glossary import same_form

    out = []
    for form in forms:
        if same_form(form.tokens, typed) and not quoted:
            continue
        if len(form.tokens) == 1 and len(form.tokens[0]) <= 3 and not _cjk_token(form.tokens[0]):
            # A short acronym, as a word (`sam` must not find `same`), and its plural.
            for word in (form.tokens[0], form.tokens[0] + "s"):
                out.append(Alternative((Term((word,), True, column, False),), form.text, False))
        else:
            out.append(Alternative((Term(form.tokens, False, column, False),), form.text, False))
    return out


def _expand_run(run: Sequence[Term], terms: "Glossary") -> list[tuple[Alternative, ...]] | None:
    """Groups for a run of ANDed words holding glossary forms, or None when it holds none."""
    found = [token for term in run for token in term.tokens]
    matches = terms.matches(found)
    if not matches:
        return None
    owner = [i for i, term in enumerate(run) for _ in term.tokens]  # token -> its word
    starts = [owner.index(i) for i in range(len(run))]  # word -> its first token
    column = run[0].column
    out: list[tuple[Alternative, ...]] = []

    def piece(start: int, end: int) -> list[Term]:
        """The words covering tokens[start:end]: whole ones as typed, parts of glued ones as new words."""
        terms_out = []
        i = start
        while i < end:
            word = owner[i]
            stop = min(end, starts[word] + len(run[word].tokens))
            if i == starts[word] and stop == starts[word] + len(run[word].tokens):
                terms_out.append(run[word])
            else:
                terms_out.append(Term(tuple(found[i:stop]), False, column, False))
            i = stop
        return terms_out

    at = 0
    for match in matches:
        out += [(_as_typed(term),) for term in piece(at, match.start)]
        typed = piece(match.start, match.end)
        group = [Alternative(tuple(typed), _label(found[match.start : match.end]), True)]
        group += _other_forms(match.forms, found[match.start : match.end], column)
        out.append(tuple(group))
        at = match.end
    out += [(_as_typed(term),) for term in piece(at, len(found))]
    return out


def raw_query(text: str) -> str:
    """FTS5 syntax passed through, with ideographs spaced apart as the index has them.

    Case is kept so that the operators AND, OR, NOT and NEAR keep working.
    """
    spaced = segment(text, casefold=False)
    return re.sub(r"\s+", " ", spaced).strip()
