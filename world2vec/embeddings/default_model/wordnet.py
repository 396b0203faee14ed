"""Reader for Princeton WordNet 3.0 database files (Debian's ``wordnet-base``).

Why our own reader: the runtime may depend only on numpy/numba/faiss/flask/msgpack/
gunicorn, so nltk is out; the ``data.{noun,verb,adj,adv}`` format is simple and fully
documented in wndb(5). Each non-header line is one synset::

    offset lex_filenum ss_type w_cnt word lex_id [word lex_id ...] p_cnt [ptr ...]
        [f_cnt + f_num w_num ...] | gloss; "example"; "example"

``w_cnt`` is two hex digits, ``p_cnt`` three decimal digits, and each pointer is
``symbol offset pos source/target`` (four hex digits: 0000 for a semantic pointer
between synsets, otherwise the source and target word numbers of a lexical one).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

DEFAULT_WORDNET_DIR = "/usr/share/wordnet"
POS_FILES = {"n": "data.noun", "v": "data.verb", "a": "data.adj", "r": "data.adv"}

#: WordNet pointer symbols and the relation names we give them (wninput(5WN)).
POINTER_NAMES = {
    "!": "antonym",
    "@": "hypernym",
    "@i": "instance_hypernym",
    "~": "hyponym",
    "~i": "instance_hyponym",
    "#m": "member_holonym",
    "#s": "substance_holonym",
    "#p": "part_holonym",
    "%m": "member_meronym",
    "%s": "substance_meronym",
    "%p": "part_meronym",
    "=": "attribute",
    "+": "derivation",
    ";c": "domain_topic",
    "-c": "member_of_domain_topic",
    ";r": "domain_region",
    "-r": "member_of_domain_region",
    ";u": "domain_usage",
    "-u": "member_of_domain_usage",
    "*": "entailment",
    ">": "cause",
    "^": "also_see",
    "$": "verb_group",
    "&": "similar_to",
    "<": "participle",
    "\\": "pertainym",
}

_ADJ_MARKER = re.compile(r"\((?:a|p|ip)\)$")
_QUOTED = re.compile(r'"([^"]*)"')


class WordNetFormatError(ValueError):
    """A data file line does not follow the wndb(5) layout."""


@dataclass(frozen=True)
class Pointer:
    relation: str          # e.g. "hypernym"
    target: tuple[str, int]  # (pos, offset) of the target synset
    source_word: int       # 0 for a semantic pointer, else 1-based word number in the source
    target_word: int       # 0 for a semantic pointer, else 1-based word number in the target


@dataclass
class Synset:
    pos: str               # "n", "v", "a" (adjective satellites "s" folded in) or "r"
    offset: int
    lemmas: list[str]      # lowercased, multiword joined by underscores ("true_cat")
    definition: str        # gloss without the examples
    examples: list[str] = field(default_factory=list)
    pointers: list[Pointer] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, int]:
        return (self.pos, self.offset)


def _normalize_lemma(word: str) -> str:
    return _ADJ_MARKER.sub("", word).lower()


def split_gloss(gloss: str) -> tuple[str, list[str]]:
    """Split ``definition; "example"; "example"`` into the definition and examples."""
    examples = [m.strip() for m in _QUOTED.findall(gloss) if m.strip()]
    first_quote = gloss.find('"')
    definition = gloss if first_quote < 0 else gloss[:first_quote]
    definition = definition.strip().rstrip(";").strip()
    return definition, examples


def parse_line(line: str) -> Synset:
    """Parse one synset line of a WordNet data file."""
    head, sep, gloss = line.partition(" | ")
    if not sep:
        head, gloss = line.rstrip(), ""
    fields = head.split()
    try:
        offset = int(fields[0])
        ss_type = fields[2]
        w_cnt = int(fields[3], 16)
        pos = "a" if ss_type == "s" else ss_type
        lemmas = [_normalize_lemma(fields[4 + 2 * i]) for i in range(w_cnt)]
        i = 4 + 2 * w_cnt
        p_cnt = int(fields[i])
        i += 1
        pointers = []
        for _ in range(p_cnt):
            symbol, target_offset, target_pos, st = fields[i:i + 4]
            i += 4
            relation = POINTER_NAMES.get(symbol)
            if relation is None:
                continue
            target_pos = "a" if target_pos == "s" else target_pos
            pointers.append(Pointer(relation, (target_pos, int(target_offset)),
                                    int(st[:2], 16), int(st[2:], 16)))
    except (IndexError, ValueError) as exc:
        raise WordNetFormatError(f"malformed WordNet synset line: {line[:80]!r}") from exc
    definition, examples = split_gloss(gloss.strip())
    return Synset(pos, offset, lemmas, definition, examples, pointers)


def iter_synsets(wordnet_dir: str = DEFAULT_WORDNET_DIR,
                 parts_of_speech: str = "nvar") -> Iterator[Synset]:
    """Yield every synset of the chosen parts of speech, in file order."""
    for pos in parts_of_speech:
        path = os.path.join(wordnet_dir, POS_FILES[pos])
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"WordNet data file not found: {path} (install Debian's wordnet-base)")
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("  ") or not line.strip():
                    continue  # licence header lines start with two spaces
                yield parse_line(line)


def load_wordnet(wordnet_dir: str = DEFAULT_WORDNET_DIR,
                 parts_of_speech: str = "nvar") -> dict[tuple[str, int], Synset]:
    """All synsets keyed by ``(pos, offset)``, so pointers can be resolved."""
    return {s.key: s for s in iter_synsets(wordnet_dir, parts_of_speech)}
