"""Folding look-alikes, cleaning untrusted text, and the search tokens."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import SEED_PATH, examples
from llmreads.glossary import builtin_terms
from llmreads.text import clean, fold_for_search, fold_lookalikes, segment, tokens, word_parts


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


@settings(max_examples=examples(200), deadline=None)
@given(st.text())
def test_clean_output_is_one_safe_line(text):
    out = clean(text)
    assert not _CONTROL.search(out)
    assert out == out.strip()
    assert "  " not in out
    assert not re.search("[\u2f00-\u2fd5]", out)  # every Kangxi radical is folded
    assert clean(out) == out


@settings(max_examples=examples(200), deadline=None)
@given(st.text())
def test_tokens_are_word_characters_only(text):
    for token in tokens(text):
        assert re.fullmatch(r"[^\W_]+", token)
        assert '"' not in token


@settings(max_examples=examples(500))
@given(st.text(alphabet=st.characters(max_codepoint=127)), st.booleans())
def test_fold_for_search_of_ascii_is_the_full_fold(text, casefold):
    # The ASCII shortcut must give what NFKC + look-alikes + casefold give.
    import unicodedata

    full = unicodedata.normalize("NFKC", fold_lookalikes(text))
    assert fold_for_search(text, casefold) == (full.casefold() if casefold else full)


# ---------------------------------------------------------------- Traditional and Simplified Chinese


def _script_table() -> dict[str, str]:
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "src" / "llmreads" / "data" / "script_fold.txt"
    folded, simplified = (line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    return dict(zip(folded, simplified, strict=True))


def test_segment_writes_traditional_as_simplified():
    assert segment("微調 語言模型 論文 對齊") == segment("微调 语言模型 论文 对齐")
    assert segment("參數高效精調") == segment("参数高效精调")
    # Taiwan's and Hong Kong's forms lead to the same characters (OpenCC's variants).
    assert segment("啟發 裡面 爲") == segment("启发 里面 为")
    # A radical look-alike of a Traditional character is folded all the way: ⻑ -> 長 -> 长.
    assert segment("⻑文") == segment("长文")
    assert tokens("LoRA微調") == ["lora", "微", "调"]


def test_simplified_text_is_left_as_it_is():
    # Characters Simplified text writes stay, even where Taiwan writes them for another (么 for 幺, 吃 for 喫).
    for text in ("什么 吃饭 参数高效微调方法 干 后 里 台", "大语言模型的涌现能力"):
        assert tokens(text) == [char for char in text if not char.isspace()]
    table = _script_table()
    assert not set(table) & set(table.values())  # folding twice is folding once
    assert not {"么", "吃", "干", "后", "里", "台", "着"} & set(table)


def test_the_script_table_covers_opencc_and_keeps_its_licence():
    from pathlib import Path

    from llmreads.text import CJK_RANGES, fold_scripts, is_cjk

    table = _script_table()
    assert len(table) > 3000
    assert all(is_cjk(char) for char in table)
    assert all(len(target) == 1 and is_cjk(target) for target in table.values())
    assert CJK_RANGES
    data = Path(__file__).resolve().parents[1] / "src" / "llmreads" / "data"
    header = (data / "script_fold.txt").read_text(encoding="utf-8").split("\n", 9)[:9]
    assert any("OpenCC" in line for line in header) and any("Apache License" in line for line in header)
    assert "Apache License" in (data / "OPENCC_LICENSE").read_text(encoding="utf-8")
    # One character for one: offsets in a folded display text are offsets in the text.
    text = "論⽂：微調語言模型 LoRA"
    assert len(fold_scripts(text)) == len(text) and fold_scripts(text) == "论⽂：微调语言模型 LoRA"


def test_the_script_table_is_read_on_first_use_only():
    import subprocess
    import sys

    code = (
        "import llmreads.cli, llmreads.text as t;"
        "t.segment('lora adapters'); t.segment('life’s café — naïve, Ω ≤ ∞');"
        "print(t._simplified.cache_info().currsize, t._cjk_run.cache_info().currsize);"
        "t.segment('微調'); print(t._simplified.cache_info().currsize, t._cjk_run.cache_info().currsize)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    # Accents, curly quotes and symbols (below the first CJK block) need neither the table nor the class.
    assert result.stdout.split() == ["0", "0", "1", "1"], result.stderr


_NEAR_CJK = st.text(alphabet=st.sampled_from("a ’é⼤⻔\u303fぁ微調"))


@settings(max_examples=examples(300), deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x3045)) | _NEAR_CJK)
def test_segment_skips_only_texts_it_would_leave_as_they_are(text):
    # Radicals (⼤) fold to ideographs: what is checked is the folded text.
    import llmreads.text as text_module

    folded = text_module.fold_for_search(text)
    every_step = text_module._cjk_run().sub(text_module._spaced, folded.translate(text_module._simplified()))
    assert segment(text) == every_step


def test_the_bulk_fold_agrees_with_the_first_texts_fold(monkeypatch):
    # An import folds most texts through a pattern that finds Traditional characters first.
    import llmreads.text as text_module

    samples = ["微調 語言模型", "参数高效微调 LoRA", "𠁞 and 㗲", "plain ascii", "論⽂：大模型", "∑ ≤ 𝔸 math"]
    monkeypatch.setattr(text_module, "_translated", 0)
    first = [text_module.fold_scripts(s) for s in samples]
    monkeypatch.setattr(text_module, "_translated", text_module._BULK)  # as after an import's first 50,000
    assert [text_module.fold_scripts(s) for s in samples] == first
    assert first[0] == "微调 语言模型" and first[2] == "𠁞 and 𠵾"  # beyond the BMP: left as it is


def _tokens_of_segment(text: str) -> list[str]:
    # What unicode61 makes of the index form: the definition `tokens` must keep.
    return re.findall(r"[^\W_]+", segment(text))


@settings(max_examples=examples(500), deadline=None)
@given(st.text(max_size=80))
def test_tokens_of_a_short_text_equal_the_tokens_of_its_index_form(text):
    assert tokens(text) == _tokens_of_segment(text)


@settings(max_examples=examples(500), deadline=None)
@given(st.text(alphabet=st.sampled_from("微調调a B-9・ー가ㄱ⻔⼤𠀀 \u3000ｌｏｒａ"), max_size=80))
def test_tokens_of_mixed_scripts_equal_the_tokens_of_their_index_form(text):
    assert tokens(text) == _tokens_of_segment(text)


def test_tokens_of_every_glossary_form_and_seed_text_equal_the_tokens_of_their_index_form():
    texts = [form for term in builtin_terms() for form in term]
    seed = SEED_PATH.read_text(encoding="utf-8")
    texts += [cell.strip() for line in seed.splitlines() for cell in line.split("|")]
    texts += [seed[i:i + 60] for i in range(0, len(seed), 37)]  # short cuts at every kind of place
    assert len(texts) > 2500
    for text in texts:
        assert tokens(text) == _tokens_of_segment(text), text


# ---------------------------------------------------------------- parts of glued words


def test_word_parts_of_camel_case_and_glued_words():
    assert word_parts("SpanBERT and FlashAttention on ChatGLM-6B, GPT4 vs LLaMA") == (
        "span bert flash attention chat glm gpt la ma"
    )
    assert word_parts("plain words, ALL CAPS, 2023") == ""


def _word_parts_by_definition(text: str) -> str:
    # What word_parts gives, as its docstring defines it: every glued word (a
    # run of ASCII letters and digits holding a case change or a letter next to
    # a digit), cut into its parts; parts of one character left out.
    glued = re.compile(r"[A-Za-z]*(?:[a-z][A-Z]|[A-Z][A-Z][a-z]|[A-Za-z][0-9]|[0-9][A-Za-z])[A-Za-z0-9]*")
    part = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
    return " ".join(p.lower() for word in glued.findall(text) for p in part.findall(word) if len(p) > 1)


def test_word_parts_of_camel_case_and_digits():
    from llmreads.text import word_parts

    assert word_parts("SpanBERT and FlashAttention-2 beat GPT4 on 12ab 2024") == "span bert flash attention gpt ab"
    assert word_parts("plain words, CAPS, Title and 2024") == ""
    assert word_parts("ChatGLM微调LLaMA2_x") == "chat glm la ma"


@settings(max_examples=examples(1000))
@given(st.text(alphabet="aAbBzZ0192_ -é微\n", max_size=40))
def test_word_parts_agree_with_their_definition(text):
    from llmreads.text import word_parts

    assert word_parts(text) == _word_parts_by_definition(text)


_CLEAN_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@settings(max_examples=examples(300), deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\n\x0b\x1c\x85\xa0\u3000\u2028\u200e\u202ea大⼤⻔ΔW，é🌟"))))
def test_clean_takes_no_short_cut_that_changes_the_text(text):
    """Whatever path `clean` takes (ASCII, printable, other), it gives the text folded, controls as spaces,
    runs of white space as one space, stripped."""
    assert clean(text) == " ".join(_CLEAN_CONTROL.sub(" ", fold_lookalikes(text)).split())


@given(st.text(alphabet=st.characters(max_codepoint=0x2070)) | st.text(alphabet=st.characters(max_codepoint=0x7f)))
def test_has_control_of_ascii_text_is_what_the_pattern_finds(text):
    # ASCII text is answered without compiling the pattern: its controls are what isprintable refuses.
    from llmreads.text import _control, has_control

    assert has_control(text) == (_control().search(text) is not None)
