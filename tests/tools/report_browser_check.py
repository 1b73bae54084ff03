#!/usr/bin/env python3
"""Open a faultline HTML report in headless Chromium and check it as a person would see it.

Usage:
  report_browser_check.py [--table ID]... [--data-marks] REPORT.html KIND SCREENSHOT.png PLOT...

  KIND is "run" or "sweep" (the report's <main id="report" data-kind=...>).
  PLOT is a data-plot name; a trailing "*" makes it a prefix ("metric-*").
  --table ID checks that <table id=ID> has at least one body row; for KIND sweep,
  "checks" is always checked.

Checks (one line each, "ok: ..." or "FAIL: ..."):
  - main#report exists with the given data-kind;
  - the page is not blank: body has rendered text, and the (full-page) screenshot is not a
    single colour (decoded by the browser itself into a canvas);
  - every PLOT exists as figure.plot[data-plot=NAME], each with an <svg> of non-zero size
    holding at least one drawn element (path/rect/circle/line/polyline/polygon/ellipse) of
    non-zero size, and a non-empty <figcaption>; with --data-marks, at least one drawn
    element that is not an axis (class "axis");
  - each requested table has rows; every code.repro present is non-empty;
  - no console message of level SEVERE, and no uncaught error / unhandled rejection
    (every console message seen is printed);
  - no request left the file: performance resource entries and the requests in
    ChromeDriver's performance log are all file: or data: URLs.

Exit status: 0 all checks passed, 1 some check failed, 2 usage or browser start-up error.
Needs Debian's python3-selenium (4.8) and chromium-driver.
"""

import argparse
import base64
import json
import os
import pathlib
import shutil
import struct
import sys
import time

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as exc:  # pragma: no cover - reported to the caller
    print(f"error: selenium is not importable by {sys.executable}: {exc}", file=sys.stderr)
    sys.exit(2)

DRAWN = "path, rect, circle, line, polyline, polygon, ellipse"
LOCAL_SCHEMES = ("file:", "data:")
MAX_SHOT_HEIGHT = 16000  # px; a taller page is captured down to this height

# Installed before any page script runs, so errors thrown while the page loads are caught
# even if the browser log misses them.
ERROR_HOOK = """
window.__faultlineErrors = [];
window.addEventListener('error', function (e) {
  var where = e.filename ? ' (' + e.filename + ':' + e.lineno + ')' : '';
  var what = e.message || (e.target && e.target.outerHTML ? 'failed to load ' + e.target.outerHTML.slice(0, 120) : 'error');
  window.__faultlineErrors.push(what + where);
}, true);
window.addEventListener('unhandledrejection', function (e) {
  window.__faultlineErrors.push('unhandled rejection: ' + String(e.reason));
});
"""

PLOT_INFO_JS = """
var sel = arguments[0], prefix = arguments[1], drawnSel = arguments[2];
var figs = Array.from(document.querySelectorAll('figure.plot')).filter(function (f) {
  var n = f.getAttribute('data-plot') || '';
  return prefix ? n.startsWith(sel) : n === sel;
});
return figs.map(function (f) {
  var svg = f.querySelector('svg');
  var cap = f.querySelector('figcaption');
  var out = {name: f.getAttribute('data-plot'), svg: !!svg, w: 0, h: 0, drawn: 0, visible: 0, marks: 0,
             caption: cap ? cap.textContent.trim() : null};
  if (svg) {
    var r = svg.getBoundingClientRect();
    out.w = r.width; out.h = r.height;
    var els = svg.querySelectorAll(drawnSel);
    out.drawn = els.length;
    // Data marks: drawn elements that are not axes (faultline's svg.cc gives axes class "axis").
    out.marks = Array.from(els).filter(function (e) {
      return !e.classList.contains('axis') && !e.closest('.axis');
    }).length;
    // Count drawn elements with a non-empty box, looking at no more than needed.
    for (var i = 0; i < els.length && out.visible < 100; i++) {
      var b = els[i].getBoundingClientRect();
      if (b.width > 0 || b.height > 0) out.visible++;
    }
  }
  return out;
});
"""

# Runs on about:blank: decode the screenshot into a canvas and count colours.
PIXELS_JS = """
var done = arguments[arguments.length - 1];
var img = new Image();
img.onload = function () {
  try {
    var c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    var g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    var d = g.getImageData(0, 0, c.width, c.height).data;
    var bg = [d[0], d[1], d[2], d[3]], other = 0, colours = new Set();
    for (var i = 0; i < d.length; i += 4) {
      if (d[i] !== bg[0] || d[i + 1] !== bg[1] || d[i + 2] !== bg[2] || d[i + 3] !== bg[3]) other++;
      if (colours.size < 4096) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    done({w: c.width, h: c.height, other: other, total: d.length / 4, colours: colours.size});
  } catch (e) { done({error: String(e)}); }
};
img.onerror = function () { done({error: 'the browser could not decode the screenshot'}); };
img.src = 'data:image/png;base64,' + arguments[0];
"""


class Checker:
    def __init__(self):
        self.failures = 0

    def ok(self, msg):
        print(f"ok: {msg}", flush=True)

    def fail(self, msg):
        self.failures += 1
        print(f"FAIL: {msg}", flush=True)

    def check(self, cond, ok_msg, fail_msg=None):
        if cond:
            self.ok(ok_msg)
        else:
            self.fail(fail_msg or ok_msg)
        return cond


def find_exe(*names):
    for n in names:
        p = shutil.which(n) or (n if os.path.isabs(n) and os.access(n, os.X_OK) else None)
        if p:
            return p
    return None


def start_browser():
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1400,2000", "--hide-scrollbars", "--force-device-scale-factor=1",
              "--no-first-run", "--no-default-browser-check", "--disable-extensions",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-default-apps"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    binary = os.environ.get("CHROMIUM") or find_exe("/usr/lib/chromium/chromium", "chromium",
                                                     "chromium-browser", "google-chrome")
    if binary:
        opts.binary_location = binary
    driver_path = os.environ.get("CHROMEDRIVER") or find_exe("chromedriver",
                                                            "/usr/lib/chromium/chromedriver")
    if not driver_path:
        raise RuntimeError("chromedriver not found (Debian package chromium-driver)")
    # An explicit driver path keeps selenium from trying to download one.
    service = Service(executable_path=driver_path)
    drv = webdriver.Chrome(service=service, options=opts)
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(60)
    return drv


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def take_screenshot(drv):
    """Full-page PNG via the DevTools protocol; the viewport if that is not possible."""
    try:
        m = drv.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = m.get("cssContentSize") or m.get("contentSize")
        w = max(1, int(size["width"] + 0.5))
        h = max(1, min(int(size["height"] + 0.5), MAX_SHOT_HEIGHT))
        shot = drv.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "fromSurface": True,
            "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}})
        return base64.b64decode(shot["data"]), "full page"
    except WebDriverException as exc:
        print(f"note: full-page capture failed ({exc.msg}); taking the viewport", flush=True)
        return drv.get_screenshot_as_png(), "viewport"


def check_report(drv, args, c):
    url = pathlib.Path(os.path.abspath(args.report)).as_uri()  # quotes spaces, '#', ...
    # The hook must be registered before navigation so it sees load-time errors.
    drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_HOOK})
    drv.get(url)
    WebDriverWait(drv, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    # Let late console messages and resource loads settle.
    time.sleep(0.3)

    # main#report and data-kind
    kind = drv.execute_script(
        "var m = document.querySelector('main#report');"
        "return m ? m.getAttribute('data-kind') : null;")
    if kind is None:
        c.fail("no <main id=\"report\"> in the page")
    else:
        c.check(kind == args.kind, f"main#report data-kind={kind}",
                f"main#report data-kind={kind!r}, expected {args.kind!r}")

    # rendered text
    text_len = drv.execute_script(
        "return document.body ? document.body.innerText.trim().length : 0;")
    c.check(text_len > 0, f"body has {text_len} characters of rendered text",
            "body has no rendered text (blank page)")

    # plots
    for name in args.plots:
        prefix = name.endswith("*")
        base = name[:-1] if prefix else name
        figs = drv.execute_script(PLOT_INFO_JS, base, prefix, DRAWN)
        label = f"plot {name}"
        if not figs:
            c.fail(f"{label}: no figure.plot[data-plot{'^' if prefix else ''}=\"{base}\"]")
            continue
        for f in figs:
            n = f"plot {f['name']}"
            if not f["svg"]:
                c.fail(f"{n}: figure has no <svg>")
                continue
            problems = []
            if not (f["w"] > 0 and f["h"] > 0):
                problems.append(f"svg bounding box is {f['w']:.0f}x{f['h']:.0f}")
            if f["drawn"] == 0:
                problems.append("svg has no drawn element (path/rect/circle/line/polyline)")
            elif f["visible"] == 0:
                problems.append(f"svg's {f['drawn']} drawn elements all have a zero-size box")
            elif args.data_marks and f["marks"] == 0:
                problems.append(f"svg's {f['drawn']} drawn elements are all axes (class axis)")
            if not f["caption"]:
                problems.append("no <figcaption> text")
            if problems:
                c.fail(f"{n}: " + "; ".join(problems))
            else:
                vis = f"{f['visible']}+" if f["visible"] >= 100 else str(f["visible"])
                c.ok(f"{n}: svg {f['w']:.0f}x{f['h']:.0f}, {f['drawn']} drawn elements "
                     f"({vis} with a non-empty box, {f['marks']} not axes), "
                     f"caption {f['caption'][:60]!r}")

    # tables
    tables = list(args.table)
    if args.kind == "sweep" and "checks" not in tables:
        tables.append("checks")
    for tid in tables:
        rows = drv.execute_script(
            "var t = document.getElementById(arguments[0]);"
            "if (!t || t.tagName !== 'TABLE') return -1;"
            "return Array.from(t.rows).filter(function (r) {"
            "  return r.querySelector('td') !== null; }).length;", tid)
        if rows < 0:
            c.fail(f"no <table id=\"{tid}\">")
        else:
            c.check(rows > 0, f"table#{tid} has {rows} rows", f"table#{tid} has no body rows")

    # repro commands, when present
    repros = drv.execute_script(
        "return Array.from(document.querySelectorAll('code.repro'))"
        ".map(function (e) { return e.textContent.trim(); });")
    if repros:
        empty = sum(1 for r in repros if not r)
        c.check(empty == 0, f"{len(repros)} code.repro commands, e.g. {repros[0][:80]!r}",
                f"{empty} of {len(repros)} code.repro elements are empty")

    # requests: Resource Timing, then the DevTools network events ChromeDriver logged
    entries = drv.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });")
    remote = [u for u in entries if not u.startswith(LOCAL_SCHEMES)]
    try:
        perf = drv.get_log("performance")
    except WebDriverException as exc:
        perf = []
        print(f"note: no performance log ({exc.msg})", flush=True)
    requested = []
    for e in perf:
        try:
            msg = json.loads(e["message"])["message"]
        except (KeyError, ValueError):
            continue
        if msg.get("method") == "Network.requestWillBeSent":
            requested.append(msg["params"]["request"]["url"])
    remote += [u for u in requested if not u.startswith(LOCAL_SCHEMES) and u not in remote]
    c.check(not remote,
            f"no request left the file ({len(entries)} resource entries, "
            f"{len(requested)} requests seen, all file:/data:)",
            "requests outside the file: " + ", ".join(u[:100] for u in remote[:5]))

    # console: the browser log (SEVERE = console.error, uncaught exceptions, failed loads)
    try:
        logs = drv.get_log("browser")
        have_log = True
    except WebDriverException as exc:
        logs, have_log = [], False
        print(f"note: no browser log from chromedriver ({exc.msg})", flush=True)
    for e in logs:
        print(f"console: {e.get('level')} {e.get('source', '')} {e.get('message', '')}",
              flush=True)
    severe = [e for e in logs if e.get("level") == "SEVERE"]
    hooked = drv.execute_script("return window.__faultlineErrors || [];")
    for h in hooked:
        print(f"page error: {h}", flush=True)
    c.check(not severe and not hooked,
            f"no SEVERE console message ({len(logs)} messages"
            f"{'' if have_log else ', browser log unavailable'}), no uncaught page error",
            f"{len(severe)} SEVERE console messages, {len(hooked)} uncaught page errors: "
            + "; ".join([e.get("message", "")[:150] for e in severe] + hooked)[:400])

    # screenshot, then decode it on a blank page to see it is not one colour
    png, how = take_screenshot(drv)
    with open(args.screenshot, "wb") as fh:
        fh.write(png)
    dims = png_size(png)
    if dims is None:
        c.fail(f"screenshot is not a PNG: {args.screenshot}")
        return
    c.ok(f"screenshot saved ({how}, {dims[0]}x{dims[1]}, {len(png)} bytes): {args.screenshot}")
    drv.get("about:blank")
    px = drv.execute_async_script(PIXELS_JS, base64.b64encode(png).decode("ascii"))
    if "error" in px:
        c.fail(f"screenshot: {px['error']}")
    else:
        share = 100.0 * px["other"] / max(1, px["total"])
        c.check(px["colours"] > 1 and px["other"] > 0,
                f"screenshot is not blank: {px['colours']}{'+' if px['colours'] >= 4096 else ''}"
                f" colours, {share:.2f}% of pixels differ from the corner",
                f"screenshot is a single colour ({px['w']}x{px['h']})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report")
    ap.add_argument("kind", choices=["run", "sweep"])
    ap.add_argument("screenshot")
    ap.add_argument("plots", nargs="*")
    ap.add_argument("--table", action="append", default=[], metavar="ID",
                    help="require <table id=ID> to have rows (repeatable)")
    ap.add_argument("--data-marks", action="store_true",
                    help="also require each plot to draw something besides axes (class axis)")
    args = ap.parse_intermixed_args()

    if not os.path.isfile(args.report) or os.path.getsize(args.report) == 0:
        print(f"FAIL: report {args.report} is missing or empty", flush=True)
        return 1
    try:
        drv = start_browser()
    except (WebDriverException, RuntimeError, OSError) as exc:
        msg = getattr(exc, "msg", None) or str(exc)
        print(f"error: could not start headless Chromium: {msg}", file=sys.stderr)
        return 2
    c = Checker()
    try:
        check_report(drv, args, c)
    except WebDriverException as exc:
        c.fail(f"browser error while checking: {exc.msg}")
    finally:
        drv.quit()
    if c.failures:
        print(f"FAIL: {args.report}: {c.failures} check(s) failed", flush=True)
    else:
        print(f"ok: {args.report}: all checks passed", flush=True)
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
