"""The reader's own library: add by every REF form, offline, duplicates, arXiv and DOI as one paper, own lists."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from conftest import json_out, ok, snapshot

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
def test_add_by_every_arxiv_form(cli, llama2, db, ref):
    added = json_out(cli("add", ref, "--json"))
    assert [(a["key"], a["title"], a["to_list"], a["added"], a["fetched"]) for a in added] == [
        (f"arxiv:{LLAMA2}", LLAMA2_TITLE, "added", True, True)]
    assert llama2.arxiv_requests == [[LLAMA2]]
    assert query(db, "SELECT authors, year, published, source FROM paper_metadata WHERE key = ?", f"arxiv:{LLAMA2}") \
        == [('["Hugo Touvron", "Louis Martin", "Kevin Stone"]', 2023, "2023-07-18", "arxiv")]
    listed = json_out(cli("list", "--list", "added", "--json"))
    assert [p["title"] for p in listed] == [LLAMA2_TITLE]
    assert LLAMA2_TITLE in [r["title"] for r in json_out(cli("search", "Llama", "--json"))]


def test_add_by_doi_forms(cli, services, db):
    services.add_crossref("10.18653/v1/N19-1423", "BERT: Pre-training of Deep Bidirectional Transformers",
                          [("Jacob", "Devlin"), ("Ming-Wei", "Chang")])
    added = json_out(cli("add", "https://doi.org/10.18653/V1/N19-1423", "--json"))
    assert (added[0]["key"], added[0]["title"]) == ("doi:10.18653/v1/n19-1423",
                                                    "BERT: Pre-training of Deep Bidirectional Transformers")
    again = json_out(cli("add", "doi:10.18653/v1/n19-1423", "--json"))
    assert (again[0]["added"], again[0]["held_by"]) == (False, ["added"])
    assert services.crossref_requests == ["10.18653/V1/N19-1423"]  # the second time, the database knew it


def test_add_other_url_needs_a_title(cli, one_error, db):
    error = one_error(cli("add", "https://example.com/blog/my-paper"))
    assert "https://example.com/blog/my-paper" in error and "--title" in error
    added = json_out(cli("add", "https://example.com/blog/my-paper", "--title", "My Paper", "--json"))
    assert (added[0]["key"], added[0]["title"]) == ("url:example.com/blog/my-paper", "My Paper")


def test_add_not_a_ref_names_it_and_writes_nothing(cli, one_error, db):
    ok(cli("list", "--limit", "1"))
    before = snapshot(db)
    assert "'lora please'" in one_error(cli("add", LLAMA2, "lora please"))
    assert snapshot(db) == before


def test_add_offline_adds_what_is_known_and_says_how_to_fetch_later(cli, db):
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
def test_add_with_a_failing_service_still_adds(cli, llama2, mode):
    llama2.arxiv_mode, llama2.slow_s = mode, 1.5
    result = cli("add", LLAMA2, "--json")
    assert json_out(result)[0]["fetched"] is False
    assert "metadata not fetched: the arXiv API" in result.stderr


def test_add_an_id_arxiv_does_not_know_adds_nothing(cli, services, one_error, db):
    ok(cli("list", "--limit", "1"))
    before = snapshot(db)
    assert "2401.99999" in one_error(cli("add", "2401.99999"))
    assert snapshot(db) == before


def test_add_a_paper_already_in_the_bundled_list(cli, services, db):
    result = cli("add", "2106.09685", "--list", "peft")
    out = ok(result)
    assert "Already there: 50f228" in out and "LLM_Paper_Reading" in out and "added to peft too" in out
    assert services.arxiv_requests == [["2106.09685"]]  # it has no metadata yet (the service has none either)
    peft = json_out(cli("list", "--list", "peft", "--json"))
    assert [p["id"] for p in peft] == ["50f228"]
    assert len(json_out(cli("list", "--json", "--stars", "0"))) == 118  # still one paper


def test_arxiv_and_doi_of_one_paper_are_one_paper(cli, services, db):
    services.add_arxiv("1810.04805", "BERT", ["Jacob Devlin"], doi="10.18653/v1/N19-1423")
    services.add_crossref("10.18653/v1/N19-1423", "BERT (NAACL)", [("Jacob", "Devlin")])
    ok(cli("add", "1810.04805"))
    second = json_out(cli("add", "10.18653/v1/N19-1423", "--json"))[0]
    assert (second["added"], second["key"]) == (False, "arxiv:1810.04805")
    assert services.crossref_requests == []  # the arXiv record named the DOI: nothing to fetch
    assert len(json_out(cli("list", "--list", "added", "--json"))) == 1
    assert json_out(cli("show", "doi:10.18653/v1/n19-1423", "--json"))["key"] == "arxiv:1810.04805"


def test_doi_first_then_its_arxiv_preprint_is_one_paper(cli, services, db):
    services.add_crossref("10.1234/paper", "A Paper (NAACL)", [("Ada", "Lovelace")],
                          relation={"has-preprint": [{"id-type": "arxiv", "id": "2401.00001"}]})
    services.add_arxiv("2401.00001", "A Paper", ["Ada Lovelace"])
    ok(cli("add", "10.1234/paper"))
    second = json_out(cli("add", "arXiv:2401.00001", "--json"))[0]
    assert (second["added"], second["key"]) == (False, "doi:10.1234/paper")
    assert services.arxiv_requests == []  # the DOI's record named the preprint
    assert json_out(cli("show", "2401.00001", "--json"))["key"] == "doi:10.1234/paper"


def test_a_doi_whose_preprint_is_in_the_bundled_list_is_that_paper(cli, services, db):
    services.add_crossref("10.1234/bert", "BERT (NAACL)", [("Jacob", "Devlin")],
                          relation={"has-preprint": [{"id-type": "arxiv", "id": "1810.04805"}]})
    added = json_out(cli("add", "10.1234/bert", "--json"))[0]
    assert (added["added"], added["key"], added["held_by"]) == (False, "arxiv:1810.04805", ["LLM_Paper_Reading"])


def test_doi_added_when_its_arxiv_twin_is_there_becomes_an_alias(cli, services, db):
    ok(cli("add", "1810.04805"))  # offline: nothing says it has a DOI yet
    services.add_crossref("10.1234/bert", "BERT (NAACL)", [("Jacob", "Devlin")],
                          relation={"has-preprint": [{"id-type": "doi", "id": "10.48550/arXiv.1810.04805"}]})
    second = json_out(cli("add", "10.1234/bert", "--json"))[0]
    assert (second["added"], second["key"], second["aliased"]) == (False, "arxiv:1810.04805", "doi:10.1234/bert")
    assert query(db, "SELECT alias, key FROM key_aliases") == [("doi:10.1234/bert", "arxiv:1810.04805")]


def test_add_sections_status_and_own_list(cli, llama2, db):
    ok(cli("add", LLAMA2, "--list", "to-read", "--section", "Open models", "--status", "read"))
    sections = json_out(cli("sections", "--json"))
    assert any(s["title"] == "Open models" for s in sections)
    rows = json_out(cli("list", "--list", "to-read", "--section", "open models", "--json"))
    assert [(r["title"], r["status"]) for r in rows] == [(LLAMA2_TITLE, "read")]
    assert query(db, "SELECT owner FROM lists WHERE name = 'to-read'") == [("alice",)]


def test_add_to_a_curated_list_or_anothers_is_refused(cli, llama2, one_error, db):
    assert "--list LLM_Paper_Reading" in one_error(cli("add", LLAMA2, "--list", "LLM_Paper_Reading"))
    ok(cli("--user", "bob", "add", LLAMA2))
    assert "bob's own list" in one_error(cli("add", LLAMA2, "--list", "added"))
    # With no --list, alice's default is a list of her own.
    assert json_out(cli("add", LLAMA2, "--json"))[0]["to_list"] == "added-alice"


def test_added_papers_survive_reimporting_a_curated_list(cli, llama2, db, tmp_path):
    ok(cli("add", LLAMA2, "2106.09685"))
    seed = Path(__file__).resolve().parents[1] / "seeds" / "llm_paper_reading.md"
    changed = tmp_path / "list.md"
    changed.write_text(seed.read_text(encoding="utf-8").replace("LORA", "LoRA v2"), encoding="utf-8")
    ok(cli("import", str(changed), "--name", "LLM_Paper_Reading"))
    ok(cli("remove-list", "LLM_Paper_Reading"))
    rows = json_out(cli("list", "--list", "added", "--json"))
    assert sorted(r["key"] for r in rows) == ["arxiv:2106.09685", f"arxiv:{LLAMA2}"]
    assert query(db, "SELECT count(*) FROM paper_metadata WHERE source = 'arxiv'") == [(1,)]


def test_an_import_cannot_replace_an_own_list(cli, llama2, one_error, db, tmp_path):
    ok(cli("add", LLAMA2))
    doc = tmp_path / "l.md"
    doc.write_text("# L\n\n1. [A paper](https://example.org/a)\n", encoding="utf-8")
    assert "'added'" in one_error(cli("import", str(doc), "--name", "added"))
    assert len(json_out(cli("list", "--list", "added", "--json"))) == 1


def test_remove_list_of_own_list_asks_for_force(cli, llama2, one_error, db):
    ok(cli("add", LLAMA2))
    error = one_error(cli("remove-list", "added"))
    assert "'added'" in error and "--force" in error
    ok(cli("remove-list", "added", "--force"))
    assert [r["name"] for r in json_out(cli("lists", "--json"))] == ["LLM_Paper_Reading"]


def test_add_status_is_a_usage_error_when_unknown(cli):
    result = cli("add", LLAMA2, "--status", "done")
    assert result.exit_code == 2 and "--status" in result.stderr
