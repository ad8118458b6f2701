"""The committed derivations are exactly what the code regenerates (all checks pass)."""
import io

from symcollapse.cli import main


def test_committed_derivations_are_reproducible():
    out, err = io.StringIO(), io.StringIO()
    code = main(["derive", "--check"], stdout=out, stderr=err)
    assert code == 0, out.getvalue() + err.getvalue()
    assert "ok    derivations/linear.md" in out.getvalue()
