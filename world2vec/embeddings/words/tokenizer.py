"""Unicode-aware tokenizer shared by training, evaluation and the encoders.

Why one tokenizer: a model is only as good as the agreement between how its
corpus was split and how queries are split later, so the settings used at
training time are stored in the model's manifest and reused at query time.

A token is a run of letters/digits/underscores, optionally joined by inner
apostrophes or hyphens ("don't", "well-known"). Underscores are word
characters, so multiword concepts written as ``new_york`` stay one token.
Lowercasing is on by default (``casefold`` would also fold "ß", which hurts
more than it helps for lookups of German words).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

_TOKEN = re.compile(r"\w+(?:['\u2019\-]\w+)*")
# The same tokens, plus each line end as its own "\n" token (no token spans lines).
_TOKEN_OR_LINE_END = re.compile(_TOKEN.pattern + r"|\n")
LINE_END = "\n"


@dataclass(frozen=True)
class Tokenizer:
    """Split text into tokens. ``lowercase`` folds case (default on)."""

    lowercase: bool = True

    def tokenize(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        return _TOKEN.findall(text)

    __call__ = tokenize

    def tokenize_lines(self, text: str) -> list[str]:
        """Tokens of many lines at once, each line's followed by :data:`LINE_END`.

        Why: one regex pass over megabytes of text costs far less than one call
        per line, which is what reading a large corpus spends most of its time on.
        A last line without a newline gets its ``LINE_END`` too.
        """
        if self.lowercase:
            text = text.lower()
        if text and not text.endswith("\n"):
            text += "\n"
        return _TOKEN_OR_LINE_END.findall(text)

    def normalize(self, token: str) -> str:
        """Normalize one already-split token or concept name ("New York" -> "new_york")."""
        token = token.strip()
        if self.lowercase:
            token = token.lower()
        return "_".join(token.split())

    def tokens_of(self, sentence: str | Iterable[str]) -> list[str]:
        """Tokens of a raw line, or of an already tokenised sentence (normalized)."""
        if isinstance(sentence, str):
            return self.tokenize(sentence)
        return [t for t in (self.normalize(str(x)) for x in sentence) if t]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> Tokenizer:
        return cls(**(d or {}))
