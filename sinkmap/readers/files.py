"""Checksums of input files: size in bytes and SHA-256, for a survey's provenance.json."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20  # bytes read at a time
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
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(CHUNK):
            sha.update(block)
    return Digest(path.stat().st_size, sha.hexdigest())


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
