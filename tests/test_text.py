"""Folding look-alikes, cleaning untrusted text, and the search tokens."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from llmreads.text import clean, fold_for_search, fold_lookalikes, segment, tokens


def test_fold_lookalikes_kangxi_and_supplement_radicals():
    # ⼤ ⽂ ⼀ ⽉ are Kangxi Radicals; ⻔ ⻢ ⻚ are CJK Radicals Supplement characters.
    assert fold_lookalikes("⼤⻔⽂") == "大门文"
    assert fold_lookalikes("解读之⼀，8⽉份") == "解读之一，8月份"
    assert fold_lookalikes("亚⻢逊，43⻚") == "亚马逊，43页"
    assert fold_lookalikes("⼤语⾔模型") == "大语言模型"


def test_fold_lookalikes_leaves_ordinary_text_alone():
    text = "Attention Is All You Need 大语言模型（LLM）ΔW ✡ 🌟"
    assert fold_lookalikes(text) == text


def test_clean_removes_controls_and_collapses_spaces():
    assert clean(" a\x1b[31mb\tc\u202e d\n\n e ") == "a [31mb c d e"
    assert clean("⼤模型\r\n论⽂") == "大模型 论文"
    assert clean("\u200f\u2066x\u2069") == "x"
    assert clean("") == ""


def test_fold_for_search_nfkc_and_case():
    assert fold_for_search("ＬｏＲＡ") == "lora"
    assert fold_for_search("LoRA⼤模型") == "lora大模型"
    assert fold_for_search("Straße") == "strasse"
    assert fold_for_search("LoRA", casefold=False) == "LoRA"


def test_tokens_split_ideographs_and_latin():
    assert tokens("Transformer架构") == ["transformer", "架", "构"]
    assert tokens("参数高效微调方法") == ["参", "数", "高", "效", "微", "调", "方", "法"]
    assert tokens("LoRa 微调方法论文(SFT)") == ["lora", "微", "调", "方", "法", "论", "文", "sft"]
    assert tokens("low-rank") == ["low", "rank"]
    assert tokens("in-context learning") == ["in", "context", "learning"]
    assert tokens("⻔") == ["门"]
    assert tokens("ΔW") == ["δw"]
    assert tokens("🌟 ✡ ***") == []
    assert tokens('"NEAR(a, b)"') == ["near", "a", "b"]


def test_segment_spaces_each_ideograph():
    assert segment("Transformer架构").split() == ["transformer", "架", "构"]
    assert segment("LoRA微调", casefold=False).split() == ["LoRA", "微", "调"]
    assert segment("abc") == "abc"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_clean_output_is_one_safe_line(text):
    out = clean(text)
    assert not _CONTROL.search(out)
    assert out == out.strip()
    assert "  " not in out
    assert not re.search("[\u2f00-\u2fd5]", out)  # every Kangxi radical is folded
    assert clean(out) == out


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_tokens_are_word_characters_only(text):
    for token in tokens(text):
        assert re.fullmatch(r"[^\W_]+", token)
        assert '"' not in token


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(max_codepoint=127)), st.booleans())
def test_fold_for_search_of_ascii_is_the_full_fold(text, casefold):
    # The ASCII shortcut must give what NFKC + look-alikes + casefold give.
    import unicodedata

    full = unicodedata.normalize("NFKC", fold_lookalikes(text))
    assert fold_for_search(text, casefold) == (full.casefold() if casefold else full)
