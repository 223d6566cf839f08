"""What dal_tf.export does: a training run's latest checkpoint, its EMA weights, written in one of
the export formats with the metadata every format shares."""

from __future__ import annotations

from dal_tf.config import ExportConfig
from dal_tf.deploy.export_formats import export_runtime
from dal_tf.deploy.saved_model import export_saved_model
from dal_tf.runs import checkpoints
from dal_tf.runs.run_files import training_people
from dal_tf.utils.errors import UserInputError


def export_run(config: ExportConfig) -> tuple[str, dict]:
    """(the checkpoint exported, the export's metadata)."""
    checkpoint = checkpoints.latest_checkpoint(config.train_dir)
    model, train_config = checkpoints.restore_for_inference(config.train_dir, checkpoint)
    people = training_people(config.train_dir)
    if people is None:
        raise UserInputError(f"--train_dir={config.train_dir} does not record its training people, so its export "
                             "could not refuse to be evaluated on them; train it again with this dal_tf")
    step = checkpoints.checkpoint_step(checkpoint)
    if config.format == "saved_model":
        return checkpoint, export_saved_model(model, train_config, config.out, step=step, training_people=people)
    return checkpoint, export_runtime(model, train_config, config.out, fmt=config.format, convention=config.input,
                                      quantize=config.quantize, step=step, training_people=people)
