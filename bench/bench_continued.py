"""Continued training on the bundled model: do new words land well, and do known words keep
their neighbourhoods?

    python bench/bench_continued.py [--model PATH] [--sentences 2000] [--rates 0,0.1,0.3,1]

A new text (generated from templates, seeded) uses two made-up words the way known ones
are used: "blicket" like cat and kitten, "zorble" like car and truck, beside ordinary
sentences about dogs, food, weather and travel. For each ``known_rate`` (the learning-rate
scale of the words the model already knows; the first epoch always keeps them fixed) it
trains with ``continue_training`` (5 epochs, one thread, seed 1) and reports:

* the top-10 neighbour overlap before/after over the 1,000 most frequent words (mean, min)
  and for a few probe words (dog, king, paris, car, water, happy);
* the new words' 10 nearest neighbours and whether the words they were used like are
  among them;
* "init only": known_rate 0 and a single epoch, so the new words keep the rows they start
  from (the known words used alike), which shows what training adds.

BLAS runs single-threaded, as in the service's training process.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from world2vec.embeddings import load_model  # noqa: E402
from world2vec.embeddings.continued import continue_training, neighbour_overlap  # noqa: E402

FELINE = ["the {} purred on my lap", "she fed the {} a bowl of milk",
          "the {} chased a mouse across the kitchen", "our {} sleeps by the warm fire",
          "the {} licked its paws and whiskers", "a stray {} meowed at the door",
          "the little {} played with a ball of yarn", "the {} scratched the sofa with its claws",
          "he stroked the soft fur of the {}", "the {} hid under the bed during the storm"]
VEHICLE = ["he parked the {} outside the garage", "the {} needs new tyres and an oil change",
           "she drove the {} along the motorway", "the {} broke down on the way to work",
           "we loaded the boxes into the {}", "the mechanic repaired the engine of the {}",
           "a red {} stopped at the traffic lights", "the {} skidded on the icy road"]
OTHER = ["the dog barked at the postman", "a puppy chewed my shoes", "the dog fetched the stick",
         "we cooked pasta with tomato sauce for dinner", "the bread was fresh from the oven",
         "heavy rain flooded the village", "the wind blew the leaves across the field",
         "the train left the station at noon", "they flew to paris for the weekend",
         "the children walked to school in the snow", "the king spoke to his people"]
PROBES = ["dog", "king", "paris", "car", "water", "happy"]
NEW_WORDS = {"blicket": ("cat", "kitten"), "zorble": ("car", "truck")}


def new_text(n: int, seed: int = 1) -> list[str]:
    """``n`` sentences: a third feline (cat, kitten or blicket), a quarter vehicles (car,
    truck or zorble), the rest other topics."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 1 / 3:
            out.append(FELINE[rng.integers(len(FELINE))].format(rng.choice(["cat", "kitten", "blicket"])))
        elif r < 7 / 12:
            out.append(VEHICLE[rng.integers(len(VEHICLE))].format(rng.choice(["car", "truck", "zorble"])))
        else:
            out.append(OTHER[rng.integers(len(OTHER))])
    return out


def run(base, text: list[str], known_rate: float, epochs: int) -> dict:
    started = time.perf_counter()
    model = continue_training(base, text, min_count=3, epochs=epochs, known_rate=known_rate,
                              threads=1, seed=1, progress=False)
    seconds = time.perf_counter() - started
    overlap = model.words.settings["neighbour_overlap"]
    probes = neighbour_overlap(base.words, model.words, PROBES)["per_word"]
    news = {}
    for word, like in NEW_WORDS.items():
        near = [w for w, _ in model.words.most_similar([word], k=10)]
        news[word] = {"top10": near, "found": [w for w in like if w in near]}
    return {"known_rate": known_rate, "epochs": epochs, "seconds": round(seconds, 1),
            "overlap_mean": overlap["mean"], "overlap_min": overlap["min"], "probes": probes,
            "new_words": news, "added": model.words.settings["new_words"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="base model (default: the bundled one)")
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--rates", default="0,0.1,0.3,1")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    base = load_model(args.model)
    text = new_text(args.sentences)
    tokens = sum(len(s.split()) for s in text)
    print(f"base {base.name}: {len(base.words):,} words, dim {base.dim}; new text: "
          f"{len(text):,} sentences, {tokens:,} tokens")
    runs = [run(base, text, 0.0, 1)]
    runs += [run(base, text, float(r), 5) for r in args.rates.split(",")]
    print(f"\n{'known_rate':>10} {'epochs':>6} {'overlap mean':>12} {'min':>5}  "
          + " ".join(f"{p:>6}" for p in PROBES) + "  blicket~cat,kitten  zorble~car,truck  seconds")
    for r in runs:
        label = "init only" if r["epochs"] == 1 else f"{r['known_rate']:g}"
        found = "  ".join(f"{','.join(r['new_words'][w]['found']) or '-':>16}" for w in NEW_WORDS)
        print(f"{label:>10} {r['epochs']:>6} {r['overlap_mean']:>12.3f} {r['overlap_min']:>5.1f}  "
              + " ".join(f"{r['probes'].get(p, float('nan')):>6.1f}" for p in PROBES)
              + f"  {found}  {r['seconds']:>7}")
    for r in runs:
        label = "init only" if r["epochs"] == 1 else f"known_rate {r['known_rate']:g}"
        for word in NEW_WORDS:
            print(f"{label:>16}  {word}: {', '.join(r['new_words'][word]['top10'])}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(runs, fh, indent=2)


if __name__ == "__main__":
    main()
