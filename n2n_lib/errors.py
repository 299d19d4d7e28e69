"""Errors that a user can fix.

Every function that reads user input (files, specs, parameters) raises `InputError` with a message that names the input
and says what to do. The CLI (`python -m n2n_lib`) prints such errors as one line and exits with status 2; notebooks
show them as a normal exception in the cell that caused them.
"""


class InputError(ValueError):
    """A problem with something the user supplied: a path, a file's contents, a spec string or a parameter."""
