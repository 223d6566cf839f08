"""The paper's reported numbers, every row of Tables 1-3 and the Figure 4 end points, typed in once.

Source: Chen, Zhu, Gong, "Deep Association Learning for Unsupervised Video Person
Re-identification", BMVC 2018 (arXiv:1808.07301), as printed. CMC rank-k and mAP in %; PRID 2011
and iLIDS-VID are means over 10 splits (iLIDS-VID over both probe directions, as the release's
evaluation script computes it), MARS uses its standard split. None where the paper prints "-".
"""

from __future__ import annotations

PAPER = "Chen, Zhu, Gong, BMVC 2018 (arXiv:1808.07301)"
METRICS = ("rank1", "rank5", "rank10", "rank20", "mAP")
DATASETS = ("prid", "ilids", "mars")

# Per row: PRID, R-20 | iLIDS-VID, R-20 | MARS, mAP.
TABLES = {
    "1": {  # comparison with unsupervised video re-id methods
        "DVDL": (40.6, 69.7, 77.8, 85.6, 25.9, 48.2, 57.3, 68.9, None, None, None, None, None),
        "STFV3D": (42.1, 71.9, 84.4, 91.6, 37.0, 64.3, 77.0, 86.9, None, None, None, None, None),
        "MDTS-DTW": (41.7, 67.1, 79.4, 90.1, 31.5, 62.1, 72.8, 82.4, None, None, None, None, None),
        "UnKISS": (59.2, 81.7, 90.6, 96.1, 38.2, 65.7, 75.9, 84.1, None, None, None, None, None),
        "DGM+IDE": (56.4, 81.3, 88.0, 96.4, 36.2, 62.8, 73.6, 82.7, 36.8, 54.0, 61.6, 68.5, 21.3),
        "Stepwise": (80.9, 95.6, 98.8, 99.4, 41.7, 66.3, 74.1, 80.7, 23.6, 35.8, None, 44.9, 10.5),
        "DAL (ResNet50)": (85.3, 97.0, 98.8, 99.6, 56.9, 80.6, 87.3, 91.9, 46.8, 63.9, 71.6, 77.5, 21.4),
        "DAL (MobileNet)": (84.6, 96.3, 98.4, 99.1, 52.8, 76.7, 83.4, 91.6, 49.3, 65.9, 72.2, 77.9, 23.0),
    },
    "2": {  # the two association losses, MobileNet
        "L_I only": (62.7, 85.7, 92.1, 96.7, 31.7, 55.2, 67.5, 78.6, 41.6, 59.0, 66.2, 73.2, 16.8),
        "L_C only": (81.6, 95.2, 98.1, 99.7, 47.4, 72.6, 81.5, 89.2, 48.1, 65.3, 71.4, 77.6, 22.6),
        "L_I + L_C": (84.6, 96.3, 98.4, 99.1, 52.8, 76.7, 83.4, 91.6, 49.3, 65.9, 72.2, 77.9, 23.0),
    },
    "3": {  # DAL against its ID-supervised counterpart, MobileNet
        "DAL (L_I + L_C)": (84.6, 96.3, 98.4, 99.1, 52.8, 76.7, 83.4, 91.6, 49.3, 65.9, 72.2, 77.9, 23.0),
        "ID-Supervised": (84.3, 98.1, 99.2, 99.8, 51.5, 76.0, 83.8, 89.9, 71.8, 86.8, 90.7, 93.3, 51.5),
    },
}

# Figure 4, as the paper's text states its end points: (a) the share of cross-camera anchors merged
# with another camera's tracklet, (b) the share of those merges that are true matches.
FIGURE_4 = {
    "prid": dict(merged_share="over 90%", true_match_share="about 90%"),
    "ilids": dict(merged_share="over 90%", true_match_share="about 75%"),
    "mars": dict(merged_share="over 50%", true_match_share="about 77%"),
}


def paper_rows(table: str, dataset: str) -> dict[str, dict]:
    """{row: {"source": ..., metric: value}} of one paper table on one data set; {} for others."""
    if table not in TABLES or dataset not in DATASETS:
        return {}
    position = DATASETS.index(dataset) * 4
    rows = {}
    for row, values in TABLES[table].items():
        picked = values[position:position + 4] + ((values[12],) if dataset == "mars" else (None,))
        if any(v is not None for v in picked):
            rows[row] = dict(source=f"{PAPER}, Table {table}", **dict(zip(METRICS, picked)))
    return rows


def paper_figure4(dataset: str) -> dict | None:
    """The paper's Figure 4 end points for the data set, with their source; None for others."""
    if dataset not in FIGURE_4:
        return None
    return dict(source=f"{PAPER}, Section 4 (Figure 4)", **FIGURE_4[dataset])
