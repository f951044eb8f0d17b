"""GraphiQL in headless Chromium: loaded from the gateway alone, it runs the home screen.

Uses Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); the driver path is
given, so Selenium Manager never downloads anything. Chromium's own background traffic is turned
off and every host but 127.0.0.1 resolves to nothing, and the test still checks, from the
DevTools network log, that the page asked for nothing outside the gateway.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from gateway.app import create_app
from gateway.graphiql import STATIC_PATH
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
LOAD_TIMEOUT_S = 30

# Live mode needs real-looking credentials and a JWKS URL (never fetched here).
LIVE: dict[str, Any] = {
    "mode": "live",
    "cardlytics_client_id": "bank-client",
    "cardlytics_secret": "bank-secret",
    "customer_id_hmac_key": "bank-hmac-key",
    "clickbank_api_key": "API-" + "1F" * 20,
    "jwt_jwks_url": "http://127.0.0.1:9/jwks",
}

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--window-size=1400,1000",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-features=OptimizationHints,MediaRouter,Translate",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)

# The text of a CodeMirror 5 editor inside GraphiQL (the editors are not plain text areas).
EDITOR_TEXT = "return document.querySelector(arguments[0] + ' .CodeMirror').CodeMirror.getValue();"
# The variables and headers editors, in that order (the headers one is hidden until its tab).
TOOL_EDITORS_TEXT = """
    return Array.from(document.querySelectorAll('.graphiql-editor-tool .CodeMirror'))
        .map(editor => editor.CodeMirror.getValue());
"""


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        reason = f"{CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install chromium-driver)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def test_graphiql_runs_the_home_screen_with_no_internet(
    gateway: Gateway, browser: webdriver.Chrome
) -> None:
    # given: GraphiQL, loaded from the gateway
    browser.get(gateway.graphql_url)
    wait = WebDriverWait(browser, LOAD_TIMEOUT_S)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"))

    # then: it opens with the home-screen operation and a token ready in the headers
    assert "query Home" in _editor_text(browser, ".graphiql-query-editor")
    variables, headers = browser.execute_script(TOOL_EDITORS_TEXT)
    assert json.loads(variables) == {"first": 10}
    assert json.loads(headers)["Authorization"].startswith("Bearer ey")

    # and: the schema loaded (introspection passes the query limits): the docs list the roots
    browser.find_element(By.CSS_SELECTOR, "[aria-label='Show Documentation Explorer']").click()
    wait.until(lambda d: "Mutation" in d.find_element(By.CLASS_NAME, "graphiql-doc-explorer").text)

    # when: the run button is clicked
    browser.find_element(By.CSS_SELECTOR, "button.graphiql-execute-button").click()
    text = wait.until(_response)  # until a non-empty answer
    assert text is not None

    # then: offer data in the result pane, no errors
    result = json.loads(text)
    assert "errors" not in result, result["errors"]
    offers = result["data"]["offers"]
    assert offers["totalCount"] > 0
    assert offers["edges"][0]["node"]["merchantName"]
    assert result["data"]["rankings"]

    # and: nothing was asked of any host but the gateway
    assert _hosts_requested(browser) == {urlsplit(gateway.url).netloc}


def test_page_and_assets_come_from_the_gateway(gateway: Gateway) -> None:
    # when
    page = httpx.get(gateway.graphql_url, headers={"Accept": "text/html"})

    # then: every script and style is under /graphql/static, served, and matches its hash
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"\s+integrity="sha384-([^"]+)"', page.text)
    assert len(assets) == 7
    for url, digest in assets:
        assert url.startswith(STATIC_PATH + "/")
        asset = httpx.get(gateway.url + url)
        assert asset.status_code == 200
        assert base64.b64encode(hashlib.sha384(asset.content).digest()).decode() == digest
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)
    assert "query Home" in page.text


@pytest.mark.parametrize(
    ("overrides", "page_status", "token"),
    [
        ({}, 404, False),  # live mode: off unless asked for
        ({"graphiql": True}, 200, False),  # asked for: on, but never with a token
    ],
)
def test_live_mode(
    sandbox: Sandbox, overrides: dict[str, Any], page_status: int, token: bool
) -> None:
    settings = settings_for(sandbox, **LIVE, **overrides)
    with serve_in_thread(create_app(settings)) as url:
        page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"})
        asset = httpx.get(f"{url}{STATIC_PATH}/react-18.2.0/react.production.min.js")
    assert page.status_code == page_status
    assert asset.status_code == page_status
    assert ("Bearer ey" in page.text) is token


def test_graphiql_can_be_turned_off_in_sandbox_mode(sandbox: Sandbox) -> None:
    with serve_in_thread(create_app(settings_for(sandbox, graphiql=False))) as url:
        assert httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}).status_code == 404


def _editor_text(browser: webdriver.Chrome, container: str) -> str:
    text: str = browser.execute_script(EDITOR_TEXT, container)
    return text


def _response(browser: webdriver.Chrome) -> str | None:
    """The result pane's text once an answer arrived (it is empty while the request runs)."""
    found = browser.find_elements(By.CSS_SELECTOR, ".graphiql-response .CodeMirror")
    if not found:
        return None
    text = _editor_text(browser, ".graphiql-response")
    return text if text.strip().startswith("{") else None


def _hosts_requested(browser: webdriver.Chrome) -> set[str]:
    """Every host the page sent a request to, from the DevTools network log."""
    hosts: set[str] = set()
    for entry in browser.get_log("performance"):  # type: ignore[no-untyped-call]
        message: dict[str, Any] = json.loads(entry["message"])["message"]
        if message["method"] not in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            continue
        params = message["params"]
        url = params["request"]["url"] if "request" in params else params["url"]
        if not url.startswith(("data:", "blob:", "about:")):
            hosts.add(urlsplit(url).netloc)
    return hosts
