"""The web view in a real browser: Debian's chromium driven by Playwright against the app served by uvicorn.

One database for the module: the bundled demo session (replayed through the real ingest path) plus six weeks
of seeded synthetic history (sessions with loads, check-ins, morning HRV readings) so that the home and trends
pages have something to show. The run writes ``docs/screenshots/session.png`` and ``trends.png``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils
import uvicorn

from service.app import create_app
from service.cli.demo import DEMO_TRACE
from service.db import open_db
from service.models import CheckinIn, HrvReadingIn, SessionIn
from service.replay import replay_trace
from service.settings import Settings
from service.store import add_checkin, add_hrv_reading, create_session

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TIMEOUT_MS = 10_000

if os.environ.get("CI"):  # in CI a missing browser stack is a failure, not a skip
    import playwright.sync_api as sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


# --- data -----------------------------------------------------------------------------------------------


def _rr_with_rmssd(rmssd_ms: float, n: int, rng: np.random.Generator) -> list[float]:
    """RR intervals around 1000 ms whose successive differences have an RMS of about ``rmssd_ms``."""
    return [float(v) for v in 1000.0 + rng.normal(0.0, rmssd_ms / np.sqrt(2), n)]


def seed_history(db: sqlite_utils.Database, *, last_day: dt.date, weeks: int = 6, seed: int = 3) -> None:
    """Synthetic history before ``last_day``: morning ln RMSSD on most days, 2-3 sessions a week with loads and
    pre/post Feeling Scale ratings (the mood lift grows a little with volume load), session RPE, and one real
    morning reading through the store."""
    rng = np.random.default_rng(seed)
    add_hrv_reading(db, HrvReadingIn(kind="morning", posture="supine", rr_ms=_rr_with_rmssd(55.0, 180, rng),
                                     taken_at=dt.datetime.combine(last_day, dt.time(6, 40), dt.UTC)))
    first = last_day - dt.timedelta(weeks=weeks)
    for k in range(weeks * 7):
        day = first + dt.timedelta(days=k)
        if rng.random() < 0.85:  # stored as computed values: the metrics of a real reading take ~0.3 s each
            ln = float(4.0 + 0.12 * np.sin(k / 6) + rng.normal(0, 0.08))
            taken = dt.datetime.combine(day, dt.time(6, 40), dt.UTC).isoformat()
            db["hrv_readings"].insert({"kind": "morning", "taken_at": taken, "posture": "supine", "window_s": 180.0,
                                       "rmssd_ms": float(np.exp(ln)), "ln_rmssd": ln, "metrics": "{}",
                                       "algorithm": "synthetic", "created_at": taken})
        if k % 7 not in (0, 2, 4) or rng.random() < 0.15:
            continue
        start = dt.datetime.combine(day, dt.time((7, 12, 18)[k % 3], 15), dt.UTC)
        sid = create_session(db, SessionIn(title="Synthetic history: squat, bench, row", started_at=start,
                                           source="synthetic"))
        load = float(rng.choice([60.0, 70.0, 80.0, 90.0]))
        sets = [{"session_id": sid, "idx": i + 1, "exercise": ex, "start_s": 120.0 * i, "end_s": 120.0 * i + 40,
                 "reps_detected": reps, "reps_confirmed": reps, "confidence": 0.9, "load_kg": load * f,
                 "algorithm": "synthetic"}
                for i, (ex, f, reps) in enumerate([("squat", 1.0, 8), ("squat", 1.0, 8), ("bench_press", 0.75, 8),
                                                   ("bench_press", 0.75, 8), ("barbell_row", 0.7, 10)])]
        db["sets"].insert_all(sets)
        volume = sum(s["load_kg"] * s["reps_confirmed"] for s in sets)
        db["sessions"].update(sid, {"synthetic": 1, "ended_at": (start + dt.timedelta(minutes=50)).isoformat()})
        pre = int(rng.integers(-1, 3))
        post = int(np.clip(pre + round(volume / 1200 - 1.5 + rng.normal(0, 0.8)), -5, 5))
        for kind, feeling, minutes in (("pre", pre, 0), ("post", post, 52)):
            add_checkin(db, CheckinIn(kind=kind, session_id=sid, feeling=feeling, arousal=int(rng.integers(2, 5)),
                                      taken_at=start + dt.timedelta(minutes=minutes)))
        add_checkin(db, CheckinIn(kind="srpe", session_id=sid, srpe=int(rng.integers(4, 9)),
                                  taken_at=start + dt.timedelta(minutes=80)))


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web") / "web.db"
    db = open_db(path)
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API may already run an event loop on this thread
        pool.submit(lambda: asyncio.run(replay_trace(DEMO_TRACE, db))).result()
    seed_history(db, last_day=dt.date(2026, 11, 19))
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def demo_id(db_path: Path) -> int:
    db = open_db(db_path)
    try:
        return int(db.execute("select min(id) from sessions where source = 'replay'").fetchone()[0])
    finally:
        db.conn.close()


@pytest.fixture(scope="module")
def server(db_path: Path) -> Iterator[str]:
    """uvicorn in a thread on a socket bound and listening before it starts: no wait for readiness."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(Settings(db_path=db_path)), log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def _count(db_path: Path, sql: str, params: list[object]) -> int:
    db = open_db(db_path)
    try:
        return int(db.execute(sql, params).fetchone()[0])
    finally:
        db.conn.close()


# --- tests ----------------------------------------------------------------------------------------------


def test_session_page_renders_its_charts_and_sets_table(page: object, server: str, db_path: Path,
                                                        demo_id: int) -> None:
    n_sets = _count(db_path, "select count(*) from sets where session_id = ?", [demo_id])
    n_reps = _count(db_path, "select count(*) from reps r join sets s on s.id = r.set_id where s.session_id = ?",
                    [demo_id])
    page.goto(f"{server}/sessions/{demo_id}")  # type: ignore[attr-defined]
    hr = page.get_by_role("img", name=re.compile(r"^Heart rate from \d+ to \d+ bpm"))  # type: ignore[attr-defined]
    expect(hr).to_be_visible()
    assert hr.locator("polyline.hr").count() == 1
    assert hr.locator("rect.zone").count() >= 1
    motion = page.get_by_role("img", name=re.compile(r"^Accelerometer magnitude"))  # type: ignore[attr-defined]
    expect(motion).to_be_visible()
    expect(motion.locator("line.rep")).to_have_count(n_reps)
    rows = page.locator("table.sets tbody tr")  # type: ignore[attr-defined]
    expect(rows).to_have_count(n_sets)
    expect(rows.first.locator("td").nth(0).locator("input")).to_have_value("squat")
    expect(rows.first.locator("td.tempo")).to_have_text(re.compile(r"^\d+\.\d / \d+\.\d s$"))  # eccentric / concentric
    expect(rows.first.locator("td.tut")).to_have_text(re.compile(r"^\d+ s$"))
    box = hr.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 100


def test_editing_a_rep_count_persists_after_reload(page: object, server: str, db_path: Path, demo_id: int) -> None:
    page.goto(f"{server}/sessions/{demo_id}")  # type: ignore[attr-defined]
    row = page.locator("table.sets tbody tr").nth(1)  # type: ignore[attr-defined]
    detected = int(row.locator("td.reps-detected").inner_text().split()[0])
    field = row.get_by_label(re.compile(r"^Confirmed reps, set 2"))
    field.fill(str(detected + 2))
    row.get_by_label(re.compile(r"^RPE, set 2")).fill("8.5")
    row.get_by_role("button", name="Save set 2").click()
    page.wait_for_url(re.compile(rf"/sessions/{demo_id}#set-\d+$"))  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]
    row = page.locator("table.sets tbody tr").nth(1)  # type: ignore[attr-defined]
    expect(row.get_by_label(re.compile(r"^Confirmed reps, set 2"))).to_have_value(str(detected + 2))
    expect(row.get_by_label(re.compile(r"^RPE, set 2"))).to_have_value("8.5")
    expect(row.locator("td.reps-detected")).to_contain_text(str(detected))
    assert _count(db_path, "select reps_confirmed from sets where session_id = ? and idx = 2", [demo_id]) == detected + 2


def test_a_check_in_round_trips_and_user_text_is_escaped(page: object, server: str, demo_id: int) -> None:
    page.goto(f"{server}/checkin")  # type: ignore[attr-defined]
    note = "<script>window.pwned = 1</script> felt strong"
    for kind, feeling, arousal in (("pre", "-1", "2"), ("post", "+3", "4")):
        form = page.locator("form", has=page.locator(f"input[name=kind][value={kind}]"))  # type: ignore[attr-defined]
        form.get_by_role("radio", name=re.compile(rf"^{re.escape(feeling)}\b")).check()
        form.get_by_role("radio", name=re.compile(rf"^{arousal}\b")).check()
        form.get_by_label("Session").select_option(str(demo_id))
        form.get_by_label("Note").fill(note)
        form.get_by_role("button").click()
        expect(page.get_by_role("status")).to_contain_text("Saved your")  # type: ignore[attr-defined]
    recent = page.locator("table.recent-checkins")  # type: ignore[attr-defined]
    expect(recent).to_contain_text(note)
    assert page.evaluate("window.pwned") is None  # type: ignore[attr-defined]
    page.goto(f"{server}/sessions/{demo_id}")  # type: ignore[attr-defined]
    feeling = page.locator(".card", has=page.get_by_role("heading", name="Feeling"))  # type: ignore[attr-defined]
    expect(feeling).to_contain_text("Change +4")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "session.png"), full_page=True)  # type: ignore[attr-defined]


def test_an_out_of_range_check_in_is_refused_with_a_message(page: object, server: str) -> None:
    page.goto(f"{server}/checkin")  # type: ignore[attr-defined]
    form = page.locator("form", has=page.locator("input[name=kind][value=srpe]"))  # type: ignore[attr-defined]
    form.locator("input[name=srpe][value='7']").evaluate("e => { e.value = '11'; e.checked = true; }")
    form.get_by_role("button").click()
    expect(page.get_by_role("alert")).to_contain_text("srpe")  # type: ignore[attr-defined]


def test_trends_page_shows_hrv_baseline_and_mood_associations(page: object, server: str) -> None:
    page.goto(f"{server}/trends")  # type: ignore[attr-defined]
    expect(page.get_by_role("img", name=re.compile(r"^Morning ln RMSSD on \d+ days"))).to_be_visible()  # type: ignore[attr-defined]
    assert page.locator("#hrv-chart polygon.normal-band").count() >= 1  # type: ignore[attr-defined]
    assert page.locator("#hrv-chart polyline.baseline").count() >= 1  # type: ignore[attr-defined]
    expect(page.get_by_text("Association, not causation.")).to_be_visible()  # type: ignore[attr-defined]
    volume = page.locator("article.assoc", has=page.get_by_role("heading", name="Volume load"))  # type: ignore[attr-defined]
    expect(volume).to_contain_text("95 % CI")
    expect(page.locator("table.dayparts tbody tr")).to_have_count(3)  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "trends.png"), full_page=True)  # type: ignore[attr-defined]


def test_home_shows_weekly_sessions_hrv_and_mood(page: object, server: str) -> None:
    page.goto(f"{server}/")  # type: ignore[attr-defined]
    expect(page.get_by_role("img", name=re.compile(r"^Sessions per week \(recommended 2-3\)"))).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("section", has=page.get_by_role("heading", name="Morning HRV"))).to_contain_text("baseline")  # type: ignore[attr-defined]
    expect(page.get_by_role("img", name=re.compile(r"^Change in Feeling Scale"))).to_be_visible()  # type: ignore[attr-defined]


def test_pages_fit_a_phone_and_work_from_the_keyboard(browser: object, server: str, demo_id: int) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        for path in ("/", f"/sessions/{demo_id}", "/live", "/checkin", "/trends"):
            tab.goto(server + path)
            assert tab.evaluate("document.documentElement.scrollWidth") <= 390, path
            expect(tab.get_by_role("navigation", name="Main")).to_be_visible()
            expect(tab.get_by_role("main")).to_have_count(1)
        tab.goto(server + "/checkin")
        tab.keyboard.press("Tab")
        expect(tab.get_by_role("link", name="Skip to content")).to_be_focused()
        tab.keyboard.press("Enter")
        expect(tab.locator("main")).to_be_focused()
    finally:
        context.close()


def test_live_page_shows_reps_arriving_while_a_trace_replays(page: object, server: str, db_path: Path) -> None:
    page.goto(f"{server}/live")  # type: ignore[attr-defined]
    # The demo session replayed for this module is the latest one and has ended: the page says so.
    expect(page.locator("#live-status")).to_contain_text("No recording in progress")  # type: ignore[attr-defined]
    expect(page.locator("#set-label")).to_have_text(re.compile(r"^Resting after set \d+$"))  # type: ignore[attr-defined]
    page.evaluate("""() => {  // every value the big count shows, in order
        const el = document.getElementById("rep-count");
        window.shown = [];
        new MutationObserver(() => window.shown.push(el.textContent)).observe(el, {childList: true});
    }""")  # type: ignore[attr-defined]
    replay = subprocess.Popen([sys.executable, "-m", "service.cli", "replay", str(DEMO_TRACE), "--db", str(db_path),
                               "--speed", "20"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        expect(page.locator("#set-label")).to_have_text("Set 1", timeout=20_000)  # type: ignore[attr-defined]
        expect(page.locator("#live-status")).to_contain_text("Recording")  # type: ignore[attr-defined]
        expect(page.locator("#hr-value")).to_have_text(re.compile(r"^\d{2,3}$"))  # type: ignore[attr-defined]
        expect(page.locator("#set-label")).to_have_text("Resting after set 1", timeout=20_000)  # type: ignore[attr-defined]
        expect(page.locator("#rest-timer")).to_have_text(re.compile(r"^\d+:\d\d$"))  # type: ignore[attr-defined]
    finally:
        replay.kill()
        replay.wait(timeout=10)
    shown = [int(v) for v in page.evaluate("window.shown")]  # type: ignore[attr-defined]
    new_session = shown[len(shown) - shown[::-1].index(0):]  # the view resets to 0 when the replay's session starts
    steps = [v for i, v in enumerate(new_session) if i == 0 or v != new_session[i - 1]]
    assert len(steps) >= 2, f"the count should climb rep by rep while the set goes on, saw {shown}"
    assert steps == sorted(steps) and steps[-1] >= 3, shown
