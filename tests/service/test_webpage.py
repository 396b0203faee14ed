"""The web page in a real headless Chromium: type a query, see neighbours and the drawn plots;
pick a relation, type a concept, see the transformed concept's neighbours."""

from __future__ import annotations

import os
import shutil
import tempfile
from urllib.parse import parse_qs, urlparse

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a dev dependency")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402
from service_server import start_server, stop_server  # noqa: E402

from world2vec.embeddings.model import DEFAULT_MODEL_DIR  # noqa: E402

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never download anything
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

# How many non-white pixels a canvas has: proof that something was drawn on it.
INKED_PIXELS = """
const c = document.getElementById(arguments[0]);
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let n = 0;
for (let i = 0; i < d.length; i += 4) {
  if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) n++;
}
return n;
"""


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail("chromium and chromedriver must be installed (.ci/run installs them)")
    profile = tempfile.mkdtemp(prefix="w2v-chromium-")
    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--window-size=1280,1000"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _results(driver, list_id: str = "results"):
    """The ids listed, read in one script (the list may be redrawn between two reads)."""
    return driver.execute_script(
        f"return [...document.querySelectorAll('#{list_id} li.result')].map(li => li.dataset.id);")


def _page_state(driver) -> str:
    """What the page shows of the service, for a wait's failure message (a timed-out wait
    says nothing by itself: was /health slow, refused, or another model's?)."""
    return driver.execute_script(
        "const t = id => (document.getElementById(id) || {}).textContent;"
        "const p = document.getElementById('models-panel');"
        "return JSON.stringify({info: t('model-info'), selected: p && p.dataset.selected,"
        " curves: t('curves-note'), models: t('models-note')});")


def wait_or_fail(driver, condition, what: str, timeout: float = 60) -> None:
    """Wait for ``condition``; on timeout fail with what the page shows at that moment."""
    try:
        WebDriverWait(driver, timeout).until(condition)
    except TimeoutException:
        pytest.fail(f"{what} within {timeout:.0f} s; the page shows {_page_state(driver)}")


def test_concept_query_shows_neighbours_plot_and_curves(browser, url):
    browser.get(url + "/")
    wait = WebDriverWait(browser, 20)
    wait_or_fail(browser, lambda d: "fixture-features" in d.find_element(By.ID, "model-info").text,
                 "the page never named the served model")
    box = browser.find_element(By.ID, "query")
    box.clear()
    box.send_keys("cat", Keys.ENTER)
    wait.until(lambda d: len(_results(d)) == 10)
    found = _results(browser)
    assert found[0] in ("tiger", "kitten", "lion") and "cat" not in found
    scores = [float(s.text) for s in browser.find_elements(By.CSS_SELECTOR, "#results .score")]
    assert scores == sorted(scores, reverse=True)
    canvas = browser.find_element(By.ID, "projection")
    assert canvas.get_attribute("data-points") == "11"
    assert browser.execute_script(INKED_PIXELS, "projection") > 200
    wait.until(lambda d: d.find_element(By.ID, "curves").get_attribute("data-series") == "2")
    assert browser.execute_script(INKED_PIXELS, "curves") > 500
    assert "loss" in browser.find_element(By.ID, "curves-note").text


def test_the_memories_view_pages_through_a_collection_with_a_filter(browser, url, auth):
    import requests
    requests.post(url + "/collections", json={"name": "pageview"}, headers=auth, timeout=30)
    items = [{"id": f"m{i}", "text": "a cat sat on the mat", "tags": ["even" if i % 2 == 0 else "odd"]}
             for i in range(6)]
    added = requests.post(url + "/collections/pageview/memories", json={"items": items},
                          headers=auth, timeout=30)
    assert added.status_code in (200, 201), added.text
    browser.get(url + "/")
    wait = WebDriverWait(browser, 20)
    collection = browser.find_element(By.ID, "memories-collection")
    collection.clear()
    collection.send_keys("pageview")
    browser.find_element(By.ID, "memories-filter").send_keys('{"tags": {"any": ["even"]}}')
    limit = browser.find_element(By.ID, "memories-limit")
    limit.clear()
    limit.send_keys("2", Keys.ENTER)
    listed = "return [...document.querySelectorAll('#memories-list li.memory')].map(li => li.dataset.id);"
    wait.until(lambda d: d.execute_script(listed) == ["m0", "m2"])
    assert "3 item(s) match" in browser.find_element(By.ID, "memories-count").text
    browser.find_element(By.ID, "memories-more").click()
    wait.until(lambda d: d.execute_script(listed) == ["m0", "m2", "m4"])
    wait.until(lambda d: not d.find_element(By.ID, "memories-more").is_enabled())
    browser.find_element(By.ID, "memories-filter").send_keys("{")
    browser.find_element(By.ID, "memories-go").click()
    wait.until(lambda d: d.find_element(By.ID, "memories-error").is_displayed())


def test_expression_query_and_unknown_term_message(browser, url):
    browser.get(url + "/")
    wait = WebDriverWait(browser, 20)
    box = browser.find_element(By.ID, "query")
    box.send_keys("king - man + woman", Keys.ENTER)
    wait.until(lambda d: _results(d) and _results(d)[0] == "queen")
    assert "expr" in browser.find_element(By.ID, "status").text
    box.clear()
    box.send_keys("king - mann", Keys.ENTER)
    error = browser.find_element(By.ID, "error")
    wait.until(lambda d: error.is_displayed() and "mann" in error.text)
    suggestion = browser.find_element(By.CSS_SELECTOR, "#error a.suggestion")
    assert suggestion.text == "man"


def test_a_deep_link_runs_its_query_and_the_address_follows_the_box(browser, url):
    browser.get(url + "/?q=cat")
    wait = WebDriverWait(browser, 20)
    wait.until(lambda d: len(_results(d)) == 10)
    assert _results(browser)[0] in ("tiger", "kitten", "lion")
    box = browser.find_element(By.ID, "query")
    assert box.get_attribute("value") == "cat"
    box.clear()
    box.send_keys("king - man + woman")
    wait.until(lambda d: parse_qs(urlparse(d.current_url).query).get("q") == ["king - man + woman"])
    box.send_keys(Keys.ENTER)
    wait.until(lambda d: _results(d) and _results(d)[0] == "queen")
    Select(browser.find_element(By.ID, "mode")).select_by_value("expr")
    wait.until(lambda d: parse_qs(urlparse(d.current_url).query).get("mode") == ["expr"])
    # The address reproduces the search: opened again, it shows the same answer.
    browser.get(browser.current_url)
    wait.until(lambda d: _results(d) and _results(d)[0] == "queen")
    assert browser.find_element(By.ID, "mode").get_attribute("value") == "expr"


@pytest.fixture(scope="module")
def read_key_url(model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("read-key-page")
    srv = start_server(model_dir, str(root / "data"), str(root / "log"),
                       env_extra={"WORLD2VEC_READ_KEY": "page-reader"})
    yield srv.url
    stop_server(srv)


def test_with_a_read_key_the_page_asks_for_it_once(browser, read_key_url):
    browser.get(read_key_url + "/?q=dog")
    wait = WebDriverWait(browser, 20)
    form = browser.find_element(By.ID, "key-form")
    wait.until(lambda d: form.is_displayed())
    assert not _results(browser)
    browser.find_element(By.ID, "key").send_keys("page-reader", Keys.ENTER)
    wait.until(lambda d: len(_results(d)) == 10)
    assert not form.is_displayed() and "page-reader" not in browser.current_url
    wait.until(lambda d: "fixture-features" in d.find_element(By.ID, "model-info").text)


@pytest.fixture(scope="module")
def default_url(tmp_path_factory):
    if not os.path.isfile(os.path.join(DEFAULT_MODEL_DIR, "manifest.json")):
        pytest.skip("the bundled default model is not built in this checkout yet")
    root = tmp_path_factory.mktemp("default-page")
    srv = start_server("", str(root / "data"), str(root / "log"), timeout=240)
    yield srv.url
    stop_server(srv)


def test_the_page_on_the_bundled_model(browser, default_url):
    browser.get(default_url + "/")
    wait = WebDriverWait(browser, 30)
    box = browser.find_element(By.ID, "query")
    box.send_keys("cat", Keys.ENTER)
    wait.until(lambda d: len(_results(d)) == 10)
    assert "cat" not in _results(browser)
    assert browser.find_element(By.ID, "projection").get_attribute("data-points") == "11"
    assert browser.execute_script(INKED_PIXELS, "projection") > 200
    wait.until(lambda d: int(d.find_element(By.ID, "curves").get_attribute("data-series")) >= 2)
    assert "loss" in browser.find_element(By.ID, "curves-note").text
    assert browser.execute_script(INKED_PIXELS, "curves") > 500


def test_the_relation_picker_transforms_a_concept(browser, default_url):
    browser.get(default_url + "/")
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: int(d.find_element(By.ID, "relation").get_attribute("data-count") or 0)
               >= 4)
    picker = Select(browser.find_element(By.ID, "relation"))
    assert {"capital", "antonym", "plural", "adverb"} <= {o.get_attribute("value")
                                                          for o in picker.options}
    picker.select_by_value("capital")
    info = browser.find_element(By.ID, "relation-info")
    assert "39 pairs" in info.text and "%" in info.text  # its method, pairs and accuracy
    box = browser.find_element(By.ID, "relation-concept")
    box.send_keys("france", Keys.ENTER)
    wait.until(lambda d: len(_results(d, "relation-results")) == 10)
    found = _results(browser, "relation-results")
    assert found[0] == "paris" and "france" not in found
    assert "capital(france)" in info.text
    scores = [float(s.text) for s in
              browser.find_elements(By.CSS_SELECTOR, "#relation-results .score")]
    assert scores == sorted(scores, reverse=True)
    assert _results(browser) == []  # the query panel's neighbours are left alone

    picker.select_by_value("antonym")
    box.clear()
    box.send_keys("frnace", Keys.ENTER)
    error = browser.find_element(By.ID, "relation-error")
    wait.until(lambda d: error.is_displayed() and "frnace" in error.text)
    assert _results(browser, "relation-results") == []
    suggestion = [a for a in browser.find_elements(By.CSS_SELECTOR, "#relation-error a.suggestion")
                  if a.text == "france"]
    suggestion[0].click()
    wait.until(lambda d: _results(d, "relation-results"))
    assert box.get_attribute("value") == "france" and not error.is_displayed()


def _inked(driver, element) -> int:
    """Non-white pixels of a canvas element (INKED_PIXELS for one without an id)."""
    return driver.execute_script(INKED_PIXELS.replace("document.getElementById(arguments[0])",
                                                      "arguments[0]"), element)


def test_the_models_panel_marks_the_served_model_and_shows_training_like_tensorboard(browser, url):
    browser.get(url + "/")
    wait = WebDriverWait(browser, 30)
    panel = browser.find_element(By.ID, "models-panel")
    wait_or_fail(browser, lambda d: panel.get_attribute("data-selected") == "fixture-features",
                 "the models panel never selected the served model")
    rows = {tr.get_attribute("data-name"): tr
            for tr in browser.find_elements(By.CSS_SELECTOR, "#models tbody tr")}
    assert "active" in rows["fixture-features"].get_attribute("class")
    assert sum("active" in tr.get_attribute("class") for tr in rows.values()) == 1
    assert browser.find_element(By.ID, "record-model").text == "fixture-features"
    assert browser.find_element(By.ID, "model-curves").get_attribute("data-series") == "2"
    assert browser.execute_script(INKED_PIXELS, "model-curves") > 500
    graph = browser.find_element(By.ID, "graph")
    assert int(graph.get_attribute("data-nodes")) > 5
    assert len(graph.find_elements(By.CSS_SELECTOR, "path.edge")) >= 5
    assert "sif" in browser.find_element(By.ID, "graph-note").text
    if "world2vec-default" not in rows:
        return                      # no bundled model in this checkout: nothing to click
    rows["world2vec-default"].click()       # the bundled model's log has weight histograms
    wait.until(lambda d: panel.get_attribute("data-selected") == "world2vec-default")
    box = browser.find_element(By.ID, "histograms")
    assert int(box.get_attribute("data-tags")) >= 2
    canvases = box.find_elements(By.TAG_NAME, "canvas")
    assert {c.get_attribute("data-tag") for c in canvases} >= {"weights/syn0", "weights/syn1"}
    assert all(int(c.get_attribute("data-steps")) >= 2 for c in canvases)
    assert all(_inked(browser, c) > 300 for c in canvases)
    assert "selected" in rows["world2vec-default"].get_attribute("class")
    assert "distilled" in browser.find_element(By.ID, "graph-note").text
