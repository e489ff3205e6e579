"""Query layer, glossary part: the field's terms in English and Chinese, to search for every form of a term.

data/glossary.tsv holds one term a line, its forms separated by tabs
(`chain of thought	CoT	思维链`); `#` starts a comment. Users add terms in
the config file (`glossary = [["检索增强", "RAG"]]`). Forms are compared as
the index sees them (text.tokens: folded, Traditional as Simplified, one
token per ideograph, punctuation dropped), so `Chain-of-Thought` is the form
`chain of thought`, and an English word's plural `s` is not counted.
Standard library only: loaded by the query compiler on a search.
"""

# No `from __future__ import annotations`: typing.NamedTuple would compile each field's
# annotation from its string (~25 µs a field, on every search).

import functools
import itertools
import os
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from llmreads.errors import LlmreadsError
from llmreads.text import fold_for_matching, is_cjk, tokens

GLOSSARY_FILE = os.path.join(os.path.dirname(__file__), "data", "glossary.tsv")
_WORD_CHARACTERS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")  # what a word of a query may not follow


class Form(NamedTuple):
    text: str  # as the glossary writes it
    tokens: tuple[str, ...]  # as the index has it


class Match(NamedTuple):
    start: int
    end: int  # tokens[start:end] are a form of `forms`
    forms: tuple[Form, ...]  # every form of the term


def parse_glossary(text: str, source: str) -> list[tuple[str, ...]]:
    """The terms of a glossary file, each the tuple of its forms; an error names the line."""
    terms = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        forms = tuple(form.strip() for form in line.split("\t") if form.strip())
        problem = term_problem(forms)
        if problem:
            raise LlmreadsError(f"{source}, line {number}: {problem}")
        terms.append(forms)
    return terms


def term_problem(forms: Sequence[str]) -> str | None:
    """What makes these forms unfit to be one glossary term, or None."""
    if len(forms) < 2:
        return f"{forms[0]!r} has no other form (forms are separated by tabs)" if forms else "no forms"
    for form in forms:
        found = tokens(form)
        if not found:
            return f"{form!r} holds nothing searchable"
        if len(found) == 1 and len(found[0]) == 1 and is_cjk(found[0]):
            return f"{form!r} is one character, found inside too many words"
    return None


def same_form(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two runs of tokens are one form (an English plural s aside)."""
    return _key(a) == _key(b)


def _key(found: Sequence[str]) -> tuple[str, ...]:
    return tuple(_singular(token) for token in found)


def _singular(token: str) -> str:
    return token[:-1] if len(token) > 3 and token.endswith("s") and token.isascii() else token


class Glossary:
    """Terms by their forms, merged where two terms share a form written alike.

    Only the terms a query could hold are read into tokens: those whose line
    holds one of the query's words as a word, or two of its ideographs in a
    row. Tokenizing all 1,300 forms would cost a search some 20 ms; these few,
    a millisecond or two. The built-in terms (`lines`, as the file writes
    them) are not even split into forms until then: their lines are one text,
    casefolded, that a query's words are looked for in one pass.
    """

    def __init__(self, terms: Iterable[Sequence[str]] = (), folded: int = 0, *, lines: Sequence[str] = ()) -> None:
        """`lines`: terms as the built-in file writes them (forms separated by tabs), before `terms`, and written
        as search folds them but for case; `folded`: how many of the first `terms` are written so too."""
        self._builtin = list(lines)
        given = [tuple(term) for term in terms]
        self._given = dict(enumerate(given, len(self._builtin)))
        self._folded = len(self._builtin) + folded
        self._builtin_text = "\n".join(self._builtin).casefold()
        self._given_lines = [
            "\t".join(term).casefold() if i < folded else fold_for_matching("\t".join(term))
            for i, term in enumerate(given)
        ]
        self._read: dict[int, dict[tuple[str, ...], Form]] = {}  # term -> its forms by key

    @functools.cached_property
    def _lines(self) -> list[str]:
        """Every term's line, folded: the built-in ones, then the given ones."""
        return [*(self._builtin_text.split("\n") if self._builtin else ()), *self._given_lines]

    def _term(self, index: int) -> tuple[str, ...]:
        given = self._given.get(index)
        return given if given is not None else tuple(self._builtin[index].split("\t"))

    def __len__(self) -> int:
        return len(self._builtin) + len(self._given)

    def terms(self) -> list[tuple[Form, ...]]:
        """Every term, as merged (reads them all: for tests and listings, not for a search)."""
        return self._merged(range(len(self)))[1]

    def _forms(self, index: int) -> dict[tuple[str, ...], Form]:
        forms = self._read.get(index)
        if forms is None:
            forms = {}
            for text in self._term(index):
                found = tuple(tokens(text))
                if found:
                    forms.setdefault(_key(found), Form(text, found))
            self._read[index] = forms
        return forms

    def _merged(self, indexes: Iterable[int]) -> tuple[dict[tuple[str, ...], int], list[tuple[Form, ...]]]:
        groups: list[dict[tuple[str, ...], Form]] = []
        owner: dict[tuple[str, ...], int] = {}
        for index in indexes:
            forms = self._forms(index)
            joined = sorted({owner[key] for key in forms if key in owner})
            target = joined[0] if joined else len(groups)
            if not joined:
                groups.append({})
            for other in joined[1:]:
                for key, form in groups[other].items():
                    groups[target].setdefault(key, form)
                    owner[key] = target
                groups[other] = {}
            for key, form in forms.items():
                groups[target].setdefault(key, form)
                owner[key] = target
        return owner, [tuple(group.values()) for group in groups]

    def _candidates(self, found: Sequence[str]) -> list[int]:
        words = sorted({re.escape(_singular(token)) for token in found if not is_cjk(token[0])})
        pairs = sorted({a + b for a, b in itertools.pairwise(found) if is_cjk(a[0]) and is_cjk(b[0])})
        if not (words or pairs):
            return []
        chosen = self._builtin_holding(words, pairs)
        if self._given_lines:
            parts = ([rf"(?<![0-9a-z])(?:{'|'.join(words)})s?(?![0-9a-z])"] if words else []) + pairs
            pattern = re.compile("|".join(parts))
            chosen.update(i for i, line in enumerate(self._given_lines, len(self._builtin)) if pattern.search(line))
        # Terms that share a form, written alike, with a chosen one: merged with it. The
        # built-in terms share none (a test checks it), so only the user's can join them.
        new = chosen
        while new and self._folded < len(self):
            own = {i for i in new if i >= self._folded}
            new = self._lines_holding(self._texts(own), 0) | self._lines_holding(self._texts(new - own), self._folded)
            new -= chosen
            chosen |= new
        return sorted(chosen)

    def _builtin_holding(self, words: Sequence[str], pairs: Sequence[str]) -> set[int]:
        """The built-in lines holding one of `words` as a word (an English plural s aside), or one of `pairs`.

        One pass over the text of the lines: the words' pattern starts with
        their letters, which the regex engine looks for quickly, and the letter
        before a word is checked here (a lookbehind first made the engine try
        the pattern at every character, four times as long).
        """
        if not self._builtin:
            return set()
        text = self._builtin_text
        parts = ([rf"(?P<word>(?:{'|'.join(words)})s?(?![0-9a-z]))"] if words else []) + list(pairs)
        pattern = re.compile("|".join(parts))
        found: set[int] = set()
        position = 0
        while (hit := pattern.search(text, position)) is not None:
            start = hit.start()
            if hit.lastgroup == "word" and start and text[start - 1] in _WORD_CHARACTERS:
                position = start + 1  # inside a word: look on from the next character
                continue
            found.add(text.count("\n", 0, start))
            position = text.find("\n", start) + 1 or len(text)  # one hit a line is enough
        return found

    def _texts(self, indexes: Iterable[int]) -> set[str]:
        return {fold_for_matching(form.text) for index in indexes for form in self._forms(index).values()}

    def _lines_holding(self, texts: Iterable[str], first: int) -> set[int]:
        lines = self._lines
        return {i for text in texts for i in range(first, len(lines)) if text in lines[i]}

    def forms_of(self, found: Sequence[str]) -> tuple[Form, ...] | None:
        """Every form of the term that `found` (tokens) is a form of, or None."""
        owner, groups = self._merged(self._candidates(found))
        index = owner.get(_key(found))
        return None if index is None else groups[index]

    def matches(self, found: Sequence[str]) -> list[Match]:
        """The glossary's forms in a run of tokens, longest first from the left, not overlapping."""
        owner, groups = self._merged(self._candidates(found))
        if not owner:
            return []
        longest = max(len(key) for key in owner)
        out = []
        start = 0
        keys = _key(found)
        while start < len(keys):
            for end in range(min(len(keys), start + longest), start, -1):
                index = owner.get(keys[start:end])
                if index is not None:
                    out.append(Match(start, end, groups[index]))
                    start = end
                    break
            else:
                start += 1
        return out


@functools.cache
def builtin_lines() -> tuple[str, ...]:
    """The built-in glossary's lines, one a term (forms separated by tabs), unchecked (the tests check them)."""
    with open(GLOSSARY_FILE, encoding="utf-8") as handle:
        return tuple(line for line in handle.read().split("\n") if line and line[0] != "#")


def builtin_terms() -> tuple[tuple[str, ...], ...]:
    """The built-in glossary's terms, unchecked (the tests check every one with `parse_glossary`)."""
    return tuple(tuple(line.split("\t")) for line in builtin_lines())


@functools.cache
def _glossary(extra: tuple[tuple[str, ...], ...]) -> Glossary:
    return Glossary(extra, lines=builtin_lines())


def glossary(extra: Iterable[Sequence[str]] = ()) -> Glossary:
    """The built-in glossary with the user's terms (from the config file) added."""
    return _glossary(tuple(tuple(term) for term in extra))
