"""Relation triples from WordNet, written as the graph file ``world2vec train --graph`` reads.

Why triples between lemmas (not synset ids): the concept space is keyed by the same
tokens as the text ("cat", "true_cat"), so a random walk over these triples and a
sentence mentioning the words train the same vectors. Each synset contributes
synonym links between its lemmas; each semantic pointer links the source synset's
first lemmas to the target's first lemma; each lexical pointer links the two words
it names. Walks follow links both ways, so we keep one direction of each inverse
pair (hypernym but not hyponym, part_holonym but not part_meronym, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from world2vec.embeddings.default_model.wordnet import Synset

#: Relations kept in the graph. Inverse duplicates (hyponym, *_meronym, ...) are left
#: out because walks are undirected; domain/usage links are noisy and also left out.
DEFAULT_RELATIONS = frozenset({
    "synonym", "hypernym", "instance_hypernym", "part_holonym", "member_holonym",
    "substance_holonym", "similar_to", "antonym", "derivation", "also_see",
    "verb_group", "entailment", "cause", "attribute", "pertainym",
})


def wordnet_triples(synsets: dict[tuple[str, int], Synset],
                    relations: Iterable[str] = DEFAULT_RELATIONS,
                    max_lemmas: int = 3,
                    keep: Callable[[str], bool] | None = None) -> Iterator[tuple[str, str, str]]:
    """Yield ``(head, relation, tail)`` lemma triples, without duplicates.

    ``keep`` filters concepts (for example, to those frequent enough to survive the
    vocabulary cut) so walks are not spent on words the model will drop.
    """
    wanted = set(relations)
    seen: set[tuple[str, str, str]] = set()
    ok = keep or (lambda _: True)

    def emit(head: str, relation: str, tail: str) -> Iterator[tuple[str, str, str]]:
        triple = (head, relation, tail)
        if head != tail and triple not in seen and ok(head) and ok(tail):
            seen.add(triple)
            yield triple

    for synset in synsets.values():
        lemmas = synset.lemmas[:max_lemmas]
        if "synonym" in wanted:
            for other in lemmas[1:]:
                yield from emit(lemmas[0], "synonym", other)
        for pointer in synset.pointers:
            if pointer.relation not in wanted:
                continue
            target = synsets.get(pointer.target)
            if target is None or not target.lemmas:
                continue
            if pointer.source_word and pointer.target_word:
                s, t = pointer.source_word - 1, pointer.target_word - 1
                if s < len(synset.lemmas) and t < len(target.lemmas):
                    yield from emit(synset.lemmas[s], pointer.relation, target.lemmas[t])
            else:
                for lemma in lemmas:
                    yield from emit(lemma, pointer.relation, target.lemmas[0])


def write_triples(path: str, triples: Iterable[tuple[str, str, str]]) -> int:
    """Write ``head<TAB>relation<TAB>tail`` lines; returns the number written."""
    n = 0
    with open(path, "w", encoding="utf-8") as handle:
        for head, relation, tail in triples:
            handle.write(f"{head}\t{relation}\t{tail}\n")
            n += 1
    return n
