import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

ISO = {"model": "linear", "strategy": "plain", "phi": 0.25, "p2": 0.125, "lam": 0,
       "sigma1": 0.5, "sigma2": 0.5,
       "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 2}]}

A3 = [{"weight": 0.2, "s1": 4, "s2": 0.5, "theta": 2, "delta": 0},
      {"weight": 0.3, "s1": 1, "s2": 2, "theta": 1, "delta": 1},
      {"weight": 0.5, "s1": 0.2, "s2": 1, "theta": 0.5, "delta": 3}]
