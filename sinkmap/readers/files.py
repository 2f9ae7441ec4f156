"""Checksums of input files: size in bytes and SHA-256, for a survey's provenance.json; of a file over
HTTP(S) too, streamed once (``digest_url``)."""

from __future__ import annotations

import hashlib
import http.client
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sinkmap.errors import InputError

CHUNK = 1 << 20  # bytes read at a time
URL_TIMEOUT_S = 60  # seconds without an answer before a download is given up
HTTP_URL = re.compile(r"(/vsicurl(_streaming)?/)?(https?://.+)")  # a URL digest_url reads; group 3 the URL
SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")  # a Shapefile's attributes, index, CRS and encoding


@dataclass(frozen=True)
class Digest:
    """A file's size (bytes) and SHA-256 (hex); of a folder (a FileGDB), the sum of its files' sizes and
    the SHA-256 of their relative names and SHA-256s, one ``name  sha256`` line each in name order."""

    size_bytes: int
    sha256: str


def digest(path: str | Path) -> Digest:
    """Size and SHA-256 of the file (or folder) at ``path``."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return digest_listing([(p.relative_to(path).as_posix(), digest(p)) for p in files])
    with path.open("rb") as stream:
        return _streamed(stream)


def _streamed(stream: BinaryIO) -> Digest:
    """Size (bytes read) and SHA-256 of ``stream``, read to its end."""
    sha, size = hashlib.sha256(), 0
    while block := stream.read(CHUNK):
        sha.update(block)
        size += len(block)
    return Digest(size, sha.hexdigest())


def http_url(source: str) -> str | None:
    """The http(s) URL that ``source`` names (``https://…`` or ``/vsicurl/https://…``), else None."""
    found = HTTP_URL.fullmatch(source)
    return found[3] if found else None


def digest_url(source: str, what: str = "the file") -> Digest:
    """Size and SHA-256 of the file at an http(s) URL (``http_url``), streamed once with the standard
    library: the same as ``digest`` of a local copy. Raises InputError naming ``what`` and the URL when it
    cannot be read to its end."""
    url = http_url(source)
    if url is None:
        raise ValueError(f"not an http(s) URL: {source}")
    try:
        with urllib.request.urlopen(url, timeout=URL_TIMEOUT_S) as stream:
            return _streamed(stream)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # HTTPError, refused, timed out, cut short
        reason = exc.reason if type(exc) is urllib.error.URLError else exc  # not "<urlopen error …>"
        detail = " ".join(str(reason).split())[:160]
        raise InputError(f"{what} cannot be downloaded to record its SHA-256 ({detail})", path=source,
                         fix="check the URL and that this machine can reach the server (behind a proxy: "
                             "HTTPS_PROXY), or copy the file and give its local path in survey.yaml") from None


def digest_listing(parts: Sequence[tuple[str, Digest]]) -> Digest:
    """Of several files (name, digest): the sum of their sizes and the SHA-256 of their ``name  sha256``
    lines, in the order given."""
    listing = "".join(f"{name}  {d.sha256}\n" for name, d in parts)
    return Digest(sum(d.size_bytes for _, d in parts), hashlib.sha256(listing.encode("utf-8")).hexdigest())


def sidecars(path: str | Path) -> list[Path]:
    """The files read with ``path`` beside it (a Shapefile's .shx, .dbf, .prj, .cpg), those present."""
    path = Path(path)
    if path.suffix.lower() != ".shp":
        return []
    found = []
    for suffix in SHAPEFILE_SIDECARS:  # .dbf or .DBF, whichever is there (once on a case-blind disk)
        found += [p for p in (path.with_suffix(suffix), path.with_suffix(suffix.upper())) if p.is_file()][:1]
    return found
