"""Reader for GCIDE (Webster 1913 + updates) in dictd format (Debian's ``dict-gcide``).

A dictd database is an index (``headword<TAB>offset<TAB>length``, numbers in base 64)
and a ``.dict.dz`` file, which is gzip-compatible, so the standard ``gzip`` module reads
it. One text chunk can be indexed under several names (inflections, phrases), so we
read each chunk once. Entries carry markup that we strip: pronunciations ``\\Ap"ple\\``,
etymologies and source tags in ``[...]``, accents like ``[a^]`` or ``["o]``, cross
references in ``{...}`` and citations ``--Author``. What is left is plain definition
text: numbered senses (and lettered sub-senses) become separate definitions, and a
run-in phrase such as ``{Cat nap}, a very short sleep`` defines the phrase ``cat_nap``.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

DEFAULT_GCIDE_DICT = "/usr/share/dictd/gcide.dict.dz"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64)}

_ACCENT = re.compile(r"\[([^\[\]\sA-Za-z]?[A-Za-z]{1,2}[^\[\]\sA-Za-z]?|aum|ae|oe|AE|OE)\]")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_PRONUNCIATION = re.compile(r"\\[^\\\n]*\\(\s*\([^()\n]*\))?")
_CITATION = re.compile(r"--\s?[A-Z][^\n]*")
_SENSE = re.compile(r"^\s{2,6}(\d+\.|\([a-z]\))\s+")
_PHRASE = re.compile(r"^\s{2,4}\{([^{}]+)\}[^,{]*,\s*(.*)$", re.S)
_SPACES = re.compile(r"\s+")


class GcideFormatError(ValueError):
    """The dictd index or data file is not what we expect."""


@dataclass
class Entry:
    headword: str                 # lowercased, multiword joined by underscores
    definitions: list[str]        # one plain-text definition per sense
    notes: list[str] = field(default_factory=list)   # usage notes (text, not definitions)
    phrases: list[tuple[str, str]] = field(default_factory=list)  # (phrase, definition)
    quotes: list[str] = field(default_factory=list)  # illustrative quotations (natural text)


def decode_b64(text: str) -> int:
    """dictd's base-64 number encoding (most significant digit first)."""
    value = 0
    try:
        for char in text:
            value = value * 64 + _B64_VALUE[char]
    except KeyError as exc:
        raise GcideFormatError(f"bad base-64 number in dictd index: {text!r}") from exc
    return value


def concept_name(text: str) -> str:
    """``'Cat o' nine tails'`` -> ``"cat_o'_nine_tails"`` (our concept-token form)."""
    text = re.sub(r"[*\"`]", "", text).strip().lower()
    return _SPACES.sub("_", text)


def _clean(text: str) -> str:
    text = _ACCENT.sub(lambda m: re.sub(r"[^A-Za-z]", "", m.group(1)), text)
    text = text.replace("???", " ")
    text = _BRACKETS.sub(" ", text)
    text = _BRACKETS.sub(" ", text)  # brackets nested once (etymologies quoting forms)
    text = _PRONUNCIATION.sub(" ", text)
    text = _CITATION.sub(" ", text)
    text = text.replace("{", "").replace("}", "").replace("--", " ")
    return _SPACES.sub(" ", text).strip()


def parse_entry(chunk: str) -> Entry | None:
    """Turn one dictd text chunk into an :class:`Entry` (``None`` when it has no text)."""
    lines = chunk.rstrip("\n").split("\n")
    if not lines or not lines[0].strip():
        return None
    first = lines[0]
    head = first.split("\\", 1)[0] if "\\" in first else first.split(",", 1)[0]
    headword = concept_name(head)
    if not headword:
        return None
    # Split into blank-line separated blocks, then into paragraphs that start at a
    # sense number, a note, a synonym list or a run-in phrase.
    paragraphs: list[tuple[str, list[str]]] = []
    kind = "header"
    current: list[str] = []
    in_quote = False
    quote: list[str] = []
    quotes: list[str] = []
    for i, line in enumerate(lines):
        if not line.strip():
            in_quote = False
            if quote:
                quotes.append(" ".join(quote))
                quote = []
            if current:
                paragraphs.append((kind, current))
            current, kind = [], "skip"
            continue
        indent = len(line) - len(line.lstrip(" "))
        if not current and kind == "skip" and indent >= 8:
            in_quote = True   # an indented quotation block
        if in_quote:
            if not line.lstrip().startswith("["):
                quote.append(line.strip())
            continue
        stripped = line.strip()
        new_kind = None
        if i > 0 and _SENSE.match(line):
            new_kind = "sense"
        elif indent <= 4 and stripped.startswith("Note:"):
            new_kind = "note"
        elif indent <= 4 and stripped.startswith("Syn:"):
            new_kind = "syn"
        elif i > 0 and indent <= 4 and stripped.startswith("{") and kind != "header":
            new_kind = "phrase"
        if new_kind is not None:
            if current:
                paragraphs.append((kind, current))
            current, kind = [line], new_kind
        else:
            current.append(line)
    if current:
        paragraphs.append((kind, current))
    if quote:
        quotes.append(" ".join(quote))

    entry = Entry(headword, [])
    for text in quotes:
        text = _clean(text).strip(' "')
        if len(text.split()) >= 3:
            entry.quotes.append(text)
    for kind, para in paragraphs:
        if kind == "header":
            # Etymologies and inflections in [...] may span lines, so strip the markup
            # before dropping the headword line; what follows it is an unnumbered sense.
            raw = _ACCENT.sub(lambda m: re.sub(r"[^A-Za-z]", "", m.group(1)), "\n".join(para))
            raw = _BRACKETS.sub(" ", _BRACKETS.sub(" ", raw.replace("???", " ")))
            text = _clean(raw.split("\n", 1)[1]) if "\n" in raw else ""
            if text and not re.fullmatch(r"\([^()]*\)\.?", text):
                entry.definitions.append(text)
        elif kind == "sense":
            text = _clean(_SENSE.sub("", "\n".join(para), count=1))
            if text and not re.fullmatch(r"\([^()]*\)\.?", text):
                entry.definitions.append(text)
        elif kind == "note":
            note = _clean("\n".join(para))[len("Note:"):].strip()
            if note:
                entry.notes.append(note)
        elif kind == "phrase":
            match = _PHRASE.match("\n".join(para))
            if match:
                phrase = concept_name(match.group(1))
                text = _clean(match.group(2))
                if phrase and len(text.split()) >= 2:
                    entry.phrases.append((phrase, text))
    if not (entry.definitions or entry.phrases or entry.notes or entry.quotes):
        return None
    return entry


def iter_entries(dict_path: str = DEFAULT_GCIDE_DICT,
                 index_path: str | None = None) -> Iterator[Entry]:
    """Yield every entry of a dictd database once, in index order."""
    if index_path is None:
        base = dict_path[:-3] if dict_path.endswith(".dz") else dict_path
        index_path = (base[:-5] if base.endswith(".dict") else base) + ".index"
    for path in (dict_path, index_path):
        if not os.path.exists(path):
            raise FileNotFoundError(f"dictd file not found: {path} (install Debian's dict-gcide)")
    opener = gzip.open if dict_path.endswith(".dz") else open
    with opener(dict_path, "rb") as handle:
        data = handle.read()
    seen: set[tuple[int, int]] = set()
    with open(index_path, encoding="utf-8", errors="replace") as index:
        for line in index:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                raise GcideFormatError(f"bad dictd index line: {line[:80]!r}")
            name, offset, length = parts[0], decode_b64(parts[1]), decode_b64(parts[2])
            if name.startswith("00-") or (offset, length) in seen:
                continue  # database info pseudo-entries, or a chunk already read
            seen.add((offset, length))
            chunk = data[offset:offset + length].decode("utf-8", errors="replace")
            entry = parse_entry(chunk)
            if entry is not None:
                yield entry
