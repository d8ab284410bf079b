"""Fetching a watched source: a local file or an http/https URL with conditional requests and timeouts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import aiohttp

__all__ = ["FetchError", "Fetched", "Validators", "fetch", "is_url"]

DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class FetchError(RuntimeError):
    """The source could not be read this time (network, status, size, timeout); try again later."""


@dataclass(frozen=True)
class Validators:
    """What a conditional request sends back: the ETag / Last-Modified of the last fetch (or a file's mtime)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    body: bytes | None  # None: not modified since the validators
    validators: Validators
    content_type: str | None = None


def is_url(source: str) -> bool:
    return urlparse(source).scheme in ("http", "https")


async def _read_limited(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if response.content_length is not None and response.content_length > max_bytes:
        raise FetchError(f"the response is {response.content_length} bytes, over the limit of {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(65536):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"the response is over the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch_url(session: aiohttp.ClientSession, url: str, validators: Validators, *, timeout: float = 20.0,
                    max_bytes: int = DEFAULT_MAX_BYTES) -> Fetched:
    """GET with If-None-Match / If-Modified-Since; a 304 gives ``body=None``."""
    headers = {"Accept": "text/html, application/rss+xml, application/atom+xml, application/xml, text/markdown, "
                         "application/x-ndjson, */*;q=0.5"}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    client_timeout = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0), sock_read=timeout)
    try:
        async with session.get(url, headers=headers, timeout=client_timeout) as response:
            if response.status == 304:
                return Fetched(None, validators)
            if response.status != 200:
                raise FetchError(f"{url} answered HTTP {response.status}")
            body = await _read_limited(response, max_bytes)
            new = Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
            return Fetched(body, new, response.headers.get("Content-Type"))
    except TimeoutError:
        raise FetchError(f"{url} did not answer within {timeout:g} s") from None
    except aiohttp.ClientError as exc:
        raise FetchError(f"{url}: {exc}") from None


def fetch_file(path: Path, validators: Validators, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Fetched:
    """Read a file unless its modification time and size are those of the last read."""
    try:
        stat = path.stat()
        stamp = f"{stat.st_mtime_ns}:{stat.st_size}"
        if validators.etag == stamp:
            return Fetched(None, validators)
        if stat.st_size > max_bytes:
            raise FetchError(f"{path} is {stat.st_size} bytes, over the limit of {max_bytes}")
        return Fetched(path.read_bytes(), Validators(etag=stamp))
    except OSError as exc:
        raise FetchError(f"{path}: {exc.strerror or exc}") from None


async def fetch(source: str, validators: Validators, *, session: aiohttp.ClientSession | None = None,
                timeout: float = 20.0, max_bytes: int = DEFAULT_MAX_BYTES) -> Fetched:
    """Fetch a URL (with ``session``) or a local path."""
    if is_url(source):
        if session is None:
            raise ValueError("fetching a URL needs an aiohttp session")
        return await fetch_url(session, source, validators, timeout=timeout, max_bytes=max_bytes)
    return await asyncio.to_thread(fetch_file, Path(source), validators, max_bytes=max_bytes)
