"""A local stand-in for the arXiv API and Crossref, on 127.0.0.1, answering in their documented formats.

The arXiv API (info.arxiv.org/help/api/user-manual.html): `GET /api/query?id_list=...&max_results=N`
answers an Atom feed, one <entry> per known id, with the arxiv: extension elements; a malformed id
gets a feed whose one entry has an /api/errors id and the reason in <summary>. Crossref
(api.crossref.org/swagger-ui): `GET /works/{DOI}` answers {"status": "ok", "message-type": "work",
"message": {...}}, an unknown DOI a plain-text 404. `mode` makes either misbehave.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

NEW_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


@dataclass
class ArxivPaper:
    arxiv: str
    title: str
    authors: list[str]
    abstract: str = "An abstract."
    published: str = "2023-07-18T17:08:13Z"
    category: str = "cs.CL"
    doi: str | None = None
    journal_ref: str | None = None


def atom_entry(p: ArxivPaper) -> str:
    authors = "".join(f"\n    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in p.authors)
    extra = ""
    if p.doi:
        extra += (f"\n    <arxiv:doi>{escape(p.doi)}</arxiv:doi>"
                  f'\n    <link title="doi" href="http://dx.doi.org/{escape(p.doi)}" rel="related"/>')
    if p.journal_ref:
        extra += f"\n    <arxiv:journal_ref>{escape(p.journal_ref)}</arxiv:journal_ref>"
    # Title and summary come hard-wrapped, as arXiv sends them.
    title = escape(p.title).replace(" ", "\n  ", 1)
    return f"""  <entry>
    <id>http://arxiv.org/abs/{p.arxiv}v2</id>
    <updated>2023-07-19T17:08:13Z</updated>
    <published>{p.published}</published>
    <title>{title}</title>
    <summary>  {escape(p.abstract)}
</summary>{authors}{extra}
    <link href="http://arxiv.org/abs/{p.arxiv}v2" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/{p.arxiv}v2" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="{p.category}" scheme="http://arxiv.org/schemas/atom"/>
    <category term="{p.category}" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
"""


def atom_feed(entries: list[str], query: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <link href="http://arxiv.org/api/query?{escape(query)}" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: {escape(query)}</title>
  <id>http://arxiv.org/api/cHxbiOdZaP56ODnBPIenZhzg5f8</id>
  <updated>2023-07-20T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{len(entries)}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{len(entries)}</opensearch:itemsPerPage>
{''.join(entries)}</feed>
"""


def atom_error(bad_id: str) -> str:
    return atom_feed([f"""  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_{escape(bad_id)}</id>
    <title>Error</title>
    <summary>incorrect id format for {escape(bad_id)}</summary>
    <updated>2023-07-20T00:00:00-04:00</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_{escape(bad_id)}" rel="alternate" type="text/html"/>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
"""])


def crossref_work(doi: str, title: str, authors: list[tuple[str, str]], year: int = 2019, **more: object) -> dict:
    message: dict[str, object] = {
        "DOI": doi, "type": "proceedings-article", "title": [title],
        "author": [{"given": g, "family": f, "sequence": "first" if i == 0 else "additional", "affiliation": []}
                   for i, (g, f) in enumerate(authors)],
        "published": {"date-parts": [[year, 6]]}, "issued": {"date-parts": [[year, 6]]},
        "container-title": ["Proceedings of the 2019 Conference of the North American Chapter of the ACL"],
        "abstract": "<jats:p>We introduce a new language representation model.</jats:p>",
        "URL": f"https://doi.org/{doi}",
    }
    message.update(more)
    return {"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": message}


@dataclass
class FakeServices:
    arxiv: dict[str, ArxivPaper] = field(default_factory=dict)
    crossref: dict[str, dict] = field(default_factory=dict)  # lowercased DOI -> the whole answer
    arxiv_mode: str = "ok"  # ok, slow, fail (500), malformed, rate (plain-text throttling), html
    crossref_mode: str = "ok"  # ok, slow, fail, malformed, wrong (JSON of another shape)
    slow_s: float = 2.0
    arxiv_requests: list[list[str]] = field(default_factory=list)
    crossref_requests: list[str] = field(default_factory=list)
    fail_after: int | None = None  # arXiv answers 503 once this many requests were served
    base: str = ""

    @property
    def arxiv_api(self) -> str:
        return f"{self.base}/api/query"

    @property
    def crossref_api(self) -> str:
        return f"{self.base}/works"

    def add_arxiv(self, arxiv: str, title: str, authors: list[str], **more: object) -> ArxivPaper:
        paper = self.arxiv[arxiv] = ArxivPaper(arxiv, title, authors, **more)  # type: ignore[arg-type]
        return paper

    def add_crossref(self, doi: str, title: str, authors: list[tuple[str, str]], **more: object) -> None:
        self.crossref[doi.lower()] = crossref_work(doi, title, authors, **more)


def make_handler(services: FakeServices) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def send(self, status: int, body: str, content_type: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            if parts.path == "/api/query":
                self.arxiv_query(parts.query)
            elif parts.path.startswith("/works/"):
                self.crossref_work(unquote(parts.path[len("/works/"):]))
            else:
                self.send(404, "not here", "text/plain")

        def arxiv_query(self, query: str) -> None:
            params = parse_qs(query)
            ids = [i for i in params.get("id_list", [""])[0].split(",") if i]
            services.arxiv_requests.append(ids)
            mode = services.arxiv_mode
            if services.fail_after is not None and len(services.arxiv_requests) > services.fail_after:
                mode = "fail"
            if mode == "slow":
                time.sleep(services.slow_s)
            if mode == "fail":
                return self.send(500, "Internal Server Error", "text/plain")
            if mode == "malformed":
                cut = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>'
                return self.send(200, cut, "application/atom+xml")
            if mode == "rate":
                return self.send(200, "Rate exceeded.", "text/plain")
            bad = next((i for i in ids if not NEW_ID.match(i)), None)
            if bad is not None:
                return self.send(200, atom_error(bad), "application/atom+xml; charset=utf-8")
            entries = [atom_entry(services.arxiv[i.split("v")[0] if "/" not in i else i]) for i in ids
                       if (i.split("v")[0] if "/" not in i else i) in services.arxiv]
            self.send(200, atom_feed(entries, query), "application/atom+xml; charset=utf-8")

        def crossref_work(self, doi: str) -> None:
            services.crossref_requests.append(doi)
            mode = services.crossref_mode
            if mode == "slow":
                time.sleep(services.slow_s)
            if mode == "fail":
                return self.send(500, "Internal Server Error", "text/plain")
            if mode == "malformed":
                return self.send(200, '{"status": "ok", "message": {', "application/json")
            if mode == "wrong":
                return self.send(200, json.dumps({"status": "ok", "message": ["not", "a", "work"]}), "application/json")
            answer = services.crossref.get(doi.lower())
            if answer is None:
                return self.send(404, "Resource not found.", "text/plain")
            self.send(200, json.dumps(answer), "application/json")

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up on a slow answer: the broken pipe is expected, and stderr is the test's


class Server:
    def __init__(self, services: FakeServices) -> None:
        self.httpd = _QuietServer(("127.0.0.1", 0), make_handler(services))
        self.httpd.daemon_threads = True
        services.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll: shutdown() waits for the loop's next poll (0.5 s by default, in every test's teardown).
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
