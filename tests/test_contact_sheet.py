"""The contact sheet's layout and borders, checked pixel by pixel."""

import numpy as np
import pytest

from dal_tf.config import EmbeddingConfig, MatchConfig
from dal_tf.evaluation import contact_sheet as cs
from dal_tf.utils.errors import UserInputError


def test_rows_cells_and_borders_by_hand():
    tall = np.full((40, 10, 3), 50, np.uint8)  # fitted to 128 x 32, centred in the 64-wide cell
    rows = [(cs.Cell(tall, ("q1", "query"), cs.QUERY),
             [cs.Cell(tall, ("a", "0.1"), cs.verdict_colour(True)), cs.Cell(tall, ("b", "0.2"), cs.verdict_colour(False))]),
            (cs.Cell(tall, ("q2", "query"), cs.QUERY), [cs.Cell(tall, ("c", "0.3"), cs.verdict_colour(None))])]
    sheet = cs.contact_sheet(rows)
    height, width = cs.CELL_HEIGHT + 2 * cs.BORDER + cs.LABEL_HEIGHT, cs.CELL_WIDTH + 2 * cs.BORDER
    assert sheet.shape == (2 * height, 3 * width + cs.GAP, 3)
    for row, column, colour in [(0, 0, cs.QUERY), (0, 1, cs.TRUE), (0, 2, cs.FALSE), (1, 0, cs.QUERY),
                                (1, 1, cs.UNKNOWN)]:
        top, left = row * height, column * width + (cs.GAP if column else 0)
        assert tuple(sheet[top, left]) == colour and tuple(sheet[top + cs.BORDER + cs.CELL_HEIGHT, left + 1]) == colour
        # the frame, scaled by 128 / 40 to 32 wide, centred: background beside it, its grey inside
        inside = sheet[top + cs.BORDER:top + cs.BORDER + cs.CELL_HEIGHT, left + cs.BORDER:left + cs.BORDER + cs.CELL_WIDTH]
        assert (inside[:, 16:48] == 50).all() and (inside[:, :16] == 255).all() and (inside[:, 48:] == 255).all()
    # the second row has one match: the rest of it is blank
    assert (sheet[height:, 2 * width + cs.GAP:] == 255).all()
    # the names are written under the frames
    label = sheet[cs.CELL_HEIGHT + 2 * cs.BORDER:height, width + cs.GAP:2 * width + cs.GAP]
    assert (label < 128).any()


@pytest.mark.parametrize("settings, message", [
    (dict(query="q"), "--query and --gallery go together"),
    (dict(query="q", gallery="g", data_dir="d"), "give --query and --gallery, or --data_dir"),
    (dict(data_dir="d", sheet="s.jpg"), "--sheet=s.jpg must end in .png"),
    (dict(data_dir="d", sheet_queries=0), "--sheet_queries=0 must be >= 1"),
    (dict(data_dir="d", max_distance="-1"), "--max_distance='-1' must be a distance"),
])
def test_match_flags(settings, message):
    with pytest.raises(UserInputError, match=message):
        MatchConfig(embedding=EmbeddingConfig(saved_model="m"), **settings)
