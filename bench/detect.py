#!/usr/bin/env python3
"""Driver of bench/detect.sh (standard library only): starts the exporter against a running
swr-sim, pushes and makes manual syncs on a schedule, scrapes /metrics to see when each tag
first shows in swr_sync_latest_job_info, and prints the figures against the targets.

The truth at the end is read from the simulator itself over its SWR API (every repository's
sync jobs, signed with AK/SK as the SDKs sign), not from the exporter."""

import argparse
import datetime
import gzip
import hashlib
import hmac
import http.client
import json
import math
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse

AK = "SIMACCESSKEY0000"
SK = "sim-secret-key"
STATUSES = ("waiting", "running", "success", "failed", "timeout", "cancel", "existed")


def log(msg):
    print(f"[detect {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def duration_seconds(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text.strip())
    if not m:
        raise SystemExit(f"detect: bad duration {text!r} (500ms, 60s, 15m, 1h)")
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


# ---- the simulator: admin API and AK/SK-signed SWR API ----

def quote(s):
    return urllib.parse.quote(s, safe="-_.~")


class Sim:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        assert self.host in ("127.0.0.1", "localhost", "::1"), "loopback only"
        self.conn = None

    def _request(self, method, target, body=None, headers=None):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.conn.request(method, target, body=body, headers=headers or {})
                r = self.conn.getresponse()
                return r.status, r, r.read()
            except (http.client.HTTPException, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.2)

    def admin(self, method, path, payload=None):
        body = None if payload is None else json.dumps(payload).encode()
        status, _, data = self._request(method, path, body, {"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {status} {data[:200]!r}")
        return json.loads(data)

    def signed_get(self, path, query):
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        host = f"{self.host}:{self.port}"
        uri = "/".join(quote(seg) for seg in path.split("/"))
        if not uri.endswith("/"):
            uri += "/"
        cq = "&".join(f"{k}={v}" for k, v in sorted((quote(k), quote(v)) for k, v in query))
        canonical = "\n".join(["GET", uri, cq, "content-type:application/json", f"host:{host}",
                               f"x-sdk-date:{date}", "", "content-type;host;x-sdk-date",
                               hashlib.sha256(b"").hexdigest()])
        sts = "SDK-HMAC-SHA256\n" + date + "\n" + hashlib.sha256(canonical.encode()).hexdigest()
        sig = hmac.new(SK.encode(), sts.encode(), hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "Host": host, "X-Sdk-Date": date,
                   "Authorization": f"SDK-HMAC-SHA256 Access={AK}, "
                                    f"SignedHeaders=content-type;host;x-sdk-date, Signature={sig}"}
        target = path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query)
        status, resp, data = self._request("GET", target, None, headers)
        if status != 200:
            raise RuntimeError(f"GET {target}: HTTP {status} {data[:300]!r}")
        return resp, json.loads(data)

    def repositories(self):
        out, offset = [], 0
        while True:
            _, items = self.signed_get("/v2/manage/repos", [("limit", "1000"), ("offset", str(offset))])
            out += [(it["namespace"], it["name"]) for it in items]
            total = items[0]["total_range"] if items else 0
            offset += 1000
            if not items or offset >= total:
                return out

    def jobs(self, org, repo):
        path = f"/v2/manage/namespaces/{org}/repos/{repo.replace('/', '$')}/sync_job"
        out, offset = [], 0
        while True:
            resp, page = self.signed_get(path, [("filter", f"limit::100|offset::{offset}")])
            out += page
            total = int(resp.getheader("Content-Range", "/0").rsplit("/", 1)[1])
            offset += 100
            if not page or offset >= total:
                return out


# ---- the exporter ----

def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def http_get(port, path, gzip_ok=False, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
        r = conn.getresponse()
        data = r.read()
        if r.getheader("Content-Encoding") == "gzip":
            data = gzip.decompress(data)  # several gzip members, one after the other
        return r.status, data
    finally:
        conn.close()


LOG_TS = re.compile(r"\bts=(\S+)")


def log_field(line, name):
    m = re.search(r"\b" + name + r"=(\"[^\"]*\"|\S+)", line)
    return m.group(1).strip('"') if m else None


def parse_ts(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def cycle_lines(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            if 'msg="cycle done"' not in line:
                continue
            c = {"end": parse_ts(log_field(line, "ts"))}
            for k in ("requests", "listing_requests", "seconds", "listing_seconds", "skipped",
                      "cpu_seconds", "render_seconds"):
                v = log_field(line, k)
                c[k] = float(v) if v is not None else None
            reads = log_field(line, "reads") or ""
            c["reads"] = {k: int(v) for k, v in (p.split(":") for p in reads.split(",") if ":" in p)}
            c["start"] = c["end"] - (c["seconds"] or 0) - (c["listing_seconds"] or 0)
            out.append(c)
    return out


class Poller(threading.Thread):
    """Scrapes /metrics (gzip) every `period` s; records first sightings."""

    TAG = re.compile(rb'tag="((?:push|manual)-\d+)"')

    def __init__(self, port, period):
        super().__init__(daemon=True)
        self.port, self.period = port, period
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.seen = {}  # tag -> scrape start time
        self.first_series = self.ready = self.pass_complete = None
        self.pass_metric = False  # the exporter knows swr_exporter_initial_pass_complete
        self.scrapes = self.errors = 0
        self.scrape_seconds = []
        self.last_size = 0

    def scan(self, t, data):
        if self.first_series is None and (data.startswith(b"swr_sync_jobs{") or b"\nswr_sync_jobs{" in data):
            self.first_series = t
        i = data.find(b"\nswr_exporter_initial_pass_complete ")
        if i >= 0:
            self.pass_metric = True
            if self.pass_complete is None and data[i + 36:i + 37] == b"1":
                self.pass_complete = t
        found = []
        for needle in (b'tag="push-', b'tag="manual-'):
            pos = data.find(needle)
            while pos >= 0:
                line_start = data.rfind(b"\n", 0, pos) + 1
                if data.startswith(b"swr_sync_latest_job_info{", line_start):
                    m = self.TAG.match(data, pos)
                    if m:
                        found.append(m.group(1).decode())
                pos = data.find(needle, pos + 1)
        with self.lock:
            for tag in found:
                self.seen.setdefault(tag, t)

    def run(self):
        while not self.stop.is_set():
            t = time.time()
            try:
                if self.ready is None:
                    status, _ = http_get(self.port, "/-/ready", timeout=10)
                    if status == 200:
                        self.ready = t
                status, data = http_get(self.port, "/metrics", gzip_ok=True)
                if status == 200:
                    self.scan(t, data)
                    self.scrapes += 1
                    self.last_size = len(data)
                    self.scrape_seconds.append(time.time() - t)
                else:
                    self.errors += 1
            except (OSError, http.client.HTTPException):
                self.errors += 1
            # Faster until the first series and readiness are seen.
            period = self.period if self.first_series and self.ready else 0.25
            self.stop.wait(max(0.0, t + period - time.time()))


def percentile(values, p):
    """Nearest rank; values sorted; math.inf allowed."""
    if not values:
        return None
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]


def fmt(v, digits=1):
    if v is None:
        return "n/a"
    if v == math.inf:
        return "unseen"
    return f"{v:.{digits}f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sim", required=True)
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--interval", default="60s")
    ap.add_argument("--rps", type=float, default=10)
    ap.add_argument("--recheck", default="100m", help="a duration, or 'omit' to leave the key out")
    ap.add_argument("--pushes", type=int, default=0, help="a minute; 0 = 1%% of the repositories")
    ap.add_argument("--manual", type=int, default=5, help="manual syncs a minute")
    ap.add_argument("--warmup", choices=("pass", "none"), default="pass")
    ap.add_argument("--warmup-max", type=float, default=2700)
    ap.add_argument("--drain", type=float, default=-1, help="s; default 3 intervals")
    ap.add_argument("--poll", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    interval = duration_seconds(a.interval)
    recheck = None if a.recheck == "omit" else duration_seconds(a.recheck)
    drain = a.drain if a.drain >= 0 else 3 * interval
    rng = random.Random(a.seed)

    sim = Sim(a.sim)
    world = sim.repositories()
    R = len(world)
    pushes_per_min = a.pushes or max(1, R // 100)
    log(f"world: {R} repositories; {pushes_per_min} pushes and {a.manual} manual syncs a minute")
    sim.admin("POST", "/_sim/reset-stats")
    jobs_at_start = sim.admin("GET", "/_sim/stats")["jobs"]

    cfg = os.path.join(a.work, "exporter.toml")
    with open(cfg, "w") as f:
        f.write(f'''[huaweicloud]
region = "cn-north-4"
swr_endpoint = "{a.sim}"
iam_endpoint = "{a.sim}"
[auth]
access_key = "{AK}"
secret_key = "{SK}"
[scrape]
interval = "{a.interval}"
max_requests_per_second = {a.rps:g}
''' + ("" if recheck is None else f'recheck_interval = "{a.recheck}"\n'))
    err_path = os.path.join(a.work, "exporter.err")
    err = open(err_path, "w")
    t0 = time.time()
    exporter = subprocess.Popen([a.exporter, "--config", cfg, "--web.listen-address", "127.0.0.1:0"],
                                stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
    poller = None
    try:
        port = None
        while port is None and time.time() - t0 < 30:
            with open(err_path, errors="replace") as f:
                m = re.search(r"msg=listening.* port=(\d+)", f.read())
            port = int(m.group(1)) if m else None
            if exporter.poll() is not None:
                raise SystemExit(f"detect: the exporter exited: {open(err_path).read()[-2000:]}")
            time.sleep(0.02)
        if port is None:
            raise SystemExit("detect: the exporter did not listen within 30 s")
        poller = Poller(port, a.poll)
        poller.start()

        # Warm-up: the first pass over every repository.
        t_warm = time.time()
        if a.warmup == "pass":
            log("waiting for the initial pass (swr_exporter_initial_pass_complete 1, or the first "
                "cycle of a build without it)")
            last_note = 0
            while time.time() - t0 < a.warmup_max:
                if poller.pass_complete is not None:
                    break
                if poller.scrapes > 0 and not poller.pass_metric and cycle_lines(err_path):
                    break
                if exporter.poll() is not None:
                    raise SystemExit("detect: the exporter died during the warm-up")
                if time.time() - last_note > 60:
                    last_note = time.time()
                    cl = cycle_lines(err_path)
                    log(f"  warm-up {time.time() - t0:.0f} s: {len(cl)} cycles done, "
                        f"last reads={cl[-1]['reads'] if cl else '-'}")
                time.sleep(0.5)
            t_warm = time.time()
        cpu_warm = proc_cpu_seconds(exporter.pid)
        stats_warm = sim.admin("GET", "/_sim/stats")["requests"]
        log(f"push phase starts at {t_warm - t0:.0f} s")

        # The push phase: pushes and manual syncs spread evenly over each minute, each to a
        # repository touched by no other event of the run while the pool lasts.
        events = []
        total_pushes = int(round(pushes_per_min * a.minutes))
        total_manual = int(round(a.manual * a.minutes))
        events += [(60.0 * k / pushes_per_min, "push", k) for k in range(total_pushes)]
        events += [(60.0 * (k + 0.5) / a.manual, "manual", k) for k in range(total_manual)] if a.manual else []
        events.sort()
        pool = []
        made = []  # (tag, kind, org, repo, time)
        t_push0 = time.time()
        next_note = 60
        for offset, kind, k in events:
            while True:
                left = t_push0 + offset - time.time()
                if left <= 0:
                    break
                time.sleep(min(left, 1.0))
            if not pool:
                pool = list(world)
                rng.shuffle(pool)
            org, repo = pool.pop()
            tag = f"{kind}-{k}"
            sim.admin("POST", "/_sim/jobs", {"organization": org, "repository": repo,
                                              "manual": kind == "manual",
                                              "jobs": [{"tag": tag, "status": "failed"}]})
            made.append((tag, kind, org, repo, time.time()))
            if offset >= next_note:
                next_note += 60
                with poller.lock:
                    seen = sum(1 for m in made if m[0] in poller.seen)
                log(f"  minute {offset / 60:.0f}: {len(made)} events, {seen} seen")
        t_last = made[-1][4] if made else time.time()
        stats_push_end = sim.admin("GET", "/_sim/stats")["requests"]
        t_push_end = time.time()

        # Drain: until a cycle that started after the last event is done (and one more scrape),
        # at most `drain` seconds.
        log("draining")
        while time.time() - t_last < drain:
            if any(c["start"] > t_last for c in cycle_lines(err_path)):
                time.sleep(2 * a.poll + 0.5)
                break
            time.sleep(0.5)
        t_end = time.time()
        poller.stop.set()
        poller.join()

        # Final state: the exporter's exposition, then the simulator's own view.
        _, final = http_get(port, "/metrics", gzip_ok=True)
        poller.scan(time.time(), final)
        cpu_end = proc_cpu_seconds(exporter.pid)
        hwm_kib = proc_status_kib(exporter.pid, "VmHWM")
        rss_kib = proc_status_kib(exporter.pid, "VmRSS")
        stats_end = sim.admin("GET", "/_sim/stats")
        sim_jobs_total = stats_end["jobs"]
    finally:
        if poller is not None:
            poller.stop.set()
        exporter.terminate()
        try:
            exporter.wait(10)
        except subprocess.TimeoutExpired:
            exporter.kill()
        err.close()

    log("reading every repository's sync jobs from the simulator (signed SWR API)")
    t_oracle = time.time()
    truth = {}  # (org, repo, region, torg, status) -> n
    truth_status = dict.fromkeys(STATUSES + ("unknown",), 0)
    for org, repo in world:
        for job in sim.jobs(org, repo):
            status = job["status"] if job["status"] in STATUSES else "unknown"
            key = (org, repo, job["remoteRegionId"], job["remoteNamespace"], status)
            truth[key] = truth.get(key, 0) + 1
            truth_status[status] += 1
    oracle_seconds = time.time() - t_oracle

    exported = {}
    exported_status = dict.fromkeys(STATUSES + ("unknown",), 0)
    series_re = re.compile(r'^swr_sync_jobs\{organization="([^"]*)",repository="([^"]*)",'
                           r'target_region="([^"]*)",target_organization="([^"]*)",status="([^"]*)"\} (\S+)$',
                           re.M)
    for m in series_re.finditer(final.decode()):
        n = int(float(m.group(6)))
        if n:
            exported[m.groups()[:5]] = exported.get(m.groups()[:5], 0) + n
            exported_status[m.group(5)] = exported_status.get(m.group(5), 0) + n
    diff_keys = {k for k in set(truth) | set(exported) if truth.get(k, 0) != exported.get(k, 0)}
    diff_repos = {(k[0], k[1]) for k in diff_keys}
    unseen = [m for m in made if m[0] not in poller.seen]
    unseen_repos = {(m[2], m[3]) for m in unseen}
    missing_jobs = sum(truth.get(k, 0) - exported.get(k, 0) for k in diff_keys)
    exported_total = sum(exported.values())
    truth_total = sum(truth.values())
    exact = not diff_keys and exported_total == sim_jobs_total
    # Each event went to a repository of its own: an unseen one is one job the exporter lacks.
    explained = (diff_repos <= unseen_repos and missing_jobs == len(unseen)
                 and truth_total == sim_jobs_total)

    # Latencies.
    lat = {"push": [], "manual": []}
    pending_age = {"push": [], "manual": []}
    for tag, kind, org, repo, t in made:
        if tag in poller.seen:
            lat[kind].append(max(0.0, poller.seen[tag] - t))
        else:
            pending_age[kind].append(t_end - t)
    for v in lat.values():
        v.sort()

    # The exporter logs the cycle it was in when stopped too: a partial one, after t_end.
    cycles = [c for c in cycle_lines(err_path) if c["end"] <= t_end]
    stopped = [c for c in cycle_lines(err_path) if c["end"] > t_end]
    steady_from = poller.pass_complete if poller.pass_complete is not None else (
        t_warm if a.warmup == "pass" and not poller.pass_metric else None)
    steady = [c for c in cycles if steady_from is not None and c["start"] >= steady_from
              and c["end"] <= t_end]
    push_times = sorted(m[4] for m in made if m[1] == "push")
    rows = []
    prev_start = None
    for c in cycles:
        if prev_start is not None:
            pushed = sum(1 for t in push_times if prev_start <= t < c["start"])
        else:
            pushed = sum(1 for t in push_times if t < c["start"])
        pending = c["reads"].get("pending", 0)
        bound = R / 100 + 1.2 * (pushed + pending)
        rows.append((c, pushed, pending, bound, c in steady))
        prev_start = c["start"]

    # ---- the report ----
    name = a.label or ("old design (recheck_interval 0s)" if recheck == 0 else
                       "recheck key omitted" if recheck is None else f"recheck_interval {a.recheck}")
    out = []
    p = out.append
    p(f"## detect: {name}")
    p("")
    p(f"world: {R} repositories, {jobs_at_start} jobs at start ({jobs_at_start / max(R, 1):.0f} per repository); "
      f"interval {a.interval}, max_requests_per_second {a.rps:g}, "
      f"recheck_interval {'(key omitted)' if recheck is None else a.recheck}; exporter {a.exporter}")
    p(f"schedule: warm-up '{a.warmup}' {t_warm - t0:.0f} s, then {a.minutes:g} min of {pushes_per_min} pushes "
      f"and {a.manual} manual syncs a minute (spread evenly; each to a repository no other event "
      f"of the run touched), then {t_end - t_push_end:.0f} s of drain; /metrics scraped every "
      f"{a.poll:g} s with gzip ({poller.scrapes} scrapes, {poller.errors} errors, "
      f"median {fmt(percentile(sorted(poller.scrape_seconds), 50), 3)} s each, "
      f"{poller.last_size / 1e6:.1f} MB of text); total {t_end - t0:.0f} s")
    p("")

    st_req = [c["requests"] for c in steady if c["requests"] is not None]
    st_list = [c["listing_requests"] for c in steady if c["listing_requests"] is not None]
    st_bound = [r[3] for r in rows if r[4]]
    st_reads = {}
    for c in steady:
        for k, v in c["reads"].items():
            st_reads[k] = st_reads.get(k, 0) + v
    all_list = [c["listing_requests"] for c in cycles if c["listing_requests"] is not None]

    def mean(v):
        return sum(v) / len(v) if v else None

    req_met = None
    if st_req:
        req_met = sum(st_req) <= sum(st_bound)
    over = [(c["requests"], round(b)) for c, _, _, b, is_steady in rows
            if is_steady and c["requests"] is not None and c["requests"] > b]
    sim_sync = stats_push_end["sync_job"] - stats_warm["sync_job"]
    sim_repos = stats_push_end["repos"] - stats_warm["repos"]
    phase_min = (t_push_end - t_warm) / 60
    # The same target a minute: the sweep's R/100 and 1.2 x the pushes of each interval.
    minute_bound = (R / 100) * 60 / interval + 1.2 * pushes_per_min

    def lat_cell(kind):
        v = lat[kind]
        full = v + [math.inf] * len(pending_age[kind])
        return (f"p50 {fmt(percentile(full, 50))} / p99 {fmt(percentile(full, 99))} / "
                f"max {fmt(v[-1] if v else None)} s (of the seen); seen {len(v)}, unseen {len(pending_age[kind])}")

    def verdict(ok):
        return "n/a" if ok is None else ("met" if ok else "not met")

    push_full = lat["push"] + [math.inf] * len(pending_age["push"])
    push_p99 = percentile(push_full, 99)
    push_met = None if push_p99 is None else push_p99 <= 2 * interval
    man_bound = (recheck or 0) + interval if recheck is not None else None
    man_met = None
    man_note = ""
    if man_bound is not None and (lat["manual"] or pending_age["manual"]):
        late = [x for x in lat["manual"] if x > man_bound] + [x for x in pending_age["manual"] if x > man_bound]
        if late:
            man_met = False
        elif pending_age["manual"]:
            man_note = (f"not measurable in this run: {len(pending_age['manual'])} unseen, all younger "
                        f"than the bound (oldest {max(pending_age['manual']):.0f} s)")
        else:
            man_met = True
    first_s = None if poller.first_series is None else poller.first_series - t0
    ready_s = None if poller.ready is None else poller.ready - t0
    pass_s = None if poller.pass_complete is None else poller.pass_complete - t0

    p("| figure | measured | target | |")
    p("|---|---|---|---|")
    p(f"| sync_job requests per steady cycle (exporter log `requests=`) | mean {fmt(mean(st_req))}, "
      f"min {fmt(min(st_req) if st_req else None, 0)}, max {fmt(max(st_req) if st_req else None, 0)} over "
      f"{len(st_req)} cycles | <= repositories/100 + 1.2 x (pushed + pending): mean {fmt(mean(st_bound))} | "
      f"{verdict(req_met)}{f' ({len(over)} of {len(st_req)} cycles over their bound: ' + ', '.join(f'{r:.0f}>{b}' for r, b in over) + ')' if over else ''} |")
    p(f"| reads by reason, steady cycles | {', '.join(f'{k}:{v}' for k, v in sorted(st_reads.items())) or 'n/a'} | | |")
    p(f"| listing requests per cycle | steady mean {fmt(mean(st_list))}, all cycles mean {fmt(mean(all_list))} | | |")
    p(f"| sim-counted sync_job / repos requests a minute, push phase | {sim_sync / phase_min:.1f} / "
      f"{sim_repos / phase_min:.1f} ({sim_sync} / {sim_repos} in {phase_min:.1f} min) | sync_job <= "
      f"(repositories/100 per interval + 1.2 x pushes) a minute = {minute_bound:.0f} | "
      f"{verdict(sim_sync / phase_min <= minute_bound if phase_min > 0 else None)} |")
    p(f"| push -> /metrics latency | {lat_cell('push')} | p99 <= 2 x interval = {2 * interval:.0f} s "
      f"(unseen count as infinite) | {verdict(push_met)} |")
    p(f"| manual sync -> /metrics latency | {lat_cell('manual')} | <= recheck_interval + interval = "
      f"{fmt(man_bound, 0)} s | {man_note or verdict(man_met)} |")
    p(f"| exporter start -> first swr_sync_jobs series | {fmt(first_s)} s | <= 15 s | "
      f"{verdict(None if first_s is None else first_s <= 15)} |")
    p(f"| exporter start -> /-/ready 200 | {fmt(ready_s)} s | | |")
    p(f"| exporter start -> swr_exporter_initial_pass_complete 1 | "
      f"{fmt(pass_s) + ' s' if pass_s is not None else ('not reached' if poller.pass_metric else 'no such metric')} | | |")
    p(f"| exporter CPU | {cpu_end:.2f} s ({cpu_warm:.2f} s warm-up, {cpu_end - cpu_warm:.2f} s push phase "
      f"and drain, {(cpu_end - cpu_warm) / max((t_end - t_warm) / 60, 1e-9):.3f} s a minute) | | |")
    p(f"| exporter peak RSS (VmHWM) | {hwm_kib / 1024:.0f} MiB (VmRSS at the end {rss_kib / 1024:.0f} MiB) | | |")
    p(f"| counts at the end: sum of swr_sync_jobs vs the simulator | exported {exported_total}, "
      f"simulator {sim_jobs_total} (/_sim/stats jobs), {truth_total} read back over its SWR API; "
      f"{len(diff_keys)} series in {len(diff_repos)} repositories differ ({missing_jobs} jobs missing) | exact | "
      f"{'met' if exact else 'not met'}{'' if exact else (' (only the unseen events differ)' if explained else '')} |")
    p("")
    p("by status (exported / simulator over its API): " + ", ".join(
        f"{s} {exported_status.get(s, 0)}/{truth_status[s]}" for s in STATUSES + ("unknown",)
        if exported_status.get(s, 0) or truth_status[s]))
    p("")
    p("raw numbers:")
    p(f"  t0 (exporter start) = {t0:.3f}; warm-up end +{t_warm - t0:.1f} s; push phase end +{t_push_end - t0:.1f} s; "
      f"end +{t_end - t0:.1f} s; truth read in {oracle_seconds:.1f} s after the exporter stopped")
    p(f"  first_series_s={fmt(first_s, 2)} ready_s={fmt(ready_s, 2)} initial_pass_complete_s={fmt(pass_s, 2)} "
      f"cpu_s={cpu_end:.2f} cpu_warmup_s={cpu_warm:.2f} vmhwm_kib={hwm_kib}")
    p(f"  events: {len(made)} ({total_pushes} pushes, {total_manual} manual); unseen pushes {len(pending_age['push'])} "
      f"(ages {', '.join(f'{x:.0f}' for x in sorted(pending_age['push'])[:20])}{' ...' if len(pending_age['push']) > 20 else ''}), "
      f"unseen manual {len(pending_age['manual'])}")
    for kind in ("push", "manual"):
        v = lat[kind]
        if v:
            p(f"  {kind} latency s: p10 {fmt(percentile(v, 10))} p50 {fmt(percentile(v, 50))} "
              f"p90 {fmt(percentile(v, 90))} p99 {fmt(percentile(v, 99))} max {fmt(v[-1])} (seen only)")
            p(f"  {kind} latencies s (sorted): " + " ".join(f"{x:.1f}" for x in v))
    p(f"  sim requests: at warm-up end {json.dumps(stats_warm)}; at push end {json.dumps(stats_push_end)}; "
      f"at the end {json.dumps(stats_end['requests'])}")
    p("  cycles (start s after t0, wall s, reads, requests, listing_requests, skipped, pushes since the "
      "previous cycle's start, pending, bound, CPU s, render s, steady):")
    for c, pushed, pending, bound, is_steady in rows:
        reads = ",".join(f"{k}:{v}" for k, v in c["reads"].items()) or "none"
        p(f"    {c['start'] - t0:8.1f} {c['seconds'] or 0:7.1f} {reads:<40} {fmt(c['requests'], 0):>6} "
          f"{fmt(c['listing_requests'], 0):>4} {fmt(c['skipped'], 0):>6} {pushed:5d} {pending:4d} "
          f"{bound:7.1f} {fmt(c['cpu_seconds'], 3):>6} {fmt(c['render_seconds'], 3):>6} "
          f"{'steady' if is_steady else ''}")
    for c in stopped:
        reads = ",".join(f"{k}:{v}" for k, v in c["reads"].items()) or "none"
        p(f"    stopped at the end, part of a cycle: reads planned {reads}, requests "
          f"{fmt(c['requests'], 0)}, CPU {fmt(c['cpu_seconds'], 3)} s")
    print("\n".join(out), flush=True)


if __name__ == "__main__":
    main()
