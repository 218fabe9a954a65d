"""The Studio and the embed widget in real headless Chromium (Debian's, via Playwright).

One kinema server (uvicorn in a thread, workers on so avatars get built and videos rendered)
serves every test; a second loopback port serves the page that embeds the widget, so it runs
cross-origin. Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import time
from pathlib import Path

import httpx
import numpy as np
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
from PIL import Image

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
PAINTING = DATA / "mona_lisa_painting.jpg"
DOG, DOG_POINTS = DATA / "shiba_dog.jpg", DATA / "shiba_dog.points.json"
NAMES = ("left_eye", "right_eye", "nose_tip", "mouth_left", "mouth_right", "upper_lip", "lower_lip",
         "chin")  # fmt: skip
VERSION = {"X-Runway-Version": "2024-11-06"}
BUBBLES = "[...document.querySelectorAll('#live-transcript .msg')]"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("studio_browser")
    settings = Settings(home=home, live_size=320, workers=1)  # type: ignore[arg-type]
    db.migrate(settings)
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, "browser-test", credits=800)
        _, key = accounts.create_key(s, org.id)
    with kinema_server(settings, free_port()) as url:
        yield {"url": url, "key": key, "home": home, "auth": {"Authorization": f"Bearer {key}"}}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # the sticky sidebar where a reader first sees it
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _watch(page) -> list[str]:
    """Uncaught errors and console errors of ``page``."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    return errors


def _signed_in(browser, env, *, width=1360, height=900, dark=False):
    page = browser.new_page(viewport={"width": width, "height": height})
    if dark:
        page.emulate_media(color_scheme="dark")
    errors = _watch(page)
    page.goto(env["url"] + "/studio/")
    page.evaluate(f"sessionStorage.setItem('kinema.apiKey', '{env['key']}')")
    return page, errors


def _go(page, env, route: str, query: str = "") -> None:
    page.goto(f"{env['url']}/studio/{query}#/{route}")
    page.wait_for_selector("#main[data-ready]", timeout=30_000)


def _api(env, method: str, path: str, **kwargs):
    r = httpx.request(
        method, env["url"] + path, headers={**env["auth"], **VERSION}, timeout=60, **kwargs
    )
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


def _data_uri(path: Path) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()


def _make_avatar(env, name: str, image: Path = PORTRAIT, voice: str = "emma") -> dict:
    a = _api(env, "POST", "/v1/avatars", json={
        "name": name, "personality": "Tutor", "referenceImage": _data_uri(image),
        "voice": {"type": "runway-live-preset", "presetId": voice}})  # fmt: skip
    for _ in range(300):
        a = _api(env, "GET", f"/v1/avatars/{a['id']}")
        if a["status"] != "PROCESSING":
            break
        time.sleep(0.2)
    assert a["status"] == "READY", a
    return a


def _speaking_motion(page, video_selector: str) -> dict:
    video = page.locator(video_selector).element_handle()
    return page.evaluate(MOUTH_MOTION_JS, [video, 1500])


def _until(page, js: str, timeout: float = 30_000) -> None:
    page.wait_for_function(js, timeout=timeout)


def test_create_greet_talk_with_sources_and_open_the_transcript(env, browser):
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    errors = _watch(page)
    page.goto(env["url"] + "/studio/")
    page.wait_for_selector("#api-key")
    _shot(page, "00_sign_in")
    page.get_by_label("API key").fill(env["key"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#org-name:has-text('browser-test')")

    page.get_by_role("link", name="Create character").click()
    page.wait_for_selector("#main[data-ready]")
    page.set_input_files("#portrait-file", str(PORTRAIT))
    page.wait_for_selector("#quality-badge:not(:has-text('Checking'))", timeout=30_000)
    assert page.locator("#quality-badge").inner_text() in ("Ready", "Usable, with tips")
    page.get_by_label("Name").fill("Albert")
    page.get_by_label("Personality template").select_option("tutor")
    page.locator("#char-notes").fill("The museum opens at nine in the morning and closes at six.")
    _shot(page, "02_create_quality")
    page.get_by_role("button", name="Create character").click()
    page.wait_for_selector("#create-ready", timeout=120_000)
    # the preview greets by itself: no message the user did not type, the whole greeting
    _until(page, "document.querySelector('#live-status').textContent === 'Speaking'", 60_000)
    _shot(page, "03_create_preview_talking")
    _until(page, "document.querySelector('#live-status').textContent === 'Idle'")
    preview = page.locator("#live-transcript .msg").all_inner_texts()
    assert preview and all("learn today" in m for m in preview[:1]), preview
    assert page.locator("#live-transcript .msg.user").count() == 0
    assert not page.locator("#create-submit").is_visible()  # no duplicate from a second press

    page.locator("#open-test").click()
    page.wait_for_selector("#live-start")
    page.locator("#live-start").click()
    page.wait_for_function("document.querySelector('#live-video').videoWidth > 0", timeout=60_000)
    page.wait_for_selector("#live-input:not([disabled])")
    # ask while the greeting is playing: the greeting stays above the question
    _until(page, "document.querySelector('#live-status').textContent === 'Speaking'")
    page.locator("#live-input").fill("When does the museum open?")
    page.locator("#live-send").click()
    _until(page, f"{BUBBLES}.some((m) => m.classList.contains('user'))")
    _until(page, "document.querySelector('#live-status').textContent === 'Speaking'")
    speaking = _speaking_motion(page, "#live-video")
    _shot(page, "04_test_mode_speaking")
    _until(page, "document.querySelector('#live-transcript .sources')")
    _until(page, "document.querySelector('#live-status').textContent === 'Idle'")
    roles = page.evaluate(
        f"{BUBBLES}.map((m) => m.classList.contains('user') ? 'user' : 'assistant')"
    )
    assert roles[:3] == ["assistant", "user", "assistant"], roles
    answer = page.locator("#live-transcript .msg.assistant").nth(1).inner_text()
    assert "nine" in answer and "Albert notes" in answer, answer  # the reply and its source
    idle = _speaking_motion(page, "#live-video")  # the same face, not speaking
    assert speaking["frames"] >= 10 and speaking["maxDiff"] > 2.0
    assert speaking["maxDiff"] > idle["maxDiff"]
    _until(page, "/^\\d+$/.test(document.querySelector('#metric-fps').textContent)", 10_000)
    fps = int(page.locator("#metric-fps").inner_text())
    print(f"{speaking=} {idle=} idle stream fps={fps}")
    assert fps >= 10  # the server's stream rate, not the browser's repaint count
    page.locator("#live-end").click()
    assert page.locator("#live-status").inner_text() == "Ended"
    page.locator("#live-rating button").nth(4).click()  # five stars
    page.wait_for_selector("#live-rating:has-text('Thanks')")
    _shot(page, "05_test_mode_ended")

    # the conversation opens from Deployments with its transcript
    page.get_by_role("link", name="Deployments").click()
    page.wait_for_selector("#main[data-ready]")
    _until(page, "document.querySelectorAll('#session-table tbody a').length > 0")
    stats = page.locator(".stat").all_inner_texts()
    assert stats[0] == "2" and stats[2] == "5 / 5", stats  # preview + test mode; rated five
    page.locator("#session-table tbody tr").first.get_by_role("link", name="Transcript").click()
    page.wait_for_selector("#session-transcript .msg")
    transcript = page.locator("#session-transcript").inner_text()
    assert "When does the museum open?" in transcript and "nine" in transcript
    assert "5 of 5" in page.locator(".kv").inner_text()
    _shot(page, "06_conversation_transcript")

    # the sidebar link to the page shown starts it afresh (no half-filled form to resubmit)
    page.get_by_role("link", name="Create character").click()
    page.wait_for_selector("#main[data-ready] #char-name")
    page.locator("#char-name").fill("Half done")
    page.get_by_role("link", name="Create character").click()
    page.wait_for_function("document.querySelector('#char-name')?.value === ''")
    assert not errors, errors
    page.close()


def _mean_rgb(image: np.ndarray) -> np.ndarray:
    return image.reshape(-1, 3).astype(np.float32).mean(axis=0)


def _median_f0(env, avatar_id: str) -> float:
    from kinema.media.audio import decode_audio
    from kinema.voice.analysis import f0_track

    turn = _api(env, "POST", f"/v1/avatars/{avatar_id}/conversation_turns",
                json={"text": "Hello! Who are you?", "speak": True})  # fmt: skip
    wav = httpx.get(turn["audioUrl"], timeout=30).content
    f0 = f0_track(decode_audio(wav, rate=16000))
    voiced = f0[f0 > 0]
    return float(np.median(voiced))


def test_edit_portrait_voice_and_documents(env, browser):
    avatar = _make_avatar(env, "Lisa", PORTRAIT, voice="emma")
    old_face = _mean_rgb(
        np.asarray(
            Image.open(io.BytesIO(httpx.get(avatar["processedImageUri"]).content)).convert("RGB")
        )
    )
    old_f0 = _median_f0(env, avatar["id"])
    page, errors = _signed_in(browser, env)
    _go(page, env, f"characters/{avatar['id']}")
    page.locator("#replace-portrait summary").click()
    page.set_input_files("#portrait-file", str(PAINTING))
    page.wait_for_selector("#quality-badge:not(:has-text('Checking'))", timeout=30_000)
    page.locator("#save-portrait").click()
    page.wait_for_selector("#toast:has-text('New portrait in use')", timeout=120_000)
    page.wait_for_selector("#main[data-ready] #edit-status:has-text('Ready')")
    page.locator("#edit-voice").select_option("marcus")  # a deep man's voice for Lisa now
    page.locator("#save-details").click()
    page.wait_for_selector("#toast:has-text('Saved')")
    page.wait_for_selector("#main[data-ready] #edit-voice")

    # documents: add notes, see them attached, remove them again
    page.locator("#edit-knowledge").scroll_into_view_if_needed()
    page.locator("#edit-knowledge ~ details summary").click()
    page.locator("#edit-notes").fill("Lisa was painted in Florence.")
    page.locator("#edit-doc-new").click()
    page.wait_for_selector("#edit-docs li:has-text('Lisa notes')")
    assert len(_api(env, "GET", f"/v1/avatars/{avatar['id']}")["documentIds"]) == 1
    _shot(page, "07_edit_character")
    page.get_by_role("button", name="Remove Lisa notes").click()
    page.wait_for_selector("#edit-docs li:has-text('No documents')")
    edited = _api(env, "GET", f"/v1/avatars/{avatar['id']}")
    assert edited["documentIds"] == [] and edited["voice"]["presetId"] == "marcus"
    # the document itself is still there, on the Knowledge page
    _go(page, env, "documents")
    page.wait_for_selector("#doc-list li:has-text('Lisa notes')")

    # the new face talks live in test mode, the new voice speaks (lower pitch)
    new_face = _mean_rgb(
        np.asarray(
            Image.open(io.BytesIO(httpx.get(edited["processedImageUri"]).content)).convert("RGB")
        )
    )
    _go(page, env, f"test/{avatar['id']}")
    page.locator("#live-start").click()
    page.wait_for_function("document.querySelector('#live-video').videoWidth > 0", timeout=60_000)
    page.wait_for_timeout(500)
    frame = page.evaluate("""() => {
      const v = document.querySelector('#live-video'), c = document.createElement('canvas');
      c.width = v.videoWidth; c.height = v.videoHeight; const g = c.getContext('2d');
      g.drawImage(v, 0, 0); const d = g.getImageData(0, 0, c.width, c.height).data;
      let r = 0, gg = 0, b = 0;
      for (let i = 0; i < d.length; i += 4) { r += d[i]; gg += d[i+1]; b += d[i+2]; }
      const n = d.length / 4; return [r / n, gg / n, b / n];
    }""")
    live = np.array(frame, np.float32)
    near_new, near_old = float(np.abs(live - new_face).sum()), float(np.abs(live - old_face).sum())
    page.locator("#live-end").click()
    new_f0 = _median_f0(env, avatar["id"])
    print(f"{near_new=:.1f} {near_old=:.1f} {old_f0=:.0f} Hz {new_f0=:.0f} Hz")
    assert near_new < near_old
    assert new_f0 < old_f0 * 0.8
    assert not errors, errors
    page.close()


def test_a_video_made_in_the_studio_plays(env, browser):
    page, errors = _signed_in(browser, env)
    _go(page, env, "videos")
    page.locator("#new-video").click()
    page.wait_for_selector("#main[data-ready] #nv-prompt")
    page.locator("#nv-prompt").fill("a lighthouse at dusk, waves, slow push in")
    page.locator("#nv-duration").fill("2")
    page.locator("#new-submit").click()
    page.wait_for_selector("#main[data-page='videos'] #video-list article")
    _shot(page, "08_videos_progress")
    page.wait_for_selector("#video-list video", timeout=180_000)
    page.wait_for_function(
        "document.querySelector('#video-list video').readyState >= 2", timeout=30_000
    )
    played = page.evaluate("""async () => {
      const v = document.querySelector('#video-list video'); v.muted = true; await v.play();
      await new Promise((r) => setTimeout(r, 700)); v.pause(); return v.currentTime; }""")
    assert played > 0.2
    card = page.locator("#video-list article").first.inner_text()
    assert "Succeeded" in card and "Understood" in card, card
    assert "dusk" in page.locator("#video-list .words.understood").first.inner_text()
    _shot(page, "09_videos")
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
    assert "Keys" in page.evaluate("document.activeElement.textContent")
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
    page, _ = _signed_in(browser, env)
    _go(page, env, "test/cooking-teacher", "?transport=websocket")
    page.locator("#live-start").click()
    page.wait_for_function("document.querySelector('#live-video').videoWidth > 0", timeout=60_000)
    assert page.locator("#metric-transport").inner_text() == "websocket"
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
    _shot(page, "11_test_mode_websocket_preset")
    print("websocket motion", motion)
    assert motion["maxDiff"] > 2.0
    page.close()


def test_manual_points_for_a_face_the_detector_misses(env, browser):
    """A dog: the quality check finds no face; eight clicks place labelled points; it gets
    built."""
    points = json.loads(DOG_POINTS.read_text())
    page, errors = _signed_in(browser, env)
    _go(page, env, "create")
    page.set_input_files("#portrait-file", str(DOG))
    page.wait_for_selector("#quality-badge:has-text('No face found')", timeout=30_000)
    assert "No human face was found" in page.locator("#quality-issues").inner_text()
    assert "proportion" not in page.locator("#quality-issues").inner_text()  # detail folded
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
    assert page.locator("#portrait .pin").count() == len(NAMES)
    assert page.locator("#portrait .pin").first.inner_text() == "1"
    assert "8 Chin ✓" in page.locator("#marker-legend").inner_text()
    assert page.locator("#quality-badge").inner_text() == "Points placed"  # no longer red
    # by keyboard: take the chin back, move the cursor there with the arrows, Enter places it
    page.get_by_role("button", name="Undo last point").click()
    assert page.locator("#quality-badge").inner_text() == "No face found"
    page.locator("#portrait").focus()
    for key in ["Shift+ArrowDown"] * 5 + ["ArrowLeft"] * 3:
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    assert "All points placed" in page.locator("#marker-prompt").inner_text()
    _shot(page, "10_manual_points")
    page.get_by_label("Name").fill("Shiba")
    page.get_by_role("button", name="Create character").click()
    page.wait_for_selector("#create-ready", timeout=120_000)
    assert not errors, errors
    page.close()


def test_embed_widget_on_another_origin(env, browser, tmp_path):
    site_port = free_port()
    site_origin = f"http://127.0.0.1:{site_port}"
    r = httpx.post(
        env["url"] + "/v1/publishable_keys",
        json={"avatarId": "game-character", "allowedOrigins": [site_origin]},
        headers=env["auth"],
    )
    assert r.status_code == 201, r.text
    pk = r.json()["key"]
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><title>Shop</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<link rel='icon' href='data:,'></head>"
        "<body style='font-family:sans-serif'><h1>Example shop</h1><p>A page on another origin.</p>"
        f"<script src='{env['url']}/embed.js' data-avatar='game-character' data-key='{pk}' "
        "data-position='bottom-right' data-color='#0f766e' data-title='Chat with Nova' "
        "data-greeting='Hi, I am Nova!'></script></body></html>"
    )
    with static_site(tmp_path, site_port) as site:
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        errors = _watch(page)
        page.goto(site + "/index.html")
        widget = page.locator("#kinema-embed")
        widget.locator("button.launcher").click()
        page.wait_for_function(
            "window.KinemaEmbed && window.KinemaEmbed.transport !== null", timeout=60_000
        )
        page.wait_for_function(f"{WIDGET}.querySelector('video').videoWidth > 0")
        page.evaluate("window.KinemaEmbed.send('Who are you?')")
        page.wait_for_function(
            f"{WIDGET}.querySelector('.caption').textContent.includes('Nova') && "
            f"{WIDGET}.querySelector('.state').textContent === 'Speaking'",
            timeout=30_000,
        )
        video = page.evaluate_handle(f"{WIDGET}.querySelector('video')")
        motion = page.evaluate(MOUTH_MOTION_JS, [video, 1200])
        _shot(page, "12_embed_widget")
        print("embed transport", page.evaluate("window.KinemaEmbed.transport"), motion)
        assert motion["maxDiff"] > 2.0
        # the history lists both sides of the conversation
        page.wait_for_function(f"{WIDGET}.querySelectorAll('.log .m').length >= 2", timeout=30_000)
        widget.locator("button.hist").click()
        assert "Who are you?" in widget.locator(".log").inner_text()
        _shot(page, "13_embed_history")
        widget.locator("button.hist").click()
        widget.locator("button.x").click()  # closing asks once for a rating, the text box goes
        assert widget.locator(".rate").is_visible() and not widget.locator("form").is_visible()
        _shot(page, "14_embed_rating")
        widget.locator(".rate button[data-r='4']").click()
        assert widget.locator(".thanks").is_visible()
        page.wait_for_function(f"{WIDGET}.querySelector('.panel').hidden")
        assert not errors, errors
        page.close()
    for _ in range(50):
        sessions = httpx.get(env["url"] + "/v1/live/sessions", headers=env["auth"]).json()["data"]
        embedded = [s for s in sessions if s["origin"] == site_origin]
        if embedded and embedded[0]["satisfaction"] == 4:
            break
        time.sleep(0.1)
    assert embedded[0]["satisfaction"] == 4 and embedded[0]["status"] == "COMPLETED"

    # the same page served from an origin the key does not list says why it cannot start
    with static_site(tmp_path, free_port()) as other:
        page = browser.new_page(viewport={"width": 360, "height": 740})
        page.goto(other + "/index.html")
        page.locator("#kinema-embed").locator("button.launcher").click()
        page.wait_for_function(
            f"{WIDGET}.querySelector('.state').textContent === 'Unavailable'", timeout=20_000
        )
        reason = page.locator("#kinema-embed .notice").inner_text()
        assert f"Origin {other} is not allowed" in reason, reason
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        _shot(page, "15_embed_refused_360")
        page.close()


FAIL_WEBRTC_JS = """
RTCPeerConnection.prototype.setRemoteDescription = function () {
  return Promise.reject(new Error("test: WebRTC made to fail after signalling"));
};
"""


def test_webrtc_failure_falls_back_to_the_same_session(env, browser):
    """WebRTC fails after the offer started the session: the WebSocket fallback joins that
    session (no orphan near-zero-length session is left in the stats)."""

    def sessions() -> list[dict]:
        res = httpx.get(env["url"] + "/v1/live/sessions?limit=100", headers=env["auth"])
        assert res.status_code == 200, res.text
        return res.json()["data"]

    before = {s["id"] for s in sessions()}
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    page.add_init_script(FAIL_WEBRTC_JS)
    page.goto(env["url"] + "/studio/")
    page.evaluate(f"sessionStorage.setItem('kinema.apiKey', '{env['key']}')")
    _go(page, env, "test/cooking-teacher")
    page.locator("#live-start").click()
    page.wait_for_function("document.querySelector('#live-video').videoWidth > 0", timeout=60_000)
    assert page.locator("#metric-transport").inner_text() == "websocket"
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


VARIANTS = (
    ("desktop", 1360, False),
    ("1024", 1024, False),
    ("360", 360, False),
    ("dark", 1360, True),
)


def test_every_page_at_every_width_and_in_dark(env, browser):
    """Screenshots of every page (desktop, 1024 px, 360 px, dark): none scrolls sideways, none
    logs an error."""
    mine = [a for a in _api(env, "GET", "/v1/avatars?limit=100")["data"] if a["status"] == "READY"]
    avatar = mine[0] if mine else _make_avatar(env, "Sweep")
    sessions = _api(env, "GET", "/v1/live/sessions?limit=5")["data"]
    routes = [("characters", "characters"), ("character_edit", f"characters/{avatar['id']}"),
              ("create", "create"), ("knowledge", "documents"), ("voices", "voices"),
              ("test_mode", f"test/{avatar['id']}"), ("deployments", "deployments"),
              ("videos", "videos"), ("new_video", "new-video/text"),
              ("new_character_video", "new-video/avatar"), ("new_storyboard", "new-video/story"),
              ("keys_credits", "account")]  # fmt: skip
    if sessions:
        routes.append(("conversation", f"deployments/session/{sessions[0]['id']}"))
    problems: list[str] = []
    for variant, width, dark in VARIANTS:
        page, errors = _signed_in(browser, env, width=width, dark=dark)
        for name, route in routes:
            _go(page, env, route)
            page.wait_for_timeout(150)  # images and fonts settle
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                problems.append(f"{route} at {variant}: {scroll} px wide")
            _shot(page, f"page_{name}_{variant}")
        if width == 360:  # the menu drawer
            page.locator("#menu-btn").click()
            page.wait_for_timeout(250)
            _shot(page, "page_menu_360")
            page.keyboard.press("Escape")
        problems += [f"{variant}: {e}" for e in errors]
        page.close()
    assert not problems, problems


def teardown_module() -> None:
    shutil.rmtree(ARTIFACTS.parent / "tmp", ignore_errors=True)
