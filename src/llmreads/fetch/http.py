"""Service layer, transport part: one GET with a timeout, its failures as one line each."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request

from llmreads import __version__
from llmreads.fetch import TIMEOUT_S, FetchFailed

MAX_BYTES = 32 << 20  # an answer about at most 100 papers is far smaller; a runaway server is cut short
USER_AGENT = f"llmreads/{__version__} (reading-list manager; +https://pypi.org/project/llmreads/)"


class NotFoundAnswer(FetchFailed):
    """The service answered 404: it does not know what was asked for."""


def get(url: str, service: str, accept: str, timeout: float = TIMEOUT_S) -> bytes:
    """The body of a GET of `url`; FetchFailed naming `service` when there is no usable answer."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only: config.services)
            body: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise NotFoundAnswer(f"{service} knows no such record (HTTP 404)") from None
        raise FetchFailed(f"{service} answered HTTP {exc.code} {exc.reason}") from None
    except TimeoutError:
        raise FetchFailed(f"{service} did not answer within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise FetchFailed(f"{service} did not answer within {timeout:g} s") from None
        text = getattr(reason, "strerror", None) or str(reason)
        raise FetchFailed(f"{service} could not be reached ({text})") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:  # a reset or cut answer, an unusable URL
        raise FetchFailed(f"{service} could not be reached ({exc})") from None
    if len(body) > MAX_BYTES:
        raise FetchFailed(f"{service} answered with more than {MAX_BYTES >> 20} MiB")
    return body
