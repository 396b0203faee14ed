"""Build the bundled default model in one command, reproducibly (same seed, same bytes of data).

    python -m world2vec.embeddings.default_model.build --out world2vec/models/default --replace

Data (Debian packages; see docs/DEFAULT-MODEL.md for licences): WordNet 3.0
(``wordnet-base``: glosses, examples, relations) and GCIDE (``dict-gcide``: Webster
1913 definitions). Steps:

1. write a sentence file (definitions prefixed with their headwords, examples,
   usage notes) and a WordNet triples file; 1 % of headwords are held out of both;
2. train word/concept vectors with the engine (skip-gram, text + graph walks);
3. fit character n-gram vectors so unseen words still get a vector;
4. fit the SIF baseline and train the reverse-dictionary sentence encoder, evaluate
   both on the held-out definitions and make the better one (top-10) the default;
5. train the object encoder on WordNet synsets described as objects;
6. learn relation transforms (capital, plural, antonym, adverb) from WordNet pairs,
   measure them on held-out pairs and by leave-one-out top-5 on all of them (the
   accuracy ``GET /relations`` lists);
7. save everything as one model directory (float16), with ``build.json`` holding
   every figure above plus the analogy and similarity scores on ../shared/data.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

from world2vec.embeddings.default_model.definitions import gcide_definitions, is_held_out, wordnet_definitions
from world2vec.embeddings.default_model.dictionary_corpus import CorpusWriter, write_gcide, write_wordnet
from world2vec.embeddings.default_model.gcide import DEFAULT_GCIDE_DICT
from world2vec.embeddings.default_model.knowledge_graph import wordnet_triples, write_triples
from world2vec.embeddings.default_model.refit import refit_relations
from world2vec.embeddings.default_model.wordnet import DEFAULT_WORDNET_DIR, Synset, load_wordnet
from world2vec.embeddings.model import Model
from world2vec.embeddings.objects import ObjectEncoder
from world2vec.embeddings.sentences.reverse_dictionary import ReverseDictionaryEncoder, rank_headwords
from world2vec.embeddings.sentences.sif import SIFEncoder
from world2vec.embeddings.staging import replace_directory
from world2vec.embeddings.words.corpus import encode_corpus
from world2vec.embeddings.words.graph_walks import RelationGraph
from world2vec.embeddings.words.subword_fill import fit_ngram_vectors
from world2vec.embeddings.words.tokenizer import Tokenizer
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.embeddings.words.word2vec import Word2VecTask
from world2vec.engine.linalg import unit_rows
from world2vec.engine.schedules import LinearDecay
from world2vec.engine.trainer import Trainer

HELD_OUT_PERCENT = 1.0
NOTICE = """This model directory was trained by world2vec from two data sets:

WordNet 3.0 (Debian package wordnet-base)
  WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
  Permission to use, copy, modify and distribute this software and database and its
  documentation for any purpose and without fee or royalty is hereby granted, provided
  that you agree to comply with the copyright notice and statements, including the
  disclaimer, and that the same appear on ALL copies of the software, database and
  documentation, including modifications that you make for internal use or for
  distribution.
  THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO
  REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT
  LIMITATION, PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT-
  ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE OF THE LICENSED
  SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS,
  COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS.
  The name of Princeton University or Princeton may not be used in advertising or
  publicity pertaining to distribution of the software and/or database. Title to
  copyright in this software, database and any associated documentation shall at all
  times remain with Princeton University and LICENSEE agrees to preserve same.

GCIDE 0.48, the GNU Collaborative International Dictionary of English (Debian
package dict-gcide), derived from Webster's Revised Unabridged Dictionary (1913) and
WordNet, edited by Patrick Cassidy and contributors.
  GCIDE is free software; you can redistribute it and/or modify it under the terms of
  the GNU General Public License as published by the Free Software Foundation; either
  version 2, or (at your option) any later version. It is distributed WITHOUT ANY
  WARRANTY; see the GNU General Public License for more details.

Treat this directory as a derived work of both: GPL-2.0-or-later (GCIDE) and the
WordNet licence above. See docs/DEFAULT-MODEL.md for how it was built.
"""
OBJECT_RELATIONS = {"hypernym": "is_a", "instance_hypernym": "is_a", "part_holonym": "part_of",
                    "member_holonym": "member_of", "substance_holonym": "made_of",
                    "part_meronym": "has_part", "similar_to": "similar_to"}


def log(message: str) -> None:
    print(f"[build_default {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def synset_objects(synsets: dict[tuple[str, int], Synset], known, limit: int,
                   seed: int) -> list[dict]:
    """WordNet synsets as objects: gloss words as features, pointers as relations."""
    objects = []
    for s in synsets.values():
        if s.pos != "n" or not s.lemmas or not known(s.lemmas[0]) or is_held_out(s.lemmas[0]):
            continue
        relations = [[OBJECT_RELATIONS[p.relation], synsets[p.target].lemmas[0]]
                     for p in s.pointers if p.relation in OBJECT_RELATIONS and p.target in synsets]
        features = s.definition.split()
        if relations:
            objects.append({"id": s.lemmas[0], "features": features, "relations": relations})
    rng = np.random.default_rng(seed)
    if len(objects) > limit:
        objects = [objects[i] for i in sorted(rng.choice(len(objects), limit, replace=False))]
    return objects


def build(args: argparse.Namespace) -> dict:
    target = os.path.abspath(args.out)
    # Refused before the long build, not after it.
    if os.path.exists(target) and not os.path.isdir(target):
        raise SystemExit(f"{target} exists and is not a directory")
    if os.path.isdir(target) and os.listdir(target) and not args.replace:
        raise SystemExit(f"{target} exists; pass --replace to rebuild it")
    report: dict = {"settings": {k: v for k, v in vars(args).items() if k not in ("out", "work")}}
    work = args.work or tempfile.mkdtemp(prefix="world2vec-build-")
    os.makedirs(work, exist_ok=True)
    t0 = time.time()

    log("reading WordNet")
    synsets = load_wordnet(args.wordnet)
    corpus_path = os.path.join(work, "corpus.txt")
    log("writing the dictionary corpus (WordNet glosses and examples, GCIDE definitions)")
    with CorpusWriter(corpus_path, held_out_percent=HELD_OUT_PERCENT) as writer:
        write_wordnet(writer, synsets.values())
        if args.gcide:
            write_gcide(writer, args.gcide)
    summary = writer.summary
    counts = summary.counts
    graph_path = os.path.join(work, "relations.tsv")
    n_triples = write_triples(graph_path, wordnet_triples(
        synsets, keep=lambda w: counts[w] >= args.min_count))
    report["data"] = {"corpus_lines": summary.lines, "corpus_tokens": summary.tokens,
                      "held_out_definition_lines": summary.held_out_definitions,
                      "triples": n_triples, "synsets": len(synsets)}
    log(f"corpus: {summary.lines} lines, {summary.tokens} tokens; graph: {n_triples} triples")

    events = os.path.join(work, "events.jsonl")
    wv = train_vectors(corpus_path, graph_path, args, events)
    log(f"fitting {args.buckets} character n-gram buckets for unseen words")
    ngrams = fit_ngram_vectors(wv.words, wv.normed, args.buckets)
    wv = WordVectors(wv.words, wv.vectors, wv.counts, ngrams=ngrams, name=wv.name,
                     settings={**wv.settings, "ngram_fit": {"buckets": args.buckets, "min_n": 3,
                                                            "max_n": 6}},
                     tokenizer=wv.tokenizer, events_path=events)

    # -- sentence encoders ---------------------------------------------------------
    log("collecting definition pairs")
    pairs = [(d.text, d.headword) for d in wordnet_definitions(synsets.values())]
    if args.gcide:
        pairs += [(d.text, d.headword) for d in gcide_definitions(args.gcide)]
    train = [(t, h) for t, h in pairs if not is_held_out(h, HELD_OUT_PERCENT) and h in wv]
    rng = np.random.default_rng(args.seed)
    if len(train) > args.rd_pairs:
        train = [train[i] for i in sorted(rng.choice(len(train), args.rd_pairs, replace=False))]
    held = [(t, h) for t, h in pairs if is_held_out(h, HELD_OUT_PERCENT) and h in wv]
    if len(held) > 1000:
        held = [held[i] for i in sorted(rng.choice(len(held), 1000, replace=False))]
    sif = SIFEncoder(wv).fit([t for t, _ in train], seed=args.seed)
    rd = ReverseDictionaryEncoder(wv)
    rd_train = rd.fit(train, epochs=args.rd_epochs, seed=args.seed, events=None, progress=True)
    scores = {"sif": rank_headwords(sif.encode, wv, held),
              "reverse_dictionary": rank_headwords(rd.encode, wv, held)}
    default = max(scores, key=lambda k: (scores[k]["top10"], -(scores[k]["median_rank"] or 1e9)))
    report["reverse_dictionary"] = {"held_out": scores, "train": rd_train,
                                    "train_pairs": len(train), "default": default}
    log(f"reverse dictionary on {len(held)} held-out definitions: {json.dumps(scores)}; "
        f"default sentence encoder: {default}")

    # -- objects -----------------------------------------------------------------------
    objects = synset_objects(synsets, lambda w: w in wv, args.objects, args.seed)
    obj = ObjectEncoder(wv)
    report["objects"] = obj.fit(objects, epochs=2, seed=args.seed, progress=True)

    # -- relations -----------------------------------------------------------------------
    relations, report["relations"] = refit_relations(wv, synsets, args.wordnet, args.seed, log)

    # -- quality ---------------------------------------------------------------------------
    model = Model(wv, None, {"sif": sif, "reverse_dictionary": rd}, default, obj, relations)
    report["quality"] = quality(wv, args.data)
    report["seconds"] = round(time.time() - t0, 1)
    log(f"quality: {json.dumps(report['quality'])}")

    extra = {"build.json": report}
    notice = {"NOTICE.txt": NOTICE}
    if args.replace:
        # The old model stays in place until the new one is complete, then is swapped out.
        with replace_directory(target) as staging:
            model.save(staging, extra_json=extra, extra_text=notice)
    else:
        model.save(target, extra_json=extra, extra_text=notice)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(target) for f in fs)
    report["size_bytes"] = size
    log(f"wrote {target} ({size / 1e6:.1f} MB) in {report['seconds']} s")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return report


def train_vectors(corpus_path: str, graph_path: str, args: argparse.Namespace,
                  events: str) -> WordVectors:
    """Skip-gram on text + walks with the word-vector layer's task and the engine's Trainer.

    Why not ``train_word_vectors``: the default model mixes in the *context* vectors
    (``--context-weight``: unit(w) + a * unit(c), after Levy et al. 2015), which adds
    first-order co-occurrence ("dogs and cats") to the taxonomic similarity that
    dictionary text and WordNet walks give; the public trainer returns input vectors
    only. Measured on one run: a = 0.25 gave WordSim 0.592 vs 0.573 (a = 0) and kept
    king - man + woman = queen, which a = 1 lost.
    """
    tokenizer = Tokenizer()
    graph = RelationGraph.read(graph_path, tokenizer)
    encoded, vocab = encode_corpus(corpus_path, graph, tokenizer=tokenizer,
                                   min_count=args.min_count, max_vocab=args.max_vocab,
                                   walks_per_node=args.walks, walk_length=8, seed=args.seed,
                                   batch_words=50_000 * args.threads, progress=True)
    settings = {"mode": "skipgram", "dim": args.dim, "window": args.window,
                "negative": args.negative, "min_count": args.min_count,
                "max_vocab": args.max_vocab, "sample": 1e-3, "epochs": args.epochs,
                "alpha": 0.025, "min_alpha": 0.0001, "threads": args.threads, "seed": args.seed,
                "walks_per_node": args.walks, "walk_length": 8,
                "context_weight": args.context_weight,
                "corpus_tokens": encoded.stats.text_tokens,
                "walk_tokens": encoded.stats.walk_tokens}
    try:
        task = Word2VecTask(encoded, vocab, dim=args.dim, window=args.window,
                            negative=args.negative, sample=1e-3, mode="skipgram",
                            threads=args.threads, seed=args.seed, subwords=False, min_n=3,
                            max_n=6, buckets=1)
        result = Trainer(task, epochs=args.epochs, schedule=LinearDecay(0.025, 0.0001),
                         seed=args.seed, events=events, progress=True, desc="train skipgram",
                         unit="words").fit()
        settings.update({"seconds": round(result.seconds, 1), "final_loss": result.loss,
                         "words_per_second": round(result.work / max(result.seconds, 1e-9))})
        vectors = task.syn0[:len(vocab)].copy()
        if args.context_weight:
            vectors = unit_rows(vectors) + args.context_weight * unit_rows(task.syn1)
    finally:
        encoded.close()
    return WordVectors(vocab.words, vectors.astype(np.float32), vocab.counts,
                       name="world2vec-default", settings=settings, tokenizer=tokenizer,
                       events_path=events)


def quality(wv: WordVectors, data_dir: str) -> dict:
    """Targets of issue #3 plus the public benchmarks (evaluation only)."""
    from world2vec.embeddings.words.evaluation import evaluate_analogies, evaluate_similarity

    out: dict = {}
    cat = [w for w, _ in wv.most_similar(["cat"], k=10)] if "cat" in wv else []
    out["cat_top10"] = cat
    out["dog_in_cat_top10"] = "dog" in cat
    queen = ([w for w, _ in wv.analogy("man", "king", "woman", k=5)]
             if all(w in wv for w in ("man", "king", "woman")) else [])
    out["king_man_woman_top5"] = queen
    out["queen_in_top5"] = "queen" in queen
    analogies = os.path.join(data_dir, "questions-words.txt")
    similarity = os.path.join(data_dir, "wordsim353.tsv")
    if os.path.exists(analogies):
        r = evaluate_analogies(wv, analogies)
        out["analogies"] = {"accuracy_add": round(r.accuracy_add, 4),
                            "accuracy_mul": round(r.accuracy_mul, 4),
                            "answered": r.answered, "total": r.total,
                            "coverage": round(r.coverage, 4), "summary": r.summary()}
    if os.path.exists(similarity):
        r = evaluate_similarity(wv, similarity)
        out["wordsim353"] = {"spearman": round(float(r.spearman), 4), "used": r.used,
                             "pairs": r.pairs, "oov": round(r.oov, 4), "summary": r.summary()}
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True,
                   help="model directory to write (the bundled model is the distilled one "
                        "built on top of this: see distill_build)")
    p.add_argument("--replace", action="store_true", help="replace an existing --out directory")
    p.add_argument("--work", help="keep intermediate files (corpus, triples) here")
    p.add_argument("--wordnet", default=DEFAULT_WORDNET_DIR)
    p.add_argument("--gcide", default=DEFAULT_GCIDE_DICT, help="'' to leave GCIDE out")
    p.add_argument("--data", default=os.path.join(os.getcwd(), "..", "shared", "data"),
                   help="folder with questions-words.txt and wordsim353.tsv (evaluation only)")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--max-vocab", type=int, default=60000)
    p.add_argument("--buckets", type=int, default=20000)
    p.add_argument("--walks", type=int, default=5, help="random walks per graph node")
    p.add_argument("--context-weight", type=float, default=0.25,
                   help="final vectors are unit(w) + this * unit(c) (0: input vectors only)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rd-epochs", type=int, default=2)
    p.add_argument("--rd-pairs", type=int, default=150000,
                   help="at most this many (definition, headword) pairs train the encoder")
    p.add_argument("--objects", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for path in (args.wordnet, args.gcide):
        if path and not os.path.exists(path):
            print(f"error: {path} not found (install Debian's wordnet-base and dict-gcide)",
                  file=sys.stderr)
            return 2
    report = build(args)
    print(json.dumps({k: report[k] for k in ("quality", "reverse_dictionary", "relations",
                                             "size_bytes", "seconds")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
