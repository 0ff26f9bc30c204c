"""RFC 3161 time-stamp authorities: asking them, in order, and saying why each failed.

A signature's own time is the signer's clock. A time-stamp token is a third
party's signed word that the signature existed at that moment, which is
what PAdES B-T adds and what a signature needs to outlive its certificate.

:func:`choose_timestamper` asks each URL for a token (over a digest of
nothing) before anything is signed, and keeps the first that answers well.
pyHanko reuses that answer to size the signature, then asks the chosen TSA
again for the real token. When every TSA fails, :class:`TimestampError`
names each URL and why, and no signature is written: a signature that was
asked to be timestamped is never quietly left without one.

HTTP is urllib's, with a timeout per request, so a slow TSA costs at most
that long and mend needs no HTTP library of its own.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from .errors import MendError

#: Default seconds to wait for one time-stamp authority.
DEFAULT_TIMEOUT = 10.0

#: Largest answer read from a TSA: a token with its chain is a few kilobytes.
_MAX_RESPONSE = 1 << 20


class TimestampError(MendError):
    """No time-stamp authority gave a usable token."""


def _reason(exc: BaseException) -> str:
    """Why a request failed, in words."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return "no answer in time (timed out)"
        if isinstance(reason, ConnectionRefusedError):
            return "connection refused"
        return str(getattr(reason, "strerror", None) or reason)
    if isinstance(exc, TimeoutError):
        return "no answer in time (timed out)"
    if isinstance(exc, ConnectionError):
        return exc.strerror or exc.__class__.__name__
    return str(exc) or exc.__class__.__name__


def make_timestamper(url: str, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """A pyHanko ``TimeStamper`` that posts to ``url`` with urllib."""
    from asn1crypto import tsp
    from pyhanko.sign.timestamps.api import TimeStamper
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError, set_tsp_headers

    class UrllibTimeStamper(TimeStamper):
        """RFC 3161 over HTTP POST, bounded by ``timeout`` seconds a request."""

        def __init__(self) -> None:
            super().__init__()
            self.url = url
            self.timeout = timeout

        def _post(self, body: bytes) -> bytes:
            request = urllib.request.Request(
                self.url, data=body, headers=set_tsp_headers({}), method="POST"
            )
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                kind = response.headers.get("Content-Type", "")
                data = response.read(_MAX_RESPONSE + 1)
            if kind.split(";")[0].strip() != "application/timestamp-reply":
                raise TimestampRequestError(
                    f"answered {kind or 'no content type'}, not a time-stamp reply"
                )
            if len(data) > _MAX_RESPONSE:
                raise TimestampRequestError("answered more than a time-stamp reply can be")
            return data

        async def async_request_tsa_response(self, req: Any) -> Any:
            try:
                data = await asyncio.to_thread(self._post, req.dump())
            except TimestampRequestError:
                raise
            except (OSError, ValueError) as exc:
                raise TimestampRequestError(_reason(exc)) from exc
            try:
                response = tsp.TimeStampResp.load(data)
                response.native  # noqa: B018 - parse it all here: garbage fails now
            except Exception as exc:
                raise TimestampRequestError(
                    "answered something that is not a time-stamp reply"
                ) from exc
            return response

    return UrllibTimeStamper()


def _probe(timestamper: Any) -> None:
    """Ask for one token; raises what the TSA's failure was."""
    from pyhanko.sign import DEFAULT_MD

    asyncio.run(timestamper.async_dummy_response(DEFAULT_MD))


def choose_timestamper(urls: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> tuple[str, Any]:
    """The first of ``urls`` whose TSA answers with a good token, and its timestamper.

    :raises TimestampError: every one failed; the message names each URL and why.
    """
    if not urls:
        raise TimestampError("no time-stamp authority given (--tsa URL, or [signing] tsa)")
    failures: list[str] = []
    for url in urls:
        if not url.lower().startswith(("http://", "https://")):
            failures.append(f"{url}: not an http:// or https:// URL")
            continue
        timestamper = make_timestamper(url, timeout)
        try:
            _probe(timestamper)
        except Exception as exc:  # any failure of one TSA: try the next
            failures.append(f"{url}: {_reason(exc)}")
            continue
        return url, timestamper
    raise TimestampError(
        "no time-stamp authority answered, so nothing was signed:\n"
        + "\n".join(f"  {line}" for line in failures)
    )
