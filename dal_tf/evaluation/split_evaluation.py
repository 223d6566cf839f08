"""What dal_tf.evaluate does: score a training run or an exported SavedModel on one or several
splits, never on people the model trained on.

A path holding "{split}" names one model per split (PRID 2011 and iLIDS-VID train one model on
each of their 10 splits). Every run and export records its training people (the data set and
their person ids); any evaluation whose queries or gallery hold one of them is refused, whatever
the flags (another split, another checkpoint, a data directory prepared with other splits).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os

import numpy as np

from dal_tf.config import DataConfig, EvalRequest
from dal_tf.datasets import registry
from dal_tf.evaluation import features, scoring
from dal_tf.runs import checkpoints
from dal_tf.runs.run_files import training_people
from dal_tf.utils.errors import UserInputError

SPLIT_FIELD = "{split}"


@dataclasses.dataclass(frozen=True)
class TrainedOn:
    """What a model remembers of its training: its data settings (an export keeps no data
    directory), its pooling, and its training people (None: not recorded)."""

    data: DataConfig
    pooling: str
    training_people: dict | None


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


def run_checkpoint(request: EvalRequest, run_dir: str, split: int | None) -> str:
    """The checkpoint to read: --checkpoint (with {split} filled in), which must be one of the
    run's own, or the run's latest."""
    if not request.checkpoint:
        return checkpoints.latest_checkpoint(run_dir)
    path = request.checkpoint.replace(SPLIT_FIELD, str(split))
    if not os.path.isfile(f"{path}.index"):
        raise UserInputError(f"--checkpoint={path}: no such checkpoint (expected a prefix such as "
                             f"{os.path.join(run_dir, checkpoints.CHECKPOINTS, 'ckpt-800')})")
    own = os.path.realpath(os.path.join(run_dir, checkpoints.CHECKPOINTS))
    if os.path.realpath(os.path.dirname(path)) != own:
        raise UserInputError(f"--checkpoint={path} is not a checkpoint of --train_dir={run_dir} (its checkpoints "
                             f"are in {own}); the run's settings and training people would not be the weights'")
    return path


@contextlib.contextmanager
def open_model(request: EvalRequest, path: str, split: int | None):
    """Yields (FrameEmbedder, TrainedOn)."""
    if request.saved_model:
        embedder, metadata = features.saved_model_embedder(path)
        data = metadata.get("data") or dict(dataset=metadata.get("dataset", ""), split=metadata.get("split", 1))
        yield embedder, TrainedOn(DataConfig(**data), "max", metadata.get("training_people"))
        return
    checkpoint = run_checkpoint(request, path, split)
    network, config = checkpoints.restore_for_inference(path, checkpoint)
    people = training_people(path)
    with network.averaged_weights():
        yield (features.model_embedder(network, config.model, checkpoints.checkpoint_step(checkpoint)),
               TrainedOn(config.data, config.pooling, people))


def refuse_training_people(request: EvalRequest, path: str, trained: TrainedOn, dataset, split: int):
    """Stops an evaluation whose test people include any of the model's training people."""
    if trained.training_people is None:
        raise UserInputError(f"{request.source_flag}={path} does not record its training people, so it cannot be "
                             "evaluated safely; train or export it again with this dal_tf")
    if trained.training_people["dataset"] != dataset.name:
        return  # other data sets, other people
    tested = np.concatenate([dataset.query.person_ids(), dataset.gallery.person_ids()])
    overlap = sorted(set(trained.training_people["person_ids"]) & {int(p) for p in tested if p >= 0})
    if overlap:
        raise UserInputError(
            f"{request.source_flag}={path} was trained on {len(overlap)} of the test people of {dataset.name} split "
            f"{split} (person ids {', '.join(map(str, overlap[:5]))}{', ...' if len(overlap) > 5 else ''}); a model "
            f"is never evaluated on its training people. Give one model per split with {SPLIT_FIELD} in the path")


def evaluate_split(request: EvalRequest, split: int | None, log) -> dict:
    """One model on one split; split None: the split the model was trained on."""
    path = request.source.replace(SPLIT_FIELD, str(split))
    with open_model(request, path, split) as (embedder, trained):
        dataset_name = request.dataset or trained.data.dataset
        if not dataset_name:
            raise UserInputError(f"{request.source_flag}={path} does not say which data set it was trained on; "
                                 "give --dataset")
        same_data = trained.data.dataset == dataset_name
        split = split or (trained.data.split if same_data else 1)
        data_dir = request.data_dir or (trained.data.data_dir if same_data else "")
        # The same data set is read as in training (folders: the same test people and filters).
        data = (dataclasses.replace(trained.data, data_dir=data_dir, split=split) if same_data
                else DataConfig(dataset=dataset_name, data_dir=data_dir, split=split))
        dataset = registry.load(data, log)
        if not dataset.query.tracklets:
            raise UserInputError(f"{request.source_flag}={path}: {scoring.NOTHING_TO_SCORE}")
        refuse_training_people(request, path, trained, dataset, split)
        protocol = request.protocol or dataset.protocol
        pooling = request.pooling or trained.pooling
        scores = scoring.score_test_split(embedder, dataset, batch_size=request.eval_batch_size, pooling=pooling,
                                          protocol=protocol, probe_cam=request.probe_cam, rerank=request.reranking,
                                          log=log)
    log(f"{dataset_name} split {split}: {path} (step {embedder.step}): rank-1 {scores['rank1']:.1f}, "
        f"mAP {scores['mAP']:.1f}")
    return dict(split=split, path=path, step=embedder.step, dataset=dataset_name, protocol=protocol,
                pooling=pooling, probe_cam=scores["probe_cam"], scores=scores)


def evaluate_splits(request: EvalRequest, log=print) -> dict:
    """Evaluates every requested split; returns what --results_json holds."""
    splits = parse_splits(request.splits)
    if SPLIT_FIELD in request.source and not splits:
        raise UserInputError(f"{request.source_flag}={request.source} names one model per split; give --splits")
    if len(splits) > 1 and SPLIT_FIELD not in request.source:
        raise UserInputError(f"--splits={request.splits} needs one model per split: put {SPLIT_FIELD} in "
                             f"{request.source_flag}")
    results = [evaluate_split(request, split, log) for split in (splits or (None,))]
    first = results[0]
    rows = {f"{r['dataset']} split {r['split']}, step {r['step']}": r["scores"] for r in results}
    summary = dict(dataset=first["dataset"], protocol=first["protocol"], pooling=first["pooling"],
                   probe_cam=first["probe_cam"], weights="ema", rerank=dataclasses.asdict(request.reranking),
                   source={request.source_flag.lstrip("-"): request.source}, splits=results)
    spread = {}
    if len(results) > 1:
        summary["mean"], summary["std"] = scoring.mean_and_std([r["scores"] for r in results])
        name = f"mean ± std over {len(results)} splits"
        rows[name], spread[name] = summary["mean"], summary["std"]
    reranked = (f", k-reciprocal re-ranking (k1 {request.reranking.rerank_k1}, k2 {request.reranking.rerank_k2}, "
                f"lambda {request.reranking.rerank_lambda})" if request.reranking.rerank else "")
    log(f"protocol {first['protocol']}, {first['pooling']} pooling, probe camera {first['probe_cam']}{reranked}")
    log(scoring.format_table(rows, spread))
    return summary
