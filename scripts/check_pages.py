#!/usr/bin/env python3
"""Checks lam's HTML pages in headless Chromium (docs/reliability.md, "The HTML pages in a browser").

For each page: load it from a file:// URL, wait for the load event, then demand that every <img> decoded,
every local <a href> names an existing file (and an existing id for a #fragment), nothing on the page is
fetched from outside (no http(s) or other non-file, non-data reference in img/link/script/style/... and no
such request while loading), no local resource failed to load and no script threw. Local .html links are
checked the same way, each page once. A full-page PNG screenshot of every page goes to the screenshots folder.
Prints one line per page and exits 1 when any page failed (2 when the browser could not be used).

Speaks the Chrome DevTools Protocol over --remote-debugging-pipe (fds 3 and 4), so it needs only the Python
standard library and a chromium binary: no browser download, no network port.

    python3 scripts/check_pages.py [--screenshots DIR] [--chromium PATH] [--state DIR] PAGE.html...
"""
import argparse
import base64
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

LOAD_TIMEOUT = 30.0
# A screenshot taller than this is cut: Chromium cannot capture arbitrarily tall pages in one piece.
MAX_SCREENSHOT_HEIGHT = 16000
VIEWPORT = (1280, 900)

# Gathers, after the load event, what the checks need from the DOM. Every URL is reported as written
# (`raw`) and resolved against the document (`url`).
COLLECT_JS = r"""
(async () => {
  const images = [...document.images];
  // A lazy image below the fold may not have started loading; decode() makes it load.
  await Promise.all(images.map(i => i.decode().catch(() => {})));
  const abs = u => { try { return new URL(u, document.baseURI).href; } catch (e) { return u; } };
  const refs = [];
  const add = (tag, raw) => { if (raw !== null && raw.trim() !== '') refs.push({tag, raw, url: abs(raw.trim())}); };
  for (const el of document.querySelectorAll('[src]')) add(el.tagName.toLowerCase(), el.getAttribute('src'));
  for (const el of document.querySelectorAll('img[srcset], source[srcset]'))
    for (const part of el.getAttribute('srcset').split(',')) add(el.tagName.toLowerCase() + '[srcset]', part.trim().split(/\s+/)[0]);
  for (const el of document.querySelectorAll('link[href]')) add('link', el.getAttribute('href'));
  for (const el of document.querySelectorAll('object[data]')) add('object', el.getAttribute('data'));
  for (const el of document.querySelectorAll('[poster]')) add(el.tagName.toLowerCase(), el.getAttribute('poster'));
  const cssUrls = (tag, text) => {
    for (const m of text.matchAll(/url\(\s*(['"]?)(.*?)\1\s*\)/g)) add(tag, m[2]);
    for (const m of text.matchAll(/@import\s+(['"])(.*?)\1/g)) add(tag, m[2]);
  };
  for (const el of document.querySelectorAll('style')) cssUrls('style', el.textContent);
  for (const el of document.querySelectorAll('[style]')) cssUrls('style attribute', el.getAttribute('style'));
  return {
    images: images.map(i => ({src: i.getAttribute('src') || '', complete: i.complete, width: i.naturalWidth})),
    links: [...document.querySelectorAll('a[href]')].map(a => ({raw: a.getAttribute('href'), url: abs(a.getAttribute('href'))})),
    refs,
    ids: [...document.querySelectorAll('[id]')].map(e => e.id)
      .concat([...document.querySelectorAll('a[name]')].map(e => e.getAttribute('name'))),
    width: Math.ceil(document.documentElement.scrollWidth),
    height: Math.ceil(document.documentElement.scrollHeight),
  };
})()
"""


class BrowserError(Exception):
    pass


class Browser:
    """One headless Chromium and one page target, driven over the DevTools pipe."""

    def __init__(self, chromium, state):
        # The browser's profile and pid file; a caller that passes its own folder removes it itself.
        self.own_state = state is None
        self.state = tempfile.mkdtemp(prefix="lam-check-pages-") if state is None else state
        profile = os.path.join(self.state, "profile")
        os.makedirs(profile, exist_ok=True)
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # Chromium reads commands from fd 3 and writes replies to fd 4.
        def child_fds():
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)
        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                "--disable-dev-shm-usage", f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}", "about:blank"]
        self.log = open(os.path.join(self.state, "chromium.log"), "wb")
        # Its own process group, so that the caller's trap can end the browser and all its children at once.
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                        preexec_fn=child_fds, pass_fds=(3, 4), start_new_session=True)
        os.close(to_browser_r)
        os.close(from_browser_w)
        with open(os.path.join(self.state, "browser.pid"), "w") as f:
            f.write(f"{self.process.pid}\n")
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None
        try:
            self._open_page()
        except (BrowserError, OSError):
            self.close()
            raise

    def _open_page(self):
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            self.call(f"{domain}.enable")
        self.call("Page.setLifecycleEventsEnabled", {"enabled": True})
        # Nothing leaves the machine: a page that asks for an outside resource fails at once instead of
        # waiting for a network, and the request is still seen (and reported) in Network.requestWillBeSent.
        self.call("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"]})
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False})

    def close(self):
        # The whole process group (zygote, renderers, GPU process), not only the browser: a throwaway
        # profile needs no graceful shutdown.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        for _ in range(100):
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.log.close()
        os.unlink(os.path.join(self.state, "browser.pid"))
        shutil.rmtree(self.state if self.own_state else os.path.join(self.state, "profile"), ignore_errors=True)

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.from_browser], [], [], remaining)[0]:
                raise BrowserError("timed out waiting for the browser")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise BrowserError(f"the browser exited (status {self.process.poll()}); see its log")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=True, timeout=LOAD_TIMEOUT):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method, matches, timeout=LOAD_TIMEOUT):
        """Waits for the event `method` whose params `matches` accepts, keeping every other event."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["method"] == method and matches(event["params"]):
                    return event
            self.events.append(self._read_message(deadline))


def file_url(path):
    return "file://" + urllib.parse.quote(os.path.abspath(path))


def local_path(url):
    """The file a file:// URL names (without query and fragment), or None for any other scheme."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file":
        return None
    return urllib.parse.unquote(parts.path)


def is_self_contained(url):
    return urllib.parse.urlsplit(url).scheme in ("file", "data", "blob", "about")


def shown(path):
    """A path as printed: relative to the working folder when it lies inside it, else absolute."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def screenshot_name(page, root):
    relative = os.path.relpath(page, root)
    if relative.startswith(".."):
        relative = page.lstrip("/")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", relative.replace(os.sep, "__")) + ".png"


def check_page(browser, page, screenshots, root):
    """Loads one page; returns its failures, image and link counts, the local .html pages it links to (each
    with the #fragments asked for) and the ids on it."""
    failures = []
    browser.events.clear()
    result = browser.call("Page.navigate", {"url": file_url(page)})
    if result.get("errorText"):
        return [f"cannot load: {result['errorText']}"], 0, 0, {}, set()
    try:
        # The load event of this navigation (its loader), not a late one of the page before.
        browser.wait_for("Page.lifecycleEvent",
                         lambda e: e["name"] == "load" and e["loaderId"] == result.get("loaderId"))
    except BrowserError as error:
        return [f"no load event: {error}"], 0, 0, {}, set()
    evaluated = browser.call("Runtime.evaluate", {"expression": COLLECT_JS, "awaitPromise": True,
                                                   "returnByValue": True})
    if "exceptionDetails" in evaluated:
        raise BrowserError(f"collecting the page's contents failed: {evaluated['exceptionDetails']}")
    dom = evaluated["result"]["value"]

    bad_refs = set()
    for ref in dom["refs"]:
        if not is_self_contained(ref["url"]):
            failures.append(f"external reference in {ref['tag']}: {ref['raw']}")
            bad_refs.add(ref["raw"])
        elif local_path(ref["url"]) is not None and not os.path.isfile(local_path(ref["url"])):
            failures.append(f"missing file in {ref['tag']}: {ref['raw']}")
            bad_refs.add(ref["raw"])

    for image in dom["images"]:
        src = image["src"]
        if (not image["complete"] or image["width"] <= 0) and src not in bad_refs:
            short = src[:40] + "..." if len(src) > 40 else src
            failures.append(f"image not decoded: {short or '(no src)'}")

    # What the page really asked for while loading, beyond the attributes: CSS urls, fonts, fetches.
    seen = {ref["url"] for ref in dom["refs"]}
    for event in browser.events:
        if event["method"] == "Network.requestWillBeSent":
            url = event["params"]["request"]["url"]
            if not is_self_contained(url) and url not in seen:
                failures.append(f"external request: {url}")
                seen.add(url)
        elif event["method"] == "Network.loadingFailed":
            request_url = next((e["params"]["request"]["url"] for e in browser.events
                                if e["method"] == "Network.requestWillBeSent"
                                and e["params"]["requestId"] == event["params"]["requestId"]), "")
            if local_path(request_url) is not None and request_url not in seen:
                failures.append(f"failed to load {request_url}: {event['params'].get('errorText')}")
        elif event["method"] == "Runtime.exceptionThrown":
            details = event["params"]["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            failures.append(f"script error: {text.splitlines()[0] if text else 'unknown'}")

    linked = {}
    for link in dom["links"]:
        raw, url = link["raw"], link["url"]
        if raw.startswith("#"):
            fragment = urllib.parse.unquote(raw[1:])
            if fragment and fragment not in dom["ids"]:
                failures.append(f"link to a missing anchor: {raw}")
            continue
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme in ("http", "https", "mailto"):
            continue  # a link the reader may follow, not a resource of the page
        path = local_path(url)
        if path is None:
            if scheme not in ("data", "javascript"):
                failures.append(f"link with an unsupported scheme: {raw}")
            continue
        if not os.path.isfile(path):
            failures.append(f"broken link: {raw}" + (" (a folder)" if os.path.isdir(path) else ""))
        elif path.endswith((".html", ".htm")):
            fragment = urllib.parse.unquote(urllib.parse.urlsplit(url).fragment)
            linked.setdefault(os.path.realpath(path), set()).update([fragment] if fragment else [])

    # Full page: the whole document height (capped), at the viewport's width.
    width = max(VIEWPORT[0], dom["width"])
    height = min(max(VIEWPORT[1], dom["height"]), MAX_SCREENSHOT_HEIGHT)
    browser.call("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    shot = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})
    browser.call("Emulation.setDeviceMetricsOverride",
                 {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False})
    with open(os.path.join(screenshots, screenshot_name(page, root)), "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    return failures, len(dom["images"]), len(dom["links"]), linked, set(dom["ids"])


def main():
    parser = argparse.ArgumentParser(description="Check self-contained HTML pages in headless Chromium.")
    parser.add_argument("--screenshots", default="/tmp/lam-pages", help="folder for one PNG per page")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--state", help="folder for the browser's profile, log and browser.pid (the pid of its "
                        "process group), for a caller that cleans up after a killed checker")
    parser.add_argument("pages", nargs="+", metavar="PAGE.html")
    options = parser.parse_args()

    failed = False
    queue = []
    for page in options.pages:
        if not os.path.isfile(page):
            print(f"FAIL {page}: no such file", flush=True)
            failed = True
        else:
            queue.append(os.path.realpath(page))
    if not queue:
        return 1
    os.makedirs(options.screenshots, exist_ok=True)
    root = os.path.commonpath([os.path.dirname(p) for p in queue])

    try:
        browser = Browser(options.chromium, options.state)
    except (BrowserError, OSError) as error:
        print(f"check-pages: cannot start {options.chromium}: {error}", file=sys.stderr)
        return 2
    checked = {}      # page -> ids on it
    wanted = {}       # page -> fragments other pages link to
    try:
        while queue:
            page = queue.pop(0)
            if page in checked:
                continue
            failures, images, links, linked, checked[page] = check_page(browser, page, options.screenshots, root)
            for target, fragments in linked.items():
                wanted.setdefault(target, set()).update((f, shown(page)) for f in fragments)
                if target not in checked and target not in queue:
                    queue.append(target)
            if failures:
                failed = True
                print(f"FAIL {shown(page)}: " + "; ".join(failures), flush=True)
            else:
                print(f"ok {shown(page)}: {images} images, {links} links", flush=True)
        for target, fragments in sorted(wanted.items()):
            for fragment, source in sorted(fragments):
                if fragment not in checked.get(target, set()):
                    failed = True
                    print(f"FAIL {source}: link to a missing anchor: {shown(target)}#{fragment}")
    except BrowserError as error:
        print(f"check-pages: {error}", file=sys.stderr)
        return 2
    finally:
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
