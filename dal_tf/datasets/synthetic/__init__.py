"""`--dataset=synthetic`: procedurally rendered pedestrians in PRID 2011's layout.

It lets the whole pipeline run, and DAL visibly learn, without downloading a data set. The images
carry what DAL exploits and what makes real re-id hard: identity lives in clothing, hair, build
and carried bags drawn from small palettes (so some people look alike); the two cameras differ
in colour cast, tone curve, blur, background and viewpoint; frames within a tracklet differ in
walking pose, position, scale, occlusion and noise.

The package: spec (what a data set holds), people (a person's look and drawing), scenes (a camera
and a tracklet, frame by frame), cache (the rendered tree on disk) and loader (what --dataset=
synthetic loads; the only part a user touches).
"""

from dal_tf.datasets.synthetic.cache import generate
from dal_tf.datasets.synthetic.loader import load_synthetic, split_test_people
from dal_tf.datasets.synthetic.spec import SyntheticSpec

__all__ = ["SyntheticSpec", "generate", "load_synthetic", "split_test_people"]
