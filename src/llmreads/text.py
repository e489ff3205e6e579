"""Text layer: folding look-alike characters and preparing text for full-text search.

Pure functions on strings; imported by the parser, the store and the query
compiler alike, so it must stay cheap to import (standard library only).
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata

# CJK Radicals Supplement characters that documents use in place of ordinary
# ideographs (PDF copy-paste produces them). NFKC folds the Kangxi Radicals
# block but not this one, so the equivalents (Unicode's
# EquivalentUnifiedIdeograph.txt) are listed here.
_RADICALS_SUPPLEMENT = {
    "⺁": "厂", "⺋": "㔾", "⺌": "小", "⺍": "小", "⺎": "兀", "⺏": "尣",
    "⺐": "尢", "⺒": "巳", "⺓": "幺", "⺔": "彑", "⺕": "彐", "⺗": "心",
    "⺘": "扌", "⺙": "攵", "⺛": "旡", "⺝": "月", "⺞": "歺", "⺟": "母",
    "⺠": "民", "⺤": "爫", "⺥": "爫", "⺦": "丬", "⺧": "牛", "⺨": "犭",
    "⺩": "王", "⺪": "疋", "⺫": "罒", "⺬": "示", "⺭": "礻", "⺮": "竹",
    "⺯": "糸", "⺰": "纟", "⺲": "罒", "⺳": "罒", "⺴": "罓", "⺵": "罓",
    "⺶": "羊", "⺷": "羊", "⺹": "耂", "⺺": "肀", "⺻": "聿", "⺼": "肉",
    "⺽": "臼", "⺾": "艹", "⺿": "艹", "⻀": "艹", "⻁": "虎", "⻂": "衤",
    "⻃": "覀", "⻄": "西", "⻅": "见", "⻆": "角", "⻈": "讠", "⻉": "贝",
    "⻋": "车", "⻌": "辶", "⻍": "辶", "⻎": "辶", "⻏": "阝", "⻐": "钅",
    "⻑": "長", "⻒": "镸", "⻓": "长", "⻔": "门", "⻖": "阝", "⻗": "雨",
    "⻘": "青", "⻙": "韦", "⻚": "页", "⻛": "风", "⻜": "飞", "⻝": "食",
    "⻟": "飠", "⻠": "饣", "⻢": "马", "⻣": "骨", "⻤": "鬼", "⻥": "鱼",
    "⻦": "鸟", "⻧": "卤", "⻨": "麦", "⻩": "黄", "⻪": "黾", "⻫": "斉",
    "⻬": "齐", "⻭": "歯", "⻮": "齿", "⻯": "竜", "⻰": "龙", "⻱": "龜",
    "⻲": "亀", "⻳": "龟",
}


def _build_lookalike_table() -> dict[int, str]:
    table = {ord(k): v for k, v in _RADICALS_SUPPLEMENT.items()}
    for code in range(0x2F00, 0x2FD6):  # Kangxi Radicals: NFKC knows these
        table[code] = unicodedata.normalize("NFKC", chr(code))
    return table


_LOOKALIKES = _build_lookalike_table()

# Characters that would let untrusted text drive a terminal: C0/C1 controls
# (ESC starts ANSI sequences), bidi overrides and the like. `clean` turns tab
# and newline into spaces too, since every field it serves is shown on one
# line; `clean_block` keeps them. JSON escapes C0 controls itself;
# `escape_json` escapes the rest.
_C1_AND_BIDI = r"\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"


# Compiled on first use: a class of characters beyond Latin-1 costs some 0.3 ms
# to compile, and most commands never show a note or write JSON (and a
# command that writes JSON may never clean text that is not plain ASCII).
@functools.cache
def _control() -> re.Pattern[str]:
    return re.compile(rf"[\x00-\x1f{_C1_AND_BIDI}]")


@functools.cache
def _control_in_block() -> re.Pattern[str]:
    return re.compile(rf"\r\n|[\x00-\x08\x0b-\x1f{_C1_AND_BIDI}]")


@functools.cache
def _c1_or_bidi() -> re.Pattern[str]:
    return re.compile(rf"[{_C1_AND_BIDI}]")


# The blocks that hold the look-alikes (CJK Radicals Supplement, Kangxi
# Radicals) as one range: substituting the few a text holds is several times
# faster than `str.translate`, which looks up every character, and a range
# compiles ten times faster than a class that lists the 300 characters.
_LOOKALIKE = re.compile("[\u2e80-\u2fd5]")


def _fold(match: re.Match[str]) -> str:
    found = match.group()
    return _LOOKALIKES.get(ord(found), found)  # an unassigned code point of the blocks stays


def fold_lookalikes(text: str) -> str:
    """Replace radical look-alikes with the ordinary ideographs (for display)."""
    return _LOOKALIKE.sub(_fold, text)


def clean(text: str) -> str:
    """Display form of untrusted text: look-alikes folded, controls removed, spaces collapsed."""
    # str.split() breaks at exactly the characters `\s` matches (str.isspace),
    # so this is `re.sub(r"\s+", " ", text).strip()`, only faster.
    if text.isascii() and text.isprintable():  # no look-alike, no control: most titles and URLs
        # Its only space is " ": with none doubled or at an end, the text is its own display form.
        if "  " in text or text[:1] == " " or text[-1:] == " ":
            return " ".join(text.split())
        return text
    if text.isprintable():  # no control or bidi mark (none is printable), and no space but " "
        text = fold_lookalikes(text)
        return " ".join(text.split()) if "  " in text or text[:1] == " " or text[-1:] == " " else text
    return " ".join(_control().sub(" ", fold_lookalikes(text)).split())


def clean_block(text: str) -> str:
    """Display form of untrusted text of several lines: as `clean`, but line breaks, tabs and indentation kept."""
    return _control_in_block().sub(_block_control, fold_lookalikes(text))


def _block_control(match: re.Match[str]) -> str:
    return "\n" if match.group() == "\r\n" else " "


def has_control(text: str) -> bool:
    """Whether `text` holds a character `clean` removes: a C0 or C1 control (newline and tab too) or a bidi mark."""
    if text.isascii():  # the ASCII ones are exactly those str.isprintable refuses: 0-31 and 127
        return not text.isprintable()
    return _control().search(text) is not None


def escape_json(text: str) -> str:
    """JSON text with C1 controls and bidi marks written as \\uXXXX, so a terminal shows them inert.

    Only string contents can hold such characters, and there the escape reads
    back as the same character; JSON has escaped C0 controls already.
    """
    return _c1_or_bidi().sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def fold_for_search(text: str, casefold: bool = True) -> str:
    """Search form: look-alikes, full-width forms and case folded away (NFKC + casefold)."""
    if text.isascii():  # NFKC leaves ASCII as it is, and casefold is lower() there: 10x faster
        return text.lower() if casefold else text
    text = unicodedata.normalize("NFKC", fold_lookalikes(text))
    return text.casefold() if casefold else text


# Ideographs, kana and hangul: the scripts written without spaces between words.
CJK_RANGES = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x3134F),  # CJK Extensions B-G
)


# Below the first of them no character is spaced apart (segment) or folded (fold_scripts): a text whose largest
# character is lower is left as it is, and a title with a curly quote or an accent compiles no class and loads no table.
_FIRST_CJK = chr(CJK_RANGES[0][0])


def _no_cjk(text: str) -> bool:
    return text.isascii() or max(text) < _FIRST_CJK


def is_cjk(char: str) -> bool:
    """Whether a character is of a script written without spaces between words."""
    code = ord(char)
    return any(low <= code <= high for low, high in CJK_RANGES)


@functools.cache
def _cjk_run() -> re.Pattern[str]:
    # Compiled on first use: a class with astral ranges costs ~1 ms to compile,
    # which commands that never index or search should not pay.
    return re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in CJK_RANGES) + "]+")


@functools.cache
def _simplified() -> dict[int, int]:
    """Traditional Chinese characters (and Taiwan's and Hong Kong's variants) with their Simplified forms.

    From OpenCC's tables, one character at a time (data/script_fold.txt, made
    by scripts/make_script_fold.py). Read on a process's first CJK text to
    index or search, never at import: a dictionary of 3,200 characters costs
    about 1 ms.
    """
    path = os.path.join(os.path.dirname(__file__), "data", "script_fold.txt")
    with open(path, encoding="utf-8") as handle:
        folded, simplified = (line.rstrip("\n") for line in handle if not line.startswith("#"))
    table = str.maketrans(folded, simplified)  # code point to code point: half the time of a comprehension
    # The 66 characters beyond the BMP (CJK Extension B) are left as they are: a
    # text is then searched for Traditional characters in one pass (_traditional).
    for char in folded:
        if char > "\uffff":
            del table[ord(char)]
    return table


@functools.cache
def _traditional() -> re.Pattern[str]:
    # Some 12 ms to compile (3,200 characters), but it finds the few Traditional
    # characters in a text several times faster than str.translate looks at every one.
    return re.compile("[" + "".join(chr(code) for code in sorted(_simplified())) + "]")


# Characters folded by translate before the pattern pays for itself: translate
# takes some 0.25 µs a character, the pattern 0.03 µs and 12 ms to compile. A
# search's words and snippets stay far below; an import or a rebuild passes it.
_BULK = 50_000
_translated = 0


def fold_scripts(text: str) -> str:
    """`text` with Traditional Chinese characters written in Simplified; one character for one, so offsets hold."""
    return text if _no_cjk(text) else _fold_cjk(text)


def _fold_cjk(text: str) -> str:
    """fold_scripts of a text that holds a character at or past the first CJK block."""
    global _translated
    if _translated < _BULK:
        _translated += len(text)
        return text.translate(_simplified())
    if _traditional().search(text) is None:
        return text
    return text.translate(_simplified())


def fold_for_matching(text: str) -> str:
    """`fold_for_search` with Traditional Chinese written in Simplified: how names are compared (titles, sections)."""
    return fold_scripts(fold_for_search(text))


def _spaced(match: re.Match[str]) -> str:
    return " " + " ".join(match.group()) + " "


def segment(text: str, casefold: bool = True) -> str:
    """Index form: search-folded, Traditional as Simplified, with every CJK character made a token of its own.

    FTS5's unicode61 tokenizer keeps a run of ideographs as one token, so
    `微调` would never match inside `参数高效微调方法`. Spacing the ideographs
    apart lets a word of any length match as a phrase of single characters,
    and splits Latin text glued to Chinese (`Transformer架构`). The index and
    the query both come through here, so `微調` finds `微调` and the other way
    round (fold_scripts).
    """
    folded = fold_for_search(text, casefold)
    if _no_cjk(folded):  # nothing to fold or space apart; spares the table and compiling the class of scripts
        return folded
    # Checked once: folding writes a character of those blocks as another of them (the table maps ideographs).
    return _cjk_run().sub(_spaced, _fold_cjk(folded))


_WORD = re.compile(r"[^\W_]+")
_SHORT = 64  # characters: a query's words and a glossary form are shorter; titles and introductions mostly longer


def tokens(text: str) -> list[str]:
    """The FTS tokens of `text` as unicode61 would see them after `segment`.

    A short text is split here, one character at a time, rather than through
    `segment`'s pattern: a search reads the glossary forms of its words, and
    compiling the class of every script written without spaces costs that
    search more than splitting all of them.
    """
    if len(text) > _SHORT:
        return _WORD.findall(segment(text))
    found: list[str] = []
    for word in _WORD.findall(fold_for_matching(text)):
        if word.isascii():
            found.append(word)
            continue
        start = 0
        for i, char in enumerate(word):
            if is_cjk(char):
                if start < i:
                    found.append(word[start:i])
                found.append(char)
                start = i + 1
        if start < len(word):
            found.append(word[start:])
    return found


# The parts of a word written in camel case or glued to digits: SpanBERT -> Span BERT,
# FlashAttention -> Flash Attention, ChatGLM -> Chat GLM, GPT4 -> GPT 4.
# A glued word is a run of ASCII letters and digits holding a case change or a
# letter next to a digit. _RUN takes whole runs: the plain ones (lower case,
# Capitalised, CAPITALS, digits) match the first alternatives and give no group;
# any other run is glued. Possessive, so no run is read twice (a pattern that
# looked for the glue at every character spent a fifth of a large import).
# Compiled on first use (0.7 ms): only what indexes text (an import, a note, a large search) needs them.
_RUN = r"[a-z]++(?![A-Z0-9])|[A-Z](?:[a-z]++|[A-Z]*+)(?![A-Za-z0-9])|[0-9]++(?![A-Za-z])|([A-Za-z0-9]++)"
_WORD_PART = r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+"
_run_parts: dict[str, str] = {}  # glued run -> its parts: the same model names come back in every list


@functools.cache
def _glue() -> tuple[re.Pattern[str], re.Pattern[str]]:
    return re.compile(_RUN), re.compile(_WORD_PART)


def _parts_of(run: str) -> str:
    found = _run_parts.get(run)
    if found is None:
        if len(_run_parts) > 100_000:
            _run_parts.clear()
        # Digits that start a run are no part of its glued word, which starts at
        # their last digit: one character, which is left out anyway.
        parts = _glue()[1].findall(run.lstrip("0123456789"))
        found = _run_parts[run] = " ".join(part.lower() for part in parts if len(part) > 1)
    return found


def word_parts(text: str) -> str:
    """The parts of the camel-case and glued words of `text`, search-folded, one token each ('' if none).

    unicode61 keeps `SpanBERT` one token, so `bert` would never find it. The
    index holds the parts as well (after the text: phrases of the text stay
    as written); parts of one letter are left out.
    """
    return " ".join(filter(None, map(_parts_of, filter(None, _glue()[0].findall(text)))))


def index_form(text: str) -> str:
    """What the full-text index holds for `text`: its segment form, then the parts of its glued words."""
    parts = word_parts(text)
    body = segment(text)
    return f"{body}\n{parts}" if parts else body
