"""The one exception type the command line turns into a one-line message."""


class PosetalkError(Exception):
    """A user-facing problem: bad input, a missing or corrupt file, an unsupported option.

    The message must stand on its own on one line and name the file or value at fault.
    """
