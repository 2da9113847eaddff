"""Headless Chromium (Debian's) driven by Playwright, with the network disabled."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@dataclass
class PageCheck:
    canvases: int
    page_errors: list[str] = field(default_factory=list)
    network_requests: list[str] = field(default_factory=list)


def load_offline(html: Path, chromium: str, screenshot: Path | None = None, selector: str = "canvas") -> PageCheck:
    """Open a local HTML file with every non-file request blocked; count bokeh canvases."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    errors: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            requests.append(url)
            r.abort()

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            ctx.set_offline(True)
            ctx.route("**/*", route)
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(Path(html).resolve().as_uri())
            try:
                page.wait_for_selector(selector, timeout=30000, state="attached")
            except Exception:
                pass
            n = page.locator(selector).count()
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            ctx.close()
    return PageCheck(n, errors, requests)
