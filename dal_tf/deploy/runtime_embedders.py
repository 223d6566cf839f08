"""ONNX and LiteRT exports as frame embedders: uint8 RGB NHWC frames at the trained size in,
turned into the export's input convention, its l2-normalised features out (as a tracker or a
device would run them), with onnxruntime or LiteRT's interpreter."""

from __future__ import annotations

import os

import numpy as np

from dal_tf.deploy.export_formats import EXTRA, to_convention
from dal_tf.utils.errors import UserInputError


def onnx_runner(path: str, flag: str):
    try:
        import onnxruntime
    except ImportError as error:
        raise UserInputError(f"{flag}={path}: running an ONNX export needs onnxruntime: {EXTRA}") from error
    try:
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types
        raise UserInputError(f"{flag}={path}: onnxruntime cannot load it ({str(error).splitlines()[0]})") from error
    return lambda x: session.run(["features"], {"images": x})[0]


def litert_runner(path: str, flag: str):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:
        raise UserInputError(f"{flag}={path}: running a LiteRT export needs ai-edge-litert: {EXTRA}") from error
    try:
        interpreter = Interpreter(model_path=path)
    except (ValueError, RuntimeError) as error:
        raise UserInputError(f"{flag}={path}: LiteRT cannot load it ({error})") from error
    source, target = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]
    shape = [None]

    def run(x):
        if shape[0] != x.shape:  # the batch size changed: LiteRT plans its buffers per shape
            interpreter.resize_tensor_input(source, x.shape)
            interpreter.allocate_tensors()
            shape[0] = x.shape
        interpreter.set_tensor(source, x)
        interpreter.invoke()
        return interpreter.get_tensor(target).copy()

    return run


def runtime_embed(directory: str, metadata: dict, flag: str):
    """uint8 NHWC frames [N, H, W, 3] -> features [N, D] through the export's file."""
    path = os.path.join(directory, metadata["file"])
    run = (onnx_runner if metadata["format"] == "onnx" else litert_runner)(path, flag)
    convention = metadata["input"]["convention"]
    return lambda images: run(to_convention(np.asarray(images), convention))
