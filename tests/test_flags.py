"""One definition per option: the config fields make the flags, --help lists them all with their
choices, and the tables of docs/flags.md are generated from the same fields."""

import dataclasses
import os
import re

import pytest
from conftest import REPO, run_module

from dal_tf import config
from dal_tf.config import command_line


COMMANDS = {"dal_tf.train": config.TrainConfig, "dal_tf.evaluate": config.EvalRequest, "dal_tf.match": config.MatchConfig,
            "dal_tf.export": config.ExportConfig,
            "dal_tf.identities": config.IdentitiesConfig, "dal_tf.calibrate": config.CalibrateConfig,
            "dal_tf.score_identities": config.ScoreIdentitiesConfig, "data_prep.prepare": config.PrepareConfig,
            "data_prep.tracklets": config.TrackletsConfig, "data_prep.features": config.FeaturesConfig,
            "data_prep.synthetic_videos": config.SyntheticVideoConfig}


def test_each_flag_table_of_the_docs_is_the_one_generated_from_the_config():
    page = open(os.path.join(REPO, "docs", "flags.md")).read()
    for module, cls in COMMANDS.items():
        section = page.split(f"## `python -m {module}`\n", 1)[1].split("\n## ", 1)[0]
        assert command_line.markdown_table(cls) in section, module


def test_every_option_has_help_and_choice_defaults_are_allowed():
    for cls in (config.TrainConfig, config.EvalRequest, config.MatchConfig, config.PrepareConfig, config.ExportConfig,
                config.IdentitiesConfig, config.CalibrateConfig, config.ScoreIdentitiesConfig, config.FeaturesConfig):
        for field, _ in command_line.option_fields(cls):
            assert field.metadata["help"].endswith((".", ")")), field.name
            choices = field.metadata["choices"]
            assert not choices or field.default in choices or field.default == "", field.name
    names = [f.name for f, _ in command_line.option_fields(config.TrainConfig)]
    assert len(names) == len(set(names))  # flat flags: no two nested fields share a name


@pytest.mark.slow
@pytest.mark.parametrize("module,cls", [("dal_tf.train", config.TrainConfig), ("dal_tf.evaluate", config.EvalRequest),
                                        ("dal_tf.match", config.MatchConfig), ("data_prep.prepare", config.PrepareConfig),
                                        ("dal_tf.export", config.ExportConfig),
                                        ("dal_tf.identities", config.IdentitiesConfig),
                                        ("dal_tf.calibrate", config.CalibrateConfig),
                                        ("dal_tf.score_identities", config.ScoreIdentitiesConfig),
                                        ("data_prep.features", config.FeaturesConfig)])
def test_help_lists_every_flag_of_the_entry_point(module, cls):
    shown = run_module(module, ["--help"]).stdout
    for field, _ in command_line.option_fields(cls):
        assert f"--{field.name}" in shown or f"--[no]{field.name}" in shown, (module, field.name)
        if field.metadata["choices"]:  # absl wraps a long list of choices mid-word at 80 columns
            assert "<" + "|".join(field.metadata["choices"]) + ">" in re.sub(r"\n +", "", shown), (module, field.name)


def test_flags_round_trip_into_the_config():
    from absl import flags

    values = flags.FlagValues()
    command_line.define_flags(config.EvalRequest, values)
    values(["prog", "--train_dir=runs/x", "--pooling=mean", "--eval_batch_size=7"])
    request = command_line.config_from_flags(config.EvalRequest, values)
    assert request == dataclasses.replace(config.EvalRequest(train_dir="runs/x"), pooling="mean", eval_batch_size=7)
    assert request.protocol == "" and request.probe_cam == ""  # unset choices: the model's own


def test_export_input_choices_are_the_conventions_the_exports_know():
    from dal_tf.deploy.export_formats import INPUTS

    assert tuple(INPUTS) == config.EXPORT_INPUTS
