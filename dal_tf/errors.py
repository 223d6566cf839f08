"""One exception type for bad user input: entry points print it as one line and exit non-zero."""


class UserInputError(ValueError):
    """Raised for a bad flag, path or file; the message names it and says what was expected."""
