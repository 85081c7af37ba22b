"""Headless Chromium (Debian's chromium and chromium-driver, through selenium) on a real
ComfyUI's page, for the front-end tests.  Used only by tests marked ``needs_host``."""

import json
import shutil
import time
import urllib.request

import pytest

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
INSTALL = "apt-get install chromium chromium-driver, and pip install -r tests/requirements.txt"


def _executable(names) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(f"no {names[0]} on PATH: the front-end tests need it ({INSTALL}).")


def open_page(url: str, width: int = 1600, height: int = 1000):
    """A headless Chromium showing ComfyUI at ``url``, once its app and the extensions are loaded.
    The caller quits it."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail(f"selenium is not installed ({INSTALL}).")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.binary_location = _executable(CHROMIUM)
    # a first visit opens the template browser over the canvas; a user who has been here has closed it
    req = urllib.request.Request(f"{url}/settings/Comfy.TutorialCompleted", data=json.dumps(True).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).close()
    driver = webdriver.Chrome(options=options, service=Service(_executable(("chromedriver",))))
    try:
        driver.get(url)
        wait_for(driver, "return !!(window.app && window.app.graph && window.app.extensions"
                         " && window.app.extensions.some(e => e.name.startsWith('anim2lora')))", 120)
    except BaseException:
        driver.quit()
        raise
    return driver


def wait_for(driver, script: str, timeout: float = 30, *args):
    """Poll ``script`` (a function body returning a value) until it returns something truthy;
    that value, or a failure naming the script."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script, *args)
        if value:
            return value
        if time.monotonic() > deadline:
            logs = ""
            try:
                logs = "\n".join(e["message"] for e in driver.get_log("browser"))[-3000:]
            except Exception:  # noqa: BLE001 - logs are a courtesy
                pass
            raise AssertionError(f"timed out after {timeout}s waiting for: {script}\nbrowser log:\n{logs}")
        time.sleep(0.25)
