"""Question/answer sets from FAQs Debian installs, beside the Debian FAQ itself.

Why more than one set: the search modes' fusion is tuned on these (zlib's and procps'
FAQs, ~54 questions about compression and process tools) and then measured on the
Debian FAQ (120 questions). Python's FAQ (171 questions, from Debian's python3.11-doc)
is the held-out set: programming-language documentation is evaluation material only,
and nothing was chosen by looking at it. Each parser returns
:class:`world2vec.memory.qa_eval.QAPair` rows (id, question, answer), scored by
``qa_eval.score`` like the Debian FAQ.
"""

from __future__ import annotations

import gzip
import os
import re

from world2vec.memory.qa_eval import QAPair

ZLIB_FAQ = "/usr/share/doc/zlib1g-dev/FAQ.gz"
#: Python's own FAQ, reST sources (Debian's python3.11-doc); a held-out set, never tuned on.
PYTHON_FAQ_DIR = "/usr/share/doc/python3.11/html/_sources/faq"
PROCPS_FAQ = "/usr/share/doc/procps/FAQ.gz"
_NUMBERED = re.compile(r"^ ?(\d+)\.\s+(\S.*)$")


def _read(path: str) -> str:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        return fh.read()


def _squash(lines: list[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


def parse_zlib_faq(text: str, min_answer_words: int = 8) -> list[QAPair]:
    """``12. Can zlib handle .Z files?`` (a question may run onto the next lines until a
    blank line), then the answer up to the next number."""
    pairs: list[QAPair] = []
    number, question, answer, in_question = None, [], [], False
    for line in text.splitlines() + ["99999. end"]:
        match = _NUMBERED.match(line)
        if match:
            if number is not None and len(_squash(answer).split()) >= min_answer_words:
                pairs.append(QAPair(f"zlib-{number}", _squash(question), _squash(answer)))
            number, question, answer, in_question = match.group(1), [match.group(2)], [], True
        elif number is not None:
            if in_question and line.strip():
                question.append(line)
            else:
                in_question = False
                answer.append(line)
    return pairs


def parse_procps_faq(text: str, min_answer_words: int = 8) -> list[QAPair]:
    """Unindented lines are questions; the indented block under each is its answer."""
    pairs: list[QAPair] = []
    question, answer = None, []
    for line in text.splitlines() + ["END"]:
        if line and not line[0].isspace():
            if question and len(_squash(answer).split()) >= min_answer_words:
                pairs.append(QAPair(f"procps-{len(pairs) + 1}", question, _squash(answer)))
            question, answer = line.strip(), []
        elif question is not None:
            answer.append(line)
    return pairs


def tuning_pairs() -> list[QAPair]:
    """zlib's and procps' FAQs together (empty where a package is not installed)."""
    pairs: list[QAPair] = []
    for path, parse in ((ZLIB_FAQ, parse_zlib_faq), (PROCPS_FAQ, parse_procps_faq)):
        if os.path.isfile(path):
            pairs += parse(_read(path))
    return pairs


_UNDERLINE = re.compile(r"^([=\-~^\"'`*+#])\1{2,}\s*$")
_ROLE = re.compile(r":[a-z:]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`")       # :ref:`text <target>`
_LINK = re.compile(r"`([^`<]+?)\s*<[^>]*>`_+")                    # `text <url>`_
_LITERAL = re.compile(r"``([^`]+)``")


def _plain(rst: str) -> str:
    """reST inline markup reduced to its words, as a user would paste the answer."""
    return _LITERAL.sub(r"\1", _LINK.sub(r"\1", _ROLE.sub(r"\1", rst)))


def parse_rst_faq(text: str, prefix: str, min_answer_words: int = 8) -> list[QAPair]:
    """Section titles that end in ``?`` are questions; the body up to the next title is
    the answer (directives such as ``.. code-block::`` stay as text)."""
    lines = text.splitlines()
    titles = [i for i in range(len(lines) - 1)
              if lines[i].strip() and _UNDERLINE.match(lines[i + 1])
              and len(lines[i + 1].strip()) >= len(lines[i].strip())]
    pairs: list[QAPair] = []
    for n, start in enumerate(titles):
        question = lines[start].strip()
        end = titles[n + 1] if n + 1 < len(titles) else len(lines)
        body = [line for line in lines[start + 2:end] if not line.startswith(".. _")]  # anchors
        answer = _squash([_plain(line) for line in body])
        if question.endswith("?") and len(answer.split()) >= min_answer_words:
            pairs.append(QAPair(f"{prefix}-{len(pairs) + 1}", _plain(question), answer))
    return pairs


def python_faq_pairs(folder: str = PYTHON_FAQ_DIR) -> list[QAPair]:
    """Every question of Python's FAQ (general, programming, design, library, ...)."""
    pairs: list[QAPair] = []
    if not os.path.isdir(folder):
        return pairs
    for name in sorted(os.listdir(folder)):
        if name.endswith(".rst.txt") and name != "index.rst.txt":
            pairs += parse_rst_faq(_read(os.path.join(folder, name)), f"python-{name.split('.')[0]}")
    return pairs
