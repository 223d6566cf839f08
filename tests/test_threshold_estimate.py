"""dal_tf.people.threshold: the label-free threshold against hand-built cases whose right threshold
is known, its hard negatives against their definition (brute force), and each abstention."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from dal_tf.people import clustering, mixture, threshold
from dal_tf.people.clustering import Distances

NO_LINKS = np.zeros((0, 2), np.int64)


def line_of_people(count, offset=0.1):
    """Person k at k in camera 0 and at k + offset in camera 1, in one dimension."""
    x = np.concatenate([np.arange(count), np.arange(count) + offset])[:, None].astype(float)
    return x, np.repeat([0, 1], count)


def test_mutual_cross_camera_pairs_equal_brute_force():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 4))
    cameras = rng.integers(0, 3, 40)
    d = cdist(x, x)
    d[cameras[:, None] == cameras[None, :]] = np.inf
    nearest = d.argmin(1)
    expected = sorted((i, int(nearest[i])) for i in range(40) if nearest[nearest[i]] == i and i < nearest[i])
    assert threshold.mutual_cross_camera_pairs(Distances(x), cameras).tolist() == [list(p) for p in expected]


@pytest.mark.parametrize("seed,num_cameras", [(0, 2), (1, 3)])
def test_hard_negatives_equal_their_definition(seed, num_cameras):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 3))
    cameras = rng.integers(0, num_cameras, 60)
    d = cdist(x, x)
    positives = threshold.mutual_cross_camera_pairs(Distances(x), cameras)
    expected = set()
    for a, b in np.concatenate([positives, positives[:, ::-1]]):
        own = [j for j in np.argsort(d[a]) if j != a and cameras[j] == cameras[a]]
        expected.add(tuple(sorted((a, own[0]))))
        others = [j for j in np.argsort(d[a]) if cameras[j] != cameras[a]][:threshold.HARD_CANDIDATES]
        after_partner = [j for j in others if cameras[j] == cameras[b] and j != b]
        if after_partner:
            expected.add(tuple(sorted((a, after_partner[0]))))
    found = threshold.hard_negative_pairs(Distances(x), cameras, positives)
    assert sorted(map(tuple, found.tolist())) == sorted(expected)


def test_a_camera_of_one_tracklet_has_no_own_camera_impostor():
    spaced = np.array([0.0, 1, 3, 6, 10, 15])  # gaps growing: each one's nearest is the one before
    x = np.concatenate([spaced, spaced + 0.1, [50.0]])[:, None]
    cameras = np.array([0] * 6 + [1] * 6 + [2])  # camera 2 sees one person
    expected = [1, 0, 1, 2, 3, 4] + [7, 6, 7, 8, 9, 10] + [-1]
    assert threshold.nearest_in_own_camera(Distances(x), cameras).tolist() == expected


def test_estimate_of_a_hand_built_case():
    # six people 1 apart, each 0.1 from itself across the cameras: the mutual pairs are at 0.1; the
    # nearest impostors at 0.9 (the partner camera's next) and 1 (the own camera's next): the cut
    # is midway between 0.1 and 0.9, and separates them completely
    x, cameras = line_of_people(6)
    estimate = threshold.estimated_threshold(Distances(x), cameras, NO_LINKS)
    assert estimate.value == pytest.approx(0.5)
    assert (estimate.positives, estimate.separation, estimate.positives_below, estimate.negatives_below) == (6, 1, 1, 0)
    assert estimate.negative_pairs == "nearest impostors of the mutual pairs"
    assert estimate.positive_median == pytest.approx(0.1) and estimate.negative_median == pytest.approx(1.0)


def test_hard_negatives_cut_where_random_pairs_would_chain_everyone():
    # 20 people 0.6 apart on a line, matched across the cameras at 0.2, so each is 0.4 from the
    # next person's other-camera tracklet; and 5 wrong mutual pairs at 0.5, people seen by one
    # camera far out. The nearest impostors (0.4 and 0.6) put the cut between 0.2 and 0.4. Among all
    # cross-camera pairs the 0.4s are a few percent, so a cut against them gains the wrong pairs at
    # 0.5 and lands above 0.4, where the whole line is one person.
    line = np.arange(20) * 0.6
    far = 100 + 10 * np.arange(5)
    x = np.concatenate([line, far, line + 0.2, far + 0.5])[:, None]
    cameras = np.repeat([0, 1], 25)
    estimate = threshold.estimated_threshold(Distances(x), cameras, NO_LINKS)
    assert estimate.value == pytest.approx(0.3) and estimate.positives == 25
    i, j = np.triu_indices(len(x), 1)
    cross = cameras[i] != cameras[j]
    positives = threshold.mutual_cross_camera_pairs(Distances(x), cameras)
    every_pair = clustering.youden_threshold(cdist(x, x)[tuple(positives.T)], cdist(x, x)[i[cross], j[cross]])
    assert every_pair > 0.4


def test_max_per_camera_1_leaves_out_the_impostors_it_can_never_join():
    # six people 10 apart, matched at 0.1 (camera 1 is 0.1 above camera 0); beside each in camera 0
    # a look-alike seen by camera 0 only, sqrt(0.13) from the person and sqrt(0.18) from its
    # partner. The own camera's impostor (sqrt 0.13) sets the cut; with --max_per_camera=1 the
    # clustering can never join two tracklets of one camera, so the partner camera's (sqrt 0.18) does.
    people = np.stack([np.arange(6) * 10.0, np.zeros(6)], 1)
    x = np.concatenate([people, people + [0, 0.1], people + [-0.3, -0.2]])
    cameras = np.repeat([0, 1, 0], 6)
    both = threshold.estimated_threshold(Distances(x), cameras, NO_LINKS)
    assert both.value == pytest.approx((0.1 + np.sqrt(0.13)) / 2) and both.positives == 6
    once = threshold.estimated_threshold(Distances(x), cameras, NO_LINKS, max_per_camera=1)
    assert once.value == pytest.approx((0.1 + np.sqrt(0.18)) / 2)
    assert once.negative_pairs == "nearest impostors of the mutual pairs in other cameras"
    # 12 of the 18 tracklets' nearest across is their match (0.1), the look-alikes' is an impostor
    # (sqrt 0.18): the share with a match is 2/3 (up to the kernel densities' tails), and weighted by
    # it the cut stays between the two
    assert once.partner_share == pytest.approx(2 / 3, abs=0.01) and both.partner_share is None
    assert threshold.estimated_threshold(Distances(x), cameras, NO_LINKS, max_per_camera=2).value == both.value


@pytest.mark.parametrize("seed,num_cameras", [(0, 2), (1, 3)])
def test_max_per_camera_1_estimate_equals_its_definition(seed, num_cameras):
    # brute force: the mutual pairs, their ends' nearest impostors in the partner's camera, every
    # tracklet's nearest across, the share of the mixture, and the cut that maximises
    # share x (positives below) - (1 - share) x (negatives below); time overlaps are not used
    rng = np.random.default_rng(seed)
    people = rng.normal(size=(40, 3))
    x = np.concatenate([people, people + rng.normal(0, 0.3, (40, 3)), rng.normal(size=(20, 3))])
    cameras = np.concatenate([np.zeros(40, int), rng.integers(1, num_cameras, 40), rng.integers(0, num_cameras, 20)])
    d = cdist(x, x)
    across = np.where(cameras[:, None] != cameras[None, :], d, np.inf)
    nearest = across.argmin(1)
    positives = [(i, int(nearest[i])) for i in range(len(x)) if nearest[nearest[i]] == i and i < nearest[i]]
    negatives = set()
    for a, b in positives + [(b, a) for a, b in positives]:
        order = [j for j in np.argsort(across[a]) if np.isfinite(across[a, j])][:threshold.HARD_CANDIDATES]
        after = [j for j in order if cameras[j] == cameras[b] and j != b]
        if after:
            negatives.add(tuple(sorted((a, after[0]))))
    near, far = d[tuple(np.array(positives).T)], d[tuple(np.array(sorted(negatives)).T)]
    share = mixture.mixture_weight(across.min(1), near, far)
    cuts = np.sort(np.unique(np.concatenate([near, far])))
    best = int(np.argmax([share * np.mean(near <= t) - (1 - share) * np.mean(far <= t) for t in cuts]))
    overlaps = np.array([[i, j] for i in range(len(x)) for j in range(i) if cameras[i] == cameras[j]][:40])
    estimate = threshold.estimated_threshold(Distances(x), cameras, overlaps, max_per_camera=1)
    assert (estimate.positives, estimate.negatives) == (len(near), len(far))
    assert estimate.partner_share == pytest.approx(share)
    assert estimate.value == pytest.approx((cuts[best] + cuts[best + 1]) / 2)


def test_time_overlaps_are_the_negatives_where_there_are_enough():
    x, cameras = line_of_people(6)
    cannot = np.array([[0, 2], [2, 4], [0, 4]] * 7)  # repeated past MIN_NEGATIVES; distances 2 and 4
    estimate = threshold.estimated_threshold(Distances(x), cameras, cannot)
    assert estimate.value == pytest.approx((0.1 + 2) / 2)
    assert estimate.negative_pairs == "time overlaps in one camera" and estimate.negatives == len(cannot)
    few = threshold.estimated_threshold(Distances(x), cameras, cannot[:2])
    assert few.negative_pairs == "nearest impostors of the mutual pairs"


def test_too_few_mutual_pairs_abstain():
    x, cameras = line_of_people(threshold.MIN_POSITIVES - 1)
    with pytest.raises(threshold.Abstention, match="fewer than 5; give --threshold=T, or calibrate"):
        threshold.estimated_threshold(Distances(x), cameras, NO_LINKS)
    # and at least a tenth of the smaller camera's tracklets: 60 in each, so 6 pairs are needed;
    # each camera's crowd is far out on its own side, so its nearest across is a person, not mutual
    x, cameras = line_of_people(5)
    crowds = np.random.default_rng(0).normal(100, 1, (110, 1)) * np.repeat([1, -1], 55)[:, None]
    with pytest.raises(threshold.Abstention, match="5 mutually nearest cross-camera pairs, fewer than 6"):
        threshold.estimated_threshold(Distances(np.concatenate([x, crowds])),
                                      np.concatenate([cameras, np.repeat([0, 1], 55)]), NO_LINKS)


def test_overlapping_distances_abstain():
    # at 0.3 three of four positives and no negative are below, at 0.4 all positives and one
    # negative: J 0.75 both, the lower cut wins, midway to the next distance (0.35)
    separated = threshold.separating_threshold(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.35, 0.5, 0.6, 0.7]), "x")
    assert (separated.value, separated.separation) == pytest.approx((0.325, 0.75))
    assert (separated.positives, separated.negatives, separated.positives_below) == (4, 4, 0.75)
    # interleaved: J is 0.4 at 0.2, 0.5, 0.7 and 0.9, MIN_SEPARATION itself, so trusted
    trusted = threshold.separating_threshold(np.array([0.1, 0.2, 0.5, 0.7, 0.9]), np.array([0.3, 0.6, 0.8, 1.0, 1.1]),
                                             "x")
    assert (trusted.value, trusted.separation) == pytest.approx((0.25, 0.4))
    # interleaved more tightly: J is 0.25 at every positive; refused
    with pytest.raises(threshold.Abstention, match=r"at its best cut \(0.1500\) 25% of the mutual pairs and 0% of "
                                                   r"the x are below it, a separation of 0.25 < 0.4"):
        threshold.separating_threshold(np.array([0.1, 0.3, 0.5, 0.7]), np.array([0.2, 0.4, 0.6, 0.8]), "x")


def test_collapse_is_most_tracklets_in_a_handful_of_people():
    # 100 tracklets: the two largest people may hold at most half
    assert threshold.collapsed(np.repeat([0, 1, 2], [26, 25, 49]))
    assert not threshold.collapsed(np.r_[np.repeat([0, 1], 25), np.arange(2, 52)])
    assert threshold.collapsed(np.repeat([0, 1], [11, 9]))  # 20 tracklets: the largest alone
    everyone = np.ones(30, int)
    with pytest.raises(threshold.Abstention, match="into 1 person"):
        threshold.refuse_collapse(everyone, threshold.Threshold(0.5, "estimated"))
    threshold.refuse_collapse(everyone, threshold.Threshold(0.5, "--threshold"))  # the user's own choice
