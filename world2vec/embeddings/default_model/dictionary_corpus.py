"""Write the default model's training data: a sentence file and a triples file.

Why the headword prefix: a definition line such as ``cat : feline mammal usually
having thick soft fur`` puts the headword in the window of the words that define
it, which is what makes the dictionary a corpus for *concepts*: "cat" ends up near
"feline", "fur" and, through shared definitions, near "dog". Examples and usage
notes are written as they are (they show words in use). Held-out headwords (see
``definitions.is_held_out``) are left out of every line that defines them, so the
reverse-dictionary evaluation stays honest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from world2vec.embeddings.default_model.definitions import is_held_out
from world2vec.embeddings.default_model.gcide import iter_entries
from world2vec.embeddings.default_model.wordnet import Synset
from world2vec.embeddings.words.tokenizer import Tokenizer


@dataclass
class CorpusSummary:
    lines: int = 0
    tokens: int = 0
    held_out_definitions: int = 0
    counts: Counter = field(default_factory=Counter)


def definition_line(headwords: Iterable[str], text: str) -> str:
    """``"cat true_cat : feline mammal ..."`` (headwords keep their underscores)."""
    return " ".join(headwords) + " : " + " ".join(text.split())


class CorpusWriter:
    """Writes one sentence per line and counts tokens as it goes (for vocabulary cuts)."""

    def __init__(self, path: str, tokenizer: Tokenizer | None = None,
                 held_out_percent: float = 1.0) -> None:
        self.handle = open(path, "w", encoding="utf-8")
        self.tokenizer = tokenizer or Tokenizer()
        self.held_out_percent = held_out_percent
        self.summary = CorpusSummary()

    def held_out(self, headword: str) -> bool:
        return self.held_out_percent > 0 and is_held_out(headword, self.held_out_percent)

    def line(self, text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        self.handle.write(text + "\n")
        tokens = self.tokenizer.tokenize(text)
        self.summary.lines += 1
        self.summary.tokens += len(tokens)
        self.summary.counts.update(tokens)

    def definition(self, headwords: list[str], text: str) -> None:
        kept = [h for h in headwords if not self.held_out(h)]
        if len(kept) < len(headwords):
            self.summary.held_out_definitions += 1
        if kept:
            self.line(definition_line(kept, text))

    def close(self) -> None:
        self.handle.close()

    def __enter__(self) -> CorpusWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_wordnet(writer: CorpusWriter, synsets: Iterable[Synset], max_lemmas: int = 3) -> None:
    """One definition line per synset (its first lemmas as headwords) and its examples."""
    for synset in synsets:
        if synset.definition:
            writer.definition(synset.lemmas[:max_lemmas], synset.definition)
        for example in synset.examples:
            writer.line(example)


def write_gcide(writer: CorpusWriter, dict_path: str) -> None:
    """One line per sense and per run-in phrase; usage notes and quotations as plain lines."""
    for entry in iter_entries(dict_path):
        for text in entry.definitions:
            writer.definition([entry.headword], text)
        for phrase, text in entry.phrases:
            writer.definition([phrase], text)
        for note in entry.notes:
            writer.line(note)
        for quote in entry.quotes:
            writer.line(quote)

