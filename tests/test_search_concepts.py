"""Search across languages on the real seed: a concept typed in either form finds the papers naming it in either.

The sets below are the papers whose title or introduction names the concept
in either form, worked out by `seed_scan` (a plain reading of the document
that uses nothing of llmreads) and checked against the text by eye.
"""

from __future__ import annotations

import pytest

from helpers import json_out, ok
from llmreads.store.search import search
from seed_scan import naming, papers

CHAIN_OF_THOUGHT = "Chain-of-Thought Prompting Elicits Reasoning in Large Language Models"
MULTIMODAL_COT = "Multimodal Chain-of-Thought Reasoning in Language Models"
FLAN_T5 = "Scaling Instruction-Finetuned Language Models"
INSTRUCT_GPT = "Training language models to follow instructions with human feedback"
RLHF_ORIGINAL = "Fine-Tuning Language Models from Human Preferences"
SUMMARIZE = "Learning to Summarize from Human Feedback"
SELF_INSTRUCT = "SELF-INSTRUCT: Aligning Language Models with Self-Generated Instructions"
DETR = "End-to-End Object Detection with Transformers"

CONCEPTS: dict[tuple[str, str], set[str]] = {
    ("思维链", "chain of thought"): {
        "Automatic Chain of thought Prompting in Large Language Models",
        CHAIN_OF_THOUGHT,
        "Large Language Models are Zero-Shot Reasoners",
        MULTIMODAL_COT,
        FLAN_T5,
    },
    ("上下文学习", "in-context learning"): {
        "A Survey on In-context Learning",
        "Meta-learning via Language Model In-context Tuning",
        "Rethinking the Role of Demonstrations: What Makes In-Context Learning Work?",
        "WHAT LEARNING ALGORITHM IS IN-CONTEXT LEARNING? INVESTIGATIONS WITH LINEAR MODELS",
    },
    ("多模态", "multimodal"): {
        DETR,
        "GPT-4 Technical Report",
        "Image as a Foreign Language: BEIT Pretraining for All Vision and Vision-Language Tasks",
        "Language Is Not All You Need: Aligning Perception with Language Models",
        "MME: A Comprehensive Evaluation Benchmark for Multimodal Large Language Models",
        MULTIMODAL_COT,
        "PaLM-E: An Embodied Multimodal Language Model",
        "PaLM: Scaling Language Modeling with Pathways",
    },
    ("扩散模型", "diffusion model"): {
        "Auto-Encoding Variational Bayes",
        "Denoising Diffusion Probabilistic Models",
        DETR,
        "Hierarchical Text-Conditional Image Generation with CLIP Latents",
        "High-Resolution Image Synthesis with Latent Diffusion Models",
        "Learning Transferable Visual Models From Natural Language Supervision",
    },
    ("强化学习", "reinforcement learning"): {
        "Asynchronous Methods for Deep Reinforcement Learning",
        "Augmenting Reinforcement Learning with Human Feedback",
        "ChatGLM-6B",
        "Deep Reinforcement Learning from Human Preferences",
        RLHF_ORIGINAL,
        "Illustrating Reinforcement Learning from Human Feedback",
        SUMMARIZE,
        "Proximal Policy Optimization Algorithms",
        SELF_INSTRUCT,
        INSTRUCT_GPT,
    },
    ("指令微调", "instruction tuning"): {
        "InstructBLIP: Towards General-purpose Vision-Language Models with Instruction Tuning",
        "Large Language Models Encode Clinical Knowledge",
        SELF_INSTRUCT,
        FLAN_T5,
        "The Flan Collection: Designing Data and Methods for Effective Instruction Tuning",
    },
    ("奖励模型", "reward model"): {
        RLHF_ORIGINAL,
        "Improving alignment of dialogue agents via targeted human judgements",
        SUMMARIZE,
        INSTRUCT_GPT,
    },
}

FORMS = [form for pair in CONCEPTS for form in pair]


def concept_of(form: str) -> set[str]:
    return next(titles for pair, titles in CONCEPTS.items() if form in pair)


def found(conn, query: str, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    return [paper.title for paper in search(conn, "alice", query, **kwargs).papers]


# ---------------------------------------------------------------- the scan itself


def test_the_scan_reads_every_paper_of_the_list(conn):
    from llmreads.store.papers import list_papers

    assert sorted(p.title for p in papers()) == sorted(p.title for p in list_papers(conn, "alice"))


@pytest.mark.parametrize("pair", sorted(CONCEPTS))
def test_the_scan_agrees_with_the_sets(pair):
    assert naming(*pair) == CONCEPTS[pair]


def test_the_scan_folds_case_separators_and_radicals():
    assert naming("Chain-of-Thought") == naming("chain of thought") == naming("CHAIN_OF_THOUGHT")
    # The list writes 论⽂ with the Kangxi radical ⽂ in many places.
    assert "Evaluating Large Language Models Trained on Code" in naming("论文")


# ---------------------------------------------------------------- finding a concept by either form

# Before the glossary, one form alone found 48 of these 84 (57%); now each finds all of its set.
@pytest.mark.parametrize("form", FORMS)
def test_each_form_finds_nine_tenths_of_its_concept(conn, form):
    wanted = concept_of(form)
    missing = wanted - set(found(conn, form))
    assert len(missing) <= len(wanted) // 10, sorted(missing)


# ---------------------------------------------------------------- Traditional and Simplified Chinese


@pytest.mark.parametrize(
    ("traditional", "simplified", "at_least"), [("微調", "微调", 11), ("語言模型", "语言模型", 18),
                                                ("論文", "论文", 45), ("對齊", "对齐", 2)]
)
def test_traditional_queries_find_what_simplified_ones_do(conn, traditional, simplified, at_least):
    result = search(conn, "alice", traditional)
    assert result.total >= at_least
    assert [p.key for p in result.papers] == [p.key for p in search(conn, "alice", simplified).papers]
    # The snippet shows where the word is, in the list's own (Simplified) writing.
    assert any(simplified in (p.snippet or "") for p in result.papers)


def test_traditional_text_is_found_by_simplified_queries(conn):
    from llmreads.store.notes import add_note
    from llmreads.store.papers import resolve_ref

    add_note(conn, "alice", resolve_ref(conn, "2106.09685"), "這篇論文的低秩適配很實用")
    lora = search(conn, "alice", "低秩适配", exact=True)
    assert [p.title for p in lora.papers] == ["LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"]
    assert lora.papers[0].snippet is not None and "低秩適配" in lora.papers[0].snippet


def test_a_terminal_highlights_traditional_text_found_by_a_simplified_query():
    from rich.text import Text

    from llmreads.query import compile_query
    from llmreads.render import _highlight

    line = Text("這篇論文的低秩適配很實用")
    _highlight(line, compile_query("低秩适配").patterns())
    assert [line.plain[span.start : span.end] for span in line.spans] == ["低秩適配"]


# ---------------------------------------------------------------- expansion: --exact, glued words, ranking


def test_exact_finds_what_one_form_alone_found_before_the_glossary(conn):
    alone = {form: len(concept_of(form) & set(found(conn, form, exact=True))) for form in FORMS}
    assert sum(alone.values()) == 48  # of 84: 57%
    assert (alone["思维链"], alone["上下文学习"], alone["multimodal"]) == (1, 0, 3)  # the figures
    assert all(set(found(conn, form, exact=True)) <= set(found(conn, form)) for form in FORMS)


def test_traditional_forms_expand_too(conn):
    assert found(conn, "思維鏈") == found(conn, "思维链")
    assert set(found(conn, "思維鏈")) >= CONCEPTS[("思维链", "chain of thought")]


def test_a_form_glued_to_other_text_still_expands(conn):
    assert found(conn, "chain-of-thought") == found(conn, "chain of thought")
    # 思维链技术: (思维链 or another form) and 技术, worked out by the scan.
    cot = CONCEPTS[("思维链", "chain of thought")]
    assert set(found(conn, "思维链技术")) == cot & naming("技术")
    assert found(conn, "思维链技术")[0] == MULTIMODAL_COT  # the one naming 思维链技术 as typed
    assert found(conn, "思维链技术", exact=True) == [MULTIMODAL_COT]


def _title_query(form: str) -> str:
    return " ".join(f"title:{word}" for word in form.split())


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("limit", [None, 3])
def test_ranking_literal_title_then_other_title_then_literal_then_other(conn, form, limit):
    from llmreads.glossary import glossary
    from llmreads.store.papers import list_papers
    from llmreads.text import tokens

    forms = glossary().forms_of(tokens(form))
    assert forms is not None
    # As typed: what --exact finds (its sets are checked in test_search.py); other forms: the scan.
    literal_title = set(found(conn, _title_query(form), exact=True))
    any_title = literal_title | naming(*(f.text for f in forms), titles_only=True, words=True)
    literal = set(found(conn, form, exact=True))
    result = search(conn, "alice", form, limit=limit)
    hits = set(found(conn, form, limit=None))
    assert result.total == len(hits)
    listing = list_papers(conn, "alice")
    place = {p.title: i for i, p in enumerate(listing)}
    stars = {p.title: p.stars for p in listing}

    def tier(title: str) -> int:
        if title in literal_title:
            return 0
        if title in any_title:
            return 1
        return 2 if title in literal else 3

    expected = sorted(hits, key=lambda t: (tier(t), -stars[t], place[t]))
    assert [p.title for p in result.papers] == expected[:limit]
    assert {tier(t) for t in hits} != {3}  # something named as typed, in a title or elsewhere


def test_search_help_states_the_ranking_and_exact(cli):
    text = " ".join(ok(cli("search", "--help")).split())
    assert "--exact" in text
    assert "the words as typed in the title, then another form of them in the title" in text


# ---------------------------------------------------------------- matched forms and snippets


def test_json_hits_carry_the_forms_that_matched(seeded, cli):
    found_hits = json_out(cli("search", "思维链", "--json"))
    matched = {hit["title"]: hit["matched"] for hit in found_hits}
    assert set(matched) == CONCEPTS[("思维链", "chain of thought")]
    assert matched[MULTIMODAL_COT][:1] == ["思维链"]  # as typed first
    assert "chain of thought" in matched[CHAIN_OF_THOUGHT] and "思维链" not in matched[CHAIN_OF_THOUGHT]
    assert "CoT" in matched["Large Language Models are Zero-Shot Reasoners"]
    exact = json_out(cli("search", "思维链", "--json", "--exact"))
    assert [(hit["title"], hit["matched"]) for hit in exact] == [(MULTIMODAL_COT, ["思维链"])]
    assert all("matched" not in paper for paper in json_out(cli("list", "--json")))


def test_snippets_show_and_highlight_the_form_that_matched(conn):
    from rich.text import Text

    from llmreads.render import _highlight

    result = search(conn, "alice", "思维链")
    reasoners = next(p for p in result.papers if p.title == "Large Language Models are Zero-Shot Reasoners")
    assert reasoners.snippet is not None and "chain of thought" in reasoners.snippet
    line = Text(reasoners.snippet)
    _highlight(line, result.patterns)
    marked = {line.plain[span.start : span.end] for span in line.spans}
    assert "chain of thought" in marked and "CoT" in marked
    multimodal = next(p for p in result.papers if p.title == MULTIMODAL_COT)
    assert multimodal.snippet is not None and "思维链" in multimodal.snippet


# ---------------------------------------------------------------- the user's own terms


def test_terms_from_the_config_file_expand(seeded, cli, tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('glossary = [["护栏", "harmlessness"], ["短尾矮袋鼠", "quokka"]]\n', encoding="utf-8")
    monkeypatch.setenv("LLMREADS_CONFIG", str(path))
    assert json_out(cli("search", "护栏", "--json", "--exact")) == []
    # 护栏 joins the built-in term of harmlessness (harmless, 无害性).
    found_hits = json_out(cli("search", "护栏", "--json"))
    assert {hit["title"] for hit in found_hits} == naming("harmlessness", "harmless", "无害性")
    assert found_hits[0]["title"] == "Constitutional AI: Harmlessness from AI Feedback"  # in its title
    ok(cli("note", "add", "2106.09685", "a quokka of a method"))
    assert [hit["title"] for hit in json_out(cli("search", "短尾矮袋鼠", "--json"))] == [
        "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"
    ]
    assert json_out(cli("search", "短尾矮袋鼠", "--json"))[0]["matched"] == ["quokka"]
