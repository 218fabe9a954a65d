"""The Studio and the embed widget in real headless Chromium (Debian's, via Playwright).

One kinema server (uvicorn in a thread, workers on so avatars get built) serves both tests; a
second loopback port serves the page that embeds the widget, so it runs cross-origin.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import httpx
import pytest
from browser_env import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    MOUTH_MOTION_JS,
    free_port,
    kinema_server,
    static_site,
)

from kinema.config import Settings
from kinema.platform import accounts, db

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]

WIDGET = "document.querySelector('#kinema-embed').shadowRoot"
DATA = Path(__file__).resolve().parents[1] / "data"
PORTRAIT = DATA / "einstein_photo.jpg"
DOG, DOG_POINTS = DATA / "shiba_dog.jpg", DATA / "shiba_dog.points.json"
NAMES = ("left_eye", "right_eye", "nose_tip", "mouth_left", "mouth_right", "upper_lip", "lower_lip",
         "chin")  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("studio_browser")
    settings = Settings(home=home, live_size=320, workers=1)  # type: ignore[arg-type]
    db.migrate(settings)
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, "browser-test", credits=500)
        _, key = accounts.create_key(s, org.id)
    with kinema_server(settings, free_port()) as url:
        yield {"url": url, "key": key, "home": home}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _speaking_motion(page, video_selector: str) -> dict:
    video = page.locator(video_selector).element_handle()
    return page.evaluate(MOUTH_MOTION_JS, [video, 1500])


def test_dashboard_creates_a_character_and_talks_live(env, browser):
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(env["url"] + "/studio/")
    page.wait_for_selector("#api-key")
    _shot(page, "00_sign_in")
    page.get_by_label("API key").fill(env["key"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#org-name:has-text('browser-test')")
    _shot(page, "01_characters_empty")

    page.get_by_role("link", name="Create character").click()
    page.set_input_files("#portrait-file", str(PORTRAIT))
    page.wait_for_selector("#quality-badge", timeout=30_000)
    assert page.locator("#quality-badge").inner_text() in ("Ready", "Usable, with tips")
    page.get_by_label("Name").fill("Albert")
    page.get_by_label("Personality template").select_option("tutor")
    _shot(page, "02_create_quality")
    page.get_by_role("button", name="Create character").click()
    page.wait_for_selector("#create-ready", timeout=120_000)
    page.wait_for_function(  # the live preview starts by itself and introduces the character
        "document.querySelector('#live-status').textContent === 'Speaking'", timeout=60_000
    )
    _shot(page, "03_create_preview_talking")

    page.locator("#open-test").click()
    page.wait_for_selector("#live-start")
    page.locator("#live-start").click()
    page.wait_for_function("document.querySelector('#live-video').videoWidth > 0", timeout=60_000)
    page.wait_for_selector("#live-input:not([disabled])")
    page.locator("#live-input").fill("Hello! Who are you?")
    page.locator("#live-send").click()
    page.wait_for_function(
        "document.querySelector('#live-status').textContent === 'Speaking'", timeout=30_000
    )
    speaking = _speaking_motion(page, "#live-video")
    _shot(page, "04_test_mode_speaking")
    page.wait_for_function(  # the reply (after any greeting) names the character
        "[...document.querySelectorAll('#live-transcript .msg.assistant')]"
        ".some((m) => m.textContent.includes('Albert'))",
        timeout=30_000,
    )
    answer = page.locator("#live-transcript .msg.assistant").last.inner_text()
    page.wait_for_function("document.querySelector('#live-status').textContent === 'Idle'")
    idle = _speaking_motion(page, "#live-video")  # the same face, not speaking
    transport = page.locator(".metrics b").nth(2).inner_text()
    print(f"{transport=} {idle=} {speaking=} {answer=}")
    assert speaking["frames"] >= 10 and speaking["maxDiff"] > 2.0
    assert speaking["maxDiff"] > idle["maxDiff"]
    page.locator("#live-end").click()
    page.wait_for_selector("#live-rating button")
    page.locator("#live-rating button").nth(4).click()  # five stars
    page.wait_for_selector("#live-rating button[aria-pressed='true']")
    task = httpx.post(
        env["url"] + "/v1/text_to_video",
        json={
            "model": "gen4.5",
            "promptText": "a lighthouse at dusk, waves",
            "ratio": "1280:720",
            "duration": 2,
        },  # fmt: skip
        headers={"Authorization": f"Bearer {env['key']}", "X-Runway-Version": "2024-11-06"},
    )
    assert task.status_code == 200, task.text

    page.get_by_role("link", name="Deployments").click()
    page.wait_for_selector("#embed-snippet")
    page.wait_for_timeout(300)
    _shot(page, "05_deployments")
    page.get_by_role("link", name="My characters").click()
    page.wait_for_selector("#char-list .char")
    _shot(page, "06_characters")
    page.get_by_role("link", name="Videos").click()
    page.wait_for_selector("#video-list article")
    page.wait_for_selector("#video-list video", timeout=120_000)  # progress, then a player
    page.wait_for_function(
        "document.querySelector('#video-list video').readyState >= 1", timeout=20_000
    )
    _shot(page, "07_videos")
    page.emulate_media(color_scheme="dark")
    page.get_by_role("link", name="Deployments").click()
    page.wait_for_selector("#embed-snippet")
    page.wait_for_timeout(300)
    stats = page.locator(".stat").all_inner_texts()
    assert stats[0] == "2" and stats[2] == "5 / 5"  # preview + test mode; rated five
    _shot(page, "12_deployments_dark")
    assert not errors, errors
    page.close()


def test_keyboard_only_sign_in_and_navigation(env, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(env["url"] + "/studio/")
    assert page.evaluate("document.activeElement.id") == "api-key"  # focus starts on the key
    page.keyboard.type(env["key"])
    page.keyboard.press("Enter")
    page.wait_for_selector("#org-name:has-text('browser-test')")
    page.wait_for_function("document.activeElement.id === 'main'")  # focus moves to the content
    page.keyboard.press("Shift+Tab")  # back into the sidebar: the account box, then the nav
    assert page.evaluate("document.activeElement.textContent") == "Sign out"
    page.keyboard.press("Shift+Tab")
    assert "Videos" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the first control of My characters
    assert "New character" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Create a character')")
    labels = page.evaluate(
        "[...document.querySelectorAll('main input, main select, main textarea')]"
        ".map((e) => e.labels && e.labels.length > 0)"
    )
    assert labels and all(labels)  # every control has a label
    page.close()


def test_test_mode_over_the_websocket_transport(env, browser):
    """The fallback path: JPEG frames painted on a canvas that feeds the same <video>."""
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    page.goto(env["url"] + "/studio/")
    page.evaluate(f"sessionStorage.setItem('kinema.apiKey', '{env['key']}')")
    page.goto(env["url"] + "/studio/?transport=websocket#/test/cooking-teacher")
    page.locator("#live-start").click()
    page.wait_for_function("document.querySelector('#live-video').videoWidth > 0", timeout=60_000)
    assert page.locator(".metrics b").nth(2).inner_text() == "websocket"
    page.locator("#live-input").fill("Hello! Who are you?")
    page.locator("#live-send").click()
    page.wait_for_function(
        "document.querySelector('#live-status').textContent === 'Speaking'", timeout=30_000
    )
    motion = _speaking_motion(page, "#live-video")
    page.wait_for_function(
        "[...document.querySelectorAll('#live-transcript .msg.assistant')]"
        ".some((m) => m.textContent.includes('Chef Emma'))",
        timeout=30_000,
    )
    _shot(page, "11_test_mode_websocket")
    print("websocket motion", motion)
    assert motion["maxDiff"] > 2.0
    page.close()


def test_manual_points_for_a_face_the_detector_misses(env, browser):
    """A dog: the quality check finds no face; eight clicks place the points; it gets built."""
    points = json.loads(DOG_POINTS.read_text())
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    page.goto(env["url"] + "/studio/")
    page.evaluate(f"sessionStorage.setItem('kinema.apiKey', '{env['key']}')")
    page.goto(env["url"] + "/studio/#/create")
    page.set_input_files("#portrait-file", str(DOG))
    page.wait_for_selector("#quality-badge:has-text('No face found')", timeout=30_000)
    page.wait_for_selector("#marker-prompt")
    box = page.locator("#portrait-img").bounding_box()
    width, height = page.evaluate(
        "[document.querySelector('#portrait-img').naturalWidth,"
        " document.querySelector('#portrait-img').naturalHeight]"
    )
    k = min(box["width"] / width, box["height"] / height)
    ox, oy = (box["width"] - width * k) / 2, (box["height"] - height * k) / 2
    for name in NAMES:
        x, y = points[name]
        page.mouse.click(box["x"] + ox + x * k, box["y"] + oy + y * k)
    assert "All points placed" in page.locator("#marker-prompt").inner_text()
    assert page.locator(".pin").count() == len(NAMES)
    _shot(page, "10_manual_points")
    page.get_by_label("Name").fill("Shiba")
    page.get_by_role("button", name="Create character").click()
    page.wait_for_selector("#create-ready", timeout=120_000)
    page.close()


def test_embed_widget_on_another_origin(env, browser, tmp_path):
    site_port = free_port()
    site_origin = f"http://127.0.0.1:{site_port}"
    headers = {"Authorization": f"Bearer {env['key']}"}
    r = httpx.post(
        env["url"] + "/v1/publishable_keys",
        json={"avatarId": "game-character", "allowedOrigins": [site_origin]},
        headers=headers,
    )
    pk = r.json()["key"]
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><title>Shop</title></head><body style='font-family:sans-serif'>"
        "<h1>Example shop</h1><p>A page on another origin.</p>"
        f"<script src='{env['url']}/embed.js' data-avatar='game-character' data-key='{pk}' "
        "data-position='bottom-right' data-color='#0f766e' data-title='Chat with Nova' "
        "data-greeting='Hi, I am Nova!'></script></body></html>"
    )
    (tmp_path / "other.html").write_text((tmp_path / "index.html").read_text())
    with static_site(tmp_path, site_port) as site:
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(site + "/index.html")
        page.locator("#kinema-embed").locator("button.launcher").click()
        page.wait_for_function(
            "window.KinemaEmbed && window.KinemaEmbed.transport !== null", timeout=60_000
        )
        page.wait_for_function(f"{WIDGET}.querySelector('video').videoWidth > 0")
        page.evaluate("window.KinemaEmbed.send('Who are you?')")
        page.wait_for_function(
            "document.querySelector('#kinema-embed').shadowRoot.querySelector('.caption')"
            ".textContent.includes('Nova') && "
            "document.querySelector('#kinema-embed').shadowRoot.querySelector('.state')"
            ".textContent === 'Speaking'",
            timeout=30_000,
        )
        video = page.evaluate_handle(
            "document.querySelector('#kinema-embed').shadowRoot.querySelector('video')"
        )
        motion = page.evaluate(MOUTH_MOTION_JS, [video, 1200])
        _shot(page, "08_embed_widget")
        print("embed transport", page.evaluate("window.KinemaEmbed.transport"), motion)
        assert motion["maxDiff"] > 2.0
        widget = page.locator("#kinema-embed")
        widget.locator("button.x").click()  # closing asks once for a rating
        widget.locator(".rate button[data-r='4']").click()
        page.wait_for_function(f"{WIDGET}.querySelector('.panel').hidden")
        page.close()
    for _ in range(50):
        sessions = httpx.get(env["url"] + "/v1/live/sessions", headers=headers).json()["data"]
        embedded = [s for s in sessions if s["origin"] == site_origin]
        if embedded and embedded[0]["satisfaction"] == 4:
            break
        time.sleep(0.1)
    assert embedded[0]["satisfaction"] == 4 and embedded[0]["status"] == "COMPLETED"

    # the same page served from an origin the key does not list is refused
    other_port = free_port()
    with static_site(tmp_path, other_port) as other:
        page = browser.new_page()
        page.goto(other + "/other.html")
        page.locator("#kinema-embed").locator("button.launcher").click()
        page.wait_for_function(
            "document.querySelector('#kinema-embed').shadowRoot.querySelector('.state')"
            ".textContent === 'Unavailable'",
            timeout=20_000,
        )
        _shot(page, "09_embed_refused")
        page.close()


def teardown_module() -> None:
    shutil.rmtree(ARTIFACTS.parent / "tmp", ignore_errors=True)


FAIL_WEBRTC_JS = """
RTCPeerConnection.prototype.setRemoteDescription = function () {
  return Promise.reject(new Error("test: WebRTC made to fail after signalling"));
};
"""


def test_webrtc_failure_falls_back_to_the_same_session(env, browser):
    """WebRTC fails after the offer started the session: the WebSocket fallback joins that
    session (no orphan near-zero-length session is left in the stats)."""
    headers = {"Authorization": f"Bearer {env['key']}"}

    def sessions() -> list[dict]:
        res = httpx.get(env["url"] + "/v1/live/sessions?limit=100", headers=headers)
        assert res.status_code == 200, res.text
        return res.json()["data"]

    before = {s["id"] for s in sessions()}
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    page.add_init_script(FAIL_WEBRTC_JS)
    page.goto(env["url"] + "/studio/")
    page.evaluate(f"sessionStorage.setItem('kinema.apiKey', '{env['key']}')")
    page.goto(env["url"] + "/studio/#/test/cooking-teacher")
    page.locator("#live-start").click()
    page.wait_for_function("document.querySelector('#live-video').videoWidth > 0", timeout=60_000)
    assert page.locator(".metrics b").nth(2).inner_text() == "websocket"
    page.locator("#live-input").fill("Hello! Who are you?")
    page.locator("#live-send").click()
    page.wait_for_function(
        "[...document.querySelectorAll('#live-transcript .msg.assistant')]"
        ".some((m) => m.textContent.includes('Chef Emma'))",
        timeout=30_000,
    )
    time.sleep(4.0)  # longer than the server's fallback grace for a failed peer
    new = [s for s in sessions() if s["id"] not in before]
    assert len(new) == 1, new  # the WebRTC attempt's session is the one we talk in
    assert new[0]["status"] == "RUNNING"
    page.close()
