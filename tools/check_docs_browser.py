"""Check in a real browser that the documentation site typesets its math offline.

    python tools/check_docs_browser.py [SITE] [--shots DIR]

SITE is a built site (default ``docs/_build/html``; build it with
``sphinx-build -W -b html docs docs/_build/html``).  The site is served from a local
HTTP server with no network beyond it; headless Chromium (Debian's ``chromium`` package)
opens a derivation page and a notebook page, lets MathJax run, and the rendered DOM must
hold MathJax output (``mjx-container`` elements) and no raw ``$$`` delimiters.  With
``--shots DIR`` a screenshot of each page is saved there.  Exits 0 when both pages pass,
1 otherwise, 2 when Chromium is missing.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("_generated/derivations/loops.html", "_generated/notebooks/08_self_consuming_loops.html")


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render(browser: str, url: str, shot: Path | None) -> str:
    """The DOM of ``url`` after its scripts ran (and a screenshot when asked)."""
    common = [browser, "--headless=new", "--no-sandbox", "--disable-gpu",
              "--virtual-time-budget=15000", "--window-size=1200,1600"]
    if shot is not None:
        subprocess.run(common + [f"--screenshot={shot}", url], capture_output=True, timeout=120)
    done = subprocess.run(common + ["--dump-dom", url], capture_output=True, text=True,
                          timeout=120)
    return done.stdout


def judge(dom: str) -> tuple[bool, str]:
    """MathJax output present, no raw display delimiters left in the visible text."""
    typeset = dom.count("<mjx-container")
    text = re.sub(r"<script.*?</script>", "", dom, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    raw = text.count("$$")
    return typeset > 0 and raw == 0, f"{typeset} typeset formulas, {raw} raw $$"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site", nargs="?", default=str(ROOT / "docs" / "_build" / "html"))
    ap.add_argument("--shots", default=None)
    args = ap.parse_args(argv)
    browser = chromium()
    if browser is None:
        print("error: Chromium is not installed (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    site = Path(args.site)
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    shots = Path(args.shots) if args.shots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    ok = True
    try:
        for page in PAGES:
            url = f"http://127.0.0.1:{server.server_address[1]}/{page}"
            shot = shots / (Path(page).stem + ".png") if shots else None
            passed, what = judge(render(browser, url, shot))
            ok &= passed
            print(f"{'ok  ' if passed else 'FAIL'} {page}: {what}")
    finally:
        server.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
