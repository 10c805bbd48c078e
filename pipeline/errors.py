"""The one tree of fetch failures: transient or permanent, one class per cause, each carrying a
reason an editor understands; every stage maps its library's exceptions onto it in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import requests

__all__ = [
    "BadRequest",
    "BatchTooHeavy",
    "Blocked",
    "BudgetExhausted",
    "ConnectionFailed",
    "FetchError",
    "NotFound",
    "PageTooComplex",
    "PageUnavailable",
    "ParseFailed",
    "PermanentError",
    "RateLimited",
    "RunHalted",
    "SecondaryRateLimit",
    "ServerError",
    "TLSNotTrusted",
    "TimedOut",
    "TransientError",
    "is_stalled_body",
]


class FetchError(Exception):
    """A failure with a reason an editor understands (`HTTP 404`, `timed out after 30 s`).
    Neither retried nor remembered unless a subclass says so (an HTTP 401, say)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# -- transient: the retry policy tries again; never cached ------------------------------------


class TransientError(FetchError):
    """Worth another try: timeouts, connection resets, 429, 5xx. Never cached."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class TimedOut(TransientError):
    """The server did not answer in time: the failure a stage breaker counts (pipeline/breaker.py)."""


class ConnectionFailed(TransientError):
    """No connection, or one that broke before the answer was whole."""


class RateLimited(TransientError):
    """The server asked us to slow down (HTTP 429, an exhausted budget close to its reset)."""


class SecondaryRateLimit(RateLimited):
    """GitHub asked us to slow down; if waiting did not help, going on risks a ban."""


class ServerError(TransientError):
    """The server failed to answer (HTTP 5xx, an unreadable or unexpected answer)."""


# -- permanent: a fact about the link, remembered for a day ------------------------------------


class PermanentError(FetchError):
    """Retrying will not help: 404, 410, 451, a deleted article. Remembered for a day."""


class NotFound(PermanentError):
    """The thing the link names does not exist (any more): HTTP 404 and 410, no such paper."""


class Blocked(PermanentError):
    """The thing exists but may not be read: HTTP 403 and 451, a repository GitHub blocked."""


class BadRequest(PermanentError):
    """The request itself was refused (HTTP 400): arXiv refuses a whole batch for one bad id."""


# -- neither retried nor remembered --------------------------------------------------------------


class TLSNotTrusted(FetchError):
    """The server's certificate failed verification: another try meets the same certificate,
    yet the link is not at fault (the trust store may change), so nothing is remembered."""


class RunHalted(FetchError):
    """A failure that ends the GitHub stage for this run (rate limit far from reset, rejected
    token): not retried, and every remaining link fails with the same reason, unrequested."""


class BatchTooHeavy(FetchError):
    """The query failed as a whole in a way a smaller query avoids (a timeout, 502, a node or
    complexity limit): the batch is split, not retried as it is."""


class BudgetExhausted(FetchError):
    """GitHub refused the query for the hour's point budget."""


# -- the page arrived but is no article --------------------------------------------------------


class PageUnavailable(FetchError):
    """The page is not an article an editor can use (deleted, banned, a bot wall); `permanent`
    says whether to remember that, since one site's wall can be either."""

    def __init__(self, reason: str, permanent: bool = True):
        super().__init__(reason)
        self.permanent = permanent


class PageTooComplex(FetchError):
    """A page the parser cannot be given within bounds (the reason says which bound)."""


class ParseFailed(FetchError):
    """The parser raised on the page, or its worker process died on it (the reason says which);
    not remembered: a fixed parser may read it."""


# -- requests (the arXiv and GitHub stages) ------------------------------------------------------


def is_stalled_body(exc: requests.ConnectionError) -> bool:
    """True when requests reports a body that stopped arriving: urllib3's read timeout surfaces
    wrapped in a ConnectionError, not as requests' own Timeout."""
    # Imported here so the pure core (pages, records) can raise this module's classes without
    # loading the API stages' HTTP stack.
    import urllib3.exceptions

    return any(isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in exc.args)
