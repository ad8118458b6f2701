"""The committed derivations are exactly what the code regenerates (all checks pass)."""
import io

from symcollapse.cli import main


def test_committed_derivations_are_reproducible():
    out, err = io.StringIO(), io.StringIO()
    code = main(["derive", "--check"], stdout=out, stderr=err)
    assert code == 0, out.getvalue() + err.getvalue()
    assert "ok    derivations/linear.md" in out.getvalue()


def test_derive_prints_a_document_as_markdown_or_latex():
    out, err = io.StringIO(), io.StringIO()
    assert main(["derive", "linear"], stdout=out, stderr=err) == 0
    md = out.getvalue()
    assert md.startswith("# The linear model") and "checks passed" in md
    out = io.StringIO()
    assert main(["derive", "linear", "--latex"], stdout=out, stderr=err) == 0
    tex = out.getvalue()
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    assert "\\[" in tex and "\\textbf{Check 1}" in tex
    out, err = io.StringIO(), io.StringIO()
    assert main(["derive", "nonsense"], stdout=out, stderr=err) == 2
    assert err.getvalue().startswith("error:") and out.getvalue() == ""
