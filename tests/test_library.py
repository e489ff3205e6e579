"""The reader's own library: add by every REF form, offline, duplicates, arXiv and DOI as one paper, own lists."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from helpers import json_out, ok, snapshot

LLAMA2 = "2307.09288"
LLAMA2_TITLE = "Llama 2: Open Foundation and Fine-Tuned Chat Models"


@pytest.fixture
def db() -> Path:
    return Path(os.environ["LLMREADS_DB"])


@pytest.fixture
def llama2(services):  # type: ignore[no-untyped-def]
    services.add_arxiv(LLAMA2, LLAMA2_TITLE, ["Hugo Touvron", "Louis Martin", "Kevin Stone"],
                       abstract="In this work, we develop and release Llama 2.", published="2023-07-18T14:31:57Z")
    return services


def query(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "ref", [LLAMA2, f"arXiv:{LLAMA2}v2", f"https://arxiv.org/abs/{LLAMA2}", f"https://arxiv.org/pdf/{LLAMA2}v3.pdf"]
)
def test_add_by_every_arxiv_form(seeded, cli, llama2, db, ref):
    added = json_out(cli("add", ref, "--json"))
    assert [(a["key"], a["title"], a["to_list"], a["added"], a["fetched"]) for a in added] == [
        (f"arxiv:{LLAMA2}", LLAMA2_TITLE, "added", True, True)]
    assert llama2.arxiv_requests == [[LLAMA2]]
    assert query(db, "SELECT authors, year, published, source FROM paper_metadata WHERE key = ?", f"arxiv:{LLAMA2}") \
        == [('["Hugo Touvron", "Louis Martin", "Kevin Stone"]', 2023, "2023-07-18", "arxiv")]
    listed = json_out(cli("list", "--list", "added", "--json"))
    assert [p["title"] for p in listed] == [LLAMA2_TITLE]
    assert LLAMA2_TITLE in [r["title"] for r in json_out(cli("search", "Llama", "--json"))]


def test_add_by_doi_forms(seeded, cli, services, db):
    services.add_crossref("10.18653/v1/N19-1423", "BERT: Pre-training of Deep Bidirectional Transformers",
                          [("Jacob", "Devlin"), ("Ming-Wei", "Chang")])
    added = json_out(cli("add", "https://doi.org/10.18653/V1/N19-1423", "--json"))
    assert (added[0]["key"], added[0]["title"]) == ("doi:10.18653/v1/n19-1423",
                                                    "BERT: Pre-training of Deep Bidirectional Transformers")
    again = json_out(cli("add", "doi:10.18653/v1/n19-1423", "--json"))
    assert (again[0]["added"], again[0]["held_by"]) == (False, ["added"])
    assert services.crossref_requests == ["10.18653/V1/N19-1423"]  # the second time, the database knew it


def test_add_other_url_needs_a_title(seeded, cli, one_error, db):
    error = one_error(cli("add", "https://example.com/blog/my-paper"))
    assert "https://example.com/blog/my-paper" in error and "--title" in error
    added = json_out(cli("add", "https://example.com/blog/my-paper", "--title", "My Paper", "--json"))
    assert (added[0]["key"], added[0]["title"]) == ("url:example.com/blog/my-paper", "My Paper")


def test_add_not_a_ref_names_it_and_writes_nothing(seeded, cli, one_error, db):
    ok(cli("list", "--limit", "1"))
    before = snapshot(db)
    assert "'lora please'" in one_error(cli("add", LLAMA2, "lora please"))
    assert snapshot(db) == before


def test_add_offline_adds_what_is_known_and_says_how_to_fetch_later(seeded, cli, db):
    result = cli("add", LLAMA2, "--status", "reading", "--note", "from Ada")
    out = ok(result)
    assert f"arXiv:{LLAMA2}" in out
    hints = [line for line in result.stderr.splitlines() if "metadata not fetched" in line]
    assert len(hints) == 1 and "could not be reached" in hints[0] and "llmreads enrich" in hints[0]
    shown = json_out(cli("show", LLAMA2, "--json"))
    assert (shown["title"], shown["status"], shown["url"]) == (f"arXiv:{LLAMA2}", "reading",
                                                               f"https://arxiv.org/abs/{LLAMA2}")
    assert [n["text"] for n in shown["notes"]] == ["from Ada"]
    assert query(db, "SELECT year, source, fetched_at FROM paper_metadata WHERE key = ?", f"arxiv:{LLAMA2}") == [
        (2023, "id", None)]


@pytest.mark.parametrize("mode", ["slow", "fail", "malformed", "rate"])
def test_add_with_a_failing_service_still_adds(seeded, cli, llama2, mode):
    llama2.arxiv_mode, llama2.slow_s = mode, 1.5
    result = cli("add", LLAMA2, "--json")
    assert json_out(result)[0]["fetched"] is False
    assert "metadata not fetched: the arXiv API" in result.stderr


def test_add_an_id_arxiv_does_not_know_adds_nothing(seeded, cli, services, one_error, db):
    ok(cli("list", "--limit", "1"))
    before = snapshot(db)
    assert "2401.99999" in one_error(cli("add", "2401.99999"))
    assert snapshot(db) == before


def test_add_a_paper_already_in_the_bundled_list(seeded, cli, services, db):
    result = cli("add", "2106.09685", "--list", "peft")
    out = ok(result)
    assert "Already there: 50f228" in out and "LLM_Paper_Reading" in out and "added to peft too" in out
    assert services.arxiv_requests == [["2106.09685"]]  # it has no metadata yet (the service has none either)
    peft = json_out(cli("list", "--list", "peft", "--json"))
    assert [p["id"] for p in peft] == ["50f228"]
    assert len(json_out(cli("list", "--json", "--stars", "0"))) == 118  # still one paper


def test_arxiv_and_doi_of_one_paper_are_one_paper(seeded, cli, services, db):
    services.add_arxiv("1810.04805", "BERT", ["Jacob Devlin"], doi="10.18653/v1/N19-1423")
    services.add_crossref("10.18653/v1/N19-1423", "BERT (NAACL)", [("Jacob", "Devlin")])
    ok(cli("add", "1810.04805"))
    second = json_out(cli("add", "10.18653/v1/N19-1423", "--json"))[0]
    assert (second["added"], second["key"]) == (False, "arxiv:1810.04805")
    assert services.crossref_requests == []  # the arXiv record named the DOI: nothing to fetch
    assert len(json_out(cli("list", "--list", "added", "--json"))) == 1
    assert json_out(cli("show", "doi:10.18653/v1/n19-1423", "--json"))["key"] == "arxiv:1810.04805"


def test_doi_first_then_its_arxiv_preprint_is_one_paper(seeded, cli, services, db):
    services.add_crossref("10.1234/paper", "A Paper (NAACL)", [("Ada", "Lovelace")],
                          relation={"has-preprint": [{"id-type": "arxiv", "id": "2401.00001"}]})
    services.add_arxiv("2401.00001", "A Paper", ["Ada Lovelace"])
    ok(cli("add", "10.1234/paper"))
    second = json_out(cli("add", "arXiv:2401.00001", "--json"))[0]
    assert (second["added"], second["key"]) == (False, "doi:10.1234/paper")
    assert services.arxiv_requests == []  # the DOI's record named the preprint
    assert json_out(cli("show", "2401.00001", "--json"))["key"] == "doi:10.1234/paper"


def test_a_doi_whose_preprint_is_in_the_bundled_list_is_that_paper(seeded, cli, services, db):
    services.add_crossref("10.1234/bert", "BERT (NAACL)", [("Jacob", "Devlin")],
                          relation={"has-preprint": [{"id-type": "arxiv", "id": "1810.04805"}]})
    added = json_out(cli("add", "10.1234/bert", "--json"))[0]
    assert (added["added"], added["key"], added["held_by"]) == (False, "arxiv:1810.04805", ["LLM_Paper_Reading"])


def test_doi_added_when_its_arxiv_twin_is_there_becomes_an_alias(seeded, cli, services, db):
    ok(cli("add", "1810.04805"))  # offline: nothing says it has a DOI yet
    services.add_crossref("10.1234/bert", "BERT (NAACL)", [("Jacob", "Devlin")],
                          relation={"has-preprint": [{"id-type": "doi", "id": "10.48550/arXiv.1810.04805"}]})
    second = json_out(cli("add", "10.1234/bert", "--json"))[0]
    assert (second["added"], second["key"], second["aliased"]) == (False, "arxiv:1810.04805", "doi:10.1234/bert")
    assert query(db, "SELECT alias, key FROM key_aliases") == [("doi:10.1234/bert", "arxiv:1810.04805")]


def test_add_sections_status_and_own_list(seeded, cli, llama2, db):
    ok(cli("add", LLAMA2, "--list", "to-read", "--section", "Open models", "--status", "read"))
    sections = json_out(cli("sections", "--json"))
    assert any(s["title"] == "Open models" for s in sections)
    rows = json_out(cli("list", "--list", "to-read", "--section", "open models", "--json"))
    assert [(r["title"], r["status"]) for r in rows] == [(LLAMA2_TITLE, "read")]
    assert query(db, "SELECT owner FROM lists WHERE name = 'to-read'") == [("alice",)]


def test_add_to_a_curated_list_or_anothers_is_refused(seeded, cli, llama2, one_error, db):
    assert "--list LLM_Paper_Reading" in one_error(cli("add", LLAMA2, "--list", "LLM_Paper_Reading"))
    ok(cli("--user", "bob", "add", LLAMA2))
    assert "bob's own list" in one_error(cli("add", LLAMA2, "--list", "added"))
    # With no --list, alice's default is a list of her own.
    assert json_out(cli("add", LLAMA2, "--json"))[0]["to_list"] == "added-alice"


def test_added_papers_survive_reimporting_a_curated_list(seeded, cli, llama2, db, tmp_path):
    ok(cli("add", LLAMA2, "2106.09685"))
    seed = Path(__file__).resolve().parents[1] / "seeds" / "llm_paper_reading.md"
    changed = tmp_path / "list.md"
    changed.write_text(seed.read_text(encoding="utf-8").replace("LORA", "LoRA v2"), encoding="utf-8")
    ok(cli("import", str(changed), "--name", "LLM_Paper_Reading"))
    ok(cli("remove-list", "LLM_Paper_Reading"))
    rows = json_out(cli("list", "--list", "added", "--json"))
    assert sorted(r["key"] for r in rows) == ["arxiv:2106.09685", f"arxiv:{LLAMA2}"]
    assert query(db, "SELECT count(*) FROM paper_metadata WHERE source = 'arxiv'") == [(1,)]


def test_an_import_cannot_replace_an_own_list(seeded, cli, llama2, one_error, db, tmp_path):
    ok(cli("add", LLAMA2))
    doc = tmp_path / "l.md"
    doc.write_text("# L\n\n1. [A paper](https://example.org/a)\n", encoding="utf-8")
    assert "'added'" in one_error(cli("import", str(doc), "--name", "added"))
    assert len(json_out(cli("list", "--list", "added", "--json"))) == 1


def test_remove_list_of_own_list_asks_for_force(seeded, cli, llama2, one_error, db):
    ok(cli("add", LLAMA2))
    error = one_error(cli("remove-list", "added"))
    assert "'added'" in error and "--force" in error
    ok(cli("remove-list", "added", "--force"))
    assert [r["name"] for r in json_out(cli("lists", "--json"))] == ["LLM_Paper_Reading"]


def test_add_status_is_a_usage_error_when_unknown(cli):
    result = cli("add", LLAMA2, "--status", "done")
    assert result.exit_code == 2 and "--status" in result.stderr


# ---------------------------------------------------------------- enrich and edit --arxiv


def arxiv_list(count: int) -> str:
    rows = "\n".join(f"| {n + 1} | [Paper number {n}](https://arxiv.org/abs/2301.{n:05d}) | intro {n} |"
                     for n in range(count))
    return f"# Many\n\n1. # All\n\n| ID | Paper | Introduction |\n| -- | ----- | ------------ |\n{rows}\n"


@pytest.fixture
def many(cli, services, tmp_path):  # type: ignore[no-untyped-def]
    doc = tmp_path / "many.md"
    doc.write_text(arxiv_list(300), encoding="utf-8")
    ok(cli("import", str(doc)))
    for n in range(300):
        services.add_arxiv(f"2301.{n:05d}", f"Paper Number {n}", [f"Author {n}", "Second Author"],
                           published=f"2023-01-{n % 28 + 1:02d}T10:00:00Z")
    return services


def test_enrich_300_papers_in_batches_of_100(cli, many, db):
    counts = json_out(cli("enrich", "--list", "Many", "--json"))
    assert (counts["wanted"], counts["fetched"], counts["requests"]) == (300, 300, 3)
    assert [len(batch) for batch in many.arxiv_requests] == [100, 100, 100]
    assert query(db, "SELECT count(*) FROM paper_metadata WHERE fetched_at IS NOT NULL") == [(300,)]
    again = json_out(cli("enrich", "--list", "Many", "--json"))  # nothing left to fetch
    assert (again["wanted"], again["requests"]) == (0, 0)
    forced = json_out(cli("enrich", "--list", "Many", "--force", "--json"))
    assert (forced["wanted"], forced["requests"]) == (300, 3)


def test_interrupted_enrich_keeps_what_it_fetched_and_resumes(cli, many, one_error, db):
    many.fail_after = 1  # the second request fails
    error = one_error(cli("enrich", "--list", "Many"))
    assert "HTTP 500" in error and "100 papers" in error and "llmreads enrich" in error
    assert query(db, "SELECT count(*) FROM paper_metadata WHERE fetched_at IS NOT NULL") == [(100,)]
    many.fail_after = None
    many.arxiv_requests.clear()
    counts = json_out(cli("enrich", "--list", "Many", "--json"))
    assert (counts["wanted"], counts["fetched"]) == (200, 200)
    assert [len(batch) for batch in many.arxiv_requests] == [100, 100]
    assert "2301.00000" not in many.arxiv_requests[0]  # the first batch is not asked for again


def test_reimport_keeps_fetched_metadata(cli, many, db, tmp_path):
    ok(cli("enrich", "--list", "Many"))
    doc = tmp_path / "many.md"
    doc.write_text(arxiv_list(300).replace("intro 7 ", "new intro "), encoding="utf-8")
    ok(cli("import", str(doc)))
    shown = json_out(cli("show", "2301.00007", "--json"))
    assert (shown["authors"], shown["year"]) == (["Author 7", "Second Author"], 2023)


def test_enrich_uses_crossref_for_dois(seeded, cli, services, db):
    ok(cli("add", "10.1234/some.paper"))  # offline for Crossref
    services.add_crossref("10.1234/some.paper", "Some Paper", [("Ada", "Lovelace")], year=2020)
    counts = json_out(cli("enrich", "--list", "added", "--json"))
    assert (counts["fetched"], services.crossref_requests[-1]) == (1, "10.1234/some.paper")
    shown = json_out(cli("show", "doi:10.1234/some.paper", "--json"))
    assert (shown["authors"], shown["year"]) == (["Ada Lovelace"], 2020)


def test_bundled_papers_not_on_arxiv_get_their_ids_from_the_data_file(seeded, cli, services, db):
    services.add_arxiv("2201.11903", "Chain-of-Thought Prompting Elicits Reasoning in Large Language Models",
                       ["Jason Wei", "Xuezhi Wang"], published="2022-01-28T02:33:07Z")
    counts = json_out(cli("enrich", "--json"))
    assert counts["linked"] == 7
    cot = json_out(cli("show", "2a195b", "--json"))
    assert (cot["key"], cot["arxiv"], cot["authors"], cot["year"]) == (
        "url:paperswithcode.com/paper/chain-of-thought-prompting-elicits-reasoning", "2201.11903",
        ["Jason Wei", "Xuezhi Wang"], 2022)
    assert json_out(cli("show", "2201.11903", "--json"))["id"] == "2a195b"  # the arXiv id names it too
    assert ok(cli("open", "2a195b", "--print")).strip() == "https://arxiv.org/abs/2201.11903"


def test_edit_gives_a_paper_its_arxiv_id(seeded, cli, services, db):
    services.add_arxiv("2302.13971", "LLaMA: Open and Efficient Foundation Language Models", ["Hugo Touvron"],
                       published="2023-02-27T18:00:00Z")
    out = ok(cli("edit", "b2c3ad", "--arxiv", "https://arxiv.org/abs/2302.13971v1"))
    assert "b2c3ad" in out and "2302.13971" in out
    llama = json_out(cli("show", "arXiv:2302.13971", "--json"))
    assert (llama["id"], llama["key"].startswith("url:scontent"), llama["authors"], llama["year"]) == (
        "b2c3ad", True, ["Hugo Touvron"], 2023)
    assert ok(cli("open", "b2c3ad", "--print")).strip() == "https://arxiv.org/abs/2302.13971"
    # A list that links the paper by arXiv later finds the same paper's user data.
    ok(cli("mark-read", "b2c3ad"))
    assert json_out(cli("show", "2302.13971", "--json"))["status"] == "read"


def test_edit_offline_links_the_id_and_says_metadata_waits(seeded, cli, db):
    result = cli("edit", "b2c3ad", "--arxiv", "2302.13971")
    ok(result)
    assert "metadata not fetched" in result.stderr and "llmreads enrich" in result.stderr
    assert json_out(cli("show", "2302.13971", "--json"))["id"] == "b2c3ad"


def test_edit_refuses_an_id_of_another_paper_or_a_bad_id(seeded, cli, one_error, db):
    ok(cli("list", "--limit", "1"))
    error = one_error(cli("edit", "b2c3ad", "--arxiv", "2106.09685"))
    assert "2106.09685" in error and "50f228" in error
    assert "'nonsense'" in one_error(cli("edit", "b2c3ad", "--arxiv", "nonsense"))


# ---------------------------------------------------------------- shown, filtered, searched, exported


@pytest.fixture
def attention(cli, services):  # type: ignore[no-untyped-def]
    """The bundled Transformer paper with its metadata fetched, and an added paper of 2023."""
    services.add_arxiv("1706.03762", "Attention Is All You Need", ["Ashish Vaswani", "Noam Shazeer"],
                       abstract="The dominant sequence transduction models are based on complex recurrent networks"
                       " that later models such as BERT build on.",
                       published="2017-06-12T17:57:34Z", category="cs.CL")
    services.add_arxiv(LLAMA2, LLAMA2_TITLE, ["Hugo Touvron"], published="2023-07-18T14:31:57Z",
                       abstract="Llama 2 is a collection of pretrained and fine-tuned models, see also transduction.")
    ok(cli("add", LLAMA2))
    ok(cli("enrich"))
    return services


def test_authors_year_and_abstract_in_show_and_json(seeded, cli, attention):
    shown = json_out(cli("show", "1706.03762", "--json"))
    assert (shown["authors"], shown["year"]) == (["Ashish Vaswani", "Noam Shazeer"], 2017)
    assert shown["abstract"].startswith("The dominant sequence transduction models")
    listed = {p["key"]: p for p in json_out(cli("list", "--json"))}
    assert (listed["arxiv:1706.03762"]["authors"], listed["arxiv:1706.03762"]["year"]) == (
        ["Ashish Vaswani", "Noam Shazeer"], 2017)
    assert listed["arxiv:2106.09685"]["authors"] == []
    text = ok(cli("show", "1706.03762", env={"COLUMNS": "100"}))
    assert "authors  Ashish Vaswani, Noam Shazeer" in text and "year  2017" in text and "abstract" in text


def test_list_by_year_and_range(seeded, cli, attention):
    in_2017 = json_out(cli("list", "--year", "2017", "--json"))
    assert "arxiv:1706.03762" in [p["key"] for p in in_2017] and all(p["year"] == 2017 for p in in_2017)
    in_range = json_out(cli("list", "--year", "2022..2023", "--json"))
    assert in_range and all(p["year"] in (2022, 2023) for p in in_range)
    assert f"arxiv:{LLAMA2}" in [p["key"] for p in in_range]


@pytest.mark.parametrize("bad", ["twenty", "2023..2022", "23"])
def test_list_year_usage_error_names_the_option(cli, bad):
    result = cli("list", "--year", bad)
    assert result.exit_code == 2 and "--year" in result.stderr


def test_search_author_and_year_qualifiers(seeded, cli, attention, one_error):
    by_author = json_out(cli("search", "author:vaswani", "--json"))
    assert [p["key"] for p in by_author] == ["arxiv:1706.03762"]
    both = json_out(cli("search", "attention author:VASWANI year:2017", "--json"))
    assert [p["key"] for p in both] == ["arxiv:1706.03762"]
    recent = json_out(cli("search", "attention year:2023..2024", "--json"))
    assert all(p["year"] in (2023, 2024) for p in recent) and "arxiv:1706.03762" not in [p["key"] for p in recent]
    in_2023 = json_out(cli("search", "year:2023", "--json"))
    assert f"arxiv:{LLAMA2}" in [p["key"] for p in in_2023] and all(p["year"] == 2023 for p in in_2023)
    assert "year:soon" in one_error(cli("search", "attention year:soon"))


def test_abstracts_are_searched_below_titles_and_introductions(seeded, cli, attention):
    assert [p["key"] for p in json_out(cli("search", "recurrent", "--json"))] == ["arxiv:1706.03762"]
    hits = json_out(cli("search", "bert", "--json"))
    # The Transformer paper has the word in its fetched abstract alone: it comes after every paper with
    # it in an introduction, though it has more stars than any of them.
    assert len(hits) >= 4 and hits[-1]["key"] == "arxiv:1706.03762"
    assert hits[-1]["stars"] > max(p["stars"] for p in hits[:-1])
    assert "complex recurrent networks" in ok(cli("search", "recurrent"))  # its snippet comes from the abstract


def test_bibtex_has_authors_and_parses_back(seeded, cli, attention):
    import bibtexparser

    library = bibtexparser.parse_string(ok(cli("export", "--format", "bibtex")))
    entries = {e.fields_dict["eprint"].value: e for e in library.entries if "eprint" in e.fields_dict}
    attention_entry = entries["1706.03762"]
    assert attention_entry.fields_dict["author"].value == "Ashish Vaswani and Noam Shazeer"
    assert attention_entry.fields_dict["year"].value == "2017"
    assert entries[LLAMA2].fields_dict["title"].value == "{" + LLAMA2_TITLE + "}"
    assert "author" not in entries["2106.09685"].fields_dict  # no metadata fetched for it


def test_search_index_stays_exact_through_add_enrich_edit_and_reimport(seeded, cli, attention, db, tmp_path):
    from llmreads.db import open_db
    from test_index import assert_index_is_current

    ok(cli("enrich", "--force"))
    ok(cli("edit", "b2c3ad", "--arxiv", "2302.13971"))
    ok(cli("remove-list", "added", "--force"))
    seed = Path(__file__).resolve().parents[1] / "seeds" / "llm_paper_reading.md"
    doc = tmp_path / "list.md"
    doc.write_text(seed.read_text(encoding="utf-8").replace("Attention Is All You Need", "Attention!"), "utf-8")
    ok(cli("import", str(doc), "--name", "LLM_Paper_Reading"))
    conn = open_db(db)
    try:
        assert_index_is_current(conn)
    finally:
        conn.close()


# ---------------------------------------------------------------- user data


def test_user_data_carries_added_papers_with_their_metadata(seeded, cli, llama2, db, tmp_path):
    ok(cli("add", LLAMA2, "--list", "to-read", "--section", "Open models", "--status", "reading"))
    llama2.arxiv_mode = "fail"
    ok(cli("add", "2401.00001"))  # offline: no metadata
    ok(cli("add", "https://example.com/notes", "--title", "My notes on it"))
    exported = tmp_path / "alice.json"
    ok(cli("user-data", "export", "-o", str(exported)))
    papers = json.loads(exported.read_text(encoding="utf-8"))["users"]["alice"]["papers"]
    assert [(p["list"], p["section"], p["key"]) for p in papers] == [
        ("to-read", "Open models", f"arxiv:{LLAMA2}"), ("added", "Papers", "arxiv:2401.00001"),
        ("added", "Papers", "url:example.com/notes")]
    assert papers[0]["metadata"]["authors"] == ["Hugo Touvron", "Louis Martin", "Kevin Stone"]
    assert "metadata" not in papers[1]

    other = {"LLMREADS_DB": str(tmp_path / "other.db")}
    report = json_out(cli("user-data", "import", str(exported), "--json", env=other))
    assert report["users"]["alice"]["papers"] == {"added": 3, "updated": 0, "kept": 0}
    assert llama2.arxiv_requests == [[LLAMA2], ["2401.00001"]]  # the import asked no service
    shown = json_out(cli("show", LLAMA2, "--json", env=other))
    assert (shown["title"], shown["authors"], shown["year"], shown["status"]) == (
        LLAMA2_TITLE, ["Hugo Touvron", "Louis Martin", "Kevin Stone"], 2023, "reading")
    assert shown["abstract"] == "In this work, we develop and release Llama 2."
    assert [p["key"] for p in json_out(cli("list", "--list", "added", "--json", env=other))] == [
        "arxiv:2401.00001", "url:example.com/notes"]
    assert LLAMA2_TITLE in [p["title"] for p in json_out(cli("search", "develop release", "--json", env=other))]
    again = json_out(cli("user-data", "import", str(exported), "--json", env=other))
    assert again["users"]["alice"]["papers"] == {"added": 0, "updated": 0, "kept": 3}
    assert len(json_out(cli("list", "--list", "to-read", "--json", env=other))) == 1


def test_user_data_with_a_bad_paper_record_names_it(cli, one_error, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "llmreads-user-data", "version": 1, "users": {"alice": {
        "papers": [{"list": "added", "section": "Papers", "key": "arxiv:2401.00001", "title": "T",
                    "url": "https://arxiv.org/abs/2401.00001", "metadata": {"source": "arxiv", "year": "soon"}}]}}}))
    assert "papers[0].metadata.year" in one_error(cli("user-data", "import", str(bad)))


# ---------------------------------------------------------------- add --tag


def test_add_with_tags_tags_the_new_paper_for_the_adding_user(seeded, cli, llama2, db):
    added = json_out(cli("add", LLAMA2, "--tag", "Open-Models", "--tag", "llama", "--tag", "open-models", "--json"))
    assert (added[0]["added"], added[0]["tagged"]) == (True, ["llama", "open-models"])
    assert json_out(cli("show", LLAMA2, "--json"))["tags"] == ["llama", "open-models"]
    assert json_out(cli("tags", "--json")) == [{"tag": "llama", "papers": 1}, {"tag": "open-models", "papers": 1}]
    assert json_out(cli("--user", "bob", "show", LLAMA2, "--json"))["tags"] == []
    assert [p["key"] for p in json_out(cli("list", "--tag", "llama", "--json"))] == [f"arxiv:{LLAMA2}"]


def test_add_with_tags_of_a_paper_already_there_says_they_were_added(seeded, cli, services, db):
    ok(cli("tag", "2106.09685", "peft"))
    result = cli("add", "2106.09685", "--list", "peft", "--tag", "PEFT", "--tag", "lora")
    out = ok(result)
    line = next(line for line in out.splitlines() if "Already there: 50f228" in line)
    assert "(in LLM_Paper_Reading)" in line and "added to peft too" in line and "tagged lora" in line
    assert "tagged lora, peft" not in line  # it had peft already
    assert json_out(cli("show", "50f228", "--json"))["tags"] == ["lora", "peft"]
    again = json_out(cli("add", "2106.09685", "--list", "peft", "--tag", "lora", "--json"))[0]
    assert (again["added"], again["held_by"], again["tagged"]) == (False, ["LLM_Paper_Reading", "peft"], [])


def test_add_with_a_bad_tag_names_the_option_and_adds_nothing(seeded, cli, llama2, one_error, db):
    ok(cli("list", "--limit", "1"))
    before = snapshot(db)
    error = one_error(cli("add", LLAMA2, "--tag", "peft", "--tag", "two words"))
    assert "--tag" in error and "'two words'" in error
    assert snapshot(db) == before
    assert llama2.arxiv_requests == []  # refused before anything was fetched


def test_add_help_shows_the_tag_option(cli):
    assert "--tag" in ok(cli("add", "--help"))


# ---------------------------------------------------------------- a fetched record matched by its title

LLAMA = "2302.13971"
LLAMA_TITLE = "LLaMA: Open and Efficient Foundation Language Models"
COT = "2201.11903"


@pytest.fixture
def llama(services):  # type: ignore[no-untyped-def]
    # As arXiv writes it: another case, other spacing and punctuation than the bundled list's title.
    services.add_arxiv(LLAMA, "LLaMA:  open and efficient foundation language models.", ["Hugo Touvron"],
                       abstract="We introduce LLaMA, a collection of foundation language models.",
                       published="2023-02-27T18:00:00Z")
    return services


def test_add_links_a_record_to_the_one_paper_of_its_title(seeded, cli, llama, db):
    result = cli("add", LLAMA, "--json")
    added = json_out(result)[0]
    assert (added["added"], added["id"], added["linked"], added["held_by"]) == (
        False, "b2c3ad", LLAMA, ["LLM_Paper_Reading"])
    llama_paper = json_out(cli("show", "b2c3ad", "--json"))
    assert (llama_paper["key"].startswith("url:scontent"), llama_paper["arxiv"], llama_paper["authors"]) == (
        True, LLAMA, ["Hugo Touvron"])
    assert json_out(cli("show", f"arXiv:{LLAMA}", "--json"))["id"] == "b2c3ad"
    assert ok(cli("open", "b2c3ad", "--print")).strip() == f"https://arxiv.org/abs/{LLAMA}"
    assert [p["id"] for p in json_out(cli("list", "--list", "added", "--json"))] == ["b2c3ad"]
    assert query(db, "SELECT count(*) FROM papers WHERE key = ?", f"arxiv:{LLAMA}") == [(0,)]
    assert query(db, "SELECT alias FROM key_aliases WHERE key LIKE 'url:scontent%'") == [(f"arxiv:{LLAMA}",)]


def test_add_says_which_paper_the_title_matched(seeded, cli, llama):
    out = ok(cli("add", LLAMA, "--list", "models"))
    assert out.strip() == (f"Already in list LLM_Paper_Reading as b2c3ad  {LLAMA_TITLE}; linked to arXiv {LLAMA};"
                           " added to models too")


def test_title_match_folds_traditional_and_simplified(cli, services, tmp_path):
    doc = tmp_path / "zh.md"
    doc.write_text("# 中文\n\n1. [大語言模型綜述](https://example.org/survey-zh)\n", encoding="utf-8")
    ok(cli("import", str(doc)))
    services.add_arxiv("2303.18223", "大语言模型综述", ["Wayne Xin Zhao"])
    added = json_out(cli("add", "2303.18223", "--json"))[0]
    assert (added["added"], added["title"], added["linked"]) == (False, "大語言模型綜述", "2303.18223")


def test_a_title_of_two_papers_adds_a_new_one_and_names_both(seeded, cli, llama, tmp_path):
    ok(cli("list", "--limit", "1"))  # the bundled list first
    doc = tmp_path / "other.md"
    # A title that folds to the bundled one, but which the import does not take for the same paper.
    doc.write_text("# Other\n\n1. [LLaMA - open and efficient foundation language models](https://example.org/llama.pdf)\n",
                   encoding="utf-8")
    ok(cli("import", str(doc)))
    other = json_out(cli("list", "--list", "Other", "--json"))[0]["id"]
    result = cli("add", LLAMA, "--json")
    added = json_out(result)[0]
    assert (added["added"], added["key"], added["linked"]) == (True, f"arxiv:{LLAMA}", None)
    hints = [line for line in result.stderr.splitlines() if LLAMA in line]
    assert len(hints) == 1
    assert "b2c3ad" in hints[0] and other in hints[0] and f"llmreads edit REF --arxiv {LLAMA}" in hints[0]
    assert json_out(cli("show", "b2c3ad", "--json"))["arxiv"] is None  # neither was linked


def test_a_paper_with_an_arxiv_id_is_never_matched_by_title(seeded, cli, services):
    # LoRA is in the bundled list under its own arXiv id; a record of another id with its title is another paper.
    services.add_arxiv("2401.00002", "LoRA: Low-Rank Adaptation of Large Language Models", ["Someone Else"])
    added = json_out(cli("add", "2401.00002", "--json"))[0]
    assert (added["added"], added["key"], added["linked"]) == (True, "arxiv:2401.00002", None)
    assert json_out(cli("show", "50f228", "--json"))["arxiv"] == "2106.09685"


def test_edit_then_makes_the_added_paper_the_one_the_user_names(seeded, cli, llama, tmp_path, db):
    ok(cli("list", "--limit", "1"))
    doc = tmp_path / "other.md"
    doc.write_text("# Other\n\n1. [LLaMA - open and efficient foundation language models](https://example.org/llama.pdf)\n",
                   encoding="utf-8")
    ok(cli("import", str(doc)))
    added = json_out(cli("add", LLAMA, "--status", "reading", "--tag", "llama", "--json"))[0]
    assert added["added"] is True
    out = ok(cli("edit", "b2c3ad", "--arxiv", LLAMA))  # as the line printed by add says
    assert "b2c3ad" in out and LLAMA in out
    shown = json_out(cli("show", f"arXiv:{LLAMA}", "--json"))
    assert (shown["id"], shown["status"], shown["tags"], shown["authors"]) == (
        "b2c3ad", "reading", ["llama"], ["Hugo Touvron"])
    assert [p["id"] for p in json_out(cli("list", "--list", "added", "--json"))] == ["b2c3ad"]
    assert query(db, "SELECT count(*) FROM papers WHERE key = ?", f"arxiv:{LLAMA}") == [(0,)]
    assert [p["id"] for p in json_out(cli("search", "foundation language models", "--json"))].count("b2c3ad") == 1
    from llmreads.db import open_db
    from test_index import assert_index_is_current

    conn = open_db(db)
    try:
        assert_index_is_current(conn)
    finally:
        conn.close()


def test_edit_still_refuses_an_arxiv_id_a_curated_list_gives_another_paper(seeded, cli, one_error):
    ok(cli("list", "--limit", "1"))
    error = one_error(cli("edit", "b2c3ad", "--arxiv", "2106.09685"))
    assert "2106.09685" in error and "50f228" in error


def test_enrich_matches_a_paper_added_offline_to_the_one_of_its_title(cli, services, tmp_path, db):
    doc = tmp_path / "laws.md"
    doc.write_text("# Laws\n\n1. [Scaling Laws for Neural Language Models](https://example.org/scaling.pdf)\n",
                   encoding="utf-8")
    ok(cli("import", str(doc)))
    laws = json_out(cli("list", "--list", "Laws", "--json"))[0]["id"]
    services.arxiv_mode = "fail"
    ok(cli("add", "2001.08361", "--status", "read", "--tag", "scaling"))  # the service is down: no title yet
    services.arxiv_mode = "ok"
    services.add_arxiv("2001.08361", "Scaling laws for neural language models", ["Jared Kaplan"])
    counts = json_out(cli("enrich", "--list", "added", "--json"))
    assert (counts["fetched"], counts["matched"]) == (1, 1)
    shown = json_out(cli("show", "2001.08361", "--json"))
    assert (shown["id"], shown["status"], shown["tags"], shown["authors"]) == (
        laws, "read", ["scaling"], ["Jared Kaplan"])
    assert [p["id"] for p in json_out(cli("list", "--list", "added", "--json"))] == [laws]


def test_add_with_a_status_keeps_it_in_the_history(seeded, cli, llama2):
    ok(cli("add", LLAMA2, "--status", "read"))
    events = json_out(cli("history", "--json"))
    assert [(e["key"], e["status"]) for e in events] == [(f"arxiv:{LLAMA2}", "read")]
    ok(cli("add", LLAMA2, "--list", "again", "--status", "read"))  # read already: no second event
    assert len(json_out(cli("history", "--json"))) == 1


def test_enrich_matches_a_paper_added_offline_after_one_that_a_curated_list_holds(cli, services, tmp_path):
    doc = tmp_path / "laws.md"
    doc.write_text("# Laws\n\n1. [Scaling Laws for Neural Language Models](https://example.org/scaling.pdf)\n"
                   "2. [Compute-Optimal Models](https://arxiv.org/abs/2001.08360)\n", encoding="utf-8")
    ok(cli("import", str(doc)))
    laws = {p["title"]: p["id"] for p in json_out(cli("list", "--list", "Laws", "--json"))}
    services.arxiv_mode = "fail"
    ok(cli("add", "2001.08360"))  # in the curated list already: its record names it, nothing to match
    ok(cli("add", "2001.08361"))  # added offline: no title yet
    services.arxiv_mode = "ok"
    services.add_arxiv("2001.08360", "Compute-Optimal Models", ["Someone Else"])
    services.add_arxiv("2001.08361", "Scaling laws for neural language models", ["Jared Kaplan"])
    counts = json_out(cli("enrich", "--list", "added", "--json"))
    assert (counts["fetched"], counts["matched"]) == (2, 1)
    assert json_out(cli("show", "2001.08361", "--json"))["id"] == laws["Scaling Laws for Neural Language Models"]
    assert [p["id"] for p in json_out(cli("list", "--list", "added", "--json"))] == [
        laws["Compute-Optimal Models"], laws["Scaling Laws for Neural Language Models"]]
