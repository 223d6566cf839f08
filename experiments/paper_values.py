"""The paper's numbers, typed in once, each with where it was read.

Only numbers read in a source are here. This project's build machines could not open the paper's
PDF; the Table 1 row below was read from a secondary source that does not say which backbone it
is, and Tables 2 and 3 still have to be typed in from the paper (Chen, Zhu, Gong, BMVC 2018,
arXiv:1808.07301). Missing values show as "n/a" in the tables.
"""

LEADERBOARD = ("Awesome-Person-Re-Identification leaderboard (FDU-VTS/Awesome-Person-Re-Identification, "
               "README, rows '2018--BMVC DAL'); backbone not stated there")

# {(table, dataset, row): {"source": ..., metric: value}}
PAPER = {
    ("1", "prid", "DAL (backbone not stated)"): dict(source=LEADERBOARD, rank1=85.3, rank5=97.0, rank20=99.6),
    ("1", "ilids", "DAL (backbone not stated)"): dict(source=LEADERBOARD, rank1=56.9, rank5=80.6, rank20=91.9),
    ("1", "mars", "DAL (backbone not stated)"): dict(source=LEADERBOARD, rank1=46.8, rank5=63.9, rank20=77.5, mAP=21.4),
}


def paper_rows(table: str, dataset: str) -> dict[str, dict]:
    return {row: values for (t, d, row), values in PAPER.items() if t == table and d == dataset}
