"""`--dataset=synthetic`: procedurally rendered pedestrians in PRID 2011's layout.

It lets the whole pipeline run, and DAL visibly learn, without downloading a data set. The images
carry what DAL exploits and what makes real re-id hard: identity lives in clothing, hair, build
and carried bags drawn from small palettes (so some people look alike); the two cameras differ
in colour cast, tone curve, blur, background and viewpoint; frames within a tracklet differ in
walking pose, position, scale, occlusion and noise.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import tempfile

import cv2
import numpy as np

from dal_tf.config import DataConfig, default_cache_dir
from dal_tf.datasets.base import ReidDataset, Tracklet, TrackletSet
from dal_tf.datasets.prid_layout import CAMERAS, multi_shot_dir, scan_prid_layout
from dal_tf.datasets.registry import register
from dal_tf.errors import UserInputError

RENDER_VERSION = 1  # bump whenever the images change, so cached trees are regenerated
MARKER = "synthetic.json"
CAM_B_ONLY_ID_OFFSET = 100000  # cam_b-only people are not cam_a's people with the same number
SUPERSAMPLE = 2  # draw at twice the size and shrink: cheap anti-aliasing
NEAR_DUPLICATE_RATE = 0.12

# Separate RNG streams, so that e.g. adding a frame never changes a person's look.
_IDENTITY, _TRACKLET, _FRAME, _SCENE, _SPLIT = range(5)


@dataclasses.dataclass(frozen=True)
class SyntheticSpec:
    num_shared_train: int = 60  # seen by both cameras; the split picks which ones
    num_shared_test: int = 60
    num_cam_a_only: int = 20  # train-only distractors, like PRID's single-camera people
    num_cam_b_only: int = 40
    min_frames: int = 12
    max_frames: int = 36
    height: int = 128
    width: int = 64
    seed: int = 0

    def __post_init__(self):
        counts = (self.num_shared_train, self.num_shared_test, self.num_cam_a_only, self.num_cam_b_only)
        if min(counts) < 0 or self.num_shared_train < 1 or self.num_shared_test < 1:
            raise ValueError(f"need >= 1 shared train and test people and no negative counts, got {counts}")
        if not 1 <= self.min_frames <= self.max_frames:
            raise ValueError(f"need 1 <= min_frames <= max_frames, got {self.min_frames}..{self.max_frames}")
        if self.height < 32 or self.width < 16:
            raise ValueError(f"frames of {self.height}x{self.width} are too small to draw a person")

    @classmethod
    def tiny(cls, seed: int = 0) -> SyntheticSpec:
        """A few small tracklets, for tests."""
        return cls(4, 4, 1, 2, min_frames=3, max_frames=5, height=64, width=32, seed=seed)

    @property
    def num_shared(self) -> int:
        return self.num_shared_train + self.num_shared_test


# ---------------------------------------------------------------------------------------------
# Identity: what a person looks like in every camera.

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
class _Person:
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


def _random_person(rng: np.random.Generator) -> _Person:
    return _Person(
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


def _identity(seed: int, person_id: int) -> _Person:
    rng = np.random.default_rng([seed, _IDENTITY, person_id])
    own = _random_person(rng)
    if rng.random() >= NEAR_DUPLICATE_RATE:
        return own
    # A near-duplicate: the previous person's drawn look with one attribute of its own.
    neighbour = _random_person(np.random.default_rng([seed, _IDENTITY, person_id - 1]))
    field = _DISTINGUISHING[rng.integers(len(_DISTINGUISHING))]
    return dataclasses.replace(neighbour, **{field: getattr(own, field)})


# ---------------------------------------------------------------------------------------------
# Cameras: everything that changes a person's appearance between cam_a and cam_b.


@dataclasses.dataclass(frozen=True)
class _Camera:
    gains: Colour  # per-channel (BGR) colour cast
    gamma: float  # tone curve
    contrast: float
    brightness: float  # added after contrast, in 0..255 units
    blur_sigma: float  # in pixels of a 64-pixel-wide frame
    noise_sigma: float  # in 0..255 units
    mirror: bool  # people walk the other way through cam_b
    scale: float  # of the person relative to the frame
    vertical_shift: float  # fraction of the frame height
    keystone: float  # > 0: wider at the top, as when looking down on people
    shear: float  # horizontal shift per unit height, a leaning perspective


_CAMERAS = (
    _Camera(gains=(0.85, 1.0, 1.18), gamma=0.85, contrast=1.1, brightness=8.0, blur_sigma=0.4,
            noise_sigma=3.0, mirror=False, scale=1.0, vertical_shift=0.0, keystone=0.12, shear=0.0),
    _Camera(gains=(1.25, 1.05, 0.78), gamma=1.35, contrast=0.7, brightness=-10.0, blur_sigma=1.0,
            noise_sigma=5.0, mirror=True, scale=0.86, vertical_shift=0.03, keystone=-0.03, shear=0.08),
)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int, channels: int) -> np.ndarray:
    """Low-frequency noise in -1..1-ish: a coarse random grid, smoothly upsampled."""
    coarse = rng.normal(0.0, 1.0, (shape[0] // cell + 2, shape[1] // cell + 2, channels)).astype(np.float32)
    fine = cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    return fine.reshape(shape[0], shape[1], channels)


def _vertical_gradient(height: int, top: Colour, bottom: Colour) -> np.ndarray:
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    return (np.float32(top) * (1 - t) + np.float32(bottom) * t)[:, None, :]


def _scene_cam_a(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A building front above paving: bright, warm, with horizontal structure."""
    scene = np.empty((height, width, 3), np.float32)
    horizon = int(0.42 * height)
    scene[:horizon] = _vertical_gradient(horizon, (175, 190, 205), (125, 140, 155))
    scene[horizon:] = _vertical_gradient(height - horizon, (150, 150, 145), (105, 108, 110))
    bay = height // 3
    for left in range(int(rng.integers(0, bay)), width, bay):  # windows and doors
        w, h = int(bay * rng.uniform(0.4, 0.7)), int(horizon * rng.uniform(0.3, 0.8))
        top = int(rng.uniform(0.05, 0.2) * horizon)
        colour = tuple(float(c) for c in rng.uniform((70, 60, 50), (120, 100, 90)))
        cv2.rectangle(scene, (left, top), (left + w, min(top + h, horizon)), colour, -1)
    y, step = horizon, height / 30
    while y < height:  # paving joints, spaced wider towards the camera
        cv2.line(scene, (0, int(y)), (width, int(y)), (95, 95, 95), 1)
        y, step = y + step, step * 1.35
    for x in range(0, 3 * width, height // 4):
        cv2.line(scene, (x - width, height), (x // 3 + width // 3, horizon), (100, 100, 100), 1)
    scene += 12 * _smooth_noise(rng, (height, width), height // 8, 1)
    return scene + rng.normal(0.0, 4.0, scene.shape).astype(np.float32)


def _scene_cam_b(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Foliage, poles and asphalt: dark, green-grey, with vertical structure and clutter."""
    scene = np.empty((height, width, 3), np.float32)
    horizon = int(0.58 * height)
    foliage = np.float32((60, 105, 70)) + 35 * _smooth_noise(rng, (horizon, width), height // 16, 1)
    scene[:horizon] = foliage + 12 * _smooth_noise(rng, (horizon, width), height // 40, 3)
    scene[horizon:] = _vertical_gradient(height - horizon, (110, 112, 112), (80, 84, 88))
    cv2.line(scene, (0, horizon), (width, horizon), (170, 175, 175), max(2, height // 60))  # kerb
    for _ in range(width // (height // 6)):  # stains on the asphalt
        centre = (int(rng.integers(width)), int(rng.integers(horizon, height)))
        axes = (int(rng.integers(height // 20, height // 6)), int(rng.integers(height // 40, height // 15)))
        cv2.ellipse(scene, centre, axes, 0, 0, 360, (65, 70, 72), -1)
    for _ in range(width // height + 2):  # lamp posts and trunks
        x, w = int(rng.integers(width)), int(rng.integers(height // 40, height // 16) + 1)
        colour = tuple(float(c) for c in rng.uniform((40, 45, 50), (90, 90, 95)))
        cv2.rectangle(scene, (x, 0), (x + w, horizon + height // 10), colour, -1)
    return scene + rng.normal(0.0, 6.0, scene.shape).astype(np.float32)


def _scene(seed: int, camera: int, height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng([seed, _SCENE, camera])
    draw = _scene_cam_a if camera == 0 else _scene_cam_b
    return draw(rng, height, width)


# ---------------------------------------------------------------------------------------------
# Drawing one pedestrian.


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
        self._paint(lambda img, c: cv2.line(img, _pt(p), _pt(q), c, max(1, round(thickness))), colour)

    def polygon(self, points, colour: Colour):
        pts = np.array([_pt(p) for p in points], np.int32)
        self._paint(lambda img, c: cv2.fillConvexPoly(img, pts, c), colour)

    def ellipse(self, centre, axes, colour: Colour, start: float = 0, end: float = 360):
        axes = (max(1, round(axes[0])), max(1, round(axes[1])))
        self._paint(lambda img, c: cv2.ellipse(img, _pt(centre), axes, 0, start, end, c, -1), colour)


def _pt(p) -> tuple[int, int]:
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


def _draw_person(person: _Person, phase: float, height: int, width: int) -> np.ndarray:
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
    cv2.fillConvexPoly(torso, np.array([_pt(p) for p in corners], np.int32), 255)
    for side in (-1, 1):  # rounded shoulders
        cv2.circle(torso, _pt((cx + side * (shoulder_w - 0.03 * u), shoulder_y + 0.03 * u)), round(0.035 * u), 255, -1)
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


# ---------------------------------------------------------------------------------------------
# A tracklet: one person crossing one camera.


@dataclasses.dataclass(frozen=True)
class _Occluder:
    kind: str  # pole | box | passer
    colour: Colour
    x: float  # fraction of the frame width at the first occluded frame
    speed: float  # fraction of the frame width per frame
    size: float  # fraction of the frame width (pole, passer) or height (box)
    first: int
    last: int


@dataclasses.dataclass(frozen=True)
class _Motion:
    num_frames: int
    phase: float
    phase_step: float
    scale: float
    scene_x: float
    scene_step: float
    gains: Colour  # this tracklet's illumination on top of the camera's
    brightness: float
    occluder: _Occluder | None


def _motion(rng: np.random.Generator, spec: SyntheticSpec, scene_width: int, canvas_width: int) -> _Motion:
    num_frames = int(rng.integers(spec.min_frames, spec.max_frames + 1))
    occluder = None
    if rng.random() < 0.4:  # like real tracklets, some pass behind a pole, a bin or another person
        length = int(rng.integers(1, max(2, num_frames // 2) + 1))
        first = int(rng.integers(0, num_frames - length + 1))
        kind = ("pole", "box", "passer")[rng.integers(3)]
        size = rng.uniform(*{"pole": (0.08, 0.16), "box": (0.25, 0.45), "passer": (0.25, 0.4)}[kind])
        occluder = _Occluder(kind, tuple(rng.uniform(20, 220, 3).tolist()), float(rng.uniform(0.05, 0.95)),
                             float(rng.uniform(-0.06, 0.06)), float(size), first, first + length - 1)
    return _Motion(
        num_frames=num_frames,
        phase=float(rng.uniform(0, 2 * math.pi)),
        phase_step=float(rng.uniform(0.45, 0.8)),
        scale=float(rng.uniform(0.95, 1.05)),
        scene_x=float(rng.uniform(0, scene_width - canvas_width)),
        scene_step=float(rng.uniform(-1.5, 1.5) * SUPERSAMPLE),
        gains=tuple(rng.normal(1.0, 0.04, 3).tolist()),
        brightness=float(rng.normal(0.0, 6.0)),
        occluder=occluder,
    )


def _viewpoint(camera: _Camera, scale: float, dx: float, dy: float, height: int, width: int) -> np.ndarray:
    """Homography for the camera's viewpoint (keystone, shear, scale, mirror) plus frame jitter."""
    corners = np.float32([(0, 0), (width, 0), (width, height), (0, height)])
    feet_y = 0.96 * height
    moved = []
    for x, y in corners:
        spread = 1 + camera.keystone * (1 - 2 * y / height)
        new_x = width / 2 + (x - width / 2) * spread * scale + camera.shear * (feet_y - y) + dx
        new_y = feet_y + (y - feet_y) * scale + camera.vertical_shift * height + dy
        moved.append((width - new_x if camera.mirror else new_x, new_y))
    return cv2.getPerspectiveTransform(corners, np.float32(moved))


def _draw_occluder(image: np.ndarray, occluder: _Occluder, frame: int):
    height, width = image.shape[:2]
    x = (occluder.x + occluder.speed * (frame - occluder.first)) * width
    colour = occluder.colour
    if occluder.kind == "pole":
        half = occluder.size * width / 2
        cv2.rectangle(image, _pt((x - half, 0)), _pt((x + half, height)), colour, -1)
    elif occluder.kind == "box":
        half = width * 0.3
        cv2.rectangle(image, _pt((x - half, height * (1 - occluder.size))), _pt((x + half, height)), colour, -1)
    else:  # another pedestrian's body passing close to the camera
        axes = (round(occluder.size * width), round(0.35 * height))
        cv2.ellipse(image, _pt((x, 0.55 * height)), axes, 0, 0, 360, colour, -1)


def _render_frame(spec: SyntheticSpec, person: _Person, camera_index: int, scene: np.ndarray,
                  motion: _Motion, frame: int, rng: np.random.Generator) -> np.ndarray:
    camera = _CAMERAS[camera_index]
    height, width = spec.height * SUPERSAMPLE, spec.width * SUPERSAMPLE
    person_layer = _draw_person(person, motion.phase + frame * motion.phase_step, height, width)
    jitter_x, jitter_y = rng.normal(0.0, 0.03 * width), rng.normal(0.0, 0.015 * height)
    scale = camera.scale * motion.scale * (1 + rng.normal(0.0, 0.02))
    homography = _viewpoint(camera, scale, jitter_x, jitter_y, height, width)
    person_layer = cv2.warpPerspective(person_layer, homography, (width, height), flags=cv2.INTER_LINEAR)

    # The crop follows the person, so the background slides by as they walk.
    scene_x = int(np.clip(motion.scene_x + frame * motion.scene_step, 0, scene.shape[1] - width))
    image = scene[:, scene_x:scene_x + width].copy()
    alpha = person_layer[..., 3:].astype(np.float32) / 255
    image = image * (1 - alpha) + person_layer[..., :3].astype(np.float32) * alpha
    if motion.occluder and motion.occluder.first <= frame <= motion.occluder.last:
        _draw_occluder(image, motion.occluder, frame)
    image = cv2.resize(image, (spec.width, spec.height), interpolation=cv2.INTER_AREA)

    image = np.clip(image / 255, 0, 1) ** camera.gamma
    image = image * np.float32(camera.gains) * np.float32(motion.gains)
    image = (image - 0.5) * camera.contrast + 0.5 + (camera.brightness + motion.brightness) / 255
    image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), camera.blur_sigma * spec.width / 64)
    image = image * 255 + rng.normal(0.0, camera.noise_sigma, image.shape)
    return np.clip(image, 0, 255).round().astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Writing and reading the tree.


def _people(spec: SyntheticSpec, camera_index: int) -> list[tuple[int, int]]:
    """(person number in the camera's folder, identity id) for every person the camera sees."""
    only = spec.num_cam_a_only if camera_index == 0 else spec.num_cam_b_only
    offset = 0 if camera_index == 0 else CAM_B_ONLY_ID_OFFSET
    shared = [(n, n) for n in range(1, spec.num_shared + 1)]
    return shared + [(n, offset + n) for n in range(spec.num_shared + 1, spec.num_shared + only + 1)]


def _marker(spec: SyntheticSpec) -> dict:
    return {"render_version": RENDER_VERSION, "spec": dataclasses.asdict(spec)}


def _read_marker(tree: str) -> dict | None:
    path = os.path.join(tree, MARKER)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        raise UserInputError(f"{path} is unreadable ({error}); delete {tree} to regenerate it") from error


def _stored_spec(root: str) -> SyntheticSpec | None:
    tree = os.path.join(root, "prid_2011")
    marker = _read_marker(tree)
    if marker is None:
        return None
    try:
        return SyntheticSpec(**marker["spec"])
    except (KeyError, TypeError, ValueError) as error:
        raise UserInputError(f"{os.path.join(tree, MARKER)} holds no valid spec ({error}); delete {tree}") from error


def _write_tracklets(staging: str, spec: SyntheticSpec):
    canvas_width = spec.width * SUPERSAMPLE
    for camera_index, camera_dir in enumerate(CAMERAS):
        scene = _scene(spec.seed, camera_index, spec.height * SUPERSAMPLE, 8 * canvas_width)
        for number, person_id in _people(spec, camera_index):
            person = _identity(spec.seed, person_id)
            motion = _motion(np.random.default_rng([spec.seed, _TRACKLET, person_id, camera_index]),
                             spec, scene.shape[1], canvas_width)
            person_dir = os.path.join(staging, "multi_shot", camera_dir, f"person_{number:04d}")
            os.makedirs(person_dir)
            for frame in range(motion.num_frames):
                rng = np.random.default_rng([spec.seed, _FRAME, person_id, camera_index, frame])
                image = _render_frame(spec, person, camera_index, scene, motion, frame, rng)
                cv2.imwrite(os.path.join(person_dir, f"{frame + 1:04d}.png"), image)


def generate(root: str, spec: SyntheticSpec) -> str:
    """Renders `spec` into root/prid_2011 (PRID 2011's layout) and returns root.

    Reuses an existing tree generated from the same spec. The tree and its synthetic.json appear
    in one rename, so an interrupted run never leaves a half-written data set behind.
    """
    root = os.path.abspath(root)
    tree = os.path.join(root, "prid_2011")
    marker = _read_marker(tree)
    if marker == _marker(spec):
        return root
    if marker is None and os.path.exists(tree):
        raise UserInputError(f"{tree} exists but has no {MARKER}, so it is not a synthetic data set; "
                             "expected an empty or synthetic --data_dir")
    os.makedirs(root, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".prid_2011.partial-", dir=root)
    try:
        _write_tracklets(staging, spec)
        with open(os.path.join(staging, MARKER), "w") as f:
            json.dump(_marker(spec), f, indent=2)
        if marker is not None:  # a tree from another spec or renderer: move it aside, then drop it
            os.replace(tree, staging + ".old")
        try:
            os.replace(staging, tree)
        except OSError:
            if _read_marker(tree) != _marker(spec):
                raise
            # A concurrent run committed the same tree first.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(staging + ".old", ignore_errors=True)
    return root


def split_test_people(spec: SyntheticSpec, split: int) -> list[int]:
    """The shared person numbers held out for testing in `split` (a fixed, seeded permutation)."""
    if split < 1:
        raise UserInputError(f"--split={split} must be >= 1")
    order = np.random.default_rng([spec.seed, _SPLIT, split]).permutation(np.arange(1, spec.num_shared + 1))
    return sorted(int(n) for n in order[: spec.num_shared_test])


def _tracklet_set(entries: list[tuple[int, int, int, list[str]]]) -> TrackletSet:
    """entries: (camera, person number, person id, frames); indexed per camera by person number."""
    tracklets, next_index = [], [0, 0]
    for camera, _, person_id, frames in sorted(entries, key=lambda e: (e[0], e[1])):
        tracklets.append(Tracklet(tuple(frames), camera, next_index[camera], person_id))
        next_index[camera] += 1
    return TrackletSet(tuple(tracklets), num_cameras=2)


@register("synthetic")
def load_synthetic(config: DataConfig) -> ReidDataset:
    root = config.data_dir or os.path.join(default_cache_dir(), "synthetic")
    spec = _stored_spec(root) or SyntheticSpec()
    generate(root, spec)  # a no-op unless the tree is missing or from an older renderer
    layout = scan_prid_layout(root)
    for camera_index, camera_dir in enumerate(CAMERAS):
        expected = [number for number, _ in _people(spec, camera_index)]
        if list(layout[camera_dir]) != expected:
            raise UserInputError(f"{multi_shot_dir(root)}/{camera_dir} holds persons other than the "
                                 f"{len(expected)} its {MARKER} describes; delete {root}/prid_2011 to regenerate")

    test_people = set(split_test_people(spec, config.split))
    train, query, gallery = [], [], []
    for camera_index, camera_dir in enumerate(CAMERAS):
        for number, person_id in _people(spec, camera_index):
            entry = (camera_index, number, person_id, layout[camera_dir][number])
            if number not in test_people:
                train.append(entry)
            elif camera_index == 0:
                query.append(entry)
            else:
                gallery.append(entry)
    return ReidDataset(name="synthetic", train=_tracklet_set(train), query=_tracklet_set(query),
                       gallery=_tracklet_set(gallery), protocol="single_shot", warmup_epochs=2.0,
                       optimizer="rmsprop", release_steps=800)
