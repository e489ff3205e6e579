"""REF parsing for `add` and `edit --arxiv`: arXiv ids and URLs in every form, DOIs, other URLs."""

from __future__ import annotations

import pytest

from llmreads.errors import InvalidQuery
from llmreads.refs import doi_from_ref, parse_ref, year_from_arxiv

ARXIV_FORMS = [
    "2106.09685",
    "2106.09685v2",
    "arXiv:2106.09685",
    "arxiv:2106.09685v3",
    "  2106.09685  ",
    "https://arxiv.org/abs/2106.09685",
    "https://arxiv.org/abs/2106.09685v2",
    "https://arxiv.org/pdf/2106.09685",
    "https://arxiv.org/pdf/2106.09685v1.pdf",
    "http://export.arxiv.org/abs/2106.09685",
    "https://www.arxiv.org/html/2106.09685v1",
    "arxiv.org/abs/2106.09685",
    "https://doi.org/10.48550/arXiv.2106.09685",
    "10.48550/arXiv.2106.09685",
]


@pytest.mark.parametrize("text", ARXIV_FORMS)
def test_every_arxiv_form_names_one_key(text):
    ref = parse_ref(text)
    assert (ref.key, ref.arxiv, ref.doi, ref.kind) == ("arxiv:2106.09685", "2106.09685", None, "arxiv")
    assert ref.url == "https://arxiv.org/abs/2106.09685"


@pytest.mark.parametrize(
    ("text", "arxiv"),
    [
        ("hep-th/9901001", "hep-th/9901001"),
        ("arXiv:hep-th/9901001v2", "hep-th/9901001"),
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
        ("https://arxiv.org/pdf/math.GT/0309136v1", "math.GT/0309136"),
        ("HEP-TH/9901001", "hep-th/9901001"),
        ("1405.4053", "1405.4053"),
    ],
)
def test_old_style_and_four_digit_arxiv_ids(text, arxiv):
    assert parse_ref(text).key == f"arxiv:{arxiv}"


@pytest.mark.parametrize(
    "text",
    [
        "10.1145/3442188.3445922",
        "doi:10.1145/3442188.3445922",
        "DOI: 10.1145/3442188.3445922",
        "https://doi.org/10.1145/3442188.3445922",
        "http://dx.doi.org/10.1145/3442188.3445922",
        "https://doi.org/10.1145%2F3442188.3445922",
    ],
)
def test_doi_forms(text):
    ref = parse_ref(text)
    assert (ref.key, ref.doi, ref.kind) == ("doi:10.1145/3442188.3445922", "10.1145/3442188.3445922", "doi")
    assert ref.url == "https://doi.org/10.1145/3442188.3445922"


def test_doi_key_is_lowercased_but_the_doi_keeps_its_case():
    ref = parse_ref("10.18653/V1/N19-1423")
    assert ref.key == "doi:10.18653/v1/n19-1423"
    assert ref.doi == "10.18653/V1/N19-1423"


def test_other_urls_keep_the_import_key():
    ref = parse_ref("https://www.Example.com/papers/cot/")
    assert (ref.key, ref.kind, ref.url) == ("url:example.com/papers/cot", "url", "https://www.Example.com/papers/cot/")


@pytest.mark.parametrize("text", ["", "   ", "lora", "10.12/x", "ftp://example.com/a", "2106", "http://localhost"])
def test_what_is_no_ref_is_an_error_naming_it(text):
    with pytest.raises(InvalidQuery) as error:
        parse_ref(text)
    assert repr(text.strip()) in str(error.value)


def test_doi_from_ref_rejects_text_around_a_doi():
    assert doi_from_ref("see 10.1145/3442188.3445922") is None


@pytest.mark.parametrize(
    ("arxiv", "year"),
    [("2106.09685", 2021), ("0704.0001", 2007), ("hep-th/9901001", 1999), ("math.GT/0309136", 2003),
     ("2401.00001", 2024), ("nonsense", None)],
)
def test_year_from_arxiv_id(arxiv, year):
    assert year_from_arxiv(arxiv) == year
