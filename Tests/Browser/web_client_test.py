#!/usr/bin/env python3
"""Drives the Reel web client in a real (headless) Chromium: log in, watch a video play, swipe to the next one,
like it, and upload a clip generated with ffmpeg until it is published.

Usage: web_client_test.py BASE_URL            (Tests/Browser/run.sh starts a server and passes its URL)
Environment: CHROMIUM (default /usr/bin/chromium), HEADED=1 to watch it, UPLOAD_TIMEOUT (seconds, default 90),
SCREENSHOT_DIR (where a failure's screenshot goes; default the temporary directory), FORCE_MP4=1 to hide
native HLS from the page (as in a browser without it), so the MP4 fallback is what plays.

The server must run with --demo: the `demo` / `demo-password` account and at least two published videos.
Exits 0 when every step passes; otherwise prints what failed, saves a screenshot and exits 1.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

HANDLE, PASSWORD = "demo", "demo-password"
UPLOAD_TIMEOUT_S = float(os.environ.get("UPLOAD_TIMEOUT", "90"))
STARTED = time.monotonic()


class StepFailed(Exception):
    pass


def step(message):
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def check(condition, message):
    if not condition:
        raise StepFailed(message)


# The active slide's player, as plain data. `scope` is the deck's container (#feed).
PLAYER_STATE_JS = """(scope) => {
  const slide = document.querySelector(`${scope} .slide.active`);
  const v = slide && slide.querySelector('video.player');
  if (!v) return null;
  let played = 0;
  for (let i = 0; i < v.played.length; i++) played += v.played.end(i) - v.played.start(i);
  return {
    id: Number(slide.dataset.videoId), currentVideoId: window.reel.currentVideoId(),
    currentTime: v.currentTime, paused: v.paused, readyState: v.readyState, played,
    src: v.currentSrc, error: v.error ? `${v.error.code} ${v.error.message}` : null,
  };
}"""


def player_state(page, scope="#feed"):
    return page.evaluate(PLAYER_STATE_JS, scope)


def assert_playing(page, expected_id, scope="#feed", timeout_s=20):
    """The active slide's video is `expected_id` and is really playing: not paused, has current data
    (readyState >= 2) and its media time advances (by 0.5 s of played time, so a loop back to 0 still counts)."""
    deadline = time.monotonic() + timeout_s
    first = None
    state = None
    while time.monotonic() < deadline:
        state = player_state(page, scope)
        if state and state["error"]:
            # setSource falls back from HLS to MP4 once; an error on the MP4 is final.
            if not state["src"].endswith(".m3u8"):
                raise StepFailed(f"video {expected_id} failed to load: {state}")
        ok = state and state["id"] == expected_id and not state["paused"] and state["readyState"] >= 2
        if ok:
            if first is None:
                first = state
            elif state["played"] >= first["played"] + 0.5 and state["currentTime"] != first["currentTime"]:
                kind = "HLS" if state["src"].endswith(".m3u8") else "MP4"
                step(f"  video {expected_id} is playing ({kind}: {state['src']}); "
                     f"currentTime {first['currentTime']:.2f}s -> {state['currentTime']:.2f}s, readyState {state['readyState']}")
                return state
        else:
            first = None
        page.wait_for_timeout(200)
    raise StepFailed(f"video {expected_id} did not play within {timeout_s}s; last player state: {state}")


def server_video(base, video_id):
    with urllib.request.urlopen(f"{base}/api/v1/video/{video_id}", timeout=10) as r:
        return json.load(r)


def make_clip(directory):
    path = os.path.join(directory, "browser-test-clip.mp4")
    cmd = ["ffmpeg", "-nostdin", "-y", "-v", "error",
           "-f", "lavfi", "-t", "3", "-i", "testsrc2=s=360x640:r=30",
           "-f", "lavfi", "-t", "3", "-i", "sine=f=500",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path]
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise StepFailed("ffmpeg is not installed (it makes the clip to upload)")
    except subprocess.CalledProcessError as e:
        raise StepFailed(f"ffmpeg failed to make the test clip: {e.stderr.strip()}")
    return path


def run(page, base, workdir):
    # 1. Log in through the form.
    step(f"1. open {base}/ and log in as {HANDLE}")
    page.goto(f"{base}/#/login")
    form = page.locator("#login-form")
    form.locator("input[name=handle]").fill(HANDLE)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    try:
        page.wait_for_function("() => location.hash === '#/feed' && localStorage.getItem('reel.token')", timeout=15000)
    except PlaywrightError:
        error = page.locator("#login-error").text_content()
        raise StepFailed(f"login did not reach the feed (login error: {error!r})")
    step("  logged in; the feed is showing")

    # 2. The feed loads and its first video plays.
    step("2. wait for the feed and check that its first video plays")
    try:
        page.wait_for_selector("#feed .slide.active[data-video-id] video.player", timeout=20000)
    except PlaywrightError:
        empty = page.locator("#feed-empty").is_visible()
        raise StepFailed(f"no active slide in the feed after 20 s (empty-feed note shown: {empty})")
    slides = page.locator("#feed .slide[data-video-id]").count()
    check(slides >= 2, f"the feed has {slides} slide(s); at least 2 are needed to swipe")
    first_id = page.evaluate("() => window.reel.currentVideoId()")
    check(first_id, f"window.reel.currentVideoId() is {first_id!r} on the feed")
    step(f"  feed has {slides} slides; current video {first_id}")
    assert_playing(page, first_id)

    # 3. Swipe (keyboard, as on desktop) to the next video; it becomes current and plays, the first pauses.
    step("3. swipe to the next video (ArrowDown)")
    page.keyboard.press("ArrowDown")
    page.wait_for_function("(id) => window.reel.currentVideoId() !== id", arg=first_id, timeout=5000)
    second_id = page.evaluate("() => window.reel.currentVideoId()")
    check(second_id and second_id != first_id, f"currentVideoId did not change: {first_id} -> {second_id}")
    step(f"  current video {first_id} -> {second_id}")
    assert_playing(page, second_id)
    # The scroll catches up with the key press, so the new slide is the one on screen.
    page.wait_for_function("""(id) => {
        const feed = document.querySelector('#feed');
        const slide = feed.querySelector(`.slide[data-video-id="${id}"]`);
        return Math.abs(feed.scrollTop - slide.offsetTop) < 2;
    }""", arg=second_id, timeout=5000)
    check(page.evaluate(f"() => document.querySelector('#feed .slide[data-video-id=\"{first_id}\"] video.player').paused"),
          f"the previous video {first_id} is still playing after the swipe")
    step("  the feed scrolled to it and the previous video paused")

    # 4. Like it: the button turns on, the count goes up by one, and the server has the like.
    step(f"4. like video {second_id}")
    like = page.locator(f"#feed .slide.active[data-video-id='{second_id}'] .like")
    count = like.locator(".count")
    before = int(count.text_content().strip() or "0")
    check("liked" not in (like.get_attribute("class") or ""), "the like button was already on before clicking")
    like.click()
    page.wait_for_function("(el) => el.classList.contains('liked')", arg=like.element_handle(), timeout=5000)
    page.wait_for_function("([el, n]) => el.textContent.trim() === String(n)",
                           arg=[count.element_handle(), before + 1], timeout=5000)
    step(f"  button has class 'liked'; count {before} -> {before + 1}")
    deadline = time.monotonic() + 15
    likes = None
    while time.monotonic() < deadline:
        # The button reverts (and a toast shows) if the server refuses the like.
        check("liked" in (like.get_attribute("class") or ""),
              f"the like was undone in the UI (server refused it?); toast: {page.locator('#toast').text_content()!r}")
        likes = server_video(base, second_id)["counters"]["likes"]
        if likes >= 1:
            break
        time.sleep(0.5)
    check(likes is not None and likes >= 1, f"server reports {likes} likes for video {second_id} 15 s after the like")
    step(f"  server agrees: GET /api/v1/video/{second_id} counters.likes = {likes}")

    # 5. Swipe again, this time by scrolling the feed (what a touch swipe or the mouse wheel does): the slide
    #    that scrolls into view becomes current through the IntersectionObserver, and plays.
    if page.locator("#feed .slide[data-video-id]").count() >= 3:
        step("5. swipe to the next video by scrolling the feed (mouse wheel)")
        box = page.locator("#feed").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
        page.mouse.wheel(0, box["height"])
        page.wait_for_function("(id) => window.reel.currentVideoId() !== id", arg=second_id, timeout=10000)
        third_id = page.evaluate("() => window.reel.currentVideoId()")
        check(third_id not in (first_id, second_id), f"scrolling went back to an earlier video: {third_id}")
        step(f"  current video {second_id} -> {third_id}")
        assert_playing(page, third_id)
        check(page.evaluate(f"() => document.querySelector('#feed .slide[data-video-id=\"{second_id}\"] video.player').paused"),
              f"the previous video {second_id} is still playing after the scroll")
    else:
        step("5. (skipped: only 2 slides, no third to scroll to)")

    # 6. Upload a clip made now with ffmpeg, through the upload page, until it is published.
    step("6. upload a clip through the upload page")
    clip = make_clip(workdir)
    step(f"  generated {os.path.basename(clip)} ({os.path.getsize(clip)} bytes) with ffmpeg")
    page.locator("#nav a[data-route=upload]").click()
    page.wait_for_selector("#view-upload:not([hidden])", timeout=5000)
    # Record every status the page shows and the largest progress value, so the report says what happened.
    page.evaluate("""() => {
        window.__statuses = []; window.__maxProgress = 0;
        const status = document.querySelector('#upload-status'), bar = document.querySelector('#upload-progress');
        const record = () => {
            const t = status.textContent;
            if (t && window.__statuses[window.__statuses.length - 1] !== t) window.__statuses.push(t);
            window.__maxProgress = Math.max(window.__maxProgress, bar.value / bar.max);
        };
        new MutationObserver(record).observe(status, { childList: true, characterData: true, subtree: true });
    }""")
    caption = f"browser test upload {int(time.time())}"
    page.set_input_files("#upload-file", clip)
    page.fill("#upload-caption", caption)
    page.fill("#upload-hashtags", "browsertest, #reel")
    page.click("#upload-start")
    deadline = time.monotonic() + UPLOAD_TIMEOUT_S  # from the click to "published"
    try:
        page.wait_for_function("() => { const b = document.querySelector('#upload-progress'); return b.value >= b.max; }",
                               timeout=30000)
    except PlaywrightError:
        raise StepFailed(f"the progress bar did not reach its max within 30 s; statuses: "
                         f"{page.evaluate('window.__statuses')}, bar value {page.eval_on_selector('#upload-progress', 'b => b.value')}")
    step("  progress bar reached its max")
    last = None
    while True:
        timed_out = time.monotonic() >= deadline  # read before the status, so a last look is always taken
        status = page.locator("#upload-status").text_content().strip()
        if status != last:
            step(f"  status: {status!r}")
            last = status
        if status.endswith("published"):
            break
        if status.startswith(("failed", "rejected", "removed")):
            raise StepFailed(f"the upload ended with status {status!r}")
        if timed_out:
            raise StepFailed(f"the upload was not published within {UPLOAD_TIMEOUT_S:g} s; "
                             f"statuses seen: {page.evaluate('window.__statuses')}")
        page.wait_for_timeout(250)
    statuses = page.evaluate("window.__statuses")
    step(f"  statuses seen: {statuses}")
    check(any(s.startswith("uploading 100%") for s in statuses), f"never showed 'uploading 100%': {statuses}")
    check(page.evaluate("window.__maxProgress") >= 1, "the progress bar never reached its max")
    page.wait_for_selector("#upload-result video.player", timeout=5000)
    link = page.locator("#upload-result a[href^='#/video/']").get_attribute("href")
    video_id = int(link.rsplit("/", 1)[1])
    v = server_video(base, video_id)
    check(v["status"] == "published", f"server says video {video_id} is {v['status']!r}, the page said published")
    check(v["caption"] == caption, f"server caption {v['caption']!r} != {caption!r}")
    check(set(v["hashtags"]) >= {"browsertest", "reel"}, f"server hashtags {v['hashtags']} lack browsertest and reel")
    step(f"  video {video_id} is published with its caption and hashtags")

    # 7. Report a video from the feed, then take it down from the moderation page as a moderator.
    admin_token = os.environ.get("ADMIN_TOKEN", "")
    if not admin_token:
        step("7. (skipped: no ADMIN_TOKEN for the moderation page)")
        return
    step("7. report a feed video, then take it down on the moderation page")
    page.locator("#nav a[data-route=feed]").click()
    page.wait_for_selector("#feed .slide.active[data-video-id]", timeout=20000)
    reported = page.evaluate("() => window.reel.currentVideoId()")
    slide = page.locator(f"#feed .slide.active[data-video-id='{reported}']")
    if slide.locator(".report").count() == 0:
        raise StepFailed(f"no Report button on video {reported} (is it the user's own?)")
    slide.locator(".report").click()
    slide.locator(".report-form select").select_option("spam")
    slide.locator(".report-form button[type=submit]").click()
    page.wait_for_function("() => document.querySelector('#toast').textContent.startsWith('Reported')", timeout=5000)
    step(f"  reported video {reported}; the page thanked the viewer")
    page.goto(f"{base}/#/moderation")
    page.fill("#moderation-token", admin_token)
    page.click("#moderation-form button[type=submit]")
    card = page.locator(f"#moderation-queue .case[data-case-id='{reported}']")
    card.wait_for(timeout=10000)
    check("1 report(s)" in card.text_content(), f"the queue card does not show the report: {card.text_content()!r}")
    card.locator("input[name=reason]").fill("spam, from the browser test")
    card.locator("button[data-action=takedown]").click()
    page.wait_for_function("() => document.querySelector('#moderation-count').textContent === '0 open'", timeout=10000)
    check("takedown video" in page.locator("#moderation-decisions").text_content(), "the decision is not in the log on the page")
    status = server_video(base, reported)["status"]
    check(status == "removed", f"server says video {reported} is {status!r} after the takedown")
    step(f"  taken down from the page: the queue is empty, the log shows it, the server says {status}")


def report_failure(e, page, console):
    what = "step failed" if isinstance(e, StepFailed) else type(e).__name__
    print(f"\nFAIL: {what}: {e}", file=sys.stderr)
    if page:
        shot = os.path.join(os.environ.get("SCREENSHOT_DIR") or tempfile.gettempdir(),
                            f"reel-browser-failure-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.png")
        try:
            page.screenshot(path=shot, full_page=True)
            print(f"      screenshot: {shot}", file=sys.stderr)
            print(f"      page: {page.url}; toast: {page.locator('#toast').text_content(timeout=2000)!r}", file=sys.stderr)
        except PlaywrightError as e2:
            print(f"      no screenshot: {e2}", file=sys.stderr)
    if not isinstance(e, (StepFailed, PlaywrightError)):
        traceback.print_exception(e, file=sys.stderr)
    for line in console[-30:]:
        print(f"      {line}", file=sys.stderr)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    base = sys.argv[1].rstrip("/")
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        print(f"FAIL: no Chromium at {chromium} (set CHROMIUM)", file=sys.stderr)
        return 1
    workdir = tempfile.mkdtemp(prefix="reel-browser-")
    console = []
    page = browser = None
    try:
        with sync_playwright() as p:
            try:
                browser = p.chromium.launch(
                    executable_path=chromium, headless=os.environ.get("HEADED") != "1",
                    args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
                context = browser.new_context(viewport={"width": 420, "height": 820})
                context.set_default_timeout(20000)
                if os.environ.get("FORCE_MP4") == "1":
                    # As a browser without native HLS: the client must pick the MP4 fallback.
                    context.add_init_script("""(() => {
                        const can = HTMLMediaElement.prototype.canPlayType;
                        HTMLMediaElement.prototype.canPlayType = function (t) { return /mpegurl/i.test(t) ? '' : can.call(this, t); };
                    })()""")
                page = context.new_page()
                page.on("console", lambda m: console.append(f"console.{m.type}: {m.text}"))
                page.on("pageerror", lambda e: console.append(f"page error: {e}"))
                page.on("requestfailed", lambda r: console.append(f"request failed: {r.method} {r.url} {r.failure}"))
                step(f"Chromium {browser.version} at {chromium}; server {base}")
                run(page, base, workdir)
            except Exception as e:  # noqa: BLE001 -- any failure: report it, screenshot, exit 1
                report_failure(e, page, console)
                return 1
            finally:
                if browser:
                    try:
                        browser.close()
                    except PlaywrightError:
                        pass
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    noise = [line for line in console if not line.startswith(("console.log", "console.debug", "console.info"))]
    if noise:
        step(f"note: the page logged {len(noise)} warning(s)/error(s) (not failures):")
        for line in noise[-10:]:
            print(f"      {line}", flush=True)
    step("PASS: logged in, watched a video play, swiped to the next and it played, liked it, uploaded a clip and it was published, "
         "reported a video and a moderator took it down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
