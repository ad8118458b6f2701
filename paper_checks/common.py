"""Shared pieces of the claim checks: the outcome record and plotting set-up."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    """The verdict of one claim: ``passed``, the ``key`` number (a short string), the
    ``details`` (lines for the report) and ``data`` (what the figure draws)."""

    passed: bool
    key: str
    details: list = field(default_factory=list)
    data: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"


def pyplot():
    """matplotlib with a file-only backend (no screen is needed)."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)


ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
A3 = [{"weight": 0.2, "s1": 4, "s2": 0.5, "theta": 2, "delta": 0},
      {"weight": 0.3, "s1": 1, "s2": 2, "theta": 1, "delta": 1},
      {"weight": 0.5, "s1": 0.2, "s2": 1, "theta": 0.5, "delta": 3}]


def iso(c2=1.0, r2=1.0):
    return [{"weight": 1, "s1": 1, "s2": 1, "theta": r2, "delta": c2}]
