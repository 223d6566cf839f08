"""What the entry points (train, evaluate, export, match, data prep, reproduce) share: flags made
from the config fields, and a main() whose bad input ends in one line.

Only entry points call these; they turn the parsed flags into config objects, and nothing below
the entry points reads FLAGS.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import typing
from typing import Callable

from absl import app, flags, logging

from dal_tf import __version__
from dal_tf.utils.errors import UserInputError

# Flags this module defines for an entry point count as that entry point's own, so its --help
# lists them (absl's --help shows only the main module's flags).
flags.disclaim_key_flags()

# tuple[str, ...]: a flag given once per value (--video=a=x --video=b=y).
_DEFINE = {bool: flags.DEFINE_boolean, int: flags.DEFINE_integer, float: flags.DEFINE_float, str: flags.DEFINE_string,
           tuple: flags.DEFINE_multi_string}


def option_fields(config_class) -> list[tuple[dataclasses.Field, type]]:
    """(field, type) of every option of config_class, nested configs flattened."""
    hints = typing.get_type_hints(config_class)
    leaves = []
    for field in dataclasses.fields(config_class):
        if dataclasses.is_dataclass(hints[field.name]):
            leaves.extend(option_fields(hints[field.name]))
        elif "help" in field.metadata:
            leaves.append((field, hints[field.name]))
    return leaves


def define_flags(config_class, flag_values=flags.FLAGS):
    """An absl flag for every option of config_class (a choice becomes an enum, so --help lists it)."""
    for field, kind in option_fields(config_class):
        if field.metadata["choices"]:  # an empty default ("the model's own") is absl's None
            flags.DEFINE_enum(field.name, field.default or None, list(field.metadata["choices"]),
                              field.metadata["help"], flag_values=flag_values)
        else:
            _DEFINE[typing.get_origin(kind) or kind](field.name, field.default, field.metadata["help"],
                                                     flag_values=flag_values)


def markdown_table(config_class) -> str:
    """docs/flags.md's table of config_class's flags: name, default, help (choices listed)."""
    rows = ["| flag | default | meaning |", "|---|---|---|"]
    for field, kind in option_fields(config_class):
        default = field.default
        shown = str(default).lower() if kind is bool else f"`{default}`" if kind is str and default else str(default)
        meaning = field.metadata["help"].replace("|", "\\|")
        if field.metadata["choices"]:
            meaning += " Choices: " + ", ".join(f"`{c}`" for c in field.metadata["choices"]) + "."
        rows.append(f"| `--{field.name}` | {shown if default != '' else '(empty)'} | {meaning} |")
    return "\n".join(rows)


def config_from_flags(config_class, values, **fixed):
    """config_class built from the parsed flag values (nested configs too); `fixed` fields win."""
    hints = typing.get_type_hints(config_class)
    kwargs = {}
    for field in dataclasses.fields(config_class):
        if field.name in fixed:
            kwargs[field.name] = fixed[field.name]
        elif dataclasses.is_dataclass(hints[field.name]):
            kwargs[field.name] = config_from_flags(hints[field.name], values)
        elif field.name in values:
            value = values[field.name].value
            if isinstance(field.default, tuple):
                value = tuple(value or ())
            kwargs[field.name] = "" if value is None and field.default == "" else value
    return config_class(**kwargs)


@contextlib.contextmanager
def native_stderr_silenced():
    """Sends what C++ code writes to stderr (fd 2) to /dev/null for the block. TensorFlow logs its
    start-up (oneDNN, CUDA drivers) there however TF_CPP_MIN_LOG_LEVEL is set
    (tensorflow/tensorflow#100442); Python's own stderr is restored before any error shows."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly():
    with native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices()  # where the CUDA probing logs


def one_line(message: str) -> str:
    return " ".join(str(message).split())


def entry_point(name: str, body: Callable[[], None], tensorflow: bool = True):
    """Runs body() as an absl program: flag errors and UserInputError end in one line
    `<name>: error: ...` on stderr and a non-zero exit. tensorflow: body imports it (quietly,
    first); an entry point that never uses it starts without it. --version prints dal_tf's version
    before any other flag is checked, so it needs none of the required ones."""
    if "--version" in sys.argv[1:]:
        print(f"{name} (dal_tf) {__version__}")
        sys.exit(0)
    flags.DEFINE_boolean("version", False, "Print dal_tf's version and exit.")  # for --help

    def parse(argv):
        try:
            return flags.FLAGS(argv)
        except flags.Error as error:
            sys.exit(f"{name}: error: {one_line(error)}")

    def main(argv):
        if len(argv) > 1:
            sys.exit(f"{name}: error: unexpected arguments {argv[1:]}")
        logging.set_verbosity(logging.WARNING)  # keeps TF's checkpoint chatter out of the output
        if tensorflow:
            import_tensorflow_quietly()
        try:
            body()
        except UserInputError as error:
            sys.exit(f"{name}: error: {one_line(error)}")

    app.run(main, flags_parser=parse)
