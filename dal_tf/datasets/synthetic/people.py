"""A synthetic person: the look drawn from small palettes (so that some people look alike), and
the drawing of that person walking, at any gait phase."""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from dal_tf.datasets.synthetic.spec import IDENTITY

NEAR_DUPLICATE_RATE = 0.12

# BGR palettes, small on purpose so that different people share attributes.
_UPPER = (
    (40, 40, 190), (110, 50, 20), (225, 225, 225), (35, 35, 35), (128, 128, 128), (60, 130, 40),
    (40, 200, 220), (210, 160, 90), (40, 30, 110), (30, 120, 230), (170, 120, 220), (40, 70, 110),
    (130, 60, 120),
)  # red, navy, white, black, grey, green, yellow, light blue, maroon, orange, pink, brown, purple
_LOWER = (
    (100, 60, 30), (30, 30, 30), (90, 90, 90), (130, 170, 190), (40, 60, 90), (210, 210, 210),
    (60, 80, 50), (150, 110, 70),
)  # jeans, black, grey, khaki, brown, white, olive, light jeans
_HAIR = ((20, 20, 25), (25, 40, 60), (40, 70, 110), (90, 160, 200), (150, 150, 150))
_SKIN = ((150, 180, 225), (120, 160, 210), (90, 130, 180), (60, 90, 130), (45, 60, 90))
_SHOES = ((25, 25, 25), (230, 230, 230), (40, 60, 90), (110, 110, 110), (40, 40, 170))
_BAG = ((30, 30, 30), (40, 70, 110), (40, 40, 160), (120, 70, 30), (140, 180, 200))
_PATTERNS = ("solid", "stripes", "checks", "two_tone")
_PATTERN_WEIGHTS = (0.45, 0.2, 0.15, 0.2)
# Attributes a near-duplicate may take from its own draw; everything else is its neighbour's.
_DISTINGUISHING = ("upper", "lower", "pattern", "hair", "bag_side", "shoes")

Colour = tuple[float, float, float]


@dataclasses.dataclass(frozen=True)
class Person:
    upper: Colour
    upper_accent: Colour  # second colour of a patterned top
    pattern: str
    long_sleeves: bool
    lower: Colour
    hair: Colour
    long_hair: bool
    skin: Colour
    height: float  # body height as a fraction of the frame height
    build: float  # width factor
    bag_side: int  # 0: no bag, -1/+1: image left/right before any mirroring
    bag: Colour
    shoes: Colour


def _pick(rng: np.random.Generator, palette, jitter: float = 10.0) -> Colour:
    # Jitter keeps people with the same palette entry similar but not pixel-identical.
    colour = np.asarray(palette[rng.integers(len(palette))], np.float64) + rng.normal(0.0, jitter, 3)
    return tuple(np.clip(colour, 0, 255).round(1).tolist())


def _random_person(rng: np.random.Generator) -> Person:
    return Person(
        upper=_pick(rng, _UPPER),
        upper_accent=_pick(rng, _UPPER),
        pattern=_PATTERNS[rng.choice(len(_PATTERNS), p=_PATTERN_WEIGHTS)],
        long_sleeves=bool(rng.random() < 0.5),
        lower=_pick(rng, _LOWER),
        hair=_pick(rng, _HAIR, jitter=6.0),
        long_hair=bool(rng.random() < 0.3),
        skin=_pick(rng, _SKIN, jitter=6.0),
        height=float(rng.uniform(0.80, 0.92)),
        build=float(rng.uniform(0.85, 1.2)),
        bag_side=int(rng.choice((0, 0, -1, 1))),
        bag=_pick(rng, _BAG),
        shoes=_pick(rng, _SHOES),
    )


def identity(seed: int, person_id: int) -> Person:
    rng = np.random.default_rng([seed, IDENTITY, person_id])
    own = _random_person(rng)
    if rng.random() >= NEAR_DUPLICATE_RATE:
        return own
    # A near-duplicate: the previous person's drawn look with one attribute of its own.
    neighbour = _random_person(np.random.default_rng([seed, IDENTITY, person_id - 1]))
    field = _DISTINGUISHING[rng.integers(len(_DISTINGUISHING))]
    return dataclasses.replace(neighbour, **{field: getattr(own, field)})



class _Layer:
    """A BGR drawing and its coverage mask, painted together."""

    def __init__(self, height: int, width: int):
        self.colour = np.zeros((height, width, 3), np.uint8)
        self.mask = np.zeros((height, width), np.uint8)

    def _paint(self, draw, colour: Colour):
        draw(self.colour, tuple(colour))
        draw(self.mask, 255)

    def fill(self, where: np.ndarray, colour: Colour):
        self.colour[where] = colour
        self.mask[where] = 255

    def bgra(self) -> np.ndarray:
        return np.dstack([self.colour, self.mask])

    def line(self, p, q, colour: Colour, thickness: float):
        self._paint(lambda img, c: cv2.line(img, pt(p), pt(q), c, max(1, round(thickness))), colour)

    def polygon(self, points, colour: Colour):
        pts = np.array([pt(p) for p in points], np.int32)
        self._paint(lambda img, c: cv2.fillConvexPoly(img, pts, c), colour)

    def ellipse(self, centre, axes, colour: Colour, start: float = 0, end: float = 360):
        axes = (max(1, round(axes[0])), max(1, round(axes[1])))
        self._paint(lambda img, c: cv2.ellipse(img, pt(centre), axes, 0, start, end, c, -1), colour)


def pt(p) -> tuple[int, int]:
    return int(round(p[0])), int(round(p[1]))


def _shade(colour: Colour, factor: float) -> Colour:
    return tuple(c * factor for c in colour)


def _limb(layer: _Layer, root, angles, lengths, colours, thickness: float):
    """Draws joined segments; angles are from straight down, positive towards the walking direction."""
    start = np.asarray(root, np.float64)
    for angle, length, colour in zip(angles, lengths, colours):
        end = start + length * np.array([math.sin(angle), math.cos(angle)])
        layer.line(start, end, colour, thickness)
        start = end
    return start


def _accent(pattern: str, top: float, cx: float, period: float, half_opening: float, height: int, width: int):
    """Where a top of `pattern` shows its second colour (a boolean image, or False for solid)."""
    ys, xs = np.ogrid[0:height, 0:width]
    if pattern == "stripes":
        return ((ys - top) // (period / 2)) % 2 == 1
    if pattern == "checks":
        return ((ys - top) // period + xs // period) % 2 == 1
    if pattern == "two_tone":  # an open jacket over a shirt
        return np.abs(xs - cx) < half_opening
    return False


def draw_person(person: Person, phase: float, height: int, width: int) -> np.ndarray:
    """Returns a BGRA drawing of `person` walking towards +x at gait `phase`."""
    layer = _Layer(height, width)
    u = person.height * height  # all body measures are fractions of the body height
    top = 0.96 * height - u + 0.012 * u * abs(math.sin(phase))  # feet near the bottom; gait bob
    cx = width / 2
    shoulder_y, hip_y = top + 0.16 * u, top + 0.50 * u
    shoulder_w, hip_w = 0.11 * u * person.build, 0.09 * u * person.build
    swing = 0.32 * math.sin(phase)

    for side, leg_swing, knee in ((-1, -swing, max(0.0, -math.cos(phase))), (1, swing, max(0.0, math.cos(phase)))):
        shade = 0.75 if side < 0 else 1.0  # the far leg is in shadow
        foot = _limb(layer, (cx + side * 0.035 * u * person.build, hip_y - 0.01 * u),
                     (leg_swing, leg_swing - 0.6 * knee), (0.24 * u, 0.23 * u),
                     (_shade(person.lower, shade),) * 2, 0.075 * u * person.build)
        layer.ellipse(foot + (0.02 * u, 0.0), (0.04 * u, 0.018 * u), _shade(person.shoes, shade))

    torso = np.zeros((height, width), np.uint8)
    corners = [(cx - shoulder_w, shoulder_y), (cx + shoulder_w, shoulder_y), (cx + hip_w, hip_y), (cx - hip_w, hip_y)]
    cv2.fillConvexPoly(torso, np.array([pt(p) for p in corners], np.int32), 255)
    for side in (-1, 1):  # rounded shoulders
        cv2.circle(torso, pt((cx + side * (shoulder_w - 0.03 * u), shoulder_y + 0.03 * u)), round(0.035 * u), 255, -1)
    covered = torso > 0
    accent = covered & _accent(person.pattern, top, cx, max(2.0, 0.06 * u), 0.35 * shoulder_w, height, width)
    layer.fill(covered & ~accent, person.upper)
    layer.fill(covered & accent, person.upper_accent)

    if person.long_hair:  # hangs over the shoulders, behind the head
        layer.polygon([(cx - 0.06 * u, top + 0.05 * u), (cx + 0.06 * u, top + 0.05 * u),
                       (cx + 0.065 * u, top + 0.21 * u), (cx - 0.065 * u, top + 0.21 * u)], person.hair)
    layer.line((cx, top + 0.11 * u), (cx, shoulder_y + 0.01 * u), person.skin, 0.045 * u)
    head = (cx + 0.006 * u, top + 0.065 * u)
    layer.ellipse(head, (0.05 * u, 0.065 * u), person.skin)
    layer.ellipse((head[0] - 0.006 * u, head[1] - 0.004 * u), (0.055 * u, 0.066 * u), person.hair, 180, 360)

    forearm = person.upper if person.long_sleeves else person.skin
    for side, arm_swing in ((-1, 0.8 * swing), (1, -0.8 * swing)):  # arms swing against the legs
        shade = 0.8 if side < 0 else 1.0
        hand = _limb(layer, (cx + side * (shoulder_w - 0.02 * u), shoulder_y + 0.02 * u),
                     (arm_swing + side * 0.08, arm_swing + side * 0.08 + 0.3), (0.16 * u, 0.15 * u),
                     (_shade(person.upper, shade), _shade(forearm, shade)), 0.045 * u * person.build)
        layer.ellipse(hand, (0.022 * u, 0.025 * u), _shade(person.skin, shade))

    if person.bag_side:
        s = person.bag_side
        bag_x = cx + s * (shoulder_w + 0.035 * u)
        layer.line((cx - s * 0.7 * shoulder_w, shoulder_y), (bag_x, hip_y - 0.07 * u), person.bag, 0.014 * u)
        layer.polygon([(bag_x - 0.045 * u, hip_y - 0.07 * u), (bag_x + 0.045 * u, hip_y - 0.07 * u),
                       (bag_x + 0.05 * u, hip_y + 0.07 * u), (bag_x - 0.05 * u, hip_y + 0.07 * u)], person.bag)
    return layer.bgra()

