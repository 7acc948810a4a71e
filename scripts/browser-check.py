#!/usr/bin/env python3
"""Open an HTML page in headless Chromium and fail unless it renders cleanly.

Used by scripts/browser-check.sh (which installs Chromium); standard library only.

Why the DevTools protocol instead of only command-line flags: `--enable-logging` prints
console-API messages but not failed image loads, and `--dump-dom` shows markup, not whether
anything rendered. Over `--remote-debugging-pipe` (no TCP port, nothing to collide with on a
shared CI machine) the script subscribes to the page's events *before* navigating, so nothing
that happens during load is missed, then asks the page itself what it rendered.

The page FAILS if:
  * the console gets an error or warning, or a script exception is thrown;
  * Chromium logs an error (this is where "Failed to load resource" goes);
  * any request fails, or any request goes anywhere but file:/data: (external fetches are also
    made impossible with --host-resolver-rules, so they fail instead of phoning out);
  * an <img> is broken (not complete or zero natural width), or the page has <script>s;
  * fewer than --min-svgs inline SVG charts are laid out at a visible size;
  * a required section id is missing, or the page has almost no text;
  * the screenshot is blank: (nearly) one colour, or (nearly) no non-white pixels, or none of
    the charts' blue (Okabe-Ito #0072B2) reached the screen.

Exit 0 on success, 1 on a failed check (each failure is printed), 2 on a usage/infra error.
"""

import argparse
import base64
import fcntl
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib


class Cdp:
    """A minimal Chrome DevTools Protocol client over --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self, chromium, extra_args, log_path):
        # Commands go to Chromium's fd 3; its replies and events come back on fd 4. The child's
        # ends are first moved above 10, so that dup2 onto 3 and 4 never meets itself (a
        # same-fd dup2 would keep the close-on-exec flag and Chromium would find them closed).
        to_chrome_r, self.to_chrome_w = os.pipe()
        self.from_chrome_r, from_chrome_w = os.pipe()
        for name in ("to_chrome_r", "from_chrome_w"):
            fd = locals()[name]
            high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            if name == "to_chrome_r":
                to_chrome_r = high
            else:
                from_chrome_w = high

        def wire_fds():
            os.dup2(to_chrome_r, 3, inheritable=True)
            os.dup2(from_chrome_w, 4, inheritable=True)

        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [chromium, "--remote-debugging-pipe", *extra_args, "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            preexec_fn=wire_fds,
            close_fds=False,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.from_chrome_r, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe (did it crash? see the log)")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        mid = self.next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == mid:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_for(self, method, timeout=30):
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("method") == method:
                return m
            self.events.append(m)

    def drain(self, seconds):
        """Collect events for a little longer (late resource errors)."""
        deadline = time.monotonic() + seconds
        os.set_blocking(self.from_chrome_r, False)
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = os.read(self.from_chrome_r, 1 << 16)
                except BlockingIOError:
                    time.sleep(0.05)
                    continue
                if not chunk:
                    break
                self.buf += chunk
                while b"\0" in self.buf:
                    msg, self.buf = self.buf.split(b"\0", 1)
                    self.events.append(json.loads(msg))
        finally:
            os.set_blocking(self.from_chrome_r, True)

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def png_pixels(data):
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into (width, height, rows)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour})")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def screenshot_problems(png, want_chart_blue):
    width, height, bpp, rows = png_pixels(png)
    colours, non_white, blue, total = set(), 0, 0, 0
    # Every other pixel on every other row: plenty for these statistics, 4× faster.
    for y in range(0, height, 2):
        row = rows[y]
        for x in range(0, width, 2):
            r, g, b = row[x * bpp], row[x * bpp + 1], row[x * bpp + 2]
            total += 1
            colours.add((r >> 3, g >> 3, b >> 3))
            if r < 245 or g < 245 or b < 245:
                non_white += 1
            if abs(r - 0x00) < 24 and abs(g - 0x72) < 24 and abs(b - 0xB2) < 24:
                blue += 1
    problems = []
    share = non_white / max(total, 1)
    print(
        f"  screenshot {width}x{height}: {len(colours)} colours, "
        f"{share:.1%} non-white, {blue} chart-blue samples"
    )
    if len(colours) < 16:
        problems.append(f"screenshot is (nearly) one colour: {len(colours)} distinct colours")
    if share < 0.02:
        problems.append(f"screenshot is blank: only {share:.2%} of it is not white")
    if want_chart_blue and blue < 200:
        problems.append(f"no chart reached the screen: only {blue} sampled pixels of the charts' blue")
    return problems


PAGE_PROBE = r"""
(() => {
  const vis = Array.from(document.querySelectorAll('svg')).filter(s => {
    const r = s.getBoundingClientRect(); return r.width >= 200 && r.height >= 100; });
  return JSON.stringify({
    svgs: document.querySelectorAll('svg').length,
    visibleSvgs: vis.length,
    svgTexts: vis.map(s => s.querySelectorAll('text').length),
    brokenImages: Array.from(document.images)
      .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.currentSrc || i.src),
    scripts: document.scripts.length,
    ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
    textLength: (document.body && document.body.innerText || '').length,
    title: document.title,
  });
})()
"""


def check(args):
    page = os.path.abspath(args.page)
    if not os.path.isfile(page):
        print(f"error: {page} does not exist", file=sys.stderr)
        return 2
    url = "file://" + page
    with tempfile.TemporaryDirectory(prefix="billcast-chromium-") as profile:
        flags = [
            "--headless",
            "--no-sandbox",  # CI containers run as root, where the sandbox cannot start
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--mute-audio",
            # Any host name resolves to nothing: an external fetch fails (and is reported)
            # instead of reaching the network.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--window-size={args.width},{args.height}",
            f"--user-data-dir={profile}",
        ]
        log_path = args.log or os.path.join(profile, "chromium.log")
        cdp = Cdp(args.chromium, flags, log_path)
        problems = []
        try:
            targets = cdp.send("Target.getTargets")["targetInfos"]
            page_target = next((t for t in targets if t["type"] == "page"), None)
            if page_target is None:
                page_target = {"targetId": cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]}
            session = cdp.send(
                "Target.attachToTarget", {"targetId": page_target["targetId"], "flatten": True}
            )["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                cdp.send(f"{domain}.enable", session=session)
            cdp.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": args.width, "height": args.height, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            cdp.send("Page.navigate", {"url": url}, session=session)
            cdp.wait_for("Page.loadEventFired", timeout=args.timeout)
            cdp.drain(0.5)
            probe = json.loads(
                cdp.send(
                    "Runtime.evaluate",
                    {"expression": PAGE_PROBE, "returnByValue": True},
                    session=session,
                )["result"]["value"]
            )
            shot = base64.b64decode(
                cdp.send(
                    "Page.captureScreenshot",
                    {"format": "png", "captureBeyondViewport": False},
                    session=session,
                )["data"]
            )
            cdp.drain(0.2)
        finally:
            cdp.close()

        # Events recorded while loading.
        for e in cdp.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                problems.append(f"console {p['type']}: {text}")
            elif m == "Runtime.exceptionThrown":
                problems.append(f"script exception: {p.get('exceptionDetails', {}).get('text')}")
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                entry = p["entry"]
                problems.append(f"browser error ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".rstrip())
            elif m == "Network.requestWillBeSent":
                req_url = p.get("request", {}).get("url", "")
                if not (req_url.startswith("file:") or req_url.startswith("data:") or req_url == "about:blank"):
                    problems.append(f"external request: {req_url}")
            elif m == "Network.loadingFailed":
                problems.append(f"a resource failed to load: {p.get('errorText')} ({p.get('type')})")

        print(f"  page: {probe['title']!r}, {probe['textLength']} characters of text")
        print(f"  inline SVGs: {probe['svgs']} ({probe['visibleSvgs']} laid out), text elements per chart: {probe['svgTexts']}")
        if probe["visibleSvgs"] < args.min_svgs:
            problems.append(f"expected at least {args.min_svgs} visible inline SVG charts, found {probe['visibleSvgs']}")
        for i, n in enumerate(probe["svgTexts"]):
            if n < 5:
                problems.append(f"chart {i + 1} has only {n} text elements (titles and labels missing?)")
        if probe["brokenImages"]:
            problems.append(f"images failed to load: {probe['brokenImages']}")
        if probe["scripts"]:
            problems.append(f"the page has {probe['scripts']} <script> elements; it must have none")
        for section in args.require_id:
            if section not in probe["ids"]:
                problems.append(f"section #{section} is missing")
        if probe["textLength"] < 200:
            problems.append(f"the page has almost no text ({probe['textLength']} characters)")
        if args.screenshot:
            with open(args.screenshot, "wb") as f:
                f.write(shot)
            print(f"  screenshot: {args.screenshot}")
        problems += screenshot_problems(shot, args.min_svgs > 0)

    if problems:
        print(f"FAIL: {page}")
        for p in problems:
            print(f"  - {p}")
        return 1
    print(f"ok: {page} renders cleanly")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("page", help="HTML file to open")
    ap.add_argument("--chromium", default="chromium", help="Chromium binary (default: chromium)")
    ap.add_argument("--screenshot", help="save the screenshot here (PNG)")
    ap.add_argument("--log", help="save Chromium's own log here")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=2400)
    ap.add_argument("--min-svgs", type=int, default=0, help="inline SVG charts that must be laid out")
    ap.add_argument("--require-id", action="append", default=[], help="an element id that must exist (repeatable)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds to wait for the page to load")
    args = ap.parse_args()
    try:
        return check(args)
    except (RuntimeError, TimeoutError, OSError, ValueError, KeyError) as e:
        print(f"error: the browser check could not run: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
