"""The query language: what a user types becomes a safe FTS5 expression, never an error.

These are the words as typed (`search --exact`); the glossary's forms added to
them are tested in test_search_glossary.py, and on every query below too.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import QUERY_BITS, examples
from llmreads.migrations import FTS_TOKENIZER
from llmreads.query import Query, raw_query
from llmreads.query import compile_query as compile_expanded
from llmreads.text import segment


def compile_query(text: str) -> Query:
    return compile_expanded(text, expand=False)


def fts(text: str) -> str:
    query = compile_query(text)
    assert not query.empty, text
    return query.fts()


def test_single_word_is_a_prefix_term():
    assert fts("lora") == '"lora"*'
    assert fts("LoRA") == fts("lora")
    assert fts("ＬｏＲＡ") == fts("lora")


def test_quoted_phrase_is_exact():
    assert fts('"in-context learning"') == '"in context learning"'


def test_hyphenated_word_is_a_phrase_with_prefix():
    assert fts("low-rank") == '"low rank"*'
    assert fts("low rank") == '"low"* AND "rank"*'


def test_or_groups_terms():
    assert fts("lora OR prefix") == '("lora"* OR "prefix"*)'
    assert fts("a OR b OR c") == '("a"* OR "b"* OR "c"*)'
    assert fts("a OR b c") == '("a"* OR "b"*) AND "c"*'
    assert fts("lora AND prefix") == '"lora"* AND "prefix"*'


def test_dangling_or_is_ignored():
    assert fts("OR lora") == '"lora"*'
    assert fts("lora OR") == '"lora"*'


def test_minus_and_not_exclude():
    assert fts("rlhf -ppo") == '("rlhf"*) NOT "ppo"*'
    assert fts("rlhf NOT ppo") == fts("rlhf -ppo")
    assert fts("-title:survey lora") == '("lora"*) NOT title : "survey"*'


def test_title_column():
    assert fts("title:survey") == 'title : "survey"*'
    assert fts('title:"in context"') == 'title : "in context"'


def test_chinese_words_are_phrases_of_characters_without_prefix():
    assert fts("微调") == '"微 调"'
    assert fts("Transformer架构") == '"transformer 架 构"'


def test_operator_lookalikes_are_literal_text():
    assert fts("NEAR(") == '"near"*'
    assert fts("title:") == '"title"*'
    assert fts('"unbalanced') == '"unbalanced"'
    assert fts("a*b") == '"a b"*'


@pytest.mark.parametrize(
    "text", ["", " ", "*", ":", "-", "--", "NOT", "OR", "AND", "-ppo", "NOT ppo", "🌟", '""', '" "', "()", "^", "✡✡✡"]
)
def test_nothing_searchable_is_empty(text):
    query = compile_query(text)
    assert query.empty
    assert query.patterns() == []


def test_patterns_find_terms_in_display_text():
    query = compile_query('lora "in-context learning" 微调')
    texts = ["LoRA既优雅", "In-Context Learning到底", "参数高效微调方法"]
    for pattern, text in zip(query.patterns(), texts, strict=True):
        assert re.search(pattern, text, re.IGNORECASE), (pattern, text)


def test_operator_words_with_a_minus_or_a_column_are_words():
    # Only a bare OR, AND or NOT is an operator: -OR leaves out the word "or", title:OR looks for it.
    query = compile_query("lora -OR")
    assert [term.tokens for term in query.excluded] == [("or",)]
    assert query.words() == ["lora"]
    assert fts("title:OR") == 'title : "or"*'
    assert fts("lora title:AND") == '"lora"* AND title : "and"*'


def test_text_with_nothing_searchable_does_not_end_the_query():
    assert compile_query("--- lora").words() == ["lora"]
    assert compile_query('"" lora 🌟 微调').words() == ["lora", "微 调"]


def test_a_pattern_joins_latin_and_chinese_across_punctuation_and_chinese_across_spaces():
    (pattern,) = compile_query("lora微调").patterns()
    assert re.search(pattern, "lora-微调", re.IGNORECASE)
    assert re.search(pattern, "LoRA_微 调", re.IGNORECASE)
    assert not re.search(pattern, "lora 微-调", re.IGNORECASE)  # between ideographs only spaces


def test_a_pattern_ends_as_the_fts_term_ends():
    def found(query: str, text: str) -> str | None:
        (pattern,) = compile_query(query).patterns()
        match = re.search(pattern, text, re.IGNORECASE)
        return match.group() if match else None

    assert found("lora", "QLoRAs and LoRAs") == "LoRAs"  # a word: a prefix, at a word start
    assert found('"lora"', "LoRAs and LoRA,") == "LoRA"  # a phrase: the whole word only
    assert found("微调", "微调模型") == "微调"  # ideographs: exactly them, nothing after


def test_raw_query_keeps_operators_and_spaces_ideographs():
    assert raw_query("lora AND 微调") == "lora AND 微 调"
    assert raw_query("  LoRA  NEAR(a b) ") == "LoRA NEAR(a b)"
    assert raw_query("") == ""


# ---------------------------------------------------------------- against a real FTS5 index

DOCS = {
    1: ("LoRA: Low-Rank Adaptation", "参数高效微调方法"),
    2: ("Prefix-Tuning", "prefix调整 and in-context learning"),
    3: ("A Survey of Transformers", "RLHF 与 PPO"),
    4: ("Low and rank", "RLHF 原始论文"),
}


@pytest.fixture(scope="module")
def index():
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE f USING fts5(title, body, tokenize='{FTS_TOKENIZER}')")
    db.executemany(
        "INSERT INTO f (rowid, title, body) VALUES (?, ?, ?)",
        [(rowid, segment(title), segment(body)) for rowid, (title, body) in DOCS.items()],
    )
    yield db
    db.close()


def matches(index, text):  # type: ignore[no-untyped-def]
    return {row[0] for row in index.execute("SELECT rowid FROM f WHERE f MATCH ?", (fts(text),))}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lora", {1}),
        ("low-rank", {1}),
        ("low rank", {1, 4}),
        ("微调", {1}),
        ("微", {1}),
        ("调整", {2}),
        ('"in-context learning"', {2}),
        ('"in-context learn"', set()),
        ("in-context learn", {2}),
        ("lora OR prefix", {1, 2}),
        ("rlhf", {3, 4}),
        ("rlhf -ppo", {4}),
        ("rlhf NOT ppo", {4}),
        ("title:survey", {3}),
        ("title:rlhf", set()),
        ("transform", {3}),
        ("NEAR(", set()),
    ],
)
def test_compiled_queries_match_the_right_rows(index, text, expected):
    assert matches(index, text) == expected




@settings(max_examples=examples(300), deadline=None)
@given(
    st.one_of(
        st.text(), st.lists(QUERY_BITS, max_size=12).map(" ".join), st.lists(QUERY_BITS, max_size=12).map("".join)
    )
)
def test_compile_query_never_raises_and_fts_accepts_it(index, text):
    for query in (compile_query(text), compile_expanded(text)):
        if query.empty:
            return
        for expression in (query.fts(), query.fts_in_titles(), query.fts_literal(), query.fts_literal_in_titles()):
            assert expression.count('"') % 2 == 0
            index.execute("SELECT count(*) FROM f WHERE f MATCH ?", (expression,)).fetchone()
        for pattern in query.patterns():
            re.compile(pattern)


def test_qualifiers_are_taken_out_of_the_words():
    from llmreads.query import Qualifier

    query = compile_query('lora tag:PEFT -tag:old NOT tag:"x" title:rank')
    assert query.qualifiers == (
        Qualifier("tag", "PEFT", False), Qualifier("tag", "old", True), Qualifier("tag", "x", True)
    )
    assert [(t.tokens, t.column) for t in query.terms()] == [(("lora",), None), (("rank",), "title")]
    alone = compile_query("tag:peft")
    assert alone.empty and alone.qualifiers == (Qualifier("tag", "peft", False),)
    # Not a qualifier: a colon with nothing after it, or a word that names none.
    assert compile_query("tag: lora").qualifiers == () and compile_query("tag: lora").words() == ["tag", "lora"]
    assert compile_query("foo:bar").qualifiers == () and compile_query("foo:bar").words() == ["foo bar"]


def test_a_label_keeps_ideographs_together_and_sets_words_apart():
    # The label is what `matched` shows: 微调 stays one word, and a Latin word
    # glued to ideographs is set apart on whichever side it is.
    for typed, label in [("微调lora", "微调 lora"), ("lora微调", "lora 微调"), ("大模型lora微调", "大模型 lora 微调")]:
        labels = [alternative.label for alternative in compile_query(typed).alternatives()]
        assert labels == [label], typed


def _written(text: str) -> list[tuple[str, bool, list[tuple[tuple[str, ...], bool, str | None]]]]:
    query = compile_expanded(text, expand=True)
    return [(a.label, a.literal, [(t.tokens, t.phrase, t.column) for t in a.terms]) for g in query.expanded for a in g]


def test_each_form_of_a_glossary_term_is_written_as_the_index_holds_it():
    # A short acronym (three letters or fewer) is a whole word and its plural
    # (`cot` must not find `cottage`); other forms are prefixes, as typed words
    # are; ideographs are one token each; the column of `title:` goes along.
    assert _written("chain of thought") == [
        ("chain of thought", True, [(("chain",), False, None), (("of",), False, None), (("thought",), False, None)]),
        ("CoT", False, [(("cot",), True, None)]),
        ("CoT", False, [(("cots",), True, None)]),
        ("思维链", False, [(("思", "维", "链"), False, None)]),
        ("思维链条", False, [(("思", "维", "链", "条"), False, None)]),
    ]
    assert _written("title:cot") == [
        ("cot", True, [(("cot",), False, "title")]),
        ("chain of thought", False, [(("chain", "of", "thought"), False, "title")]),
        ("思维链", False, [(("思", "维", "链"), False, "title")]),
        ("思维链条", False, [(("思", "维", "链", "条"), False, "title")]),
    ]
    assert _written("lora")[:2] == [
        ("lora", True, [(("lora",), False, None)]),  # four letters: a prefix like any typed word
        ("low-rank adaptation", False, [(("low", "rank", "adaptation"), False, None)]),
    ]
    assert _written("low-rank adaptation")[1] == ("LoRA", False, [(("lora",), False, None)])  # no plural either
    # A quoted form is exact; the glossary adds the same form unquoted (a prefix at its end).
    assert _written('"in-context learning"')[:4] == [
        ("in context learning", True, [(("in", "context", "learning"), True, None)]),
        ("in-context learning", False, [(("in", "context", "learning"), False, None)]),
        ("ICL", False, [(("icl",), True, None)]),
        ("ICL", False, [(("icls",), True, None)]),
    ]


def test_a_query_without_glossary_words_expands_to_nothing_and_stays_literal():
    query = compile_expanded("zebra crossing", expand=True)
    assert query.expanded == ()
    assert [(a.label, a.literal) for a in query.alternatives()] == [("zebra", True), ("crossing", True)]


def test_a_term_after_a_word_of_another_column_still_expands_as_a_run():
    forms = [label for label, _, _ in _written("title:zebra chain of thought")]
    assert forms[:2] == ["zebra", "chain of thought"]
    assert "CoT" in forms and "思维链" in forms


def test_a_glued_word_is_split_where_a_glossary_form_ends():
    # `思维链技术` is the form 思维链 glued to 技术: the form's group, then the rest as a word of its own.
    written = _written("思维链技术")
    assert written[0] == ("思维链", True, [(("思", "维", "链"), False, None)])
    assert written[-1] == ("技术", True, [(("技", "术"), False, None)])
    assert compile_expanded("思维链技术").positive().endswith(') AND "技 术"')
    # A Latin rest is a prefix, as a typed word is.
    assert _written("思维链zebra")[-1] == ("zebra", True, [(("zebra",), False, None)])
    assert compile_expanded("思维链zebra").positive().endswith(') AND "zebra"*')


def test_words_before_a_glossary_form_are_kept():
    assert compile_expanded("zebra chain of thought").positive() == (
        '"zebra"* AND (("chain"* AND "of"* AND "thought"*) OR "cot" OR "cots" OR "思 维 链" OR "思 维 链 条")'
    )


def test_a_group_of_alternatives_is_parenthesized_so_the_next_word_applies_to_all():
    # FTS5 binds AND tighter than OR: without the parentheses `giraffe` would go
    # with the last alternative only. An alternative of one term has none.
    walkway = [("zebra crossing", "pedestrian walkway")]
    query = compile_expanded("zebra crossing giraffe", glossary_terms=walkway)
    assert query.positive() == '(("zebra"* AND "crossing"*) OR "pedestrian walkway"*) AND "giraffe"*'
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE f USING fts5(title, tokenize='{FTS_TOKENIZER}')")
    db.executemany("INSERT INTO f (rowid, title) VALUES (?, ?)",
                   [(1, "a pedestrian walkway"), (2, "a giraffe on a pedestrian walkway"), (3, "zebra crossing")])
    assert [row[0] for row in db.execute("SELECT rowid FROM f WHERE f MATCH ?", (query.fts(),))] == [2]
    db.close()
