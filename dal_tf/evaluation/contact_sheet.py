"""A contact sheet of matches: one row per query, one frame of the query tracklet, then one frame of
each of its top-k gallery tracklets with its name and distance underneath. Where identities are
known, a green border marks a true match and a red one a false match; grey is unknown."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

CELL_HEIGHT, CELL_WIDTH = 128, 64  # each frame is fitted into this, keeping its aspect
BORDER = 3
LABEL_HEIGHT = 28  # two lines of small text under each frame
GAP = 12  # between the query and its matches
BACKGROUND = (255, 255, 255)
QUERY, TRUE, FALSE, UNKNOWN = (200, 120, 0), (0, 170, 0), (0, 0, 220), (160, 160, 160)  # BGR


@dataclasses.dataclass(frozen=True)
class Cell:
    image: np.ndarray  # BGR uint8, any size
    lines: tuple[str, ...]  # shown under the frame
    border: tuple[int, int, int]


def verdict_colour(same_person: bool | None) -> tuple[int, int, int]:
    return UNKNOWN if same_person is None else TRUE if same_person else FALSE


def middle_frame(frames: tuple[str, ...], read) -> np.ndarray:
    """The middle frame of a tracklet, BGR; read: a frame path -> its encoded image."""
    import tensorflow as tf

    from dal_tf.datasets.input_pipeline import decode_frame

    return decode_frame(read(tf.constant(frames[len(frames) // 2]))).numpy()[..., ::-1]


def fitted(image: np.ndarray) -> np.ndarray:
    """The image scaled to fit CELL_HEIGHT x CELL_WIDTH, centred on the background."""
    height, width = image.shape[:2]
    scale = min(CELL_HEIGHT / height, CELL_WIDTH / width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas = np.full((CELL_HEIGHT, CELL_WIDTH, 3), BACKGROUND, np.uint8)
    top, left = (CELL_HEIGHT - size[1]) // 2, (CELL_WIDTH - size[0]) // 2
    canvas[top:top + size[1], left:left + size[0]] = resized
    return canvas


def cell_size() -> tuple[int, int]:
    return CELL_HEIGHT + 2 * BORDER + LABEL_HEIGHT, CELL_WIDTH + 2 * BORDER


def draw_cell(cell: Cell) -> np.ndarray:
    height, width = cell_size()
    out = np.full((height, width, 3), BACKGROUND, np.uint8)
    out[:CELL_HEIGHT + 2 * BORDER] = cell.border
    out[BORDER:BORDER + CELL_HEIGHT, BORDER:BORDER + CELL_WIDTH] = fitted(cell.image)
    for line, text in enumerate(cell.lines[:2]):
        cv2.putText(out, text[:11], (1, CELL_HEIGHT + 2 * BORDER + 11 + 12 * line), cv2.FONT_HERSHEY_PLAIN, 0.75,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return out


def contact_sheet(rows: list[tuple[Cell, list[Cell]]]) -> np.ndarray:
    """rows: (query cell, its ranked match cells); every row as wide as the longest."""
    height, width = cell_size()
    columns = max(len(matches) for _, matches in rows)
    sheet = np.full((len(rows) * height, (columns + 1) * width + GAP, 3), BACKGROUND, np.uint8)
    for r, (query, matches) in enumerate(rows):
        top = r * height
        sheet[top:top + height, :width] = draw_cell(query)
        for c, match in enumerate(matches):
            left = (c + 1) * width + GAP
            sheet[top:top + height, left:left + width] = draw_cell(match)
    return sheet
