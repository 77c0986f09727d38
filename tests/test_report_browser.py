"""The page as a browser shows it: headless Chromium renders the bundled study's report, and the
screenshot holds the figures (their grey confidence bands and black curves), which a page whose
SVG failed to render would not (without the figures the page has about a thousand pixels of that grey,
from anti-aliased text, and none in a run of more than 50 along a row).

Skipped, with the reason, where no Chromium is installed (CI installs Debian's chromium).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image", reason="Pillow (a matplotlib dependency) reads the screenshot")

BROWSER = next((found for name in ("chromium", "chromium-browser", "google-chrome")
                if (found := shutil.which(name))), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine (apt-get install chromium)")
BAND = (0xD4, 0xD4, 0xD4)  # figures.BAND, the 95% confidence band


def screenshot(page: Path, target: Path, profile: Path) -> Image.Image:
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--hide-scrollbars", "--window-size=1000,7000", f"--screenshot={target}", page.as_uri()]
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    return Image.open(target).convert("RGB")


def figure_pixels(image: Image.Image) -> tuple[int, int]:
    """(pixels of the confidence bands' grey, near-black pixels in the rows the bands span)."""
    grey = np.asarray(image, dtype=np.int16)
    band = (grey == BAND).all(axis=2)
    rows = np.flatnonzero(band.sum(axis=1) > 50)  # rows crossing a band, not a stray anti-aliased pixel
    dark = (grey[rows].max(axis=2) < 60).sum() if rows.size else 0
    return int(band.sum()), int(dark)


def test_chromium_renders_the_page_with_its_figures(bundled_out, tmp_path):
    """Nothing on the page but the figures paints the bands' grey (#d4d4d4): five bands, with the
    black curves and censoring ticks inside them, mean the SVG was drawn."""
    image = screenshot(bundled_out / "report" / "index.html", tmp_path / "page.png", tmp_path / "profile")
    band, dark = figure_pixels(image)
    assert band > 50_000, f"the five figures' confidence bands: {band} pixels"
    assert dark > 2_000, f"curves, axes and ticks across the bands: {dark} pixels"
