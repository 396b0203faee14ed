"""word2vec text and binary formats (the lingua franca of gensim, fastText, GloVe).

Why hand-written: these formats are simple and the readers must give a clear
error on a malformed file rather than a numpy traceback. Layouts:

* text: a header ``"<count> <dim>"`` then ``word v1 ... vdim`` per line.
  GloVe files omit the header; the reader detects that and infers the
  dimension from the first line.
* binary (word2vec.c): the same header, then per word ``word<space>`` followed
  by ``dim`` little-endian float32 values and a newline (readers, gensim's
  ``KeyedVectors.load_word2vec_format(binary=True)`` included, skip it).

Words are UTF-8. Files are written most frequent word first, as the formats
expect. Duplicate words in an input file keep their first vector.
"""

from __future__ import annotations

import io
import mmap
import os

import numpy as np

from world2vec.embeddings.words.tokenizer import Tokenizer
from world2vec.embeddings.words.vectors import WordVectors

FORMATS = ("word2vec-text", "word2vec-binary")


class FormatError(ValueError):
    """A vectors file that cannot be read (names the file and where)."""


def _finish(path: str, words: list[str], rows: list[np.ndarray], fmt: str) -> WordVectors:
    if not words:
        raise FormatError(f"{path}: no vectors found")
    seen: dict[str, int] = {}
    keep = [seen.setdefault(w, i) == i for i, w in enumerate(words)]
    words = [w for w, k in zip(words, keep) if k]
    matrix = np.vstack([r for r, k in zip(rows, keep) if k]).astype(np.float32)
    if not np.isfinite(matrix).all():
        raise FormatError(f"{path}: contains non-finite values (NaN or infinity)")
    # Imported files carry no counts; their order is frequency order by convention.
    counts = np.arange(len(words), 0, -1, dtype=np.int64)
    cased = any(w != w.lower() for w in words)
    name = os.path.splitext(os.path.basename(path))[0] or "imported"
    return WordVectors(words, matrix, counts, name=name, tokenizer=Tokenizer(lowercase=not cased),
                       settings={"imported_from": os.path.abspath(path), "format": fmt,
                                 "counts": "rank (file order)"})


def _parse_header(line: str) -> tuple[int, int] | None:
    parts = line.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def read_word2vec_text(path: str | os.PathLike) -> WordVectors:
    """Read a word2vec/GloVe text file."""
    path = os.fspath(path)
    words: list[str] = []
    rows: list[np.ndarray] = []
    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline()
            header = _parse_header(first)
            dim = header[1] if header else None
            lines = f if header else _chain(first, f)
            for lineno, line in enumerate(lines, 2 if header else 1):
                line = line.rstrip("\n\r")
                if not line.strip():
                    continue
                if dim is None:
                    dim = len(line.split()) - 1
                    if dim < 1:
                        raise FormatError(f"{path}:{lineno}: expected a word and its vector")
                parts = line.rstrip().rsplit(" ", dim)
                if len(parts) != dim + 1 or not parts[0]:
                    raise FormatError(f"{path}:{lineno}: expected a word and {dim} numbers, "
                                      f"got {len(parts) - 1} field(s)")
                try:
                    rows.append(np.array(parts[1:], dtype=np.float32))
                except ValueError:
                    raise FormatError(f"{path}:{lineno}: not a number in the vector") from None
                words.append(parts[0])
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not UTF-8 text ({exc.reason}); is it a binary file?") from None
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    if header and len(words) != header[0]:
        raise FormatError(f"{path}: header announces {header[0]} vectors, found {len(words)}")
    return _finish(path, words, rows, "word2vec-text")


def _chain(first: str, rest):
    yield first
    yield from rest


def read_word2vec_binary(path: str | os.PathLike) -> WordVectors:
    """Read a word2vec.c binary file (memory-mapped, so multi-GB files read quickly)."""
    path = os.fspath(path)
    words: list[str] = []
    rows: list[np.ndarray] = []
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                raise FormatError(f"{path}: empty file")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                end = mm.find(b"\n")
                try:
                    header = _parse_header(mm[:end if end >= 0 else size].decode("ascii"))
                except UnicodeDecodeError:
                    header = None
                if header is None:
                    raise FormatError(f"{path}: missing the '<count> <dim>' header of a "
                                      "word2vec binary file")
                count, dim = header
                if dim < 1:
                    raise FormatError(f"{path}: dimension must be >= 1")
                width = dim * 4
                pos = end + 1
                for i in range(count):
                    while pos < size and mm[pos] == 10:  # newline left by the previous vector
                        pos += 1
                    space = mm.find(b" ", pos)
                    if space < 0:
                        raise FormatError(f"{path}: file ends inside word {i + 1} of {count}")
                    if space + 1 + width > size:
                        raise FormatError(f"{path}: file ends inside the vector of word "
                                          f"{i + 1} of {count}")
                    try:
                        words.append(mm[pos:space].decode("utf-8"))
                    except UnicodeDecodeError:
                        raise FormatError(f"{path}: word {i + 1} is not UTF-8") from None
                    rows.append(np.frombuffer(mm[space + 1:space + 1 + width], dtype="<f4"))
                    pos = space + 1 + width
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _finish(path, words, rows, "word2vec-binary")


def write_word2vec_text(wv: WordVectors, path: str | os.PathLike) -> None:
    """Write the header and one ``word v1 ... vdim`` line per word."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{len(wv.words)} {wv.dim}\n")
        row_fmt = " ".join(["%.8g"] * wv.dim)
        for a in range(0, len(wv.words), 4096):
            block = np.asarray(wv.vectors[a:a + 4096], dtype=np.float32)
            buf = io.StringIO()
            for word, row in zip(wv.words[a:a + 4096], block):
                buf.write(word + " " + row_fmt % tuple(row.tolist()) + "\n")
            f.write(buf.getvalue())


def write_word2vec_binary(wv: WordVectors, path: str | os.PathLike) -> None:
    """Write word2vec.c's binary layout (little-endian float32)."""
    with open(path, "wb") as f:
        f.write(f"{len(wv.words)} {wv.dim}\n".encode("ascii"))
        for a in range(0, len(wv.words), 4096):
            block = np.asarray(wv.vectors[a:a + 4096], dtype="<f4")
            f.write(b"".join(w.encode("utf-8") + b" " + row.tobytes() + b"\n"
                             for w, row in zip(wv.words[a:a + 4096], block)))


def read_vectors(path: str | os.PathLike, fmt: str) -> WordVectors:
    if fmt == "word2vec-text":
        return read_word2vec_text(path)
    if fmt == "word2vec-binary":
        return read_word2vec_binary(path)
    raise FormatError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")


def write_vectors(wv: WordVectors, path: str | os.PathLike, fmt: str) -> None:
    if fmt == "word2vec-text":
        write_word2vec_text(wv, path)
    elif fmt == "word2vec-binary":
        write_word2vec_binary(wv, path)
    else:
        raise FormatError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")
