"""The one exception type the command line turns into a one-line message, and the errors that mean a file is unreadable."""

import zipfile


class PosetalkError(Exception):
    """A user-facing problem: bad input, a missing or corrupt file, an unsupported option.

    The message must stand on its own on one line and name the file or value at fault.
    """


UNREADABLE_ARRAY_FILE: tuple[type[Exception], ...] = (OSError, ValueError, EOFError, zipfile.BadZipFile)
"""What ``np.load`` raises for a truncated, corrupt or foreign ``.npy``/``.npz`` file."""
