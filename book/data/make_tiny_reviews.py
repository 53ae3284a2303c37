"""Write tiny_reviews.tsv: a small, made-up, two-class corpus of film reviews.

The corpus of the chapter "A small model end to end" (book/end_to_end.md).
Every sentence is written from a handful of templates such as
"the {noun} was {adverb} {adjective}". The adjective decides the label: a
sentence uses either one positive or one negative adjective, never both.
Sentences come in matched pairs: the same template, noun and adverb, once
with a positive and once with a negative adjective (drawn at random from each
list). So every other word ("the", "was", "plot", "very"...) is exactly as
common in positive as in negative sentences. The task is easy by design: a
model only has to find out which words carry the label, which is exactly what
the chapter wants to watch an embedding do.

The words and templates are invented for this course; nothing is copied from
a real data set. The script is seeded, so running it again gives the same
file:

    python book/data/make_tiny_reviews.py   # rewrites book/data/tiny_reviews.tsv

Output: a tab-separated file with a header line ``pair<TAB>label<TAB>text``;
``pair`` numbers the matched pair (0 to PAIRS - 1), label 1 is a positive
review, 0 a negative one; texts are lower case with no punctuation. Lines are
shuffled.
"""

from __future__ import annotations

import random
from pathlib import Path

SEED = 2024
PAIRS = 50

ADJECTIVES = {
    1: ["good", "great", "lovely", "clever", "fun", "charming", "moving"],
    0: ["bad", "awful", "boring", "dull", "silly", "poor", "weak"],
}
NOUNS = ["movie", "film", "plot", "story", "script", "cast", "ending", "soundtrack"]
ADVERBS = ["very", "really", "quite", "so", "truly"]
TEMPLATES = [
    "the {noun} was {adj}",
    "the {noun} was {adv} {adj}",
    "the {noun} is {adv} {adj}",
    "a {adj} {noun}",
    "what a {adj} {noun}",
    "i found the {noun} {adv} {adj}",
    "{adv} {adj} {noun} overall",
]


def make_corpus(seed: int = SEED, pairs: int = PAIRS) -> list[tuple[int, int, str]]:
    """Return ``pairs`` matched pairs of sentences, shuffled: [(pair, label, text), ...].

    Both sentences of a pair share the template, noun and adverb; one gets a
    positive adjective (label 1), the other a negative one (label 0). So every
    word except the adjectives is exactly as common in one class as in the
    other.
    """
    rng = random.Random(seed)
    frames = set()
    while len(frames) < pairs:
        template = rng.choice(TEMPLATES)
        adverb = rng.choice(ADVERBS) if "{adv}" in template else ""
        frames.add((template, rng.choice(NOUNS), adverb))
    rows = []
    for pair, (template, noun, adverb) in enumerate(sorted(frames)):
        for label in (1, 0):
            adjective = rng.choice(ADJECTIVES[label])
            rows.append((pair, label, template.format(noun=noun, adv=adverb, adj=adjective)))
    rng.shuffle(rows)
    assert len({text for _, _, text in rows}) == len(rows), "duplicate sentence"
    return rows


def main() -> None:
    path = Path(__file__).with_name("tiny_reviews.tsv")
    rows = make_corpus()
    lines = ["pair\tlabel\ttext"] + [f"{pair}\t{label}\t{text}" for pair, label, text in rows]
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 1} sentences to {path}")


if __name__ == "__main__":
    main()
