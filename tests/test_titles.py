"""Title clean-up: the title without the quotes, marks, numbers and emoji lists put around it (issue 13)."""

from __future__ import annotations

import pytest

from llmreads.parse import parse
from llmreads.parse.titles import clean_title


@pytest.mark.parametrize(
    ("written", "clean"),
    [
        ('"Exploring the Limits of Transfer Learning"', "Exploring the Limits of Transfer Learning"),
        ("“Curly Quoted Title”", "Curly Quoted Title"),
        ("”Reversed Curly Quotes“", "Reversed Curly Quotes"),
        ("Pre-training to learn in context.", "Pre-training to learn in context"),
        ("Do Birds Reason?.", "Do Birds Reason?"),
        ('"Quoted and Stopped."', "Quoted and Stopped"),
        ("*Must-read Title", "Must-read Title"),
        ("*Must-read Title*", "Must-read Title"),
        ("Chatbots Impressing Birds with 90%*", "Chatbots Impressing Birds with 90%*"),
        ("Title With a Footnote [^ref]", "Title With a Footnote"),
        ("3) Lark Diffusion LMs", "Lark Diffusion LMs"),
        ("12. Numbered Title", "Numbered Title"),
        ("Egret: Efficient KV Cache Eviction(@SomeLab)", "Egret: Efficient KV Cache Eviction"),
        ("🔥🔥 Hot Bird Title ⭐️", "Hot Bird Title"),
        ("Waiting for the birds...", "Waiting for the birds..."),
        ("Birds, Bees, et al.", "Birds, Bees, et al."),
        ('"Well, Keep Flying": A Title Opening With a Quote', '"Well, Keep Flying": A Title Opening With a Quote'),
        ('"A" and "B" Birds', '"A" and "B" Birds'),
        ("3D Bird Reconstruction", "3D Bird Reconstruction"),
        ("GPT-4 Technical Report", "GPT-4 Technical Report"),
        ("Bird (2023)", "Bird (2023)"),
        ("🔥", "🔥"),
        ("🔥🔥[Egret] Egret: Efficient KV Cache Eviction(@SomeLab)", "Egret: Efficient KV Cache Eviction"),
        ("[Ibis] Paged Attention for Birds", "Paged Attention for Birds"),
        ("【Kiwi】 Flightless Decoding", "Flightless Decoding"),
        ("[Kea]", "[Kea]"),
        ("[Kea] Parrots", "[Kea] Parrots"),
        ("[bold]Bold[/] Paper", "[bold]Bold[/] Paper"),
        ("[bold]Bold[/] Paper on Many [red]Birds[/]", "[bold]Bold[/] Paper on Many [red]Birds[/]"),
        ("[crane]CRANE: An Engine for Wading Birds", "CRANE: An Engine for Wading Birds"),
        ("[TEE]Confidential Flight on Small Birds", "Confidential Flight on Small Birds"),
        ("[Re]Thinking", "[Re]Thinking"),
        ("[TEE]Flight on Birds", "Flight on Birds"),  # three words after a glued tag: the tag goes
        ("[TEE]Flight Birds", "[TEE]Flight Birds"),
        ("“Why Trust a Bird?” On the Flight of Model X", "“Why Trust a Bird?” On the Flight of Model X"),
    ],
)
def test_clean_title(written, clean):
    assert clean_title(written) == clean


def test_titles_are_cleaned_in_tables_too():
    doc = parse(
        "# T\n\n| Title | Link |\n| --- | --- |\n"
        '| **"Wren: A Tiny Bird Model."** | [pdf](https://arxiv.org/abs/2207.00001) |\n'
    )
    assert [(e.title, e.title_raw) for e in doc.entries] == [
        ("Wren: A Tiny Bird Model", '"Wren: A Tiny Bird Model."'),
    ]
