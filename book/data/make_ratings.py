"""Write tiny_ratings.tsv: made-up ratings generated from known latent factors.

The data set of the chapter "Embeddings beyond words" (book/beyond_words.md).
Because the ratings are generated from factors we choose, the chapter can
check how well a trained model recovers them. The model of the ratings is the
one the chapter fits:

    rating(u, i) = MU + user_bias[u] + item_bias[i] + U[u] . V[i] + noise

with USERS = 40 users, ITEMS = 30 items and DIM = 2 latent factors:

* ``U`` (USERS, DIM) and ``V`` (ITEMS, DIM): independent normal numbers with
  standard deviation ``FACTOR_SD``, so a typical ``U[u] . V[i]`` is about 1;
* ``user_bias`` (USERS,) and ``item_bias`` (ITEMS,): normal, sd ``BIAS_SD``;
* ``MU`` = 3.5, the overall level; ``noise``: normal, sd ``NOISE_SD``.

RATINGS = 600 of the 1200 (user, item) pairs are rated: the pairs are drawn
without replacement, every user and every item gets at least MIN_PER_ID
ratings (pairs are redrawn, with the same generator, until they do). Ratings
are real numbers written with 2 decimals, not rounded to stars, so the noise
is the only thing the model cannot explain.

Nothing is downloaded and nothing is copied from a real data set. The script
is seeded with NumPy's ``default_rng(SEED)``, so running it again gives the
same file, byte for byte (the course's tests check this)::

    python book/data/make_ratings.py   # rewrites book/data/tiny_ratings.tsv

Output: a tab-separated file with a header line ``user<TAB>item<TAB>rating``,
ids counted from 0, one rating per line, sorted by user then item. The true
factors and biases are not written: ``true_factors()`` recomputes them, and
the chapter imports this script to compare them with what it learns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RATINGS_FILE = HERE / "tiny_ratings.tsv"
SEED = 18
USERS, ITEMS, DIM = 40, 30, 2
RATINGS = 600
MIN_PER_ID = 5  # every user and item has at least this many ratings
MU = 3.5
FACTOR_SD = 1.0 / DIM**0.25  # U[u] . V[i] then has sd 1
BIAS_SD = 0.5
NOISE_SD = 0.1
DECIMALS = 2


def true_factors(seed: int = SEED) -> dict[str, np.ndarray | float]:
    """The generating parameters: U (USERS, DIM), V (ITEMS, DIM), the biases and MU."""
    rng = np.random.default_rng(seed)
    return {
        "U": rng.normal(scale=FACTOR_SD, size=(USERS, DIM)),  # (USERS, DIM)
        "V": rng.normal(scale=FACTOR_SD, size=(ITEMS, DIM)),  # (ITEMS, DIM)
        "user_bias": rng.normal(scale=BIAS_SD, size=USERS),  # (USERS,)
        "item_bias": rng.normal(scale=BIAS_SD, size=ITEMS),  # (ITEMS,)
        "mu": MU,
    }


def make_ratings(seed: int = SEED) -> list[tuple[int, int, float]]:
    """[(user, item, rating), ...] sorted by user then item, ratings rounded to DECIMALS."""
    truth = true_factors(seed)
    rng = np.random.default_rng([seed, 1])  # a second stream: pairs and noise
    while True:
        cells = np.sort(rng.choice(USERS * ITEMS, size=RATINGS, replace=False))  # (RATINGS,)
        users, items = np.divmod(cells, ITEMS)
        if (np.bincount(users, minlength=USERS).min() >= MIN_PER_ID
                and np.bincount(items, minlength=ITEMS).min() >= MIN_PER_ID):
            break
    clean = (truth["mu"] + truth["user_bias"][users] + truth["item_bias"][items]
             + np.sum(truth["U"][users] * truth["V"][items], axis=1))  # (RATINGS,)
    noisy = clean + rng.normal(scale=NOISE_SD, size=RATINGS)
    pairs = zip(users, items, noisy, strict=True)
    return [(int(u), int(i), round(float(r), DECIMALS)) for u, i, r in pairs]


def format_ratings(rows: list[tuple[int, int, float]]) -> str:
    """The text of the ratings file: a header, then 'user<TAB>item<TAB>rating' per line."""
    lines = ["user\titem\trating"]
    lines += [f"{u}\t{i}\t{r + 0.0:.{DECIMALS}f}" for u, i, r in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    RATINGS_FILE.write_text(format_ratings(make_ratings()), encoding="utf-8")
    print(f"wrote {RATINGS_FILE}")
