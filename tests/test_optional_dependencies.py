"""The package on sympy, mpmath and numpy alone: gmpy2 (the MPFR backend) and python-flint
(ball arithmetic) are accelerators and the certificate's engine, not requirements of predict.
Run in a subprocess where both imports fail: the same digits as with them, and certify
refused with its reason."""
import json
import os
import subprocess
import sys

import symcollapse as sc
from symcollapse.models import base

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HIDE = "import sys; sys.modules['gmpy2'] = None; sys.modules['flint'] = None\n"
SCRIPT = HIDE + """
import json, symcollapse as sc
from symcollapse.models import base
out = {}
for name in ("linear", "random_projection", "random_features"):
    r = sc.predict(dict(base.get(name).example), dps=30)
    out[name] = {k: str(v) for k, v in r.items() if k in ("test_error", "bias", "variance", "zeta",
                                                           "train_error", "gcv")}
try:
    sc.predict(dict(base.get("linear").example), certify=True)
    out["certify"] = "answered"
except Exception as exc:
    out["certify"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""


def test_predict_without_gmpy2_and_flint_gives_the_same_digits():
    env = dict(os.environ, PYTHONPATH=ROOT)
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr
    bare = json.loads(run.stdout)
    for name in ("linear", "random_projection", "random_features"):
        full = sc.predict(dict(base.get(name).example), dps=30)
        assert bare[name] == {k: str(full[k]) for k in bare[name]}, name
    assert bare["certify"].startswith("UnsupportedError: certify:") and "python-flint" in bare["certify"]
