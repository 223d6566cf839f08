"""people.png: one row per person, a label cell in the person's colour and then one frame of each of
its tracklets, with its camera and tracklet names. Rows come in people.csv's order (people seen by
most cameras first). Where identities are known, a tracklet whose true person is not its row's
(the most common true person among the row's identified tracklets) has a red border, the others
green; grey is unknown."""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

from dal_tf.evaluation.contact_sheet import CELL_HEIGHT, CELL_WIDTH, Cell, contact_sheet, middle_frame, verdict_colour

MAX_TRACKLETS = 16  # per row; the rest of a person's tracklets are counted on its label


def person_colour(person: int) -> tuple[int, int, int]:
    """A BGR colour per person, neighbours far apart on the hue circle (golden-ratio steps)."""
    r, g, b = colorsys.hsv_to_rgb((person * 0.618034) % 1.0, 0.85, 0.95)
    return int(b * 255), int(g * 255), int(r * 255)


def label_cell(person: int, cameras: int, tracklets: int) -> Cell:
    image = np.full((CELL_HEIGHT, CELL_WIDTH, 3), person_colour(person), np.uint8)
    cv2.putText(image, str(person), (4, CELL_HEIGHT // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 2, cv2.LINE_AA)
    return Cell(image, (f"{cameras} cameras", f"{tracklets} tracklets"), person_colour(person))


def wrongly_joined(person: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per tracklet: True where its true person is not its cluster's most common one, False where it
    is, None where identities are unknown."""
    verdict = np.full(len(person), None, object)
    for p in np.unique(person):
        rows = np.flatnonzero((person == p) & (truth >= 0))
        if len(rows):
            values, counts = np.unique(truth[rows], return_counts=True)
            verdict[rows] = truth[rows] != values[np.argmax(counts)]
    return verdict


def people_png(names: list[str], frames: list[tuple[str, ...]], person: np.ndarray, truth: np.ndarray, read,
               rows: int) -> bytes:
    """The sheet of the first `rows` people (person numbers 1.. in order), PNG-encoded."""
    wrong = wrongly_joined(person, truth)
    sheet_rows = []
    for p in range(1, min(rows, int(person.max())) + 1):
        members = sorted(np.flatnonzero(person == p).tolist(), key=lambda i: names[i])
        cells = [Cell(middle_frame(frames[i], read), tuple(names[i].split("/")),
                      verdict_colour(None if wrong[i] is None else not wrong[i])) for i in members[:MAX_TRACKLETS]]
        seen_by = len({names[i].split("/")[0] for i in members})
        sheet_rows.append((label_cell(p, seen_by, len(members)), cells))
    return cv2.imencode(".png", contact_sheet(sheet_rows), [cv2.IMWRITE_PNG_COMPRESSION, 9])[1].tobytes()
