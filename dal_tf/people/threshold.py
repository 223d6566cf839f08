"""A "same person" threshold estimated from the footage itself, with no labels, and when to
refuse one (pure NumPy).

The threshold is Youden's J between two samples of pair distances:
- positives: cross-camera pairs that are each other's nearest tracklet among all other cameras
  pooled, the consistent pairs of DAL's cyclic ranking (Eq. 4, 5, as the release pools cameras);
- negatives: the certain ones where the footage has enough, tracklets of one camera that overlap
  in time; otherwise hard ones, the nearest impostor each end of a positive pair has: its nearest
  tracklet in its own camera, and its nearest in the partner's camera after the partner. Both are
  other people where a person passes each camera once (PRID 2011, iLIDS-VID, one pass through a
  building), and they are where false merges come from (with --max_per_camera=1 only the second:
  the clustering never joins two tracklets of one camera). Random pairs are easy negatives: a cut
  between them and the positives lands halfway to "unrelated", far above where matches end.

With --max_per_camera=1 the negatives are always the partner camera's impostors (time overlaps are
pairs of one camera, which it never joins), and the cut is weighted by the share of tracklets that
have a match. Under that constraint a tracklet whose match is there joins it, and its impostors are
then blocked; only a tracklet without a match joins an impostor, at about its nearest impostor's
distance. The expected wrong decisions per tracklet are share x (matches above the cut) +
(1 - share) x (impostors below it), least at the cut that maximises share x (positives below) -
(1 - share) x (negatives below). The share is the weight of the positives' component in a mixture
of the two samples fitted to every tracklet's distance to its nearest tracklet in other cameras
(mixture.py).

The estimate is refused (Abstention, one line) rather than used where it cannot be trusted:
too few positives to place a cut, or the two samples overlap so much that no cut separates them.
`collapsed` is the check after clustering: most tracklets in a handful of people.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dal_tf.people.clustering import Distances, nearest_neighbours, youden_threshold
from dal_tf.people.mixture import mixture_weight
from dal_tf.utils.errors import UserInputError

MIN_NEGATIVES = 20  # fewer time overlaps than this: hard negatives instead
HARD_CANDIDATES = 10  # a pair end's nearest tracklets searched for its nearest impostors
MIN_POSITIVES = 5
TRACKLETS_PER_POSITIVE = 10  # at least one mutual pair per this many tracklets of the smallest camera
MIN_SEPARATION = 0.4  # Youden's J: (positives below) - (negatives below) at the cut
COLLAPSE_SHARE = 0.5  # the largest people, one per COLLAPSE_TRACKLETS tracklets, hold more than this
COLLAPSE_TRACKLETS = 50
HOW_INSTEAD = "give --threshold=T, or calibrate the export on labelled tracklets with dal_tf.calibrate"


class Abstention(UserInputError):
    """The estimated threshold, or the people under it, cannot be trusted."""


@dataclasses.dataclass(frozen=True)
class Threshold:
    value: float
    source: str  # how it was chosen: "estimated", "--threshold", "calibrated"
    positives: int = 0  # pairs it was estimated from
    negatives: int = 0
    negative_pairs: str = ""  # where the negatives came from
    separation: float | None = None  # Youden's J at the cut
    positives_below: float | None = None  # share of the positives at most the threshold
    negatives_below: float | None = None
    positive_median: float | None = None
    negative_median: float | None = None
    partner_share: float | None = None  # --max_per_camera=1: the share of tracklets with a match, the cut's weight


def other_camera_neighbours(distances: Distances, cameras: np.ndarray, search: str = "exact") -> np.ndarray:
    """[N, HARD_CANDIDATES] each tracklet's nearest tracklets of other cameras, nearest first (-1: none)."""
    return nearest_neighbours(distances, HARD_CANDIDATES, other_cameras=np.asarray(cameras), search=search)[0]


def mutual_cross_camera_pairs(distances: Distances, cameras: np.ndarray, search: str = "exact",
                              neighbours: np.ndarray | None = None) -> np.ndarray:
    """[P, 2] pairs (i < j), each the other's nearest tracklet among all other cameras pooled;
    neighbours: other_camera_neighbours, where already found."""
    if neighbours is None:
        neighbours = nearest_neighbours(distances, 1, other_cameras=np.asarray(cameras), search=search)[0]
    partner = neighbours[:, 0]
    rows = np.flatnonzero((partner >= 0) & (partner > np.arange(len(partner))))
    rows = rows[partner[partner[rows]] == rows]
    return np.stack([rows, partner[rows]], axis=1).reshape(-1, 2)


def nearest_in_own_camera(distances: Distances, cameras: np.ndarray, search: str = "exact") -> np.ndarray:
    """[N] each tracklet's nearest tracklet of its own camera, -1 where it is the camera's only one."""
    nearest = np.full(len(cameras), -1, np.int64)
    for camera in np.unique(cameras):
        rows = np.flatnonzero(cameras == camera)
        if len(rows) < 2:
            continue
        found = nearest_neighbours(distances.subset(rows), 1, search=search)[0][:, 0]
        nearest[rows] = np.where(found >= 0, rows[found], -1)
    return nearest


def hard_negative_pairs(distances: Distances, cameras: np.ndarray, positives: np.ndarray, search: str = "exact",
                        neighbours: np.ndarray | None = None, own_camera: bool = True) -> np.ndarray:
    """[Q, 2] the nearest impostors of both ends of each positive pair (see the module): in the
    end's own camera (unless own_camera is false), and in its partner's camera after the partner
    (among the end's HARD_CANDIDATES nearest tracklets of other cameras; neighbours:
    other_camera_neighbours)."""
    cameras = np.asarray(cameras)
    ends, partners = np.concatenate([positives, positives[:, ::-1]]).T
    if neighbours is None:
        neighbours = other_camera_neighbours(distances, cameras, search)
    candidates = neighbours[ends]
    in_partner_camera = (cameras[candidates] == cameras[partners, None]) & (candidates != partners[:, None])
    in_partner_camera &= candidates >= 0
    first = candidates[np.arange(len(ends)), in_partner_camera.argmax(axis=1)]
    other = np.where(in_partner_camera.any(axis=1), first, -1)
    pairs = np.stack([ends, other], 1)
    if own_camera:
        pairs = np.concatenate([pairs, np.stack([ends, nearest_in_own_camera(distances, cameras, search)[ends]], 1)])
    return np.unique(np.sort(pairs[(pairs >= 0).all(axis=1)], axis=1), axis=0)


def estimated_threshold(distances: Distances, cameras: np.ndarray, cannot_link: np.ndarray,
                        search: str = "exact", max_per_camera: int = 0) -> Threshold:
    """The threshold between mutual cross-camera neighbours and negatives (see the module);
    raises Abstention where it cannot be trusted. max_per_camera = 1 (--max_per_camera): the
    negatives are the partner camera's impostors, and the cut is weighted by the share of
    tracklets with a match."""
    cameras = np.asarray(cameras)
    neighbours = other_camera_neighbours(distances, cameras, search)  # one search for both pair kinds
    positives = mutual_cross_camera_pairs(distances, cameras, neighbours=neighbours)
    fewest = int(np.unique(cameras, return_counts=True)[1].min()) if len(cameras) else 0
    needed = max(MIN_POSITIVES, -(-fewest // TRACKLETS_PER_POSITIVE))
    if len(positives) < needed:
        raise Abstention(f"the threshold cannot be estimated: {len(positives)} mutually nearest cross-camera "
                         f"pairs, fewer than {needed}; {HOW_INSTEAD}")
    once = max_per_camera == 1
    negatives, source = np.asarray(cannot_link, np.int64).reshape(-1, 2), "time overlaps in one camera"
    if len(negatives) < MIN_NEGATIVES or once:
        negatives = hard_negative_pairs(distances, cameras, positives, search, neighbours, own_camera=not once)
        source = "nearest impostors of the mutual pairs" + (" in other cameras" if once else "")
    if not len(negatives):
        raise Abstention(f"the threshold cannot be estimated: no negative pairs; {HOW_INSTEAD}")
    near, far = distances.pairs(*positives.T), distances.pairs(*negatives.T)
    share = None
    if once:
        found = np.flatnonzero(neighbours[:, 0] >= 0)
        share = mixture_weight(distances.pairs(found, neighbours[found, 0]), near, far)
    return separating_threshold(near, far, source, share)


def separating_threshold(near: np.ndarray, far: np.ndarray, source: str,
                         partner_share: float | None = None) -> Threshold:
    """Youden's threshold between positive (near) and negative (far) pair distances, or with
    partner_share the cut weighted by it (see the module), with the numbers it was made from;
    raises Abstention where Youden's cut separates them by less than MIN_SEPARATION."""
    cut = youden_threshold(near, far)
    below, wrongly = float(np.mean(near <= cut)), float(np.mean(far <= cut))
    if below - wrongly < MIN_SEPARATION:
        raise Abstention(f"the estimated threshold is unreliable: at its best cut ({cut:.4f}) "
                         f"{below:.0%} of the mutual pairs and {wrongly:.0%} of the {source} are below it, "
                         f"a separation of {below - wrongly:.2f} < {MIN_SEPARATION}; {HOW_INSTEAD}")
    value = cut if partner_share is None else youden_threshold(near, far, partner_share)
    return Threshold(value, "estimated", len(near), len(far), source, below - wrongly,
                     float(np.mean(near <= value)), float(np.mean(far <= value)),
                     float(np.median(near)), float(np.median(far)), partner_share)


def described(estimate: Threshold) -> str:
    """One line: what the estimate was made from, to judge it by."""
    return (f"threshold estimated from {estimate.positives} mutually nearest cross-camera pairs "
            f"({estimate.positives_below:.0%} below it, median {estimate.positive_median:.4f}) and "
            f"{estimate.negatives} negatives, {estimate.negative_pairs} ({estimate.negatives_below:.0%} below, "
            f"median {estimate.negative_median:.4f}): separation {estimate.separation:.2f}"
            + ("" if estimate.partner_share is None else
               f"; cut weighted by the share of tracklets with a match, {estimate.partner_share:.2f}"))


def collapsed(person: np.ndarray) -> bool:
    """Whether the largest people, one per COLLAPSE_TRACKLETS tracklets (at least one), hold more
    than COLLAPSE_SHARE of the tracklets."""
    sizes = np.sort(np.bincount(np.asarray(person)))[::-1]
    largest = max(1, len(person) // COLLAPSE_TRACKLETS)
    return sizes[:largest].sum() > COLLAPSE_SHARE * len(person)


def refuse_collapse(person: np.ndarray, threshold: Threshold):
    """Abstention where an estimated threshold put most tracklets into a handful of people."""
    if threshold.source == "estimated" and collapsed(person):
        largest = max(1, len(person) // COLLAPSE_TRACKLETS)
        raise Abstention(f"the estimated threshold {threshold.value:.4f} puts most of the {len(person)} tracklets "
                         f"into {largest} {'person' if largest == 1 else 'people'}; {HOW_INSTEAD}")
