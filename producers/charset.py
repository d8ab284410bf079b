"""The text of a fetched document, whatever its encoding: pages and feeds alike, pure (bytes in, text out).

The encoding is taken from, in this order:

1. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32);
2. what the document says of itself: the HTTP ``Content-Type`` charset, then the XML prolog
   (``<?xml … encoding="ISO-8859-1"?>``), then an HTML ``<meta charset>`` or ``http-equiv``
   tag. ``ISO-8859-1``/``latin1``/``US-ASCII`` are read as windows-1252, as browsers do: pages
   that say Latin-1 often hold its printable superset (curly quotes, dashes);
3. UTF-8, when the bytes are valid UTF-8;
4. detection by charset-normalizer. Where it finds several encodings that fit equally well
   (windows-1250 and windows-1252 both read most Latin-1 text), windows-1252 is preferred: it is
   the web's default for undeclared Western documents, and picking 1250 turns Portuguese
   "informações" into "informaçőes".

A declared encoding that the bytes do not fit (a page that says UTF-8 and is not) is passed
over for the next source. Only input that no encoding fits is refused, with the reason.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

__all__ = ["Decoded", "UndecodableError", "decode_document"]

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_XML_PROLOG = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
#: Declared names read as another encoding (WHATWG Encoding Standard: Latin-1 and ASCII labels mean windows-1252).
_READ_AS = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
            "l1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252", "iso_8859-1": "cp1252"}


class UndecodableError(ValueError):
    """No encoding fits the bytes (binary data, or text too damaged to read)."""


@dataclass(frozen=True)
class Decoded:
    text: str
    #: the Python codec that read the bytes
    encoding: str
    #: where the encoding came from: "bom", "http", "xml", "meta", "utf-8" or "detected"
    source: str


def _codec(name: str) -> str | None:
    name = name.strip().strip("\"'").lower()
    name = _READ_AS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _declared(data: bytes, content_type: str | None) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if content_type:
        header = _HEADER_CHARSET.search(content_type)
        if header and (codec := _codec(header.group(1))):
            found.append((codec, "http"))
    head = data[:4096]
    prolog = _XML_PROLOG.match(head)
    if prolog and (codec := _codec(prolog.group(1).decode("ascii"))):
        found.append((codec, "xml"))
    meta = _META_CHARSET.search(head)
    if meta and (codec := _codec(meta.group(1).decode("ascii"))):
        found.append((codec, "meta"))
    return found


def _detected(data: bytes) -> str | None:
    results = from_bytes(data)
    best = results.best()
    if best is None:
        return None
    equally_good = {m.encoding for m in results if m.chaos == best.chaos and m.coherence == best.coherence}
    return "cp1252" if "cp1252" in equally_good else best.encoding


def decode_document(data: bytes, *, content_type: str | None = None) -> Decoded:
    """The document's text, and which encoding read it and why; :class:`UndecodableError` when none fits."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), codec, "bom")
            except UnicodeDecodeError as exc:
                raise UndecodableError(f"the byte-order mark says {codec}, but byte {exc.start} is not "
                                       f"{codec}") from None
    tried: list[str] = []
    for codec, source in _declared(data, content_type):
        try:
            return Decoded(data.decode(codec), codec, source)
        except UnicodeDecodeError as exc:
            tried.append(f"{source} says {codec}, invalid at byte {exc.start}")
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError as exc:
        tried.append(f"not UTF-8 (invalid byte at offset {exc.start})")
    # text in an 8-bit encoding has no NUL; UTF-16 without a BOM (a NUL in every other byte) is left to detection
    nuls = data.count(b"\x00")
    detected = _detected(data) if nuls == 0 or nuls * 4 >= len(data) else None
    if detected is not None:
        try:
            return Decoded(data.decode(detected), detected, "detected")
        except UnicodeDecodeError:  # pragma: no cover - the detector decoded it already
            pass
    raise UndecodableError("no text encoding fits: " + "; ".join(tried + ["no encoding detected"]))
