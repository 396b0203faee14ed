"""word2vec text and binary formats (the lingua franca of gensim, fastText, GloVe).

Why hand-written: these formats are simple and the readers must give a clear
error on a malformed file rather than a numpy traceback. Layouts:

* text: a header ``"<count> <dim>"`` then ``word v1 ... vdim`` per line.
  GloVe files omit the header; the reader detects that and infers the
  dimension from the first line.
* binary (word2vec.c): the same header, then per word ``word<space>`` followed
  by ``dim`` little-endian float32 values and a newline (readers, gensim's
  ``KeyedVectors.load_word2vec_format(binary=True)`` included, skip it).

Either may be gzip-compressed: readers recognise gzip by its magic bytes, not by
the name, and writers compress when the name ends in ``.gz``. ``detect_format``
tells text from binary by looking at the file (see there), so callers need not
say which it is. ``limit`` reads only the first N vectors, as gensim's ``limit``
does (the most frequent words, in files written most frequent first).

Words are UTF-8 unless told otherwise. Files are written most frequent word
first, as the formats expect. Duplicate words in an input file keep their first
vector.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterator, Sequence
from typing import BinaryIO

import numpy as np

from world2vec.embeddings.words.byte_stream import ByteStream, open_maybe_gzip
from world2vec.embeddings.words.tokenizer import Tokenizer
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.engine.progress import Progress

FORMATS = ("word2vec-text", "word2vec-binary")
SNIFF_BYTES = 256 << 10        # enough for a header and one text line of a few thousand dims
PROGRESS_EVERY = 8192          # vectors between progress updates (cheap either way)


class FormatError(ValueError):
    """A vectors file that cannot be read (names the file and where)."""


def _model_name(path: str) -> str:
    base = os.path.basename(path)
    if base.endswith(".gz"):
        base = base[:-3]
    return os.path.splitext(base)[0] or "imported"


def _finish(path: str, words: list[str], matrix: np.ndarray, fmt: str) -> WordVectors:
    if not words:
        raise FormatError(f"{path}: no vectors found")
    seen: dict[str, int] = {}
    keep = np.array([seen.setdefault(w, i) == i for i, w in enumerate(words)], dtype=bool)
    if not keep.all():
        words = [w for w, k in zip(words, keep) if k]
        matrix = matrix[keep]
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    if not np.isfinite(matrix).all():
        raise FormatError(f"{path}: contains non-finite values (NaN or infinity)")
    # Imported files carry no counts; their order is frequency order by convention.
    counts = np.arange(len(words), 0, -1, dtype=np.int64)
    cased = any(w != w.lower() for w in words)
    return WordVectors(words, matrix, counts, name=_model_name(path),
                       tokenizer=Tokenizer(lowercase=not cased),
                       settings={"imported_from": os.path.abspath(path), "format": fmt,
                                 "counts": "rank (file order)"})


def _parse_header(line: str) -> tuple[int, int] | None:
    parts = line.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def _check_limit(limit: int | None) -> int | None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    return limit


def _is_vector_line(line: bytes, dim: int | None) -> bool:
    """Whether ``line`` reads as ``word v1 ... vdim`` (any dim when ``dim`` is None)."""
    try:
        text = line.decode("utf-8").rstrip()
    except UnicodeDecodeError:
        return False
    parts = text.split(" ") if dim is None else text.rsplit(" ", dim)
    if len(parts) < 2 or (dim is not None and len(parts) != dim + 1) or not parts[0]:
        return False
    try:
        np.array(parts[1:], dtype=np.float32)
    except ValueError:
        return False
    return True


def detect_format(path: str | os.PathLike) -> str:
    """``"word2vec-text"`` or ``"word2vec-binary"``, from the file's first bytes.

    Why sniffing works: both formats start with the same ``"<count> <dim>"`` line, but
    the next line of a text file is a word and ``dim`` numbers in decimal, which the raw
    float32 bytes of a binary file practically never are. A file with no header is text
    (GloVe) if its first line is a word and numbers; anything else is a
    :class:`FormatError` saying what was expected. Gzip is looked through.
    """
    path = os.fspath(path)
    try:
        with open_maybe_gzip(path) as f:
            head = f.read(SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise FormatError(_read_failure(path, exc)) from None
    if not head.strip():
        raise FormatError(f"{path}: empty file")
    end = head.find(b"\n")
    first = head[:end if end >= 0 else len(head)]
    try:
        header = _parse_header(first.decode("ascii"))
    except UnicodeDecodeError:
        header = None
    if header is not None:
        rest = head[end + 1:] if end >= 0 else b""
        stop = rest.find(b"\n")
        return "word2vec-text" if _is_vector_line(rest[:stop if stop >= 0 else len(rest)],
                                                  header[1]) else "word2vec-binary"
    if _is_vector_line(first, None):
        return "word2vec-text"
    raise FormatError(f"{path}: not a word2vec text or binary file (expected a "
                      f"'<count> <dim>' header line, or lines of a word and its numbers)")


def _read_failure(path: str, exc: BaseException) -> str:
    if isinstance(exc, (EOFError, gzip.BadGzipFile)):
        return f"{path}: the gzip data is truncated or corrupt ({exc})"
    if isinstance(exc, OSError):
        return f"cannot read {path}: {exc.strerror or exc}"
    return f"{path}: {exc}"


def _lines(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def read_word2vec_text(path: str | os.PathLike, *, limit: int | None = None,
                       encoding: str = "utf-8", errors: str = "strict",
                       progress: bool | None = False) -> WordVectors:
    """Read a word2vec/GloVe text file (gzip or not); the first ``limit`` vectors only."""
    path = os.fspath(path)
    limit = _check_limit(limit)
    words: list[str] = []
    rows: list[np.ndarray] = []
    header = None
    try:
        with open_maybe_gzip(path) as raw, \
                io.TextIOWrapper(raw, encoding=encoding, errors=errors) as f:
            first = f.readline()
            header = _parse_header(first)
            dim = header[1] if header else None
            total = header[0] if header else None
            if limit is not None:
                total = limit if total is None else min(total, limit)
            lines = f if header else _lines(first, f)
            with Progress(total=total, desc="import", unit="words", enabled=progress) as bar:
                for lineno, line in enumerate(lines, 2 if header else 1):
                    if limit is not None and len(words) >= limit:
                        break
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
                    if len(words) % PROGRESS_EVERY == 0:
                        bar.update(PROGRESS_EVERY)
                bar.update(len(words) % PROGRESS_EVERY)
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not {encoding} text ({exc.reason}); is it a binary file?") \
            from None
    except (OSError, EOFError) as exc:
        raise FormatError(_read_failure(path, exc)) from None
    if header and len(words) != (header[0] if limit is None else min(header[0], limit)):
        raise FormatError(f"{path}: header announces {header[0]} vectors, found {len(words)}")
    matrix = np.vstack(rows) if rows else np.zeros((0, 1), np.float32)
    return _finish(path, words, matrix, "word2vec-text")


def read_word2vec_binary(path: str | os.PathLike, *, limit: int | None = None,
                         encoding: str = "utf-8", errors: str = "strict",
                         progress: bool | None = False) -> WordVectors:
    """Read a word2vec.c binary file (gzip or not), streaming, the first ``limit`` vectors."""
    path = os.fspath(path)
    limit = _check_limit(limit)
    try:
        with open_maybe_gzip(path) as raw:
            stream = ByteStream(raw)
            if stream.at_end():
                raise FormatError(f"{path}: empty file")
            line = stream.until(b"\n")
            try:
                header = None if line is None else _parse_header(line.decode("ascii"))
            except UnicodeDecodeError:
                header = None
            if header is None:
                raise FormatError(f"{path}: missing the '<count> <dim>' header of a "
                                  "word2vec binary file")
            count, dim = header
            if dim < 1:
                raise FormatError(f"{path}: dimension must be >= 1")
            n = count if limit is None else min(count, limit)
            words, matrix = _read_binary_rows(path, stream, n, count, dim, encoding, errors,
                                              progress)
    except (OSError, EOFError) as exc:
        raise FormatError(_read_failure(path, exc)) from None
    return _finish(path, words, matrix, "word2vec-binary")


def _read_binary_rows(path: str, stream: ByteStream, n: int, count: int, dim: int,
                      encoding: str, errors: str, progress: bool | None
                      ) -> tuple[list[str], np.ndarray]:
    width = dim * 4
    words: list[str] = []
    matrix = np.empty((n, dim), dtype=np.float32)
    with Progress(total=n, desc="import", unit="words", enabled=progress) as bar:
        for i in range(n):
            stream.skip(b"\n")  # the newline word2vec.c leaves after each vector
            word = stream.until(b" ")
            if word is None:
                raise FormatError(f"{path}: file ends inside word {i + 1} of {count}")
            data = stream.take(width)
            if data is None:
                raise FormatError(f"{path}: file ends inside the vector of word {i + 1} of {count}")
            try:
                words.append(word.decode(encoding, errors))
            except UnicodeDecodeError:
                raise FormatError(f"{path}: word {i + 1} is not {encoding}") from None
            matrix[i] = np.frombuffer(data, dtype="<f4")
            if (i + 1) % PROGRESS_EVERY == 0:
                bar.update(PROGRESS_EVERY)
        bar.update(n % PROGRESS_EVERY)
    return words, matrix


def read_vectors(path: str | os.PathLike, fmt: str | None = None, *, limit: int | None = None,
                 encoding: str = "utf-8", errors: str = "strict",
                 progress: bool | None = False) -> WordVectors:
    """Read a vectors file; ``fmt=None`` detects text or binary (:func:`detect_format`)."""
    fmt = detect_format(path) if fmt is None else fmt
    options = {"limit": limit, "encoding": encoding, "errors": errors, "progress": progress}
    if fmt == "word2vec-text":
        return read_word2vec_text(path, **options)
    if fmt == "word2vec-binary":
        return read_word2vec_binary(path, **options)
    raise FormatError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")


# -- writing -------------------------------------------------------------------------
def _open_for_writing(path: str, append: bool) -> BinaryIO:
    mode = "ab" if append else "wb"
    return gzip.open(path, mode) if path.endswith(".gz") else open(path, mode)


def write_word2vec(words: Sequence[str], vectors: np.ndarray, path: str | os.PathLike, *,
                   binary: bool, header: bool = True, total: int | None = None,
                   prefix: str = "", append: bool = False,
                   progress: bool | None = False) -> None:
    """Write vectors as word2vec text or binary; gzip when ``path`` ends in ``.gz``.

    ``header=False`` leaves out the ``<count> <dim>`` line (GloVe's layout, text only by
    convention); ``total`` overrides the count it announces and ``prefix`` goes before
    every word, as in gensim's ``save_word2vec_format``.
    """
    path = os.fspath(path)
    dim = int(vectors.shape[1])
    row_fmt = " ".join(["%.9g"] * dim)  # 9 digits: float32 round-trips exactly
    block = 4096
    with _open_for_writing(path, append) as f, \
            Progress(total=len(words), desc="export", unit="words", enabled=progress) as bar:
        if header:
            f.write(f"{len(words) if total is None else total} {dim}\n".encode("ascii"))
        for a in range(0, len(words), block):
            chunk = np.asarray(vectors[a:a + block], dtype="<f4")
            names = words[a:a + block]
            if binary:
                f.write(b"".join((prefix + w).encode("utf-8") + b" " + row.tobytes() + b"\n"
                                 for w, row in zip(names, chunk)))
            else:
                f.write("".join(prefix + w + " " + row_fmt % tuple(row.tolist()) + "\n"
                                for w, row in zip(names, chunk)).encode("utf-8"))
            bar.update(len(names))


def write_word2vec_text(wv: WordVectors, path: str | os.PathLike, *,
                        progress: bool | None = False) -> None:
    """Write the header and one ``word v1 ... vdim`` line per word."""
    write_word2vec(wv.words, wv.vectors, path, binary=False, progress=progress)


def write_word2vec_binary(wv: WordVectors, path: str | os.PathLike, *,
                          progress: bool | None = False) -> None:
    """Write word2vec.c's binary layout (little-endian float32)."""
    write_word2vec(wv.words, wv.vectors, path, binary=True, progress=progress)


def write_vectors(wv: WordVectors, path: str | os.PathLike, fmt: str, *,
                  progress: bool | None = False) -> None:
    if fmt == "word2vec-text":
        write_word2vec_text(wv, path, progress=progress)
    elif fmt == "word2vec-binary":
        write_word2vec_binary(wv, path, progress=progress)
    else:
        raise FormatError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")
