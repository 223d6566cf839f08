"""What a synthetic data set holds: how many people, tracklets and frames, at what size, from
which seed; and the seeded random streams its parts draw from."""

from __future__ import annotations

import dataclasses

# Separate RNG streams, so that e.g. adding a frame never changes a person's look.
IDENTITY, TRACKLET, FRAME, SCENE, SPLIT = range(5)
CAM_B_ONLY_ID_OFFSET = 100000  # cam_b-only people are not cam_a's people with the same number


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

