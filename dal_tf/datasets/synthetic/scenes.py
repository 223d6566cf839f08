"""Rendering one person crossing one camera: the camera's look (colour cast, tone, blur, viewpoint),
its background scene, the tracklet's motion and occluders, frame by frame."""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from dal_tf.datasets.synthetic.people import Colour, Person, draw_person, pt
from dal_tf.datasets.synthetic.spec import SCENE, SyntheticSpec

SUPERSAMPLE = 2  # draw at twice the size and shrink: cheap anti-aliasing


@dataclasses.dataclass(frozen=True)
class Camera:
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


CAMERA_LOOKS = (
    Camera(gains=(0.85, 1.0, 1.18), gamma=0.85, contrast=1.1, brightness=8.0, blur_sigma=0.4,
            noise_sigma=3.0, mirror=False, scale=1.0, vertical_shift=0.0, keystone=0.12, shear=0.0),
    Camera(gains=(1.25, 1.05, 0.78), gamma=1.35, contrast=0.7, brightness=-10.0, blur_sigma=1.0,
            noise_sigma=5.0, mirror=True, scale=0.86, vertical_shift=0.03, keystone=-0.03, shear=0.08),
    # A third view, for the multi-camera videos only: cool, flat and soft.
    Camera(gains=(1.1, 0.95, 0.9), gamma=1.1, contrast=0.85, brightness=5.0, blur_sigma=0.7,
           noise_sigma=4.0, mirror=False, scale=0.93, vertical_shift=0.0, keystone=0.05, shear=-0.05),
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


def scene_for(seed: int, camera: int, height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng([seed, SCENE, camera])
    draw = _scene_cam_a if camera == 0 else _scene_cam_b
    return draw(rng, height, width)



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
class Motion:
    num_frames: int
    phase: float
    phase_step: float
    scale: float
    scene_x: float
    scene_step: float
    gains: Colour  # this tracklet's illumination on top of the camera's
    brightness: float
    occluder: _Occluder | None


def random_motion(rng: np.random.Generator, spec: SyntheticSpec, scene_width: int, canvas_width: int) -> Motion:
    num_frames = int(rng.integers(spec.min_frames, spec.max_frames + 1))
    occluder = None
    if rng.random() < 0.4:  # like real tracklets, some pass behind a pole, a bin or another person
        length = int(rng.integers(1, max(2, num_frames // 2) + 1))
        first = int(rng.integers(0, num_frames - length + 1))
        kind = ("pole", "box", "passer")[rng.integers(3)]
        size = rng.uniform(*{"pole": (0.08, 0.16), "box": (0.25, 0.45), "passer": (0.25, 0.4)}[kind])
        occluder = _Occluder(kind, tuple(rng.uniform(20, 220, 3).tolist()), float(rng.uniform(0.05, 0.95)),
                             float(rng.uniform(-0.06, 0.06)), float(size), first, first + length - 1)
    return Motion(
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


def _viewpoint(camera: Camera, scale: float, dx: float, dy: float, height: int, width: int) -> np.ndarray:
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
        cv2.rectangle(image, pt((x - half, 0)), pt((x + half, height)), colour, -1)
    elif occluder.kind == "box":
        half = width * 0.3
        cv2.rectangle(image, pt((x - half, height * (1 - occluder.size))), pt((x + half, height)), colour, -1)
    else:  # another pedestrian's body passing close to the camera
        axes = (round(occluder.size * width), round(0.35 * height))
        cv2.ellipse(image, pt((x, 0.55 * height)), axes, 0, 0, 360, colour, -1)


def render_frame(spec: SyntheticSpec, person: Person, camera_index: int, scene: np.ndarray,
                  motion: Motion, frame: int, rng: np.random.Generator) -> np.ndarray:
    camera = CAMERA_LOOKS[camera_index]
    height, width = spec.height * SUPERSAMPLE, spec.width * SUPERSAMPLE
    person_layer = draw_person(person, motion.phase + frame * motion.phase_step, height, width)
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
    return camera_look(image, camera, motion.gains, motion.brightness, spec.width / 64, rng)


def camera_look(image: np.ndarray, camera: Camera, gains: Colour, brightness: float, blur_scale: float,
                rng: np.random.Generator) -> np.ndarray:
    """A BGR float image (0..255) as `camera` sees it, with extra illumination (gains, brightness),
    its blur scaled by blur_scale (1: a 64-pixel-wide person) and its sensor noise: uint8."""
    image = np.clip(image / 255, 0, 1) ** camera.gamma
    image = image * np.float32(camera.gains) * np.float32(gains)
    image = (image - 0.5) * camera.contrast + 0.5 + (camera.brightness + brightness) / 255
    image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), camera.blur_sigma * blur_scale)
    image = image * 255 + rng.normal(0.0, camera.noise_sigma, image.shape)
    return np.clip(image, 0, 255).round().astype(np.uint8)

