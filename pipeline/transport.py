"""The httpx transport of the web stage's direct connections: requests carried over an httpcore
connection pool of pinned connections (pipeline/netbackend.py), on both packages' public
interfaces, since httpx's own transport takes no network backend."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import contextmanager

import httpcore
import httpx

from pipeline.netbackend import CheckedAddresses, PinnedBackend

# httpcore's failures as httpx's, most specific first: the rest of the client speaks httpx.
HTTPCORE_TO_HTTPX: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def httpx_errors() -> Iterator[None]:
    """Re-raises an httpcore failure as the httpx one it corresponds to, the chain kept."""
    try:
        yield
    except Exception as exc:
        for core_error, httpx_error in HTTPCORE_TO_HTTPX:
            if isinstance(exc, core_error):
                raise httpx_error(str(exc)) from exc
        raise


class _Body(httpx.AsyncByteStream):
    """A response body read from an httpcore stream, its failures mapped as they surface."""

    def __init__(self, stream: AsyncIterable[bytes]):
        self.stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with httpx_errors():
            async for part in self.stream:
                yield part

    async def aclose(self) -> None:
        close = getattr(self.stream, "aclose", None)
        if close is not None:
            with httpx_errors():
                await close()


class PinnedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over an httpcore connection pool whose connections go only to checked
    addresses. TLS is still verified against
    the link's host name: the pool hands the backend an address to connect to, but the
    handshake names the URL's host."""

    def __init__(self, checked_addresses: CheckedAddresses, tls: ssl.SSLContext, max_connections: int):
        self.pool = httpcore.AsyncConnectionPool(
            ssl_context=tls,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            network_backend=PinnedBackend(checked_addresses),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,  # an httpx request body is async iterable
            extensions=request.extensions,
        )
        with httpx_errors():
            response = await self.pool.handle_async_request(core_request)
        assert isinstance(response.stream, AsyncIterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.pool.aclose()
