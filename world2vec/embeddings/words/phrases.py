"""Phrase detection: join frequent collocations ("new york" -> "new_york").

Why: many concepts are multiword, and the relation graph names them with
underscores; learning "new_york" as one token lets text and graph agree.
The score is word2vec's (Mikolov et al. 2013, word2phrase)::

    score(a, b) = (count(a b) - min_count) / (count(a) * count(b)) * total_words

and a bigram whose score exceeds ``threshold`` becomes one token. Counting is
one streamed pass; to bound memory on big corpora, the bigram table is pruned
(rare pairs dropped) whenever it grows past ``max_pairs`` entries, as gensim
does. Applying is greedy left to right, so "new york city" gives
"new_york city" unless a later pass joins further.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence


class Phrases:
    """Learned bigram phrases; call :meth:`apply` on token lists."""

    def __init__(self, min_count: int = 5, threshold: float = 10.0, delimiter: str = "_",
                 max_pairs: int = 5_000_000) -> None:
        if min_count < 1 or threshold <= 0:
            raise ValueError("min_count must be >= 1 and threshold > 0")
        self.min_count = min_count
        self.threshold = threshold
        self.delimiter = delimiter
        self.max_pairs = max_pairs
        self.phrases: dict[tuple[str, str], float] = {}

    def learn(self, sentences: Iterable[Sequence[str]]) -> Phrases:
        """Count words and adjacent pairs over ``sentences`` (token lists) and
        keep the pairs that score above the threshold."""
        words: Counter[str] = Counter()
        pairs: Counter[tuple[str, str]] = Counter()
        total = 0
        floor = 1
        for tokens in sentences:
            words.update(tokens)
            total += len(tokens)
            pairs.update(zip(tokens, tokens[1:]))
            if len(pairs) > self.max_pairs:
                floor += 1
                pairs = Counter({k: c for k, c in pairs.items() if c > floor})
        self.phrases = {}
        for (a, b), n_ab in pairs.items():
            if n_ab < self.min_count:
                continue
            score = (n_ab - self.min_count) / (words[a] * words[b]) * total
            if score > self.threshold:
                self.phrases[(a, b)] = score
        return self

    def __len__(self) -> int:
        return len(self.phrases)

    def apply(self, tokens: Sequence[str]) -> list[str]:
        """Tokens with every learned phrase joined (greedy, left to right)."""
        out: list[str] = []
        i, n = 0, len(tokens)
        phrases = self.phrases
        while i < n:
            if i + 1 < n and (tokens[i], tokens[i + 1]) in phrases:
                out.append(tokens[i] + self.delimiter + tokens[i + 1])
                i += 2
            else:
                out.append(tokens[i])
                i += 1
        return out

    __call__ = apply
