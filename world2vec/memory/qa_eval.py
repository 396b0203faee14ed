"""Question-answering evaluation on real FAQ text (used by bench/bench_qa.py and a test).

The source is the Debian FAQ as the ``debian-faq`` package ships it
(``/usr/share/doc/debian/FAQ/debian-faq.en.txt.gz``): numbered section titles that
are questions ("7.2. What is a Debian control file?"), each followed by its answer.
The answers are stored in the memory, the questions are asked, and a ranking is
scored by where the question's own answer lands: MRR@10 and top-1.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

DEBIAN_FAQ = "/usr/share/doc/debian/FAQ/debian-faq.en.txt.gz"
HEADING = re.compile(r"^(\d+(?:\.\d+)+)\.\s+(\S.*)$")
CHAPTER = re.compile(r"^(Chapter \d+\.|Appendix )")


@dataclass
class QAPair:
    id: str            # the section number, e.g. "7.2"
    question: str
    answer: str


def _clean(lines: Iterable[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


def parse_faq_text(text: str, min_answer_words: int = 15) -> list[QAPair]:
    """Questions (section titles with a '?') and the text under each, up to the next title."""
    pairs: list[QAPair] = []
    lines = text.splitlines()
    i = 0
    current: tuple[str, str] | None = None
    body: list[str] = []

    def flush() -> None:
        if current is not None and "?" in current[1]:
            answer = _clean(body)
            if len(answer.split()) >= min_answer_words:
                pairs.append(QAPair(current[0], current[1], answer))

    while i < len(lines):
        line = lines[i]
        match = HEADING.match(line)
        if match or CHAPTER.match(line):
            flush()
            current, body = None, []
            if match:
                title = [match.group(2)]
                i += 1
                while i < len(lines) and lines[i].strip() and not lines[i][0].isspace():
                    title.append(lines[i])
                    i += 1
                current = (match.group(1), _clean(title))
                continue
        elif current is not None:
            body.append(line)
        i += 1
    flush()
    return pairs


def load_debian_faq(path: str = DEBIAN_FAQ) -> list[QAPair]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return parse_faq_text(fh.read())


def reciprocal_rank(ranked: Sequence[str], gold: str, cutoff: int = 10) -> float:
    for position, item_id in enumerate(ranked[:cutoff], start=1):
        if item_id == gold:
            return 1.0 / position
    return 0.0


def score(rank: Callable[[str], list[str]], pairs: Sequence[QAPair]) -> dict[str, float]:
    """MRR@10 and top-1 of a ranking function (question -> ids, best first)."""
    rr, top1 = [], []
    for pair in pairs:
        ranked = rank(pair.question)
        rr.append(reciprocal_rank(ranked, pair.id))
        top1.append(1.0 if ranked[:1] == [pair.id] else 0.0)
    n = max(len(pairs), 1)
    return {"mrr@10": sum(rr) / n, "top1": sum(top1) / n, "questions": len(pairs)}
