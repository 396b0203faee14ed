"""New text for the continued-training tests: a made-up word used the way "cat" and
"kitten" are, beside sentences about dogs and about other things.

Why generated from templates: the tests must know which words share contexts, and
a seeded generator gives the same text on every run.
"""

from __future__ import annotations

import numpy as np

FELINE = ["the {} naps in a sunny window", "a hungry {} wants its dinner of fish",
          "my grandmother's {} catches mice in the barn", "the {} curls up and purrs softly",
          "a {} stretches after a long nap", "the shy {} hides under the bed",
          "the {} sharpens its claws on the old chair", "our {} watches the birds from the sill",
          "the {} lapped the cream from a saucer", "a playful {} pounces on the string"]
CANINE = ["the dog digs a hole in the garden", "a loyal dog guards the farm at night",
          "the puppy chews an old slipper", "the dog runs after the ball in the yard"]
OTHER = ["the bus was late again this morning", "we planted tomatoes along the fence",
         "the museum opens at ten on sundays", "a strong wind blew over the hills"]


def feline_text(word: str = "blicket", n: int = 600, seed: int = 11) -> list[str]:
    """``n`` sentences: half about a feline ("cat", "kitten" or ``word``), the rest
    about dogs and other things."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.5:
            out.append(FELINE[rng.integers(len(FELINE))].format(rng.choice(["cat", "kitten", word])))
        elif r < 0.75:
            out.append(CANINE[rng.integers(len(CANINE))])
        else:
            out.append(OTHER[rng.integers(len(OTHER))])
    return out


# Only words of the service tests' fixture model (tests/service/service_model_fixture.py)
# and the made-up one: the fixture knows about sixty words.
FIXTURE_FELINE = ["the small {} is in the sun", "a good {} is on the big bread",
                  "the {} and the tiger fight in the rain", "a small {} is with a lion",
                  "the {} is a good animal in the snow", "the big {} and the small tiger"]
FIXTURE_OTHER = ["the big dog is with the puppy", "a wolf and a fox fight in the snow",
                 "the king and the queen in paris", "a good song on the piano",
                 "the team and the player in the match"]


def fixture_text(word: str = "blicket", n: int = 400, seed: int = 5) -> list[str]:
    """``n`` sentences in the fixture model's words, ``word`` used like cat and kitten."""
    rng = np.random.default_rng(seed)
    return [FIXTURE_FELINE[rng.integers(len(FIXTURE_FELINE))].format(
                rng.choice(["cat", "kitten", word]))
            if rng.random() < 0.5 else FIXTURE_OTHER[rng.integers(len(FIXTURE_OTHER))]
            for _ in range(n)]
