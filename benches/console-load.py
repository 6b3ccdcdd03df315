#!/usr/bin/env python3
"""How the consoles hold up in a big drill: 300 injects released and 1 000 detections.

Starts `cyberdrill serve --demo` on a fresh SQLite database with a generated
300-inject scenario, runs a drill in which every inject is released at the start and
the blue team reports 1 000 detections, then opens the controller, evaluator and
responder consoles in headless Chromium (through `chromedriver`) and measures:

- load: from navigation start until the console is connected and has drawn the
  drill (timeline rows, queue, feed), in ms (`performance.now()`);
- long tasks: main-thread tasks over 50 ms while loading (count, longest), which is
  what a user feels as a frozen page;
- click: the synchronous time of opening an item (evaluator: one detection's verdict
  form; controller: the "show more" of the live stream);
- live: a new detection posted through the API, until it shows on the controller's
  stream (polled every 10 ms, so ±10 ms);
- DOM size: elements in the page after loading.

Usage (Debian: apt-get install chromium chromium-driver):

    cargo build --release
    python3 benches/console-load.py [--bin target/release/cyberdrill] [--port 8099]

It uses only 127.0.0.1, stops the server and the browser itself, and prints a JSON
report. Results and the machine are recorded in BENCHMARKS.md.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PASSWORD = "demo-cyberdrill-2026"
INJECTS = 300
DETECTIONS = 1000


def scenario_toml(n):
    lines = [
        'id = "bench-300-injects"',
        "version = 1",
        'title = { vi = "Diễn tập quy mô lớn (300 tình huống)", en = "Large drill (300 injects)" }',
        'summary = { vi = "Kịch bản đo tải giao diện.", en = "A scenario to load the consoles." }',
        'category = "malware"',
        'techniques = ["T1486"]',
        "min_level = 1",
        'drill_kinds = ["tabletop"]',
        'duration = "08:00:00"',
        'objectives = [{ vi = "Đo tải", en = "Load" }]',
    ]
    for i in range(n):
        lines += [
            "",
            "[[injects]]",
            f'key = "inject-{i:03}"',
            'offset = "+00:00:00"',
            'audience = "blue"',
            'channel = "soc_alert"',
            f'title = {{ vi = "Cảnh báo số {i}", en = "Alert {i}" }}',
            f'body = {{ vi = "Máy chủ 203.0.113.{i % 250} có lưu lượng bất thường (tình huống {i}).", '
            f'en = "Host 203.0.113.{i % 250} shows unusual traffic (inject {i})." }}',
            "[[injects.expectations]]",
            'kind = "detect"',
            'target = "00:30:00"',
            "points = 5",
            'technique = "T1486"',
        ]
    return "\n".join(lines) + "\n"


class Http:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, method=method, data=data, headers=headers)
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def ok(self, method, path, body=None, token=None):
        status, value = self.call(method, path, body, token)
        if status >= 300:
            raise SystemExit(f"{method} {path}: {status} {value}")
        return value

    def token(self, user):
        return self.ok("POST", "/api/v1/auth/token", {"username": user, "password": PASSWORD})["token"]


class WebDriver:
    def __init__(self, url):
        self.url = url
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--window-size=1366,768", "--lang=vi"]}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, method=method, data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())["value"]

    def cmd(self, method, path, body=None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def goto(self, url):
        self.cmd("POST", "/url", {"url": url})

    def until(self, script, what, timeout=120, every=0.05):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.js(script):
                return
            time.sleep(every)
        raise SystemExit(f"timed out: {what}")

    def login(self, base, user):
        self.goto(base + "/login")
        for css, text in (("#username", user), ("#password", PASSWORD)):
            el = list(self.cmd("POST", "/element", {"using": "css selector", "value": css}).values())[0]
            self.cmd("POST", f"/element/{el}/value", {"text": text})
        el = list(self.cmd("POST", "/element", {"using": "css selector", "value": "form button[type=submit]"}).values())[0]
        self.cmd("POST", f"/element/{el}/click", {})
        time.sleep(0.5)

    def close(self):
        self.cmd("DELETE", "")


# Registered before the page's own scripts run (CDP), so every long task is seen.
LONGTASKS = """
window.__long = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); })
  .observe({ type: 'longtask', buffered: true });
"""

ONLINE = "document.querySelector('[data-ref=conn]')?.dataset.state === 'online'"


def measure(wd, base, path, ready):
    wd.cmd("POST", "/goog/cdp/execute", {"cmd": "Page.addScriptToEvaluateOnNewDocument",
                                         "params": {"source": LONGTASKS}})
    wd.goto(base + path)
    wd.until(f"return {ONLINE} && ({ready});", path)
    loaded = wd.js("return performance.now();")
    long = wd.js("return window.__long;")
    if long is None:
        raise SystemExit("the long-task observer did not run before the page's scripts")
    return {
        "load_ms": round(loaded),
        "long_tasks": len(long),
        "longest_task_ms": round(max(long)) if long else 0,
        "dom_elements": wd.js("return document.getElementsByTagName('*').length;"),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "cyberdrill"))
    ap.add_argument("--port", type=int, default=8099)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="cyberdrill-console-load-")
    library = os.path.join(work, "scenarios")
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "scenarios"), library)
    with open(os.path.join(library, "bench-300-injects.toml"), "w") as f:
        f.write(scenario_toml(INJECTS))
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([args.bin, "serve", "--demo", "--addr", f"127.0.0.1:{args.port}",
                               "--database-url", f"sqlite://{work}/bench.db?mode=rwc",
                               "--scenario-dir", library],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = subprocess.Popen(["chromedriver", "--port=9599"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        http = Http(base)
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz").read()
                break
            except OSError:
                time.sleep(0.2)
        btc = http.token("btc")
        # A drill, its teams and their members belong to the controller's organisation
        # (the ministry): a blue team of its own, and a responder in it.
        blue = http.ok("POST", "/api/v1/teams", {"name": "Đội ứng cứu đo tải", "side": "blue"}, btc)["id"]
        red = next(t["id"] for t in http.ok("GET", "/api/v1/teams", token=btc)["items"] if t["side"] == "red")
        subprocess.run([args.bin, "user", "create", "ungcuu-bo", "--role", "responder", "--org", "bo-demo",
                        "--database-url", f"sqlite://{work}/bench.db?mode=rwc"],
                       input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
        ung = http.token("ungcuu-bo")
        me = http.ok("GET", "/api/v1/me", token=ung)
        http.ok("POST", f"/api/v1/teams/{blue}/members",
                {"full_name": "Người ứng cứu đo tải", "employment": "in_house", "user_id": me["id"]}, btc)
        systems = http.ok("GET", "/api/v1/systems", token=btc)["items"]
        scenario = next(s["id"] for s in http.ok("GET", "/api/v1/scenarios", token=btc)["items"]
                        if s["slug"] == "bench-300-injects")
        drill = http.ok("POST", "/api/v1/drills", {
            "scenario_id": scenario, "title": "Diễn tập quy mô lớn", "kind": "tabletop",
            "system_ids": [systems[0]["id"]],
            "teams": [{"team_id": blue, "side": "blue"}, {"team_id": red, "side": "red"}]}, btc)["id"]
        http.ok("POST", f"/api/v1/drills/{drill}/start", {}, btc)
        # Every inject is due at the start: wait for the scheduler to release them all.
        for _ in range(600):
            released = [i for i in http.ok("GET", f"/api/v1/drills/{drill}/timeline", token=btc)["items"]
                        if i.get("state") == "released"]
            if len(released) >= INJECTS:
                break
            time.sleep(0.2)
        started = time.time()
        for i in range(DETECTIONS):
            inject = released[i % len(released)]["inject_id"]
            http.ok("POST", f"/api/v1/drills/{drill}/detections", {
                "team_id": blue, "title": f"Phát hiện số {i}", "description": "Cảnh báo trên SIEM",
                "inject_id": inject}, ung)
        posting_s = time.time() - started

        report = {"injects": INJECTS, "detections": DETECTIONS, "posting_detections_s": round(posting_s, 1)}
        # One browser session per user, as on their own machines.
        wd = WebDriver("http://127.0.0.1:9599")
        try:
            wd.login(base, "btc")
            report["controller"] = measure(wd, base, f"/drills/{drill}/control",
                                           f"document.querySelectorAll('[data-ref=timeline] tr').length >= {INJECTS}"
                                           " && document.querySelectorAll('.stream-item').length > 0")
            t = wd.js("const b = document.querySelector('[data-ref=stream-more]');"
                      "if (!b || b.hidden) return null; const t0 = performance.now(); b.click();"
                      "return performance.now() - t0;")
            report["controller"]["show_more_click_ms"] = None if t is None else round(t, 1)
            marker = f"Phát hiện đo độ trễ {time.time()}"
            sent = time.time()
            http.ok("POST", f"/api/v1/drills/{drill}/detections",
                    {"team_id": blue, "title": marker, "description": "x"}, ung)
            wd.until(f"return [...document.querySelectorAll('.stream-item')].some(e => e.textContent.includes({json.dumps(marker)}));",
                     "the live detection", every=0.01)
            report["controller"]["live_detection_ms"] = round((time.time() - sent) * 1000)
        finally:
            wd.close()
        wd = WebDriver("http://127.0.0.1:9599")
        try:
            wd.login(base, "bgk")
            report["evaluator"] = measure(wd, base, f"/drills/{drill}/evaluate",
                                          "document.querySelectorAll('.queue-item').length > 0")
            report["evaluator"]["queue"] = wd.js("return document.querySelector('[data-ref=queue-count]').textContent;")
            t = wd.js("const b = document.querySelector('.queue-item .queue-pick'); const t0 = performance.now();"
                      "b.click(); return performance.now() - t0;")
            report["evaluator"]["open_item_click_ms"] = round(t, 1)
        finally:
            wd.close()
        wd = WebDriver("http://127.0.0.1:9599")
        try:
            wd.login(base, "ungcuu-bo")
            report["responder"] = measure(wd, base, f"/drills/{drill}/respond",
                                          "document.querySelectorAll('.feed li.inject').length > 0")
        finally:
            wd.close()
        print(json.dumps(report, indent=2, ensure_ascii=False))
    finally:
        driver.terminate()
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
