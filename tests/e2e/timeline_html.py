#!/usr/bin/env python3
"""The HTML report's timelines in a real browser: runs the seed's deadlock
under `lockscope run --timeline`, opens the report in headless Chromium
without network, checks the rendered page (DOM after load) has an SVG
timeline for each deadlock and lock-order finding with the moment marked
and the locks named, and keeps a screenshot (SHOT) in which the
timeline's colours really appear.

Exits 77 (skipped) when no chromium is installed, saying so.

usage: timeline_html.py LOCKSCOPE PROGRAM SHOT
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

HOLD_FILL = (0xD6, 0xE4, 0xFB)   # reports/report_html_timeline.c
WAIT_FILL = (0xFB, 0xD5, 0xD1)


def fail(msg, detail=""):
    print("FAIL: " + msg)
    if detail:
        print(detail[-3000:])
    sys.exit(1)


def browser():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def chromium(exe, args, timeout=120):
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-extensions", "--disable-background-networking",
           "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"] + args
    r = subprocess.run(cmd, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def png_pixels(path):
    """Decodes an 8-bit, non-interlaced RGB or RGBA PNG: (width, height, rows)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("the screenshot is not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                fail("screenshot PNG of a kind this test does not decode")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        ft, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def count_colour(shot, rgb):
    w, h, bpp, rows = png_pixels(shot)
    want = bytes(rgb)
    return sum(row[x * bpp:x * bpp + 3] == want for row in rows for x in range(w))


def main():
    lockscope, prog, shot = sys.argv[1:4]
    exe = browser()
    if not exe:
        print("SKIP: no chromium (chromium, chromium-browser) is installed; "
              "`apt-get install chromium` to run this test")
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="lockscope-tlhtml.") as tmp:
        html = os.path.join(tmp, "report.html")
        js = os.path.join(tmp, "report.json")
        r = subprocess.run([lockscope, "run", "--out", os.path.join(tmp, "traces"), "--html",
                            html, "--json", js, "--timeline", os.path.join(tmp, "tl.json"),
                            "--", prog], capture_output=True, timeout=120)
        if r.returncode != 66:
            fail("lockscope run exited %d, expected 66" % r.returncode, r.stderr.decode())
        with open(js, encoding="utf-8") as f:
            rep = json.load(f)
        url = "file://" + html
        rc, dom, err = chromium(exe, ["--dump-dom", url])
        if rc != 0 or "</html>" not in dom:
            fail("chromium could not load the report (status %d)" % rc, err)
        for f in rep["findings"]:
            if f["kind"] not in ("deadlock", "lock-order-cycle"):
                continue
            at = dom.find('id="tl-%s"' % f["id"])
            if at < 0:
                fail("the rendered page has no timeline for %s %s" % (f["kind"], f["id"]))
            svg = dom[at:dom.find("</svg>", at)]
            if 'class="tl-moment"' not in svg or 'class="tl-row"' not in svg:
                fail("%s's timeline lacks the moment or the thread rows" % f["id"])
            for lk in f["locks"]:
                if lk["label"] not in svg:
                    fail("%s's timeline does not name %s" % (f["id"], lk["label"]))
        if "trace records no timing" in dom:
            fail("the page still says there is no timing")
        os.makedirs(os.path.dirname(os.path.abspath(shot)), exist_ok=True)
        if os.path.exists(shot):
            os.unlink(shot)
        rc, out, err = chromium(exe, ["--screenshot=" + os.path.abspath(shot),
                                      "--window-size=1200,3200", "--hide-scrollbars", url])
        if rc != 0 or not os.path.exists(shot):
            fail("chromium made no screenshot (status %d)" % rc, err)
        holds, waits = count_colour(shot, HOLD_FILL), count_colour(shot, WAIT_FILL)
        if holds < 200 or waits < 200:
            fail("the screenshot shows no timeline: %d hold and %d wait pixels" % (holds, waits))
        print("ok: screenshot %s (%d hold, %d wait pixels)" % (shot, holds, waits))


if __name__ == "__main__":
    main()
