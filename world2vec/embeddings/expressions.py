"""A safe parser for concept arithmetic: ``king - man + woman``, ``0.5*paris + (a - b)``,
``capital(france) - france + italy``.

Why a parser and not ``eval``: the expression may come from the network (the
service's ``/compose``) or from any user. This is a small recursive-descent parser
over a fixed grammar that can only produce a *linear combination* of concept names -
a dict ``{term: weight}`` - so nothing in the input can ever run. It lives beside
the vectors, not in the service, so Python callers compose with the same rules.

Grammar (usual precedence, left to right)::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("+" | "-") unary | atom
    atom   := NUMBER | concept | call | "(" expr ")"
    call   := NAME "(" (concept | call) ")"      NAME: a letter, then letters, digits, "_"
    concept := WORD | '"' any text '"'

A product or quotient needs a plain number on at least one side (``2*king``,
``king/2``); ``king*queen`` or ``king + 2`` is refused with the position of the
mistake. Words are runs of characters other than spaces, operators, parentheses
and quotes; quote a concept that contains one (``"t-shirt"``).

A call ``capital(france)`` is a relation applied to one concept (or to another call:
``plural(capital(france))``). The parser only records it - as a :class:`RelationCall`
term, a string such as ``"capital(france)"`` that also carries its parts - and the
caller supplies the relations when it turns terms into vectors
(``arithmetic.compose``), so this module knows nothing of relations or models.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_EXPR_LENGTH = 1000
MAX_TERMS = 100
MAX_DEPTH = 32

_NUMBER_RE = re.compile(r"^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_WORD_RE = re.compile(r'[^\s+\-*/()"]+')
#: What may be called: a relation's name, as users name theirs (``language_of``).
_RELATION_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class ExpressionError(ValueError):
    """The expression is malformed; ``position`` is the 0-based character offset."""

    def __init__(self, message: str, position: int):
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position


@dataclass(frozen=True)
class Token:
    kind: str      # "num", "word", "op", "(", ")", "end"
    text: str
    pos: int
    quoted: bool = False  # a '"..."' word: a concept, never a relation's name


class RelationCall(str):
    """The term ``relation(argument)``: its text (``"capital(france)"``) as a ``str``.

    Why a ``str``: terms are the keys of ``{term: weight}``, shown back to callers (the
    service's ``/compose`` answers them as JSON), so a call must be a string like any
    other term; ``relation`` and ``argument`` (a concept, or a nested call) are what a
    caller that applies relations reads.
    """

    relation: str
    argument: str

    def __new__(cls, relation: str, argument: str) -> RelationCall:
        call = super().__new__(cls, f"{relation}({argument})")
        call.relation = relation
        call.argument = argument
        return call

    @property
    def concept(self) -> str:
        """The concept the innermost call applies to (``france`` in ``plural(capital(france))``)."""
        arg = self.argument
        return arg.concept if isinstance(arg, RelationCall) else arg


@dataclass
class Linear:
    """``const + sum(weight * term)``; a pure number has no terms."""

    const: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)

    @property
    def is_number(self) -> bool:
        return not self.terms

    def scaled(self, factor: float) -> Linear:
        return Linear(self.const * factor, {t: w * factor for t, w in self.terms.items()})

    def plus(self, other: Linear, sign: float) -> Linear:
        terms = dict(self.terms)
        for t, w in other.terms.items():
            terms[t] = terms.get(t, 0.0) + sign * w
        return Linear(self.const + sign * other.const, terms)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "+-*/":
            tokens.append(Token("op", ch, i))
            i += 1
        elif ch in "()":
            tokens.append(Token(ch, ch, i))
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise ExpressionError("unclosed quote", i)
            word = " ".join(text[i + 1:end].split())
            if not word:
                raise ExpressionError("empty quoted concept", i)
            tokens.append(Token("word", word, i, quoted=True))
            i = end + 1
        else:
            m = _WORD_RE.match(text, i)
            assert m is not None  # every other character starts a word
            word = m.group(0)
            # "1e-3" is split by the "-" operator: glue an exponent back together.
            if re.fullmatch(r"(\d+(\.\d*)?|\.\d+)[eE]", word) and m.end() < len(text) \
                    and text[m.end()] in "+-":
                m2 = re.match(r"\d+", text[m.end() + 1:])
                if m2:
                    word = text[i:m.end() + 1 + m2.end()]
            kind = "num" if _NUMBER_RE.match(word) else "word"
            tokens.append(Token(kind, word, i))
            i += len(word)
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expr(self) -> Linear:
        left = self.term()
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.take()
            right = self.term()
            if left.is_number != right.is_number:
                raise ExpressionError("a number cannot be added to or subtracted from a concept "
                                "(did you mean a weight, like 0.5*paris?)", op.pos)
            left = left.plus(right, 1.0 if op.text == "+" else -1.0)
        return left

    def term(self) -> Linear:
        left = self.unary()
        while self.peek().kind == "op" and self.peek().text in "*/":
            op = self.take()
            right = self.unary()
            if op.text == "*":
                if left.is_number:
                    left = right.scaled(left.const)
                elif right.is_number:
                    left = left.scaled(right.const)
                else:
                    raise ExpressionError("two concepts cannot be multiplied; weights are numbers",
                                    op.pos)
            else:
                if not right.is_number:
                    raise ExpressionError("you can only divide by a number", op.pos)
                if right.const == 0:
                    raise ExpressionError("division by zero", op.pos)
                left = left.scaled(1.0 / right.const)
        return left

    def unary(self) -> Linear:
        tok = self.peek()
        if tok.kind == "op" and tok.text in "+-":
            self.take()
            self._enter(tok)
            inner = self.unary()
            self.depth -= 1
            return inner if tok.text == "+" else inner.scaled(-1.0)
        return self.atom()

    def atom(self) -> Linear:
        tok = self.take()
        if tok.kind == "num":
            value = float(tok.text)
            if not math.isfinite(value):
                raise ExpressionError(f"number {tok.text} is too large", tok.pos)
            return Linear(value)
        if tok.kind == "word":
            if not tok.quoted and self.peek().kind == "(":
                return Linear(0.0, {self.call(tok): 1.0})
            return Linear(0.0, {tok.text: 1.0})
        if tok.kind == "(":
            self._enter(tok)
            inner = self.expr()
            self.depth -= 1
            close = self.take()
            if close.kind != ")":
                raise ExpressionError("missing closing parenthesis", close.pos)
            return inner
        if tok.kind == "end":
            raise ExpressionError("the expression ends where a concept or number was expected", tok.pos)
        raise ExpressionError(f"unexpected {tok.text!r}", tok.pos)

    def call(self, name: Token) -> RelationCall:
        """``name(concept)`` or ``name(call)``: one concept, no arithmetic inside."""
        if not _RELATION_NAME_RE.match(name.text):
            raise ExpressionError(f"{name.text!r} is not a relation's name (a letter, then "
                                  "letters, digits or '_')", name.pos)
        opening = self.take()
        self._enter(opening)
        arg = self.take()
        if arg.kind != "word":
            raise ExpressionError(f"a relation applies to one concept, as in {name.text}(france)",
                                  arg.pos)
        argument = self.call(arg) if not arg.quoted and self.peek().kind == "(" else arg.text
        close = self.take()
        if close.kind != ")":
            raise ExpressionError(f"{name.text}(...) takes one concept; expected ')'", close.pos)
        self.depth -= 1
        return RelationCall(name.text, argument)

    def _enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"nested more than {MAX_DEPTH} levels deep", tok.pos)


def parse_expression(text: str) -> dict[str, float]:
    """Parse ``text`` into ``{concept: weight}`` (terms in order of first appearance).

    Terms whose weights cancel (``a - a + b``) are kept with weight 0 so the caller
    still excludes them from the results; an expression that is only a number, or
    whose weights all cancel, is an error. A relation call is a :class:`RelationCall`
    term (``{"capital(france)": 1.0}``); :func:`mentioned_concepts` lists the concepts
    inside the calls too.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty", 0)
    if len(text) > MAX_EXPR_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_EXPR_LENGTH} characters",
                        MAX_EXPR_LENGTH)
    tokens = tokenize(text)
    if sum(t.kind == "word" for t in tokens) > MAX_TERMS:
        raise ExpressionError(f"more than {MAX_TERMS} concepts in one expression", 0)
    parser = _Parser(tokens)
    result = parser.expr()
    end = parser.peek()
    if end.kind != "end":
        if end.kind == ")":
            raise ExpressionError("unmatched closing parenthesis", end.pos)
        raise ExpressionError(f"expected an operator before {end.text!r}", end.pos)
    if result.is_number:
        raise ExpressionError("the expression has no concept in it", 0)
    if result.const != 0:
        raise ExpressionError("a number cannot stand alone in a sum of concepts", 0)
    if all(abs(w) < 1e-12 for w in result.terms.values()):
        raise ExpressionError("the weights of the concepts cancel out to nothing", 0)
    return result.terms


def mentioned_concepts(terms: Iterable[str]) -> list[str]:
    """Every concept the terms name, in order, each once: a plain term itself, a call
    the concept it applies to. Why: results exclude the inputs, and ``capital(france)``
    should not answer ``france``."""
    seen: dict[str, None] = {}
    for term in terms:
        seen[term.concept if isinstance(term, RelationCall) else str(term)] = None
    return list(seen)
