"""The toolkit's exception types: one per kind of failure, each carrying the one-line
message that the command line prints after ``error:`` and the exit status it uses."""


class SymcollapseError(Exception):
    """Base class. ``exit_code`` is the CLI exit status for this kind of failure."""

    exit_code = 1


class ConfigError(SymcollapseError, ValueError):
    """Bad input: a config key with a wrong type or a value outside its allowed range,
    an unreadable file, a malformed argument. The CLI exits with status 2."""

    exit_code = 2


class RegimeError(SymcollapseError, ArithmeticError):
    """A regime with no finite answer, or a computation that failed: a divergence where
    a number was asked for, a solver that did not converge, a failed certificate.
    The CLI exits with status 3."""

    exit_code = 3


class DivergenceError(RegimeError):
    """The deterministic equivalent is infinite here (e.g. the interpolation threshold
    of a ridgeless model with noise or label shift).  ``parts``, where known, holds each
    part's one-sided limit (a float, ``inf`` for the diverging ones: at a ridgeless
    threshold the bias tends to 0 while the variance diverges)."""

    def __init__(self, message, parts=None):
        super().__init__(message)
        self.parts = parts


class ConvergenceError(RegimeError):
    """The solver did not converge; the message says what and by how much."""


class UnsupportedError(RegimeError):
    """A valid config that this version cannot compute (the message says which part)."""
