"""ONNX and LiteRT exports against the SavedModel of the same weights: onnxruntime's and LiteRT's
features on random frames and on synthetic crops, batch 1 and 37, both input conventions,
MobileNet (ImageNet weights from ../shared, else random) and ResNet-50 (random); the metadata; the
missing extra; and match on an ONNX export.

ONNX must be within 1e-5 of the largest feature, or, where TensorFlow's own rounding is larger
(random deep networks amplify it: ResNet-50's features move by 5e-5 of the largest when only its
BatchNorm switches from the fused kernel to the unfused ops), within 3 times that noise floor."""

import glob
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from conftest import MOBILENET_WEIGHTS, run_module

from dal_tf.config import ModelConfig, TrainConfig
from dal_tf.datasets import input_pipeline
from dal_tf.deploy import export_formats
from dal_tf.deploy.saved_model import METADATA, export_saved_model
from dal_tf.evaluation import features
from dal_tf.networks import backbones
from dal_tf.networks.parts import layout, num_parts
from dal_tf.runs.checkpoints import TrainedNetwork
from dal_tf.utils.errors import UserInputError

pytestmark = pytest.mark.slow
pytest.importorskip("tf2onnx")
pytest.importorskip("onnxruntime")
HEIGHT, WIDTH = 64, 32
FLOAT16_BOUND = 2e-2  # absolute; measured up to 1.3e-2 (ImageNet MobileNet, 64x32) and 2.5e-3 (random)


def network(name: str, parts: int = 0):
    """MobileNet with the ImageNet weights where ../shared has them; else a random network whose
    BatchNorm statistics have seen frames (with the initial ones, a random MobileNet maps every
    frame to one feature, and any export would match)."""
    imagenet = name == "mobilenet" and os.path.isfile(MOBILENET_WEIGHTS)
    alpha = 0.25 if name == "mobilenet" and not imagenet else 1.0
    backbone = backbones.build_backbone(name, MOBILENET_WEIGHTS if imagenet else "none", HEIGHT, WIDTH, alpha,
                                        batchnorm_decay=0.1, parts=parts, log=lambda _: None)
    rng = np.random.default_rng(0)
    for _ in range(0 if imagenet else 4):
        backbone(tf.constant(rng.uniform(-1, 1, (8, HEIGHT, WIDTH, 3)).astype(np.float32)), training=True)
    config = TrainConfig(model=ModelConfig(backbone=name, weights="none", alpha=alpha, image_height=HEIGHT,
                                           image_width=WIDTH, parts=parts))
    return TrainedNetwork(backbone, 0.9999), config


@pytest.fixture(scope="module")
def frames(tiny_synthetic_root):
    """Random uint8 frames and synthetic crops (resized as match feeds them), 37 each."""
    paths = sorted(glob.glob(os.path.join(tiny_synthetic_root, "**", "*.png"), recursive=True))[:37]
    crops = next(iter(input_pipeline.uint8_frames_dataset(paths, 37, HEIGHT, WIDTH))).numpy()
    noise = np.random.default_rng(1).integers(0, 256, (37, HEIGHT, WIDTH, 3)).astype(np.uint8)
    return dict(random=noise, crops=crops)


@pytest.fixture(scope="module", params=["mobilenet", "resnet50", "mobilenet_parts"])
def exports(request, tmp_path_factory):
    """--parts=2 (the most at 64x32): the stripes' slices and per-part normalisation in each format."""
    model, config = network(request.param.removesuffix("_parts"), parts=2 if request.param.endswith("_parts") else 0)
    root = tmp_path_factory.mktemp(f"exports_{request.param}")
    export_saved_model(model, config, str(root / "saved_model"), step=0, training_people={})
    kinds = [("onnx", c, "none") for c in ("uint8_nhwc", "imagenet_nchw")]
    if request.param == "mobilenet_parts":
        kinds += [("litert", "uint8_nhwc", "none")]
    if request.param == "mobilenet":
        kinds += [("litert", "uint8_nhwc", "none"), ("litert", "imagenet_nhwc", "none"),
                  ("litert", "uint8_nhwc", "float16")]
    for fmt, convention, quantize in kinds:
        export_formats.export_runtime(model, config, str(root / f"{fmt}_{convention}_{quantize}"), fmt=fmt,
                                      convention=convention, quantize=quantize, step=0, training_people={})
    return root, kinds, model


def noise_floor(model, images) -> float:
    """How far TensorFlow's own features move when BatchNorm runs as ops instead of the fused
    kernel: the float rounding this network amplifies."""
    from dal_tf.networks.batch_norm import BatchNormalization

    layers = [layer for layer in model.backbone.layers if isinstance(layer, BatchNormalization)]
    outputs = []
    with model.averaged_weights():
        for fused in (None, False):
            for layer in layers:
                layer.fused = fused
            function = export_formats.embedding_function(model.backbone, "uint8_nhwc", HEIGHT, WIDTH)
            outputs.append(function(tf.constant(images))["features"].numpy())
    return float(np.abs(outputs[0] - outputs[1]).max())


def embedded(path, images):
    embedder, _ = features.saved_model_embedder(str(path))
    return np.asarray(embedder.embed(tf.constant(images)))


@pytest.mark.parametrize("source", ["random", "crops"])
@pytest.mark.parametrize("batch", [1, 37])
def test_exports_give_the_saved_models_features(exports, frames, source, batch):
    root, kinds, model = exports
    assert np.ptp(embedded(root / "saved_model", frames[source]), axis=0).max() > 1e-3  # the frames' features differ
    images = frames[source][:batch]
    reference = embedded(root / "saved_model", images)
    onnx_bound = max(1e-5 * np.abs(reference).max(), 3 * noise_floor(model, images))
    for fmt, convention, quantize in kinds:
        got = embedded(root / f"{fmt}_{convention}_{quantize}", images)
        bound = onnx_bound if fmt == "onnx" else 1e-4 if quantize == "none" else FLOAT16_BOUND
        assert got.shape == reference.shape and np.abs(got - reference).max() <= bound, (fmt, convention, quantize)


def test_onnx_graph_names_dynamic_batch_and_metadata(exports):
    import onnxruntime

    root, _, model = exports
    session = onnxruntime.InferenceSession(str(root / "onnx_imagenet_nchw_none" / "model.onnx"))
    (given,), (out,) = session.get_inputs(), session.get_outputs()
    assert (given.name, given.shape, out.name) == ("images", ["batch", 3, HEIGHT, WIDTH], "features")
    metadata = json.load(open(root / "onnx_imagenet_nchw_none" / METADATA))
    assert metadata["input"] == dict(
        export_formats.INPUTS["imagenet_nchw"], name="images", convention="imagenet_nchw", height=HEIGHT, width=WIDTH,
        batch="dynamic")
    assert metadata["output"]["l2_normalised"] and metadata["output"]["dim"] == out_dim(session)
    assert metadata["parts"] == num_parts(model.backbone)
    assert metadata["output"]["layout"] == layout(metadata["parts"])
    for key in ("pooling", "resize", "threshold", "dataset", "step", "association", "backbone", "dal_tf_version",
                "onnx_opset"):
        assert key in metadata, key
    assert "legacy bilinear" in metadata["resize"]


def out_dim(session):
    return session.get_outputs()[0].shape[1]


def test_without_tf2onnx_the_onnx_export_names_the_extra(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # import fails as if not installed
    model, config = network("mobilenet")
    with pytest.raises(UserInputError, match=r"pip install '\.\[export\]'"):
        export_formats.export_runtime(model, config, str(tmp_path / "out"), fmt="onnx", convention="uint8_nhwc",
                                      quantize="none", step=0, training_people={})
    assert not (tmp_path / "out").exists()


def test_match_ranks_alike_with_the_onnx_export(exports, tiny_synthetic_root, tmp_path):
    root, _, _ = exports
    query = os.path.join(tiny_synthetic_root, "prid_2011", "multi_shot", "cam_a")
    gallery = os.path.join(tiny_synthetic_root, "prid_2011", "multi_shot", "cam_b")
    orders = []
    for export in (root / "saved_model", root / "onnx_imagenet_nchw_none" / "model.onnx"):
        table = tmp_path / f"{len(orders)}.csv"
        result = run_module("dal_tf.match", [f"--saved_model={export}", f"--query={query}", f"--gallery={gallery}",
                                             "--top_k=5", f"--csv={table}"])
        assert result.returncode == 0, result.stderr[-2000:]
        orders.append([line.split(",")[:3] for line in table.read_text().splitlines()])
    assert orders[0] == orders[1]
