"""The metadata clients against a local server that answers as the arXiv API and Crossref do."""

from __future__ import annotations

import pytest

from fake_services import FakeServices
from llmreads.config import services as settings
from llmreads.errors import LlmreadsError
from llmreads.fetch import FetchFailed
from llmreads.fetch.arxiv import ArxivClient, parse_feed
from llmreads.fetch.crossref import CrossrefClient


def arxiv_client(fake: FakeServices, **kw: object) -> ArxivClient:
    return ArxivClient(fake.arxiv_api, delay=0, timeout=0.5, **kw)  # type: ignore[arg-type]


def test_arxiv_entry_fields(services):
    services.add_arxiv(
        "2307.09288", "Llama 2: Open Foundation and Fine-Tuned Chat Models", ["Hugo Touvron", "Louis Martin"],
        abstract="In this work, we develop and release Llama 2.", published="2023-07-18T14:31:57Z",
        category="cs.CL", doi="10.1234/llama2", journal_ref="Nowhere 1 (2023)",
    )
    record = arxiv_client(services).fetch(["2307.09288"])["2307.09288"]
    assert record.title == "Llama 2: Open Foundation and Fine-Tuned Chat Models"  # unwrapped
    assert record.authors == ("Hugo Touvron", "Louis Martin")
    assert record.abstract == "In this work, we develop and release Llama 2."
    assert (record.published, record.year) == ("2023-07-18", 2023)
    assert (record.primary_category, record.doi, record.journal_ref) == ("cs.CL", "10.1234/llama2", "Nowhere 1 (2023)")
    assert (record.source, record.arxiv) == ("arxiv", "2307.09288")


def test_arxiv_old_style_id_and_unknown_ids(services):
    services.add_arxiv("hep-th/9901001", "An old paper", ["A. Author"], published="1999-01-01T00:00:00Z")
    found = arxiv_client(services).fetch(["hep-th/9901001", "2401.99999"])
    assert set(found) == {"hep-th/9901001"}
    assert found["hep-th/9901001"].year == 1999
    assert services.arxiv_requests == [["hep-th/9901001", "2401.99999"]]


def test_arxiv_empty_result():
    assert parse_feed(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>') == {}


def test_arxiv_batches_of_at_most_100_ids(services):
    ids = [f"2301.{n:05d}" for n in range(250)]
    for arxiv in ids:
        services.add_arxiv(arxiv, f"Paper {arxiv}", ["Someone"])
    client = arxiv_client(services)
    found = client.fetch(ids + ids[:5])  # repeated ids are asked once
    assert len(found) == 250
    assert [len(batch) for batch in services.arxiv_requests] == [100, 100, 50]
    assert client.requests == 3


def test_arxiv_requests_are_spaced_by_the_delay(services):
    for n in range(201):
        services.add_arxiv(f"2301.{n:05d}", "T", ["A"])
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    client = ArxivClient(services.arxiv_api, delay=3, timeout=0.5, sleep=sleep, clock=lambda: now[0])
    client.fetch([f"2301.{n:05d}" for n in range(201)])
    assert slept == [3, 3]  # before the second and third request, none before the first


def test_arxiv_error_entry_names_the_reason(services):
    with pytest.raises(FetchFailed, match=r"the arXiv API refused the request: incorrect id format for 1234\.x"):
        arxiv_client(services).fetch(["1234.x"])


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("fail", r"the arXiv API answered HTTP 500"),
        ("malformed", r"the arXiv API answered with something that is not an Atom feed"),
        ("rate", r"not an Atom feed: 'Rate exceeded\.'"),
        ("slow", r"the arXiv API did not answer within 0\.5 s"),
    ],
)
def test_arxiv_failures_are_one_line(services, mode, message):
    services.arxiv_mode = mode
    services.slow_s = 1.5
    with pytest.raises(FetchFailed, match=message):
        arxiv_client(services).fetch(["2307.09288"])


def test_unreachable_service_is_one_line():
    with pytest.raises(FetchFailed, match=r"the arXiv API could not be reached \(.*\)"):
        ArxivClient("http://127.0.0.1:9/api/query", delay=0, timeout=0.5).fetch(["2307.09288"])


def test_crossref_work(services):
    services.add_crossref(
        "10.18653/v1/N19-1423", "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        [("Jacob", "Devlin"), ("Ming-Wei", "Chang")], year=2019,
        relation={"has-preprint": [{"id-type": "arxiv", "id": "1810.04805", "asserted-by": "subject"}]},
    )
    record = CrossrefClient(services.crossref_api, timeout=0.5).fetch("10.18653/v1/N19-1423")
    assert record is not None
    assert record.title.startswith("BERT: Pre-training")
    assert record.authors == ("Jacob Devlin", "Ming-Wei Chang")
    assert (record.published, record.year) == ("2019-06", 2019)
    assert record.abstract == "We introduce a new language representation model."
    assert record.doi == "10.18653/v1/N19-1423"
    assert record.arxiv == "1810.04805"
    assert record.journal_ref and record.journal_ref.startswith("Proceedings of the 2019 Conference")
    assert services.crossref_requests == ["10.18653/v1/N19-1423"]


def test_crossref_preprint_named_by_arxiv_doi_and_organisation_authors(services):
    services.add_crossref("10.1/x", "A Report", [], author=[{"name": "The  Team"}], relation={
        "has-preprint": [{"id-type": "doi", "id": "10.48550/arXiv.2303.08774", "asserted-by": "subject"}]})
    record = CrossrefClient(services.crossref_api, timeout=0.5).fetch("10.1/x")
    assert record is not None
    assert (record.authors, record.arxiv) == (("The Team",), "2303.08774")


def test_crossref_unknown_doi_is_none(services):
    assert CrossrefClient(services.crossref_api, timeout=0.5).fetch("10.9999/nothing") is None


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("fail", r"Crossref answered HTTP 500"),
        ("malformed", r"Crossref answered with something that is not JSON"),
        ("wrong", r"Crossref answered without a work record"),
        ("slow", r"Crossref did not answer within 0\.5 s"),
    ],
)
def test_crossref_failures_are_one_line(services, mode, message):
    services.add_crossref("10.1/x", "T", [])
    services.crossref_mode = mode
    services.slow_s = 1.5
    with pytest.raises(FetchFailed, match=message):
        CrossrefClient(services.crossref_api, timeout=0.5).fetch("10.1/x")


def test_endpoints_and_delay_are_settings(monkeypatch, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('arxiv_api = "https://mirror.example/api/query"\ncrossref_api = "https://cr.example/works"\n'
                      "arxiv_delay = 4.5\n")
    monkeypatch.setenv("LLMREADS_CONFIG", str(config))
    for name in ("LLMREADS_ARXIV_API", "LLMREADS_CROSSREF_API", "LLMREADS_ARXIV_DELAY"):
        monkeypatch.delenv(name)
    got = settings()
    assert (got.arxiv_api, got.crossref_api, got.arxiv_delay) == (
        "https://mirror.example/api/query", "https://cr.example/works", 4.5)
    monkeypatch.setenv("LLMREADS_ARXIV_DELAY", "0")
    assert settings().arxiv_delay == 0
    monkeypatch.delenv("LLMREADS_ARXIV_DELAY")
    monkeypatch.setenv("LLMREADS_CONFIG", str(tmp_path / "none.toml"))
    got = settings()
    assert (got.arxiv_api, got.crossref_api, got.arxiv_delay) == (
        "https://export.arxiv.org/api/query", "https://api.crossref.org/works", 3.0)


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [("LLMREADS_ARXIV_DELAY", "soon", "LLMREADS_ARXIV_DELAY"), ("LLMREADS_ARXIV_DELAY", "-1", "LLMREADS_ARXIV_DELAY"),
     ("LLMREADS_ARXIV_API", "ftp://x", "arxiv_api"), ("LLMREADS_FETCH_TIMEOUT", "0", "LLMREADS_FETCH_TIMEOUT")],
)
def test_bad_settings_name_themselves(monkeypatch, name, value, named):
    monkeypatch.setenv(name, value)
    with pytest.raises(LlmreadsError, match=named):
        settings()
