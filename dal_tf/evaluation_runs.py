"""Evaluating trained runs and exported SavedModels on one or several splits (dal_tf.evaluate).

A model is never evaluated on another split of the data set it was trained on: those test
people were its training people. A path holding "{split}" names one model per split.
"""

from __future__ import annotations

import contextlib
import dataclasses

from dal_tf import evaluation, features, metrics, training
from dal_tf.config import DataConfig
from dal_tf.datasets import registry
from dal_tf.errors import UserInputError

SPLIT_FIELD = "{split}"


@dataclasses.dataclass(frozen=True)
class EvalRequest:
    source: str  # --train_dir or --saved_model value
    source_flag: str  # "--train_dir" | "--saved_model"
    checkpoint: str = ""
    dataset: str | None = None
    data_dir: str | None = None
    splits: tuple[int, ...] = ()  # empty: the model's training split
    protocol: str = ""
    pooling: str = "max"
    probe_cam: str = ""  # two-camera sets: 1, 2 or both directions; empty: the data set's reported one(s)
    batch_size: int = 128


def parse_splits(text: str) -> tuple[int, ...]:
    """'3' -> (3,); '1-10' -> (1, ..., 10); '1,4,7' -> (1, 4, 7); '' -> ()."""
    try:
        splits = []
        for part in filter(None, text.split(",")):
            first, _, last = part.partition("-")
            splits.extend(range(int(first), int(last or first) + 1))
    except ValueError:
        splits = None
    if splits is None or any(s < 1 for s in splits) or len(set(splits)) != len(splits) or (text and not splits):
        raise UserInputError(f"--splits={text} is not a list of distinct splits >= 1 such as 1-10 or 1,3,5")
    return tuple(splits)


@contextlib.contextmanager
def open_model(request: EvalRequest, path: str):
    """Yields (FrameEmbedder, the DataConfig it was trained with, or None when unknown)."""
    if request.source_flag == "--saved_model":
        embedder, metadata = features.saved_model_embedder(path)
        trained_on = DataConfig(dataset=metadata["dataset"], split=metadata["split"]) if "dataset" in metadata else None
        yield embedder, trained_on
        return
    checkpoint = request.checkpoint or training.latest_checkpoint(path)
    model, config = training.restore_for_inference(path, checkpoint)
    with model.averaged_weights():
        yield features.model_embedder(model, config.model, training.checkpoint_step(checkpoint)), config.data


def evaluate_split(request: EvalRequest, split: int | None, log) -> dict:
    """One model on one split; split None: the split the model was trained on."""
    path = request.source.replace(SPLIT_FIELD, str(split))
    with open_model(request, path) as (embedder, trained_on):
        dataset_name = request.dataset or (trained_on.dataset if trained_on else "")
        if not dataset_name:
            raise UserInputError(f"{request.source_flag}={path} does not say which data set it was trained on; "
                                 "give --dataset")
        same_data = trained_on is not None and trained_on.dataset == dataset_name
        split = split or (trained_on.split if same_data else 1)
        if same_data and trained_on.split != split:
            raise UserInputError(
                f"{request.source_flag}={path} was trained on split {trained_on.split} of {dataset_name}; split "
                f"{split} tests on people it trained on. Give one model per split with {SPLIT_FIELD} in the path")
        data_dir = request.data_dir if request.data_dir is not None else (trained_on.data_dir if same_data else "")
        dataset = registry.load(DataConfig(dataset=dataset_name, data_dir=data_dir, split=split))
        protocol = request.protocol or dataset.protocol
        scores = evaluation.evaluate(embedder, dataset, batch_size=request.batch_size, pooling=request.pooling,
                                     protocol=protocol, probe_cam=request.probe_cam)
    log(f"{dataset_name} split {split}: {path} (step {embedder.step}): rank-1 {scores['rank1']:.1f}, "
        f"mAP {scores['mAP']:.1f}")
    return dict(split=split, path=path, step=embedder.step, dataset=dataset_name, protocol=protocol,
                probe_cam=scores["probe_cam"], scores=scores)


def run(request: EvalRequest, log=print) -> dict:
    """Evaluates every requested split; returns what --results_json holds."""
    if request.protocol and request.protocol not in metrics.PROTOCOLS:
        raise UserInputError(f"--protocol={request.protocol} is not one of {', '.join(metrics.PROTOCOLS)}")
    if SPLIT_FIELD in request.source and not request.splits:
        raise UserInputError(f"{request.source_flag}={request.source} names one model per split; give --splits")
    if len(request.splits) > 1 and SPLIT_FIELD not in request.source:
        raise UserInputError(f"--splits={','.join(map(str, request.splits))} needs one model per split: put "
                             f"{SPLIT_FIELD} in {request.source_flag}")
    results = [evaluate_split(request, split, log) for split in (request.splits or (None,))]
    first = results[0]
    rows = {f"{r['dataset']} split {r['split']}, step {r['step']}": r["scores"] for r in results}
    summary = dict(dataset=first["dataset"], protocol=first["protocol"], pooling=request.pooling,
                   probe_cam=first["probe_cam"], weights="ema",
                   source={request.source_flag.lstrip("-"): request.source}, splits=results)
    spread = {}
    if len(results) > 1:
        summary["mean"], summary["std"] = evaluation.mean_and_std([r["scores"] for r in results])
        name = f"mean ± std over {len(results)} splits"
        rows[name], spread[name] = summary["mean"], summary["std"]
    log(f"protocol {first['protocol']}, {request.pooling} pooling, probe camera {first['probe_cam']}")
    log(evaluation.format_table(rows, spread))
    return summary
