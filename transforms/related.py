"""Related activities across members: character n-gram TF-IDF, cosine, top-k per activity.

Pure computation (Polars, numpy, scipy, scikit-learn); no I/O. ``relate`` takes one row per
activity (activity_id, member_id, sector, prefecture, title, summary) and returns up to
``max_related`` related activities for each, from OTHER members only.

The rule (measured in bench/related.py on tests/fixtures/related/pairs.csv):

- text: title + summary, NFKC, lower case, punctuation and symbols as spaces, the council's
  form words (セミナー, 開催, 募集, ご案内 …: ``FORM_WORDS``) removed so that two seminars on
  different topics do not look alike; then character 2–3-grams inside words
  (``analyzer="char_wb"``), sublinear TF, IDF, L2-normalised rows.
- related: cosine similarity ≥ ``THRESHOLD``; a pair below it is never shown or published.
- order among the related: cosine + ``SECTOR_BOOST`` when the other activity's member is
  of another sector (産×学, 金×学 …) + ``PREFECTURE_BOOST`` when it is in another
  prefecture; ties by similarity, then id. The boosts only reorder pairs already above the
  threshold, so they never make an unrelated pair related.
- never the same member; at most ``max_related`` per activity.

Cost: the similarity is computed a block of rows at a time against the whole sparse
matrix (``BLOCK_ROWS``), so memory is bounded by one block's sparse product, never an n×n
matrix. N-grams found in more than ``MAX_DF_SHARE`` of the activities (and at least
``MAX_DF_FLOOR`` of them) are dropped: they carry little weight and dominate the cost of the
product (each costs df² multiplications).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:  # scipy and scikit-learn cost seconds to import: only when relating
    import scipy.sparse as sp

__all__ = [
    "FORM_WORDS",
    "PREFECTURE_BOOST",
    "RELATED_INPUT_SCHEMA",
    "RELATED_SCHEMA",
    "SECTOR_BOOST",
    "THRESHOLD",
    "pair_similarities",
    "relate",
    "related_text",
    "top_pairs",
    "vectorize",
]

# Chosen by measurement (bench/related.py, tests/test_related.py): the lowest threshold at
# which the precision on the labelled pairs is ≥ 0.9 there and at every higher threshold
# of the sweep (a margin over the 0.8 target: the word list was tuned on the same pairs).
THRESHOLD = 0.11
SECTOR_BOOST = 0.10  # another sector (産×学, 金×学 …): the council's point
PREFECTURE_BOOST = 0.05  # another prefecture: horizontal deployment across the region
MAX_RELATED = 3
BLOCK_ROWS = 1_000
MAX_DF_SHARE = 0.02
MAX_DF_FLOOR = 500  # below this many documents no n-gram is dropped (small corpora exact)

# Words that say what form an activity takes (セミナー, 公募, 成果報告会 …) or that every
# activity uses (企業, 技術, 支援 …), not what it is about. Hiragana (particles, endings) is
# removed as a whole. Measured on the labelled pairs (bench/related.py): without these the
# ROC AUC is 0.79 and no threshold reaches precision 0.85 with recall over 0.1; with them
# 0.94.
FORM_WORDS = (
    "セミナー", "シンポジウム", "フォーラム", "講演会", "講習会", "説明会", "研修会", "研修",
    "交流会", "勉強会", "ワークショップ", "募集", "公募", "参加者", "参加", "申込", "受付",
    "無料", "開催", "案内", "令和", "年度", "第", "回", "共同研究成果", "共同研究", "研究成果",
    "成果報告会", "報告会", "発表会", "成果", "事例", "中小企業", "企業", "県内", "事業者",
    "支援", "補助金", "相談会", "商談会", "取組", "対象", "基礎", "向", "開発", "技術", "導入",
    "活用", "発表", "進め方", "方法", "プログラム", "新", "紹介", "解説", "報告", "補助", "助成",
    "応",
)  # fmt: skip
_FORM_WORDS_LONGEST_FIRST = dict.fromkeys(sorted(FORM_WORDS, key=len, reverse=True), " ")

RELATED_INPUT_SCHEMA = pl.Schema(
    {
        "activity_id": pl.String,
        "member_id": pl.String,
        "sector": pl.String,
        "prefecture": pl.String,
        "title": pl.String,
        "summary": pl.String,
    }
)
RELATED_SCHEMA = pl.Schema(
    {
        "activity_id": pl.String,
        "related_id": pl.String,
        "rank": pl.Int32,
        "similarity": pl.Float64,
        "sector": pl.String,
        "related_sector": pl.String,
    }
)


def related_text(title: pl.Expr, summary: pl.Expr) -> pl.Expr:
    """The text compared: title + summary, NFKC, lower case, without punctuation, form
    words, hiragana and digits."""
    text = pl.concat_str([title.fill_null(""), summary.fill_null("")], separator=" ")
    return (
        text.str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"[\p{P}\p{S}\p{Z}\s]+", " ")
        .str.replace_many(_FORM_WORDS_LONGEST_FIRST)
        .str.replace_all(r"[\p{Hiragana}\d]+", " ")
        .str.replace_all(r" +", " ")
        .str.strip_chars(" ")
    )


def vectorize(texts: Sequence[str]) -> sp.csr_matrix:
    """TF-IDF of character 2–3-grams (L2-normalised rows, float32)."""
    n = len(texts)
    max_df: float | int = 1.0 if n < MAX_DF_FLOOR else max(MAX_DF_SHARE, MAX_DF_FLOOR / n)
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 3),
        sublinear_tf=True,
        dtype=np.float32,
        max_df=max_df,
        lowercase=False,  # related_text did it
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no n-gram at all (empty or one-character texts)
        return sp.csr_matrix((n, 1), dtype=np.float32)
    return sp.csr_matrix(matrix, dtype=np.float32)


def pair_similarities(texts_a: Sequence[str], texts_b: Sequence[str]) -> np.ndarray:
    """Cosine of each (a, b) pair of raw texts (title and summary together), compared as
    ``relate`` compares them, with the IDF fitted on all the texts together."""
    raw = pl.DataFrame({"text": [*texts_a, *texts_b]}, schema={"text": pl.String})
    texts = raw.select(related_text(pl.col("text"), pl.lit(None, pl.String))).to_series()
    matrix = vectorize(texts.to_list())
    a, b = matrix[: len(texts_a)], matrix[len(texts_a) :]
    return np.asarray(a.multiply(b).sum(axis=1), dtype=np.float64).ravel()


def _blocks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(n, start + size)


def _block_pairs(
    matrix: sp.csr_matrix,
    transposed: sp.csr_matrix,
    span: tuple[int, int],
    members: np.ndarray,
    bonus: tuple[np.ndarray, np.ndarray, float, float],
    threshold: float,
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, similarity, rank) of the best ``k`` pairs per row of one block.

    Everything is one pass over the block's sparse product: the threshold and the
    same-member rule drop entries, then the best entry of every row is taken ``k`` times
    (a per-row maximum with ``np.maximum.reduceat``), never a sort of the whole block."""
    start, stop = span
    product = matrix[start:stop] @ transposed
    hits = np.flatnonzero(product.data >= threshold)  # the threshold first: few survive
    rows = np.searchsorted(product.indptr, hits, side="right").astype(np.int64) - 1 + start
    cols = product.indices[hits].astype(np.int64)
    sims = product.data[hits].astype(np.float64)
    keep = members[rows] != members[cols]
    rows, cols, sims = rows[keep], cols[keep], sims[keep]
    sectors, prefectures, sector_boost, prefecture_boost = bonus
    scores = (
        sims
        + sector_boost * (sectors[rows] != sectors[cols])
        + prefecture_boost * (prefectures[rows] != prefectures[cols])
    )
    picked: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for rank in range(1, k + 1):
        if rows.size == 0:
            break
        firsts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])  # rows stay sorted
        best = np.maximum.reduceat(scores, firsts)
        at_best = scores == np.repeat(best, np.diff(np.r_[firsts, rows.size]))
        candidates = np.flatnonzero(at_best)
        candidates = candidates[np.lexsort((cols[candidates], rows[candidates]))]
        _, first_of_row = np.unique(rows[candidates], return_index=True)  # ties: lower index
        chosen = candidates[first_of_row]
        picked.append(
            (rows[chosen], cols[chosen], sims[chosen], np.full(chosen.size, rank, np.int64))
        )
        rest = np.ones(rows.size, dtype=bool)
        rest[chosen] = False
        rows, cols, sims, scores = rows[rest], cols[rest], sims[rest], scores[rest]
    if not picked:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    return tuple(np.concatenate([p[i] for p in picked]) for i in range(4))  # type: ignore[return-value]


def top_pairs(
    matrix: sp.csr_matrix,
    members: np.ndarray,
    sectors: np.ndarray,
    prefectures: np.ndarray,
    *,
    threshold: float = THRESHOLD,
    k: int = MAX_RELATED,
    sector_boost: float = SECTOR_BOOST,
    prefecture_boost: float = PREFECTURE_BOOST,
    block_rows: int = BLOCK_ROWS,
    workers: int = 2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, similarity, rank) of each row's related rows, block by block.

    scipy's sparse product releases the GIL, so ``workers`` threads use as many cores."""
    transposed = matrix.T.tocsr()
    bonus = (sectors, prefectures, sector_boost, prefecture_boost)
    spans = list(_blocks(matrix.shape[0], block_rows))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        parts = list(
            pool.map(
                lambda s: _block_pairs(matrix, transposed, s, members, bonus, threshold, k), spans
            )
        )
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))  # type: ignore[return-value]


def relate(
    activities: pl.DataFrame,
    *,
    threshold: float = THRESHOLD,
    k: int = MAX_RELATED,
    sector_boost: float = SECTOR_BOOST,
    prefecture_boost: float = PREFECTURE_BOOST,
    block_rows: int = BLOCK_ROWS,
    workers: int = 2,
) -> pl.DataFrame:
    """One row per (activity, related activity), ``rank`` 1..k; see the module docstring."""
    frame = activities.select(list(RELATED_INPUT_SCHEMA)).sort("activity_id")
    if frame.height < 2:
        return pl.DataFrame(schema=RELATED_SCHEMA)
    texts = frame.select(related_text(pl.col("title"), pl.col("summary")))
    matrix = vectorize(texts.to_series().to_list())
    codes = [
        frame[c].fill_null("").cast(pl.Categorical).to_physical().to_numpy()
        for c in ("member_id", "sector", "prefecture")
    ]
    rows, cols, sims, ranks = top_pairs(
        matrix, *codes, threshold=threshold, k=k, sector_boost=sector_boost,
        prefecture_boost=prefecture_boost, block_rows=block_rows, workers=workers,
    )  # fmt: skip
    ids, sector = frame["activity_id"], frame["sector"]
    return pl.DataFrame(
        {
            "activity_id": ids.gather(rows),
            "related_id": ids.gather(cols),
            "rank": pl.Series(ranks, dtype=pl.Int32),
            "similarity": pl.Series(np.round(sims, 4), dtype=pl.Float64),
            "sector": sector.gather(rows),
            "related_sector": sector.gather(cols),
        },
        schema=RELATED_SCHEMA,
    ).sort("activity_id", "rank")
