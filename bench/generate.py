"""Generate a synthetic paper list in the shape of the bundled seed list.

    python bench/generate.py --papers 100000 --seed 1 -o bench/data/list-100k.md

The same arguments always give the same bytes. Everything the output is made
of comes from the seed (seeds/llm_paper_reading.md): English title words,
the Chinese runs of its introductions (with their Kangxi-radical look-alikes
such as ⼤ ⽂ ⻔), its English fragments, its link texts, the way it alternates
Chinese and English, and its star distribution. Only the URLs are made up:
about 80% unique arXiv ids, the rest on the seed's other hosts.

Shape: `1. # Title` top-level sections and `## 2.2CoT` / `## 2.4 PEFT`
subsections (about one section per 300 papers), one table per section with
the seed's columns (`| **ID** | **Paper** | **Introduction** |`), ID cells
such as `4✡✡✡✡`, and about 1% of the rows listing again a paper from an
earlier section. A summary of what was written goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

SEED_FILE = Path(__file__).resolve().parents[1] / "seeds" / "llm_paper_reading.md"

STAR = "✡"
# Share of rows with 0..5 stars, as in the seed (5/57/30/17/6/5 of its 120 rows).
STAR_WEIGHTS = (5, 47, 25, 14, 5, 4)
PAPERS_PER_SECTION = 300
SUBSECTIONS_PER_TOP = 5
ARXIV_SHARE = 0.80
NO_URL_SHARE = 0.005
DUPLICATE_SHARE = 0.01
EMPTY_ROW_SHARE = 0.001
EMPTY_INTRO_SHARE = 0.08  # the seed leaves 10 of 120 introductions empty
# The seed's introductions average 170 bytes; a 100k list of that shape would
# be 40 MB. They are scaled down so that 100k papers make about 20 MB.
INTRO_SCALE = 0.3
INTRO_MAX = 900
# Abstracts (bench/run.py's search database): an arXiv abstract runs to some 150 to 250
# words, about half of them the common words of English prose.
ABSTRACT_WORDS = (120, 260)
ABSTRACT_COMMON_SHARE = 0.45
COMMON_WORDS = (
    "the", "of", "and", "to", "a", "in", "we", "that", "is", "for", "on", "with", "this", "by", "as", "our",
    "are", "from", "which", "can", "an", "be", "these", "show", "model", "results", "method", "propose",
    "approach", "performance", "training", "data", "task", "tasks", "new", "existing", "while", "both",
)
LOOKALIKE_SWAP = 0.01  # extra look-alikes, beyond those the seed's own text brings
# Known words, so that the benchmark's searches have hits: the share of rows
# that mention each in the seed (LoRA 2 of 120, 微调 12 of 120). Introductions
# made of the seed's pieces carry them too, but less often, being shorter.
KNOWN_WORDS = {"LoRA": 0.017, "微调": 0.10}
# Ordinary ideographs and the look-alikes that documents use in their place.
LOOKALIKES = {
    "大": "⼤", "文": "⽂", "门": "⻔", "一": "⼀", "月": "⽉", "人": "⼈", "用": "⽤", "生": "⽣",
    "言": "⾔", "力": "⼒", "方": "⽅", "页": "⻚", "马": "⻢", "工": "⼯", "自": "⾃", "高": "⾼",
}

_CJK_CHARS = "\u2e80-\u2fdf\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PIECE = re.compile(
    r"(?P<link>\[[^\]\n]*\]\([^)\s]*\))"
    r"|(?P<url>https?://[^\s\[\]()（）" + _CJK_CHARS + r"\u3000-\u303f\uff00-\uffef]+)"
    r"|(?P<bold>\*\*)"
    r"|(?P<cjk>[" + _CJK_CHARS + r"]+)"
    r"|(?P<latin>[A-Za-z0-9](?:[A-Za-z0-9 .'\-/+&%]*[A-Za-z0-9])?)"
    r"|(?P<space>\s+)"
    r"|(?P<punct>.)"
)
_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\s]*)\)")
_ROW = re.compile(r"^\|([^|]*)\|([^|]*)\|([^|]*)\|\s*$")
_HEADING = re.compile(r"^(?:\d+\. +)?#{1,6} +(.*)$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9\-+.]*$")
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_ALNUM_MIXED = _ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_HEX = "0123456789abcdef"


@dataclass
class Vocabulary:
    """What the generator draws on, all taken from the seed; lists repeat items by frequency."""

    title_words: list[str] = field(default_factory=list)
    title_next: dict[str, list[str]] = field(default_factory=dict)  # words seen after a word
    title_starts: list[str] = field(default_factory=list)
    title_lengths: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # model names: LLaMA, BLIP-2, ZeRO
    pieces: dict[str, list[str]] = field(default_factory=dict)  # intro pieces by kind
    kind_next: dict[str, list[str]] = field(default_factory=dict)  # how the kinds follow each other
    intro_lengths: list[int] = field(default_factory=list)  # non-empty ones, in characters
    link_texts: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)  # hosts of non-arXiv paper URLs
    link_hosts: list[str] = field(default_factory=list)  # hosts of links inside introductions
    heading_words: list[str] = field(default_factory=list)  # English words of the seed's headings
    short_cjk: list[str] = field(default_factory=list)  # Chinese runs of 2 to 8 characters


def load_vocabulary(text: str) -> Vocabulary:
    vocab = Vocabulary()
    kinds: dict[str, list[str]] = {k: [] for k in ("cjk", "latin", "punct", "space")}
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            words = re.findall(r"[A-Za-z][A-Za-z0-9\-]*", heading.group(1))
            vocab.heading_words += words
            continue
        row = _ROW.match(line)
        if not row or "**ID**" in line or "---" in row.group(1):
            continue
        paper, intro = row.group(2).strip(), row.group(3).strip()
        link = _LINK.search(paper)
        if link:
            title = link.group(1).strip()
            host = _host(link.group(2))
            if host and host != "arxiv.org":
                vocab.hosts.append(host)
        else:
            title = paper.replace("**", "").strip()
        if title:
            _learn_title(vocab, title, paper)
        if not intro:
            continue
        vocab.intro_lengths.append(len(intro))
        previous = "start"
        for match in _PIECE.finditer(intro):
            kind = match.lastgroup or "punct"
            if kind == "bold":
                continue
            piece = match.group(0)
            if kind == "link":
                inner = _LINK.match(piece)
                assert inner is not None
                if inner.group(1).strip():
                    vocab.link_texts.append(inner.group(1).strip())
                vocab.link_hosts.append(_host(inner.group(2)) or "github.com")
            elif kind == "url":
                vocab.link_hosts.append(_host(piece) or "github.com")
            elif kind == "cjk":
                kinds[kind] += _split_run(piece)
            elif kind == "space":
                piece = " "
                kinds[kind].append(piece)
            else:
                kinds[kind].append(piece)
            vocab.kind_next.setdefault(previous, []).append(kind)
            previous = kind
    # One introduction that repeats a word (the seed's LoRA row says LoRA six
    # times) should not make that word common: at most two of each piece.
    vocab.pieces = {kind: _capped(pieces, 2) for kind, pieces in kinds.items()}
    vocab.short_cjk = [p for p in vocab.pieces["cjk"] if 2 <= len(p) <= 8]
    if not (vocab.title_words and kinds["cjk"] and kinds["latin"] and kinds["punct"] and vocab.intro_lengths):
        raise SystemExit("the seed file has too little text to build a vocabulary from")
    return vocab


def _learn_title(vocab: Vocabulary, title: str, cell: str) -> None:
    name, sep, rest = title.partition(":")
    if sep and _NAME.match(name.strip()):
        vocab.names.append(name.strip())
    bold = re.match(r"\*\*([^*]+)\*\*", cell)
    if bold:
        vocab.names.append(bold.group(1).strip())
    words = [w.strip(":,.") for w in (rest if sep else title).split()]
    words = [w for w in words if w]
    upper = sum(1 for w in words if w.isupper() and len(w) > 3)
    if not words or upper > len(words) // 2:
        return  # an all-capitals title tells nothing of the words' usual case
    vocab.title_lengths.append(len(words) + (1 if sep else 0))
    vocab.title_starts.append(words[0])
    vocab.title_words += words
    for a, b in zip(words, words[1:], strict=False):
        vocab.title_next.setdefault(a, []).append(b)


def _capped(items: list[str], most: int) -> list[str]:
    seen: Counter[str] = Counter()
    kept = []
    for item in items:
        seen[item] += 1
        if seen[item] <= most:
            kept.append(item)
    return kept


def _split_run(run: str) -> list[str]:
    """Long Chinese runs cut into pieces of up to 16 characters, so that text varies more."""
    if len(run) <= 16:
        return [run]
    return [run[i : i + 16] for i in range(0, len(run), 16)]


def _host(url: str) -> str:
    match = re.match(r"https?://([^/?#\s]+)", url)
    return match.group(1).lower() if match else ""


class Generator:
    def __init__(self, vocab: Vocabulary, rng: random.Random) -> None:
        self.v = vocab
        self.rng = rng
        self.kind_next = vocab.kind_next

    # ------------------------------------------------------------ words and text

    def token(self, alphabet: str, length: int) -> str:
        return "".join(self.rng.choices(alphabet, k=length))

    def name(self) -> str:
        rng = self.rng
        base = rng.choice(self.v.names) if self.v.names and rng.random() < 0.7 else self.made_up_name()
        return base + rng.choice(("", "", "", "-2", " v2", "-XL", "++", "-7B", "-Chat", "-Lite"))

    def made_up_name(self) -> str:
        words = [w for w in self.rng.sample(self.v.title_words, 2) if w[:1].isalpha()] or ["Model"]
        return "".join(w[:4].capitalize() for w in words)

    def title(self) -> str:
        rng = self.rng
        length = max(2, rng.choice(self.v.title_lengths) + rng.randint(-2, 2))
        prefix = ""
        if rng.random() < 0.3:
            prefix = self.name() + ": "
            length = max(2, length - 1)
        word = rng.choice(self.v.title_starts)
        words = [word]
        while len(words) < length:
            following = self.v.title_next.get(word)
            word = rng.choice(following) if following and rng.random() < 0.65 else rng.choice(self.v.title_words)
            words.append(word)
        title = prefix + " ".join(words)
        style = rng.random()
        if style < 0.08:
            return title.upper()
        if style < 0.16:
            return title[:1] + title[1:].lower()
        return title

    def chinese(self) -> str:
        text = self.rng.choice(self.v.pieces["cjk"])
        if self.rng.random() < LOOKALIKE_SWAP * len(text):
            chars = list(text)
            spots = [i for i, ch in enumerate(chars) if ch in LOOKALIKES]
            if spots:
                i = self.rng.choice(spots)
                chars[i] = LOOKALIKES[chars[i]]
            text = "".join(chars)
        return text

    def text(self, target: int, links: bool = True) -> str:
        """Introduction-like text of about `target` characters, pieces following as in the seed."""
        rng = self.rng
        out: list[str] = []
        size = 0
        kind = "start"
        while size < target:
            following = self.kind_next.get(kind) or self.kind_next["start"]
            kind = rng.choice(following)
            if kind in ("link", "url") and not links:
                kind = "cjk"
            if kind == "link":
                piece = f"[{rng.choice(self.v.link_texts)}]({self.url(rng.choice(self.v.link_hosts))})"
            elif kind == "url":
                piece = self.url(rng.choice(self.v.link_hosts))
            elif kind == "cjk":
                piece = self.chinese()
            else:
                piece = rng.choice(self.v.pieces[kind])
            if kind in ("cjk", "latin") and rng.random() < 0.02:
                piece = f"**{piece}**"
            out.append(piece)
            size += len(piece)
        return "".join(out).strip()

    def introduction(self) -> str:
        rng = self.rng
        if rng.random() < EMPTY_INTRO_SHARE:
            return ""
        target = min(INTRO_MAX, max(2, int(rng.choice(self.v.intro_lengths) * INTRO_SCALE * rng.uniform(0.5, 1.5))))
        text = self.text(target)
        return text

    def abstract(self) -> str:
        """English text the length of an arXiv abstract: sentences of the seed's title words and common words."""
        rng = self.rng
        target = rng.randint(*ABSTRACT_WORDS)
        sentences: list[str] = []
        count = 0
        while count < target:
            length = rng.randint(10, 28)
            word = rng.choice(self.v.title_starts)
            words = [word]
            while len(words) < length:
                if rng.random() < ABSTRACT_COMMON_SHARE:
                    words.append(rng.choice(COMMON_WORDS))
                    continue
                following = self.v.title_next.get(word)
                word = rng.choice(following) if following and rng.random() < 0.65 else rng.choice(self.v.title_words)
                words.append(word)
            sentences.append(" ".join(words) + ".")
            count += length
        return " ".join(sentences)

    def with_known_words(self, text: str, stats: Stats) -> str:
        """Top up the known words where their share of the rows so far falls below the seed's."""
        rng = self.rng
        for word, share in KNOWN_WORDS.items():
            if stats.known[word] < share * (stats.rows + 1) and word.lower() not in text.lower():
                # At an end, so as not to land inside a word or a URL.
                if word.isascii():
                    text = f"{word} {text}"
                else:
                    text = word + text if rng.random() < 0.5 or text[-1:].isascii() else text + word
        return text

    # ------------------------------------------------------------ URLs

    def url(self, host: str) -> str:
        rng = self.rng
        token = self.token
        if host == "arxiv.org":
            return f"https://arxiv.org/abs/{rng.randint(15, 23)}{rng.randint(1, 12):02d}.{rng.randint(1, 99999):05d}"
        if host.endswith("zhihu.com"):
            return f"https://{host}/p/{rng.randint(100_000_000, 699_999_999)}"
        if host == "github.com":
            return f"https://github.com/{self.slug(1)}/{self.slug(rng.randint(1, 2))}-{token(_ALNUM, 4)}"
        if host.endswith("bilibili.com"):
            return f"https://{host}/video/BV{token(_ALNUM_MIXED, 10)}/?vd_source={token(_HEX, 32)}"
        if host == "mp.weixin.qq.com":
            return f"https://mp.weixin.qq.com/s/{token(_ALNUM_MIXED + '-_', 22)}"
        if host == "openreview.net":
            return f"https://openreview.net/pdf?id={token(_ALNUM_MIXED, 10)}"
        if host == "proceedings.neurips.cc":
            year = rng.randint(2017, 2023)
            return f"https://proceedings.neurips.cc/paper/{year}/hash/{token(_HEX, 32)}-Abstract.html"
        if host == "www.nature.com":
            article = f"s41586-0{rng.randint(19, 23)}-{token('0123456789', 5)}-{token(_HEX, 2)}"
            return f"https://www.nature.com/articles/{article}"
        if host.endswith("fbcdn.net"):
            return (
                f"https://{host}/v/t39.8562-6/{rng.randint(10**8, 10**9)}_{rng.randint(10**14, 10**15)}_n.pdf"
                f"?_nc_cat={rng.randint(100, 199)}&ccb=1-7&_nc_sid={token(_HEX, 6)}&oh=00_{token(_ALNUM_MIXED, 40)}"
            )
        return f"https://{host}/{self.slug(rng.randint(1, 4))}-{token(_ALNUM, 6)}"

    def slug(self, words: int) -> str:
        picked = self.rng.choices(self.v.title_words, k=words)
        return "-".join(re.sub(r"[^a-z0-9]+", "", w.lower()) or "x" for w in picked)

    def arxiv_url(self, arxiv_id: str) -> str:
        form = self.rng.random()
        if form < 0.55:
            return f"https://arxiv.org/pdf/{arxiv_id}.pdf"
        if form < 0.70:
            return f"https://arxiv.org/pdf/{arxiv_id}"
        if form < 0.95:
            return f"https://arxiv.org/abs/{arxiv_id}"
        return f"https://arxiv.org/pdf/{arxiv_id}v{self.rng.randint(1, 4)}.pdf"

    # ------------------------------------------------------------ headings

    def heading_title(self, top: bool) -> str:
        rng = self.rng
        english = rng.choice(self.v.heading_words + self.v.names)
        chinese = rng.choice(self.v.short_cjk)
        if top:
            forms = (f"{english} {chinese}", f"{english}的{chinese}", chinese, f"{english}/{self.name()} {chinese}")
        else:
            forms = (english, f"{english}/{chinese}/{rng.choice(self.v.short_cjk)}", chinese, f"{english}{chinese}")
        title = rng.choice(forms)
        if not title[:1].isalpha():
            title = chinese + title
        return title + ("：" if top and rng.random() < 0.15 else "")


@dataclass
class Stats:
    rows: int = 0
    duplicates: int = 0
    arxiv: int = 0
    no_url: int = 0
    sections: int = 0
    stars: Counter[int] = field(default_factory=Counter)
    known: Counter[str] = field(default_factory=Counter)
    lookalikes: int = 0
    bytes: int = 0


@dataclass
class Paper:
    title: str
    url: str
    arxiv: str | None


def _section_plan(rng: random.Random, papers: int) -> list[tuple[int, int, int]]:
    """(top number, subsection number or 0, papers in it) for each section in document order."""
    total = max(4, round(papers / PAPERS_PER_SECTION))
    tops = max(2, round(total / (SUBSECTIONS_PER_TOP + 1)))
    subs = [0] * tops
    for _ in range(total - tops):
        subs[rng.randrange(tops)] += 1
    sections: list[tuple[int, int]] = []
    weights: list[float] = []
    for top in range(1, tops + 1):
        sections.append((top, 0))
        # A section with subsections mostly keeps its papers there (section 2 of the seed has one).
        weights.append(rng.lognormvariate(0, 0.6) * (0.15 if subs[top - 1] and rng.random() < 0.5 else 1.0))
        for sub in range(1, subs[top - 1] + 1):
            sections.append((top, sub))
            weights.append(rng.lognormvariate(0, 0.6))
    counts = _apportion(papers, weights)
    return [(top, sub, count) for (top, sub), count in zip(sections, counts, strict=True)]


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    order = sorted(range(len(weights)), key=lambda i: counts[i] - weights[i] * scale)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _arxiv_ids(rng: random.Random, count: int) -> list[str]:
    """`count` distinct new-style arXiv ids from 2015 to 2023, in random order."""
    months = [(y, m) for y in range(15, 24) for m in range(1, 13)]
    picks = rng.sample(range(len(months) * 99_999), count)
    return [f"{months[k // 99_999][0]:02d}{months[k // 99_999][1]:02d}.{k % 99_999 + 1:05d}" for k in picks]


def _pad(cell: str, width: int) -> str:
    """`cell` padded with spaces to `width` terminal columns (ideographs take two), as the seed's editor does."""
    if cell.isascii():
        return cell.ljust(width)
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in cell)
    return cell + " " * (width - columns)


def _row(id_cell: str, paper_cell: str, intro: str) -> str:
    return f"| {_pad(id_cell, 6)} | {_pad(paper_cell, 60)} | {_pad(intro, 60)} |\n"


def _header(width: int) -> str:
    return (
        f"| {'**ID**':<{width}} | {'**Paper**':<60} | {'**Introduction**':<60} |\n"
        f"| {'-' * width} | {'-' * 60} | {'-' * 60} |\n"
    )


def generate(papers: int, seed: int, out: TextIO, seed_text: str) -> Stats:
    rng = random.Random(seed)
    gen = Generator(load_vocabulary(seed_text), rng)
    stats = Stats()
    plan = _section_plan(rng, papers)
    arxiv_ids = iter(_arxiv_ids(rng, papers))
    listed: list[Paper] = []  # every paper written so far, for duplicates
    section_start = 0  # index in `listed` where the current top-level section's papers begin
    other_hosts = gen.v.hosts or ["github.com"]
    write = out.write

    def emit(text: str) -> None:
        stats.bytes += len(text.encode("utf-8"))
        write(text)

    emit(
        "# LLM_Paper_Reading\n\n\n\n本文整理了大模型技术（LLM）目前发展历程上最重要的论文（合成的基准测试数据）\n\n"
        "其中第一列的🌟表示论文重要程度，星级越高表明越重要。\n\n本文仍在继续更新中，当前更新时间2023/08/20\n\n"
    )
    for top, sub, count in plan:
        stats.sections += 1
        if sub == 0:
            section_start = len(listed)
            title = gen.heading_title(top=True)
            form = "1. # " if top >= 100 or rng.random() < 0.9 else f"# {top}. "
            emit(f"{form}{title}\n\n")
        else:
            title = gen.heading_title(top=False)
            if sub == 1 and rng.random() < 0.5:
                emit(f"1. ## {title}\n\n")
            else:
                space = " " if rng.random() < 0.6 or not title[:1].isascii() else ""
                emit(f"## {top}.{sub}{space}{title}\n\n")
        if rng.random() < 0.3:
            emit(gen.text(rng.randint(40, 400), links=False) + "\n\n")
        if rng.random() < 0.05:
            emit(f"**{gen.title()}.**\n\n")
        if count == 0:
            continue
        tables = 2 if count > 20 and rng.random() < 0.05 else 1
        split = rng.randint(1, count - 1) if tables == 2 else count
        number = 0
        emit(_header(6 if rng.random() < 0.9 else 7))
        for index in range(count):
            if index == split:
                emit("\n" + gen.text(rng.randint(10, 60), links=False) + "\n\n" + _header(6))
                number = 0
            if rng.random() < EMPTY_ROW_SHARE:
                emit(_row("", "", ""))
            stars = rng.choices(range(6), weights=STAR_WEIGHTS)[0]
            blank_id = stars == 0 and rng.random() < 0.6
            if not blank_id:
                number += 1
            id_cell = "" if blank_id else f"{number}{STAR * stars}"
            duplicate = section_start > 0 and rng.random() < DUPLICATE_SHARE
            if duplicate:
                paper = listed[rng.randrange(section_start)]
                url = gen.arxiv_url(paper.arxiv) if paper.arxiv else paper.url
                title = paper.title + (" " if rng.random() < 0.3 else "")
                stats.duplicates += 1
            else:
                title = gen.title()
                choice = rng.random()
                if choice < ARXIV_SHARE:
                    arxiv = next(arxiv_ids)
                    paper = Paper(title, gen.arxiv_url(arxiv), arxiv)
                    stats.arxiv += 1
                elif choice < 1 - NO_URL_SHARE:
                    paper = Paper(title, gen.url(rng.choice(other_hosts)), None)
                else:
                    paper = Paper(title + " " + gen.token(_ALNUM, 4).upper(), "", None)
                    stats.no_url += 1
                listed.append(paper)
                url = paper.url
                title = paper.title
            if not url:
                paper_cell = title
            elif rng.random() < 0.015 and ": " in title:
                name, rest = title.split(": ", 1)
                paper_cell = f"**{name}**: [{rest}]({url})"
            else:
                paper_cell = f"[{title}]({url})"
            intro = gen.introduction()
            if intro:
                intro = gen.with_known_words(intro, stats)
            stats.rows += 1
            stats.stars[stars] += 1
            both = (title + " " + intro).lower()
            for word in KNOWN_WORDS:
                stats.known[word] += word.lower() in both
            stats.lookalikes += sum(1 for ch in paper_cell + intro if "\u2e80" <= ch <= "\u2fdf")
            emit(_row(id_cell, paper_cell, intro))
        emit("\n")
    return stats


def abstracts(count: int, seed: int, seed_text: str) -> list[str]:
    """`count` abstracts for the benchmark's search database (papers fetched from arXiv carry one)."""
    generator = Generator(load_vocabulary(seed_text), random.Random(seed))
    return [generator.abstract() for _ in range(count)]


def parse_count(text: str) -> int:
    match = re.fullmatch(r"(\d+)([km]?)", text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"not a paper count: {text!r} (say 1000, 10k or 1m)")
    return int(match.group(1)) * {"": 1, "k": 1000, "m": 1_000_000}[match.group(2)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=parse_count, default=1000, help="table rows to write (1000, 10k, 1m)")
    parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same file")
    parser.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
    parser.add_argument("--seed-file", type=Path, default=SEED_FILE, help="the list whose vocabulary is used")
    parser.add_argument("-q", "--quiet", action="store_true", help="print no summary on stderr")
    args = parser.parse_args(argv)
    if args.papers < 1:
        parser.error("--papers must be at least 1")
    seed_text = args.seed_file.read_text(encoding="utf-8")
    if args.output is None:
        try:
            stats = generate(args.papers, args.seed, sys.stdout, seed_text)
            sys.stdout.flush()
        except BrokenPipeError:  # `| head`: the reader has all it wants
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        partial = args.output.with_name(args.output.name + ".partial")
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            stats = generate(args.papers, args.seed, out, seed_text)
        partial.replace(args.output)  # never leave a half-written list where a cached one is expected
    if not args.quiet:
        rows = stats.rows or 1
        stars = " ".join(f"{n}:{100 * stats.stars[n] / rows:.0f}%" for n in range(6))
        known = " ".join(f"{w}:{100 * c / rows:.1f}%" for w, c in stats.known.items())
        print(
            f"{stats.rows} rows ({stats.duplicates} duplicates, {100 * stats.arxiv / rows:.0f}% arXiv,"
            f" {stats.no_url} without URL) in {stats.sections} sections, {stats.bytes / 2**20:.1f} MiB;"
            f" stars {stars}; rows mentioning {known}; {stats.lookalikes} look-alike characters",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
