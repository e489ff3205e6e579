"""The glossary of search: the built-in terms, and the terms users add in the config file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llmreads.errors import LlmreadsError
from llmreads.glossary import GLOSSARY_FILE, Glossary, glossary, parse_glossary, term_problem
from llmreads.store.search import search
from llmreads.text import is_cjk, tokens
from seed_scan import naming

SEVEN = [
    ("思维链", "chain of thought"),
    ("上下文学习", "in-context learning"),
    ("多模态", "multimodal"),
    ("扩散模型", "diffusion model"),
    ("强化学习", "reinforcement learning"),
    ("指令微调", "instruction tuning"),
    ("奖励模型", "reward model"),
]


def builtin() -> list[tuple[str, ...]]:
    return parse_glossary(Path(GLOSSARY_FILE).read_text(encoding="utf-8"), "the built-in glossary")


def _chinese(form: str) -> bool:
    return any(is_cjk(char) for char in form)


def test_every_entry_parses_and_pairs_english_with_chinese():
    from llmreads.glossary import builtin_terms

    terms = builtin()
    assert len(terms) >= 300
    assert list(builtin_terms()) == terms  # what a search reads, without the checks, is the same
    for forms in terms:
        assert any(_chinese(form) for form in forms), forms
        assert any(not _chinese(form) for form in forms), forms


def test_the_file_is_written_as_search_folds_it_but_for_case():
    # Read as it is on every search: no NFKC or Traditional fold of 400 lines (see Glossary).
    from llmreads.text import fold_for_search, fold_scripts

    for forms in builtin():
        line = "\t".join(forms)
        assert fold_scripts(fold_for_search(line)) == line.casefold(), line


def test_no_form_is_in_two_terms():
    terms = builtin()
    owner: dict[tuple[str, ...], int] = {}
    for number, forms in enumerate(terms):
        for form in forms:
            assert owner.setdefault(tuple(tokens(form)), number) == number, (form, terms[owner[tuple(tokens(form))]])
    assert len(Glossary(terms).terms()) == len(terms)  # nor alike but for a plural s: they would merge


def test_chinese_variants_are_in_one_term():
    forms = {form.text for form in glossary().forms_of(tokens("微调")) or ()}
    assert {"微调", "精调", "fine-tuning", "finetuning"} <= forms


@pytest.mark.parametrize("pair", SEVEN)
def test_the_seven_concepts_are_terms(pair):
    chinese, english = pair
    forms = glossary().forms_of(tokens(chinese))
    assert forms is not None and english in {form.text for form in forms}
    assert glossary().forms_of(tokens(english)) == forms


def test_no_form_by_itself_hits_more_than_a_fifth_of_the_list(conn):
    # Counted in the papers' own text (titles and introductions, read by seed_scan): search also
    # finds a paper by its section's title, so `多模态` alone finds the whole 多模态 section.
    papers = conn.execute("SELECT count(*) FROM papers WHERE listed = 1").fetchone()[0]
    assert papers == 118
    counts = {form: len(naming(form, words=True)) for forms in builtin() for form in forms}
    too_many = {form: count for form, count in counts.items() if count > papers / 5}
    assert too_many == {}
    assert max(counts.values()) > 10  # the check counts hits: some forms are common enough to come close
    # What search itself finds for a form with --exact is at least what the scan finds in titles and intros.
    for form in ("GPT", "large language model", "预训练", "多模态", "思维链"):
        assert {p.title for p in search(conn, "alice", form, exact=True, limit=None).papers} >= naming(form, words=True)


# ---------------------------------------------------------------- the file's rules


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("微调", "line 2: '微调' has no other form (forms are separated by tabs)"),
        ("fine-tuning 微调", "line 2: 'fine-tuning 微调' has no other form"),
        ("调\ttuning", "line 2: '调' is one character, found inside too many words"),
        ("微调\t---", "line 2: '---' holds nothing searchable"),
    ],
)
def test_a_bad_line_is_an_error_naming_it(line, message):
    with pytest.raises(LlmreadsError) as caught:
        parse_glossary(f"# comment\n{line}\n", "my.tsv")
    assert str(caught.value).startswith(f"my.tsv, {message}")


def test_forms_compare_as_the_index_sees_them():
    g = Glossary([("chain of thought", "思维链"), ("微調", "fine-tuning")])
    cot = g.forms_of(tokens("Chain-of-Thought"))
    assert cot is not None and {f.text for f in cot} == {"chain of thought", "思维链"}
    assert g.forms_of(tokens("chains of thoughts")) == cot  # an English plural s does not count
    assert g.forms_of(tokens("微调")) == g.forms_of(tokens("FINE TUNING")) is not None  # Traditional, case
    assert g.forms_of(tokens("chain")) is None
    assert term_problem(["a", "b"]) is None


def test_terms_sharing_a_form_are_merged():
    g = Glossary([("retrieval-augmented generation", "RAG"), ("RAG", "检索增强")])
    forms = g.forms_of(tokens("检索增强"))
    assert forms is not None and {f.text for f in forms} == {"retrieval-augmented generation", "RAG", "检索增强"}


def test_matches_find_forms_glued_to_other_text():
    g = glossary()
    found = tokens("思维链技术")
    [match] = g.matches(found)
    assert (match.start, match.end) == (0, 3) and "chain of thought" in {f.text for f in match.forms}
    matches = g.matches(tokens("多模态大模型的涌现能力"))
    assert [(m.start, m.end) for m in matches] == [(0, 6), (7, 11)]  # the longest form first: 多模态大模型


def test_the_built_in_lines_are_the_built_in_terms_and_match_alike():
    from llmreads.glossary import builtin_lines, builtin_terms

    terms = builtin_terms()
    as_lines = Glossary([("检索增强", "RAG"), ("蒸馏", "distillation")], lines=builtin_lines())
    as_terms = Glossary([*terms, ("检索增强", "RAG"), ("蒸馏", "distillation")], folded=len(terms))
    assert len(as_lines) == len(as_terms) == len(terms) + 2
    for text in ("lora", "LoRA 微调", "思维链技术", "多模态大模型的涌现能力", "rag", "检索增强", "distillations",
                 "chain-of-thought prompting", "transformers", "扩散模型", "微調", "zebrafish", "bert 预训练"):
        found = tokens(text)
        assert as_lines.matches(found) == as_terms.matches(found), text
        assert as_lines.forms_of(found) == as_terms.forms_of(found), text
    # Every form of every term, and the start of each word (found inside other words), picks the same lines.
    queries = {tuple(tokens(form)) for term in terms[::3] for form in term}
    queries |= {(token[:3],) for query in list(queries) for token in query if len(token) > 4}
    for found in sorted(queries):
        assert as_lines._candidates(found) == as_terms._candidates(found), found
    # A query reads the forms of the few terms it could hold, not every line.
    fresh = Glossary(lines=builtin_lines())
    assert fresh.matches(tokens("lora")) and 0 < len(fresh._read) < 10


# ---------------------------------------------------------------- the config file


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    os.environ["LLMREADS_CONFIG"] = str(path)  # the autouse fixture restores it
    return path


def test_config_glossary_terms(tmp_path):
    from llmreads.config import config_glossary, read_config

    path = write_config(tmp_path, 'user = "ada"\nglossary = [["检索增强", "RAG"], [" 蒸馏 ", "distillation", ""]]\n')
    assert config_glossary(path) == [("检索增强", "RAG"), ("蒸馏", "distillation")]
    assert read_config(path) == {"user": "ada"}
    assert config_glossary(tmp_path / "absent.toml") == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"RAG"', "glossary must be a list of terms"),
        ('[["检索增强", 3]]', "glossary term 1: glossary must be a list of terms"),
        ('[["检索增强", "RAG"], ["RAG"]]', "glossary term 2: 'RAG' has no other form"),
        ('[["检索增强", "RAG"], ["检", "RAG"]]', "glossary term 2: '检' is one character"),
    ],
)
def test_a_bad_config_glossary_is_an_error_naming_the_term(cli, one_error, tmp_path, value, message):
    path = write_config(tmp_path, f"glossary = {value}\n")
    for args in (("search", "rag"), ("list",)):
        error = one_error(cli(*args))
        assert error.startswith(f"Error: config file {path}: "), error
        assert message in error
