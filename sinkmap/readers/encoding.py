"""The text encoding of a Shapefile's attribute table (.dbf): declared, checked, or detected.

GDAL reads a .dbf without a .cpg file as ISO-8859-1, so a GBK table (what Chinese desktop GIS and
bureau software write) comes back as mojibake column names and values without an error. Here the
table's raw text — its field names and character fields, read from the .dbf itself — decides:

- an encoding given for the layer (``encoding:`` in the survey configuration) is used, and must fit;
- else the .cpg file's encoding is used, and must fit: a .cpg saying UTF-8 on GBK text is an error;
- else UTF-8 if the text is valid UTF-8, else GB18030 (a superset of GBK / code page 936), with a
  SinkmapWarning naming the file.

The reader then has pyogrio read the table as ISO-8859-1 — byte for byte: a given ``encoding=``
makes pyogrio decode the .dbf itself, whatever the .cpg says (pyogrio's tests/test_raw_io.py,
test_encoding_io_shapefile and test_non_utf8_encoding_io_shapefile) — and ``recoded`` decodes the
names and values in the chosen encoding. Decoding here, not in pyogrio, lets a character cut off
at a dBase name's 10 bytes (GDAL writes 每公顷蓄积 in UTF-8 as 每公顷 plus one byte) be dropped:
pyogrio refuses such a name outright.
"""

from __future__ import annotations

import codecs
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sinkmap.errors import InputError, SinkmapWarning

FALLBACK = "GB18030"  # superset of GBK (CP936) and GB2312
BYTES = "ISO-8859-1"  # one character per byte: what a Shapefile is read as before ``recoded``
CODE_PAGES = {"65001": "utf-8", "54936": "gb18030"}  # Windows code page numbers a .cpg may hold; others → cpNNN
_TEXT_FIELD_TYPES = b"CV"  # dBase character fields (V: variable character, rare)
_CONTROLS_OK = "\t\r\n\x00"
SEPARATOR = 0x0A  # ends each value in dbf_text (a newline: no multi-byte sequence contains it)


def sibling(path: Path, suffix: str) -> Path | None:
    """The file next to ``path`` with the same stem and ``suffix``, in any letter case (XB.SHP, xb.cpg)."""
    exact = path.with_suffix(suffix)
    if exact.is_file():
        return exact
    stem = path.stem.lower()
    return next((p for p in path.parent.iterdir() if p.stem.lower() == stem and p.suffix.lower() == suffix), None)


def codec_name(name: str) -> str:
    """Python's name for an encoding given as a name (GBK, utf8) or a Windows code page (936); LookupError if unknown."""
    name = name.strip()
    if name.isdigit():
        name = CODE_PAGES.get(name, f"cp{name}")
    return codecs.lookup(name).name


def _value_end(error: UnicodeDecodeError) -> tuple[str, int]:
    """Codec error handler: drop a character cut off at the end of a value (dBase fields and field names
    are cut at a byte count, which may split a multi-byte character); any other error stands."""
    if error.end >= len(error.object) or error.object[error.end] == SEPARATOR:
        return "", error.end
    raise error


codecs.register_error("sinkmap_value_end", _value_end)


def dbf_text(dbf: Path) -> bytes:
    """The raw bytes of a .dbf's field names and character fields (every record), each value ended by SEPARATOR."""
    data = dbf.read_bytes()
    records = int.from_bytes(data[4:8], "little")
    header = int.from_bytes(data[8:10], "little")
    width = int.from_bytes(data[10:12], "little")
    names, columns, offset = [], [], 1  # byte 0 of each record is the deletion flag
    for start in range(32, header - 31, 32):
        descriptor = data[start:start + 32]
        if descriptor[0] == 0x0D:  # end of the field descriptors
            break
        names.append(descriptor[:11].split(b"\x00")[0])
        if descriptor[11] in _TEXT_FIELD_TYPES:
            columns.append(slice(offset, offset + descriptor[16]))
        offset += descriptor[16]
    body = np.frombuffer(data, dtype=np.uint8, count=records * width, offset=header).reshape(records, width)
    ends = np.full((records, 1), SEPARATOR, dtype=np.uint8)
    return b"".join(name + b"\n" for name in names) + b"".join(np.hstack([body[:, c], ends]).tobytes() for c in columns)


def _decoded(data: bytes, encoding: str) -> str | None:
    """``data`` as text in ``encoding``, or None when it is not valid in it or decodes to control or unassigned
    characters (mojibake)."""
    try:
        text = data.decode(encoding, errors="sinkmap_value_end")
    except UnicodeDecodeError:
        return None
    # private-use characters are no sign of mojibake: GBK keeps rare characters of names in its user area
    odd = any(unicodedata.category(c) in ("Cc", "Cn", "Cs") and c not in _CONTROLS_OK for c in set(text))
    return None if odd or "\ufffd" in text else text


def _has_cjk(text: str | None) -> bool:
    return text is not None and any("\u4e00" <= c <= "\u9fff" for c in text)


def _fits(data: bytes, encoding: str) -> bool:
    """Whether ``data`` reads as clean text in ``encoding``. A single-byte code page reads any bytes, so there
    a text without Chinese characters that is Chinese in GB18030 (GBK read as Latin letters) does not fit."""
    text = _decoded(data, encoding)
    if text is None:
        return False
    return encoding == "utf-8" or text.isascii() or _has_cjk(text) or not _has_cjk(_decoded(data, FALLBACK))


def _reads_as(data: bytes) -> str | None:
    """The first of UTF-8, GBK, GB18030 the text fits, for the fix of a message."""
    return next((name for name in ("utf-8", "gbk", "gb18030") if _fits(data, name)), None)


def _declared(shp: Path, declared: str, source: str) -> str:
    """Check an encoding declared in ``source`` (a name or code page) against the table's text; LookupError
    for an unknown name."""
    encoding = codec_name(declared)
    data = dbf_text(sibling(shp, ".dbf"))
    if _fits(data, encoding):
        return encoding
    reads = _reads_as(data)
    raise InputError(
        f"{source} declares the encoding {declared!r}, but the attribute table's text is not {declared}"
        + (f" (it reads as {reads.upper()})" if reads else ""),
        path=shp, fix=f"set `encoding: {reads or 'ENCODING'}` for this layer in the survey configuration (it overrides "
                      "a .cpg file), or correct the .cpg file",
    )


def shapefile_encoding(shp: Path, requested: str | None = None) -> str:
    """The encoding to read Shapefile ``shp`` with: ``requested``, its .cpg's, UTF-8, or GB18030 with a warning."""
    if sibling(shp, ".dbf") is None:  # no attribute table: nothing to decode (pyogrio reports the missing file)
        return codec_name(requested) if requested else "UTF-8"
    if requested:
        return _declared(shp, requested, "the survey configuration")
    cpg = sibling(shp, ".cpg")
    if cpg is not None:
        declared = cpg.read_text(encoding="ascii", errors="replace").strip()
        try:
            return _declared(shp, declared, f"its {cpg.name}")
        except LookupError:
            raise InputError(f"{cpg.name} names an unknown encoding {declared!r}", path=shp,
                             fix="set `encoding:` for this layer in the survey configuration (e.g. gbk, utf-8)") from None
    data = dbf_text(sibling(shp, ".dbf"))
    if _fits(data, "utf-8"):
        return "UTF-8"
    if _fits(data, FALLBACK):
        warnings.warn(
            f"{shp}: the attribute table is not UTF-8 and no .cpg file gives its encoding; read it as GB18030 (GBK). "
            "Declare it (`encoding: gbk` for the layer in the survey configuration, or a .cpg file) to silence this",
            SinkmapWarning, stacklevel=3,
        )
        return FALLBACK
    raise InputError("the attribute table's text is neither UTF-8 nor GBK", path=shp,
                     fix="set `encoding:` for this layer in the survey configuration to the file's encoding (e.g. big5)")


def recoded(frame: pd.DataFrame, encoding: str) -> pd.DataFrame:
    """``frame`` read as BYTES with its column names and text decoded in ``encoding`` (a multi-byte character cut
    off at the end of a name or value dropped)."""
    def decode(text):
        if not isinstance(text, str):
            return text
        return text.encode(BYTES).decode(encoding, errors="sinkmap_value_end")

    frame = frame.rename(columns={c: decode(c) for c in frame.columns})
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_string_dtype(values.dtype):  # str or object (not geometry)
            coded = values.notna() & ~values.str.isascii().fillna(True).astype(bool)
            if coded.any():  # ASCII reads the same in every encoding here: decode only the rest
                frame[column] = values.where(~coded, values[coded].map(decode))
    return frame
