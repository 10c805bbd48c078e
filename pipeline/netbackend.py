"""The web stage's network backend for httpcore (its public AsyncNetworkBackend interface): plain
asyncio sockets that connect only to the addresses the address guard checked, so a host cannot
resolve to a public address for the check and to a private one for the connection (DNS
rebinding)."""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpcore

from pipeline.trust import certificate_reason

# Returns the checked addresses to connect to, or () when the host may be reached by name.
CheckedAddresses = Callable[[str, int], Awaitable[Sequence[str]]]

# Received but unread bytes above which the socket is no longer read (a fast server cannot fill
# memory while a page is parsed), and below which reading resumes.
READ_PAUSE_AT = 1024 * 1024
READ_RESUME_AT = 256 * 1024


class _Protocol(asyncio.Protocol):
    """Buffers what the socket receives and wakes the one reader waiting for it."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.closed = False  # EOF or connection lost: no more data will come
        self.error: Exception | None = None
        self.data_waiter: asyncio.Future | None = None
        self.drain_waiter: asyncio.Future | None = None
        self.writing_paused = False
        self.transport: asyncio.Transport | None = None
        self.reading_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_PAUSE_AT and not self.reading_paused and self.transport is not None:
            self.transport.pause_reading()
            self.reading_paused = True
        _wake(self.data_waiter)

    def take(self, max_bytes: int) -> bytes:
        data = bytes(self.buffer[:max_bytes])
        del self.buffer[:max_bytes]
        if self.reading_paused and len(self.buffer) < READ_RESUME_AT and self.transport is not None:
            self.transport.resume_reading()
            self.reading_paused = False
        return data

    def eof_received(self) -> bool:
        self.closed = True
        _wake(self.data_waiter)
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.error = exc
        _wake(self.data_waiter)
        _wake(self.drain_waiter)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        _wake(self.drain_waiter)


def _wake(waiter: asyncio.Future | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def _expire(waiter: asyncio.Future, exc: Exception) -> None:
    if not waiter.done():
        waiter.set_exception(exc)


async def _wait(waiter: asyncio.Future, timeout: float | None, on_timeout: Exception) -> None:
    """Awaits a future with a timer rather than `wait_for`, which costs a task per call (and
    this runs for every read of every response)."""
    if timeout is None:
        await waiter
        return
    timer = asyncio.get_running_loop().call_later(timeout, _expire, waiter, on_timeout)
    try:
        await waiter
    finally:
        timer.cancel()


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol):
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.buffer and not protocol.closed:
            protocol.data_waiter = asyncio.get_running_loop().create_future()
            try:
                await _wait(protocol.data_waiter, timeout, httpcore.ReadTimeout("timed out reading"))
            finally:
                protocol.data_waiter = None
        if protocol.buffer:
            return protocol.take(max_bytes)
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__) from protocol.error
        return b""  # end of stream: httpcore decides whether that was expected

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        protocol = self._protocol
        if protocol.writing_paused:
            protocol.drain_waiter = asyncio.get_running_loop().create_future()
            try:
                await _wait(protocol.drain_waiter, timeout, httpcore.WriteTimeout("timed out writing"))
            finally:
                protocol.drain_waiter = None
            if protocol.error is not None:
                raise httpcore.WriteError(str(protocol.error)) from protocol.error

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> _Stream:
        loop = asyncio.get_running_loop()
        try:
            transport = await loop.start_tls(
                self._transport,
                self._protocol,
                ssl_context,
                server_hostname=server_hostname,
                ssl_handshake_timeout=timeout,
            )
        except TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
        except (ssl.SSLError, OSError) as exc:
            self._transport.close()
            # The pool drops the chain: the message alone must tell a refused certificate.
            raise httpcore.ConnectError(certificate_reason(exc) or str(exc)) from exc
        if transport is None:  # asyncio returns None only for a transport already closing
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        self._protocol.transport = transport  # flow control now goes through TLS
        return _Stream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # httpcore asks before reusing an idle connection: data or EOF there means the
            # server closed it (or spoke out of turn), so it must not be reused.
            return self._protocol.closed or bool(self._protocol.buffer)
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info in ("ssl_object", "socket"):
            return self._transport.get_extra_info(info)
        return None


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the addresses `checked_addresses` returns for a host (in order, the first that
    answers), or by name when it returns none (private hosts allowed, an exempt origin)."""

    def __init__(self, checked_addresses: CheckedAddresses):
        self.checked_addresses = checked_addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> _Stream:
        loop = asyncio.get_running_loop()
        addresses = list(await self.checked_addresses(host, port)) or [host]
        deadline = None if timeout is None else loop.time() + timeout
        last_error: OSError | None = None
        for address in addresses:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                transport, protocol = await asyncio.wait_for(loop.create_connection(_Protocol, address, port), remaining)
            except TimeoutError:
                raise httpcore.ConnectTimeout(f"timed out connecting to {host}") from None
            except OSError as exc:
                last_error = exc
                continue
            return _Stream(transport, protocol)
        assert last_error is not None
        # httpcore's pool drops the exception chain, so the message must say it all:
        # "Connection refused", not asyncio's "Connect call failed ('1.2.3.4', 80)".
        reason = os.strerror(last_error.errno) if last_error.errno else str(last_error)
        raise httpcore.ConnectError(reason) from last_error

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None):
        raise httpcore.ConnectError("unix sockets are not used by enrich")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
