"""One exception type for bad user input: entry points print it as one line and exit non-zero."""

import re


class UserInputError(ValueError):
    """Raised for a bad flag, path or file; the message names it and says what was expected."""


def op_error_message(error) -> str:
    """The first line of a TensorFlow OpError's message without the function and op names that TF
    wraps it in."""
    message = re.sub(r"\{\{.*?\}\}\s*", "", error.message.splitlines()[0])
    return re.sub(r"\s*\[Op:.*$", "", message)
