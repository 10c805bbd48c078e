"""The run's one trust store: every stage verifies servers against the certificates that
SSL_CERT_FILE or SSL_CERT_DIR name (certifi's bundle when neither is set), and reports a
certificate it refuses as such."""

from __future__ import annotations

import os
import re
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import Future

import certifi

NOT_TRUSTED = "TLS certificate not trusted"
_VERIFY_FAILED = re.compile(r"certificate verify failed: ([^(]+?)\s*(?:\(_ssl\.c:\d+\))?\s*$")


def trust_location() -> str:
    """The CA file or folder to verify against, chosen as httpx chooses: SSL_CERT_FILE first,
    then SSL_CERT_DIR, then certifi. For requests sessions (`session.verify = ...`)."""
    return os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR") or certifi.where()


def check_trust_store() -> str | None:
    """What is wrong with the certificates SSL_CERT_FILE or SSL_CERT_DIR name, or None: checked
    once before a run, so a bad path is one clear error, not a failure of every link."""
    for name, is_kind, kind in (("SSL_CERT_FILE", os.path.isfile, "file"), ("SSL_CERT_DIR", os.path.isdir, "folder")):
        value = os.environ.get(name)
        if value and not is_kind(value):
            return f"{name}={value} is not a readable {kind} of certificates"
        if value and name == "SSL_CERT_FILE":
            try:
                ssl_context()
            except (ssl.SSLError, OSError) as exc:
                return f"{name}={value} holds no usable certificates ({exc})"
    return None


def check_trust_store_meanwhile() -> Callable[[], str | None]:
    """Starts `check_trust_store` on a thread of its own and returns what waits for its answer.
    OpenSSL reads a CA file (15 to 30 ms) without holding the interpreter, so the run imports
    its modules meanwhile instead of waiting for it."""
    answer: Future[str | None] = Future()

    def check() -> None:
        try:
            answer.set_result(check_trust_store())
        except BaseException as exc:  # noqa: BLE001 - raised again where the answer is read
            answer.set_exception(exc)

    threading.Thread(target=check, name="enrich-trust-check", daemon=True).start()
    return answer.result


def ssl_context() -> ssl.SSLContext:
    """A verifying client context over the same certificates as `trust_location`."""
    location = trust_location()
    if os.path.isdir(location):
        return ssl.create_default_context(capath=location)
    return ssl.create_default_context(cafile=location)


def certificate_reason(exc: BaseException) -> str | None:
    """`TLS certificate not trusted: <why>` when a certificate check is behind `exc` (however
    deeply requests, urllib3 or httpcore wrapped it), else None."""
    seen: set[int] = set()
    waiting: list[BaseException] = [exc]
    while waiting:
        error = waiting.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, ssl.SSLCertVerificationError):
            return f"{NOT_TRUSTED}: {error.verify_message or error.reason}"
        # By text only where the type is gone: urllib3 re-raises the verification error as a plain
        # SSLError whose message holds "certificate verify failed", and a network backend that
        # already classified it passes on our own NOT_TRUSTED reason.
        text = str(error)
        if text.startswith(NOT_TRUSTED):
            return text
        match = _VERIFY_FAILED.search(text)
        if match:
            return f"{NOT_TRUSTED}: {match.group(1)}"
        linked = [error.__cause__, error.__context__, getattr(error, "reason", None), *error.args]
        waiting.extend(e for e in linked if isinstance(e, BaseException))
    return None
