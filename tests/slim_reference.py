"""An independent reference for the release's TF-slim networks, written with tf.nn ops from slim's
definitions (nets/mobilenet_v1.py, nets/resnet_v1.py, nets/resnet_utils.py), in inference mode.

It shares nothing with dal_tf.networks: the variable names and shapes, the padding rules and
the pooling are spelled out here again from slim. Also: random weights under slim's names, and
writing them as a real TF1 checkpoint with tf.compat.v1.train.Saver.
"""

import numpy as np
import tensorflow as tf

MOBILENET = "MobilenetV1"
MOBILENET_LAYERS = [(2, 32), (1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512)] + [(1, 512)] * 5 + \
                   [(2, 1024), (1, 1024)]
RESNET = "resnet_v1_50"
RESNET_BLOCKS = [(256, 64, [1, 1, 2]), (512, 128, [1, 1, 1, 2]), (1024, 256, [1] * 5 + [2]), (2048, 512, [1, 1, 1])]


def _batch_norm_shapes(scope, depth):
    return {f"{scope}/BatchNorm/{name}": (depth,) for name in ("beta", "gamma", "moving_mean", "moving_variance")}


def mobilenet_shapes(alpha=1.0):
    def depth(d):
        return max(int(d * alpha), 8)

    shapes, channels = {}, 3
    for i, (_, d) in enumerate(MOBILENET_LAYERS):
        if i == 0:
            shapes[f"{MOBILENET}/Conv2d_0/weights"] = (3, 3, channels, depth(d))
            shapes.update(_batch_norm_shapes(f"{MOBILENET}/Conv2d_0", depth(d)))
        else:
            shapes[f"{MOBILENET}/Conv2d_{i}_depthwise/depthwise_weights"] = (3, 3, channels, 1)
            shapes.update(_batch_norm_shapes(f"{MOBILENET}/Conv2d_{i}_depthwise", channels))
            shapes[f"{MOBILENET}/Conv2d_{i}_pointwise/weights"] = (1, 1, channels, depth(d))
            shapes.update(_batch_norm_shapes(f"{MOBILENET}/Conv2d_{i}_pointwise", depth(d)))
        channels = depth(d)
    return shapes


def resnet_shapes():
    shapes = {f"{RESNET}/conv1/weights": (7, 7, 3, 64)}
    shapes.update(_batch_norm_shapes(f"{RESNET}/conv1", 64))
    channels = 64
    for b, (depth, bottleneck, strides) in enumerate(RESNET_BLOCKS, 1):
        for u in range(1, len(strides) + 1):
            unit = f"{RESNET}/block{b}/unit_{u}/bottleneck_v1"
            if channels != depth:
                shapes[f"{unit}/shortcut/weights"] = (1, 1, channels, depth)
                shapes.update(_batch_norm_shapes(f"{unit}/shortcut", depth))
            for name, shape in (("conv1", (1, 1, channels, bottleneck)), ("conv2", (3, 3, bottleneck, bottleneck)),
                                ("conv3", (1, 1, bottleneck, depth))):
                shapes[f"{unit}/{name}/weights"] = shape
                shapes.update(_batch_norm_shapes(f"{unit}/{name}", shape[-1]))
            channels = depth
    return shapes


def random_weights(shapes, seed=0):
    """He-scaled kernels and BatchNorm statistics that keep activations of order one."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in shapes.items():
        if name.endswith("weights"):
            fan_in = np.prod(shape[:3]) if not name.endswith("depthwise_weights") else np.prod(shape[:2])
            value = rng.normal(0, np.sqrt(2.0 / fan_in), shape)
        elif name.endswith("gamma"):
            value = rng.uniform(0.2, 0.6 if "conv3" in name else 1.2, shape)
        elif name.endswith("beta"):
            value = rng.normal(0, 0.1, shape)
        elif name.endswith("moving_mean"):
            value = rng.normal(0, 0.2, shape)
        else:
            value = rng.uniform(0.5, 2.0, shape)
        weights[name] = value.astype(np.float32)
    return weights


def write_tf1_checkpoint(weights, prefix, version=2):
    """A TF1 checkpoint as slim's training wrote them, plus a classifier and a global step that a
    feature extractor must ignore. version 1: a single file (resnet_v1_50.ckpt is one)."""
    extra = {"Logits/weights": np.ones((1, 1, 8, 5), np.float32), "global_step": np.int64(7)}
    with tf.Graph().as_default():
        variables = [tf.compat.v1.Variable(value, name=name) for name, value in {**weights, **extra}.items()]
        write_version = tf.compat.v1.train.SaverDef.V1 if version == 1 else tf.compat.v1.train.SaverDef.V2
        saver = tf.compat.v1.train.Saver(variables, write_version=write_version)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return saver.save(session, prefix, write_meta_graph=False)


def _bn(x, w, scope, epsilon):
    b = f"{scope}/BatchNorm/"
    return tf.nn.batch_normalization(x, w[b + "moving_mean"], w[b + "moving_variance"], w[b + "beta"], w[b + "gamma"],
                                     epsilon)


def mobilenet_v1(images, w):
    """slim mobilenet_v1 (is_training=False) up to AvgPool_1a, squeezed: [N, depth]."""
    x = tf.nn.conv2d(images, w[f"{MOBILENET}/Conv2d_0/weights"], strides=2, padding="SAME")
    x = tf.nn.relu6(_bn(x, w, f"{MOBILENET}/Conv2d_0", 1e-3))
    for i, (stride, _) in enumerate(MOBILENET_LAYERS[1:], 1):
        scope = f"{MOBILENET}/Conv2d_{i}_depthwise"
        x = tf.nn.depthwise_conv2d(x, w[f"{scope}/depthwise_weights"], [1, stride, stride, 1], "SAME")
        x = tf.nn.relu6(_bn(x, w, scope, 1e-3))
        scope = f"{MOBILENET}/Conv2d_{i}_pointwise"
        x = tf.nn.relu6(_bn(tf.nn.conv2d(x, w[f"{scope}/weights"], 1, "SAME"), w, scope, 1e-3))
    # AvgPool_1a: slim.avg_pool2d with the 7x7 kernel reduced to the map, VALID, slim's stride 2.
    kernel = [min(x.shape[1], 7), min(x.shape[2], 7)]
    x = tf.nn.avg_pool2d(x, kernel, strides=2, padding="VALID")
    return tf.squeeze(x, [1, 2])


def _conv2d_same(x, kernel, stride):
    if stride == 1:
        return tf.nn.conv2d(x, kernel, 1, "SAME")
    pad = kernel.shape[0] - 1
    x = tf.pad(x, [[0, 0], [pad // 2, pad - pad // 2], [pad // 2, pad - pad // 2], [0, 0]])
    return tf.nn.conv2d(x, kernel, stride, "VALID")


def resnet_v1_50(images, w):
    """slim resnet_v1_50 (is_training=False, global_pool) without logits: [N, 2048]."""
    eps = 1e-5
    x = tf.nn.relu(_bn(_conv2d_same(images, w[f"{RESNET}/conv1/weights"], 2), w, f"{RESNET}/conv1", eps))
    x = tf.nn.max_pool2d(x, 3, 2, "SAME")
    for b, (depth, _, strides) in enumerate(RESNET_BLOCKS, 1):
        for u, stride in enumerate(strides, 1):
            unit = f"{RESNET}/block{b}/unit_{u}/bottleneck_v1"
            if x.shape[-1] == depth:
                shortcut = x if stride == 1 else tf.nn.max_pool2d(x, 1, stride, "SAME")
            else:
                shortcut = _bn(tf.nn.conv2d(x, w[f"{unit}/shortcut/weights"], stride, "SAME"), w, f"{unit}/shortcut", eps)
            r = tf.nn.relu(_bn(tf.nn.conv2d(x, w[f"{unit}/conv1/weights"], 1, "SAME"), w, f"{unit}/conv1", eps))
            r = tf.nn.relu(_bn(_conv2d_same(r, w[f"{unit}/conv2/weights"], stride), w, f"{unit}/conv2", eps))
            r = _bn(tf.nn.conv2d(r, w[f"{unit}/conv3/weights"], 1, "SAME"), w, f"{unit}/conv3", eps)
            x = tf.nn.relu(shortcut + r)
    return tf.reduce_mean(x, [1, 2])
