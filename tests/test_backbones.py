"""The networks are TF-slim's, checked against an independent tf.nn reference (slim_reference.py)
through real TF1 checkpoints, Keras weights files and the --weights=imagenet download."""

import os
import tarfile

import keras
import numpy as np
import pytest
import slim_reference as ref
from conftest import MOBILENET_WEIGHTS

from dal_tf.config import ModelConfig
from dal_tf.networks import backbones, imagenet
from dal_tf.utils.errors import UserInputError

SIZES = [(224, 112), (97, 51)]  # the release's input, and an odd size where Keras' MobileNet differs


def images(height, width, n=2, seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (n, height, width, 3)).astype(np.float32)


def assert_close(actual, expected, rtol=1e-5):
    """Equal to rtol relative to the largest feature."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= rtol * np.abs(expected).max()


@pytest.fixture(scope="module")
def mobilenet_checkpoint(tmp_path_factory):
    weights = ref.random_weights(ref.mobilenet_shapes(), seed=3)
    folder = tmp_path_factory.mktemp("mobilenet_ckpt")
    return weights, ref.write_tf1_checkpoint(weights, str(folder / "mobilenet_v1_1.0_224.ckpt"), version=2)


@pytest.fixture(scope="module")
def resnet_checkpoint(tmp_path_factory):
    weights = ref.random_weights(ref.resnet_shapes(), seed=4)
    folder = tmp_path_factory.mktemp("resnet_ckpt")
    return weights, ref.write_tf1_checkpoint(weights, str(folder / "resnet_v1_50.ckpt"), version=1)


@pytest.mark.parametrize("height,width", SIZES)
def test_mobilenet_from_slim_checkpoint_equals_slim_reference(mobilenet_checkpoint, height, width):
    weights, prefix = mobilenet_checkpoint
    model = backbones.build_backbone("mobilenet", prefix, height, width)
    x = images(height, width)
    assert_close(model(x, training=False), ref.mobilenet_v1(x, weights))


@pytest.mark.slow
@pytest.mark.parametrize("height,width", SIZES)
def test_resnet50_from_v1_checkpoint_equals_slim_reference(resnet_checkpoint, height, width):
    weights, prefix = resnet_checkpoint
    model = backbones.build_backbone("resnet50", prefix, height, width)
    x = images(height, width)
    features = model(x, training=False)
    assert features.shape == (2, 2048)
    assert_close(features, ref.resnet_v1_50(x, weights))


@pytest.mark.parametrize("name,count,momentum,epsilon", [("mobilenet", 27, 0.9997, 1e-3), ("resnet50", 53, 0.997, 1e-5)])
def test_every_batchnorm_has_slims_decay_and_epsilon(name, count, momentum, epsilon):
    def settings(model):
        norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
        assert len(norms) == count
        return {(layer.momentum, layer.epsilon, layer.center, layer.scale) for layer in norms}

    assert settings(backbones.build_backbone(name, "none", 64, 32)) == {(momentum, epsilon, True, True)}
    short_runs = backbones.build_backbone(name, "none", 64, 32, batchnorm_decay=0.99)
    assert settings(short_runs) == {(0.99, epsilon, True, True)}


def keras_applications_weights_as_slim(model):
    """keras.applications.MobileNet's weights under slim's names, read by its own layer names."""
    weights = {}

    def put(scope, keras_name):
        weights.update({f"{ref.MOBILENET}/{scope}/BatchNorm/{v}": value.numpy() for v, value in zip(
            ("gamma", "beta", "moving_mean", "moving_variance"), model.get_layer(f"{keras_name}_bn").weights)})

    weights[f"{ref.MOBILENET}/Conv2d_0/weights"] = model.get_layer("conv1").kernel.numpy()
    put("Conv2d_0", "conv1")
    for i in range(1, 14):
        weights[f"{ref.MOBILENET}/Conv2d_{i}_depthwise/depthwise_weights"] = model.get_layer(f"conv_dw_{i}").kernel.numpy()
        put(f"Conv2d_{i}_depthwise", f"conv_dw_{i}")
        weights[f"{ref.MOBILENET}/Conv2d_{i}_pointwise/weights"] = model.get_layer(f"conv_pw_{i}").kernel.numpy()
        put(f"Conv2d_{i}_pointwise", f"conv_pw_{i}")
    return weights


@pytest.mark.skipif(not os.path.exists(MOBILENET_WEIGHTS), reason="needs ../shared/weights")
def test_shared_keras_mobilenet_file_equals_slim_reference_at_224x112():
    applications = keras.applications.MobileNet(include_top=False, weights=None, input_shape=(224, 224, 3),
                                                pooling="avg")
    applications.load_weights(MOBILENET_WEIGHTS)
    model = backbones.build_backbone("mobilenet", MOBILENET_WEIGHTS, 224, 112)
    x = images(224, 112)
    assert_close(model(x, training=False), ref.mobilenet_v1(x, keras_applications_weights_as_slim(applications)))


@pytest.mark.parametrize("suffix", [".weights.h5", ".h5"])
def test_keras_applications_weights_files_load(tmp_path, suffix):
    """Both of keras.applications' formats: Keras 3 files and the legacy HDF5 of its ImageNet download."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    applications = keras.applications.MobileNet(include_top=False, weights=None, input_shape=(64, 32, 3),
                                                pooling="avg", alpha=0.25)
    path = str(tmp_path / f"mobilenet{suffix}")
    if suffix == ".weights.h5":
        applications.save_weights(path)
    else:
        with h5py.File(path, "w") as handle:
            legacy_h5_format.save_weights_to_hdf5_group(handle, applications)
    model = backbones.build_backbone("mobilenet", path, 64, 32, alpha=0.25)
    x = images(64, 32)  # an even size, where the two networks agree
    np.testing.assert_allclose(model(x, training=False), applications(x, training=False), atol=1e-5)


def test_missing_or_misshapen_variable_is_named(tmp_path):
    weights = ref.random_weights(ref.mobilenet_shapes(alpha=0.25))
    missing = "MobilenetV1/Conv2d_3_depthwise/BatchNorm/moving_variance"
    prefix = ref.write_tf1_checkpoint({k: v for k, v in weights.items() if k != missing}, str(tmp_path / "m.ckpt"))
    with pytest.raises(UserInputError, match=f"has no variable {missing}"):
        backbones.build_backbone("mobilenet", prefix, 64, 32, alpha=0.25)
    with pytest.raises(UserInputError, match=r"MobilenetV1/Conv2d_0/weights has shape \(3, 3, 3, 8\), the network "
                                             r"needs \(3, 3, 3, 16\)"):
        backbones.build_backbone("mobilenet", prefix, 64, 32, alpha=0.5)


def test_moving_statistics_can_start_as_the_releases(mobilenet_checkpoint):
    weights, prefix = mobilenet_checkpoint
    model = backbones.build_backbone("mobilenet", prefix, 64, 32, restore_moving_statistics=False)
    norm = model.get_layer("Conv2d_5_pointwise.BatchNorm")
    np.testing.assert_array_equal(norm.moving_mean.numpy(), 0.0)
    np.testing.assert_array_equal(norm.moving_variance.numpy(), 1.0)
    np.testing.assert_array_equal(norm.gamma.numpy(), weights["MobilenetV1/Conv2d_5_pointwise/BatchNorm/gamma"])


def test_imagenet_downloads_the_release_archive_once(mobilenet_checkpoint, tmp_path, monkeypatch):
    weights, prefix = mobilenet_checkpoint
    archive = tmp_path / "mobilenet_v1_1.0_224.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        for suffix in (".index", ".data-00000-of-00001"):
            tar.add(prefix + suffix, arcname="./mobilenet_v1_1.0_224.ckpt" + suffix)
    monkeypatch.setitem(imagenet.ARCHIVES, "mobilenet", archive.as_uri())
    cache = str(tmp_path / "cache")
    logged = []
    model = backbones.build_backbone("mobilenet", "imagenet", 224, 112, cache_dir=cache, log=logged.append)
    x = images(224, 112)
    assert_close(model(x, training=False), ref.mobilenet_v1(x, weights))
    assert any("downloading" in line for line in logged)

    archive.unlink()  # the second time reads the cache
    again = backbones.build_backbone("mobilenet", "imagenet", 224, 112, cache_dir=cache, log=logged.append)
    assert_close(again(x, training=False), ref.mobilenet_v1(x, weights))
    assert sum("downloading" in line for line in logged) == 1


def test_failed_imagenet_download_suggests_weights_path_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(imagenet.ARCHIVES, "resnet50", (tmp_path / "absent.tar.gz").as_uri())
    with pytest.raises(UserInputError, match=r"^--weights=imagenet: cannot download .*--weights=PATH") as error:
        backbones.build_backbone("resnet50", "imagenet", 64, 32, cache_dir=str(tmp_path / "cache"), log=lambda _: None)
    assert "\n" not in str(error.value)
    assert os.listdir(tmp_path / "cache" / "imagenet") == []


@pytest.mark.parametrize("settings,message", [
    (dict(weights="imagenet", alpha=0.3), r"--alpha=0.3: the release's ImageNet checkpoint is MobileNet v1 1.0"),
    (dict(backbone="resnet50", weights="none", alpha=0.5), r"--alpha=0.5 applies to mobilenet only"),
    (dict(backbone="vgg"), r"--backbone='vgg' is not one of mobilenet, resnet50"),
])
def test_bad_backbone_settings_are_one_line_errors(settings, message):
    with pytest.raises(UserInputError, match=message):
        ModelConfig(**settings)


def test_missing_weights_file_is_named():
    with pytest.raises(UserInputError, match=r"--weights=no/such.ckpt: no such checkpoint or weights file"):
        backbones.build_backbone("mobilenet", "no/such.ckpt", 64, 32)
