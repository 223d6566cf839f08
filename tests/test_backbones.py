"""Backbone weights: from a Keras weights file, and the advice when ImageNet cannot download."""

import os

import h5py
import keras
import numpy as np
import pytest

from conftest import MOBILENET_WEIGHTS
from dal_tf import backbones
from dal_tf.errors import UserInputError


@pytest.mark.skipif(not os.path.exists(MOBILENET_WEIGHTS), reason="needs ../shared/weights")
def test_weights_file_is_loaded():
    model = backbones.build_backbone("mobilenet", MOBILENET_WEIGHTS, 64, 32)
    with h5py.File(MOBILENET_WEIGHTS) as stored:
        first_kernel = stored["layers/conv2d/vars/0"][()]
    np.testing.assert_array_equal(model.get_layer("conv1").kernel.numpy(), first_kernel)
    assert backbones.feature_dim(model) == 1024


def test_failed_imagenet_download_suggests_a_weights_file(monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(keras.src.utils.file_utils, "get_file", offline)
    with pytest.raises(UserInputError, match=r"--weights=imagenet: could not download .* --weights=PATH"):
        backbones.build_backbone("mobilenet", "imagenet", 64, 32)


def test_resnet50_features_are_2048_d():
    assert backbones.feature_dim(backbones.build_backbone("resnet50", "none", 64, 32)) == 2048
