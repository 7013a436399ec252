"""kvmhost.setup benchmark driver, started by bench/run.sh (`make bench`).

Three stages, each on throwaway systemd containers of the local test images:

daemons  the libvirt daemon stage alone, on one modular container: a
         systemd_service loop (baseline), one libvirt_daemons call (ours) and
         one `systemctl enable --now` (the limit), alternated per repetition,
         fresh (everything to change) and converged (nothing to change).
role     the whole role, first converge and converged re-runs, on each image,
         plus what pipelining and limited fact gathering buy.
fleet    the role on N containers at once (forks = N), with the controller's
         memory.

Every figure is the wall time of one ansible-playbook process. Results go to
bench/results/latest.json and a table on stdout. Settings (environment):
BENCH_STAGES, BENCH_CONN, BENCH_REPS, BENCH_REPS_OTHER, BENCH_ROLE_REPS,
BENCH_FLEET, BENCH_PREFIX (container name prefix).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(os.environ.get("KVMHOST_ROOT") or Path(__file__).resolve().parents[1])
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
IMAGES = {
    "modular": os.environ.get("KVMHOST_IMAGE_LIBVIRT_MODULAR", "localhost/kvmhost-test/libvirt-modular:trixie"),
    "monolithic": os.environ.get("KVMHOST_IMAGE_LIBVIRT_MONOLITHIC", "localhost/kvmhost-test/libvirt-monolithic:bookworm"),
}
PREFIX = os.environ.get("BENCH_PREFIX") or f"kvmbench-{os.getpid()}"
STAGES = (os.environ.get("BENCH_STAGES") or "daemons role fleet").split()
# The main connection: "pipelined" (bench/connection_plugins/podman_pipelined.py,
# pipelining that works) or "stock" (containers.podman.podman, which cannot pipeline).
MAIN_CONN = os.environ.get("BENCH_CONN") or "pipelined"
OTHER_CONN = "stock" if MAIN_CONN == "pipelined" else "pipelined"
REPS = int(os.environ.get("BENCH_REPS") or 5)
REPS_OTHER = int(os.environ.get("BENCH_REPS_OTHER") or 1)
ROLE_REPS = int(os.environ.get("BENCH_ROLE_REPS") or 2)
FLEET = [int(n) for n in (os.environ.get("BENCH_FLEET") or "1 5 10 20").split()]
# fleet sizes that also get a converged re-run (none by default: time budget)
FLEET_CONVERGED = [int(n) for n in (os.environ.get("BENCH_FLEET_CONVERGED") or "").split()]

RHEL10_SOCKETS = [
    "virtqemud.socket", "virtnetworkd.socket", "virtstoraged.socket", "virtnodedevd.socket",
    "virtsecretd.socket", "virtlockd.socket", "virtlogd.socket",
]
VARIANTS = {
    "baseline": "baseline_loop.yml",
    "ours": "module_once.yml",
    "limit": "limit_command.yml",
}
# What -c names: the collection's plugin, and bench/connection_plugins' copy
# of it that can pipeline (see that file).
CONNECTIONS = {"stock": "containers.podman.podman", "pipelined": "podman_pipelined"}
TARGETS = {
    "ours_vs_limit_max": 1.5,
    "baseline_vs_ours_min": {"rhel10_sockets": 6.0, "full": 15.0},
    "converged_vs_first_max": 1 / 3,
    "fleet_20_vs_1_max": 3.0,
    "role_converged_module_runs_max": 8,
    "role_converged_vs_limit_max": 2.5,
}
HYPERVISOR = {"modular": "virtqemud.service", "monolithic": "libvirtd.service"}
# (connection, repetitions, unit sets) of the daemon stage: the main figures,
# then the other connection on the seven sockets only (time budget)
DAEMON_PLAN = [(MAIN_CONN, REPS, ("rhel10_sockets", "full")), (OTHER_CONN, REPS_OTHER, ("rhel10_sockets",))]


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def ratio(num, den):
    if num is None or den is None or den <= 0:
        return None
    return round(num / den, 2)


# --- podman -------------------------------------------------------------------


class Podman:
    """The real podman, plus a logging stand-in that Ansible's connection runs."""

    def __init__(self, workdir: Path):
        self.real = shutil.which("podman")
        if not self.real:
            sys.exit("podman not found")
        self.shim = workdir / "podman"
        # One line per podman call Ansible makes; appends of a short line are atomic.
        self.shim.write_text(
            "#!/bin/sh\n"
            "[ -n \"$BENCH_PODMAN_LOG\" ] && printf '%s\\n' \"$*\" >> \"$BENCH_PODMAN_LOG\"\n"
            f"exec {self.real} \"$@\"\n",
            encoding="utf-8",
        )
        self.shim.chmod(0o755)
        self.started = []

    def run(self, *args, check=True, timeout=300):
        proc = subprocess.run([self.real, *args], capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise RuntimeError(f"podman {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def sh(self, name, script, check=True):
        return self.run("exec", name, "sh", "-c", script, check=check)

    def start(self, image, names, timeout=180):
        """Start systemd containers and wait until each one's systemd has booted."""
        device = ["--device", "/dev/kvm"] if os.path.exists("/dev/kvm") else []
        for name in names:
            self.run("rm", "-f", "-t", "0", name, check=False)
            self.run("run", "-d", "--name", name, *device, image, "/sbin/init")
            self.started.append(name)
        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting:
            for name in list(waiting):
                state = self.run("exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
                if state in ("running", "degraded"):
                    waiting.remove(name)
            if waiting:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"systemd did not boot in {waiting} within {timeout} s")
                time.sleep(0.3)

    def remove(self, names=None):
        names = list(self.started if names is None else names)
        if names:
            self.run("rm", "-f", "-t", "0", *names, check=False, timeout=600)
        self.started = [n for n in self.started if n not in names]


# --- controller memory ---------------------------------------------------------


def _children_map():
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _rollup(pid):
    rss = pss = 0
    comm = ""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as smaps:
            for line in smaps:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
        with open(f"/proc/{pid}/comm", encoding="utf-8") as comm_file:
            comm = comm_file.read().strip()
    except OSError:
        pass
    return comm, rss, pss


class MemorySampler(threading.Thread):
    """Peak summed RSS and PSS of a process and all its descendants (every 0.2 s).

    Forked Ansible workers share most pages with their parent: the RSS sum
    counts those once per process, the PSS sum divides them among sharers.
    """

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.stop_event = threading.Event()
        self.peak = {"rss_mb": 0.0, "pss_mb": 0.0, "ansible_pss_mb": 0.0, "processes": 0, "samples": 0}

    def run(self):
        while not self.stop_event.is_set():
            children = _children_map()
            todo, tree = [self.pid], []
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo.extend(children.get(pid, []))
            rss = pss = ansible_pss = 0
            for pid in tree:
                comm, p_rss, p_pss = _rollup(pid)
                rss += p_rss
                pss += p_pss
                if not comm.startswith(("podman", "time")):
                    ansible_pss += p_pss
            peak = self.peak
            peak["rss_mb"] = max(peak["rss_mb"], round(rss / 1024, 1))
            peak["pss_mb"] = max(peak["pss_mb"], round(pss / 1024, 1))
            peak["ansible_pss_mb"] = max(peak["ansible_pss_mb"], round(ansible_pss / 1024, 1))
            peak["processes"] = max(peak["processes"], len(tree))
            peak["samples"] += 1
            self.stop_event.wait(0.2)

    def stop(self):
        self.stop_event.set()
        self.join()
        return self.peak


# --- ansible-playbook ------------------------------------------------------------


class Ansible:
    def __init__(self, podman: Podman, workdir: Path):
        self.podman = podman
        self.workdir = workdir
        self.calls = 0

    def env(self, pipelining=True, gathering="explicit"):
        env = dict(os.environ)
        # no extra callbacks: the json stdout callback only, the same for every run
        env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
        env.pop("ANSIBLE_CALLBACK_WHITELIST", None)
        env.update({
            "ANSIBLE_PIPELINING": "true" if pipelining else "false",
            "ANSIBLE_GATHERING": gathering,
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_PODMAN_EXECUTABLE": str(self.podman.shim),
            "ANSIBLE_CONNECTION_PLUGINS": str(BENCH / "connection_plugins"),
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
        })
        return env

    def playbook(self, playbook, hosts, extra=None, conn=MAIN_CONN, pipelining=True, gathering="explicit",
                 memory=False, forks=None, check=True):
        """Run one playbook; returns wall time, stats, tasks and podman calls per host."""
        self.calls += 1
        podman_log = self.workdir / f"podman-{self.calls}.log"
        podman_log.write_text("", encoding="utf-8")
        env = self.env(pipelining, gathering)
        env["BENCH_PODMAN_LOG"] = str(podman_log)
        cmd = [
            "ansible-playbook", "-i", ",".join(hosts) + ",", "-c", CONNECTIONS[conn],
            "-e", "ansible_python_interpreter=/usr/bin/python3",
            "-f", str(forks or max(5, len(hosts))), str(BENCH / playbook),
        ]
        if extra:
            cmd += ["-e", json.dumps(extra)]
        time_file = None
        if memory:
            time_file = self.workdir / f"time-{self.calls}.txt"
            cmd = ["/usr/bin/time", "-f", "%M %U %S", "-o", str(time_file)] + cmd
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sampler = None
        if memory:
            sampler = MemorySampler(proc.pid)
            sampler.start()
        out, err = proc.communicate(timeout=1800)
        wall = time.perf_counter() - start
        result = {"wall_s": round(wall, 3), "rc": proc.returncode}
        if sampler:
            result["memory"] = sampler.stop()
            try:
                max_rss, user, system = time_file.read_text().split()[-3:]
                # the largest single process (not a sum), and the CPU time of
                # ansible-playbook and every child it waited for (forks, podman)
                result["memory"]["time_v_max_rss_mb"] = round(int(max_rss) / 1024, 1)
                result["controller_cpu_s"] = round(float(user) + float(system), 1)
            except (OSError, ValueError):
                result["memory"]["time_v_max_rss_mb"] = None
                result["controller_cpu_s"] = None
        try:
            data = json.loads(out)
        except ValueError:
            data = None
        result["hosts"] = per_host(data, hosts, podman_log)
        podman_log.unlink()
        if proc.returncode != 0:
            result["error"] = failure_text(data, err)
            if check:
                raise RuntimeError(f"{playbook} failed on {hosts}: {result['error']}")
        return result


def failure_text(data, err):
    if data:
        for play in data.get("plays", []):
            for task in play.get("tasks", []):
                for host, res in task.get("hosts", {}).items():
                    if res.get("failed") or res.get("unreachable"):
                        return f"{host}: {task['task']['name']}: {str(res.get('msg', ''))[:400]}"
    return (err or "").strip()[-600:]


def per_host(data, hosts, podman_log):
    """Per host: the play recap, tasks run and skipped, podman calls and module runs."""
    result = {host: {"changed": None, "ok": None, "failures": None, "skipped": None, "tasks_run": 0,
                     "task_items_run": 0, "tasks_skipped": 0, "podman_calls": 0, "podman_exec": 0,
                     "module_runs": 0, "file_copies": 0} for host in hosts}
    if data:
        for host, stats in data.get("stats", {}).items():
            if host in result:
                result[host].update({k: stats.get(k) for k in ("changed", "ok", "failures", "skipped")})
        for play in data.get("plays", []):
            for task in play.get("tasks", []):
                for host, res in task.get("hosts", {}).items():
                    if host not in result:
                        continue
                    if res.get("skipped"):
                        result[host]["tasks_skipped"] += 1
                        continue
                    result[host]["tasks_run"] += 1
                    items = [r for r in res.get("results", []) if not r.get("skipped")]
                    result[host]["task_items_run"] += len(items) if "results" in res else 1
    for line in podman_log.read_text(encoding="utf-8", errors="replace").splitlines():
        words = line.split()
        if not words:
            continue
        verb, host = words[0], None
        if verb == "exec":
            args = words[1:]
            while args and args[0].startswith("-"):
                args = args[2:] if args[0] == "--user" else args[1:]
            host = args[0] if args else None
            if host in result:
                result[host]["podman_exec"] += 1
                # a module run: the AnsiballZ file run by python, or a module piped into python (-i)
                if re.search(r"python[0-9.]* \S*AnsiballZ_", line) or " -i " in f" {line} ":
                    result[host]["module_runs"] += 1
        elif verb == "mount" and len(words) > 1:
            host = words[1]
        elif verb == "cp":
            for word in words[1:]:
                if ":" in word and word.split(":", 1)[0] in result:
                    host = word.split(":", 1)[0]
            if host in result:
                result[host]["file_copies"] += 1
        if host in result:
            result[host]["podman_calls"] += 1
    return result


# --- the daemon stage ------------------------------------------------------------


def service_of(unit):
    match = re.match(r"^(virt[a-z]+d|libvirtd)(-[a-z]+)?\.socket$", unit)
    return f"{match.group(1)}.service" if match else None


def unit_states(podman, name, units):
    out = podman.run("exec", name, "systemctl", "show", "--property=Id,UnitFileState,ActiveState", "--", *units).stdout
    states, current = {}, {}
    for line in out.splitlines() + [""]:
        if not line.strip():
            if current.get("Id"):
                states[current["Id"]] = (current.get("UnitFileState", ""), current.get("ActiveState", ""))
            current = {}
            continue
        key, _sep, value = line.partition("=")
        current[key] = value
    return states


def reset_units(podman, name, units):
    """Back to the image's state: every unit (and the daemons behind) stopped and disabled."""
    services = sorted({service_of(u) for u in units if service_of(u)} - set(units))
    names = " ".join(units + services)
    podman.sh(name, f"systemctl stop -- {names}; systemctl disable --quiet -- {' '.join(units)}; "
                    f"systemctl reset-failed -- {names}; true")
    states = unit_states(podman, name, units + services)
    bad = {u: s for u, s in states.items() if s[0] != "disabled" or s[1] not in ("inactive", "failed")}
    if bad:
        raise RuntimeError(f"reset left units changed: {bad}")


def converged_ok(podman, name, units):
    states = unit_states(podman, name, units + [s for s in {service_of(u) for u in units} if s])
    for unit in units:
        file_state, active = states.get(unit, ("", ""))
        if file_state != "enabled":
            return False
        if unit.endswith(".socket") and active != "active":
            return False
        if unit.endswith(".service") and active != "active":
            socket = unit[:-len(".service")] + ".socket"
            if states.get(socket, ("", ""))[1] != "active":
                return False
    return True


def unit_sets(ansible):
    """The seven RHEL 10 sockets and the full modular set, from the collection's filter."""
    import yaml  # pylint: disable=import-outside-toplevel

    defaults = yaml.safe_load((ROOT / "roles/kvmhost_setup/defaults/main.yml").read_text(encoding="utf-8"))
    drivers = defaults["kvmhost_setup_libvirt_drivers"]
    env = ansible.env()
    env["ANSIBLE_LOAD_CALLBACK_PLUGINS"] = "1"
    proc = subprocess.run(
        ["ansible", "localhost", "-c", "local", "-m", "ansible.builtin.debug",
         "-a", "msg={{ bench_drivers | kvmhost.setup.libvirt_daemon_units }}",
         "-e", json.dumps({"bench_drivers": drivers})],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    full = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]
    return {"rhel10_sockets": list(RHEL10_SOCKETS), "full": full}, drivers


def stage_daemons(podman, ansible, results):
    sets, drivers = unit_sets(ansible)
    name = f"{PREFIX}-daemons"
    log(f"daemon stage: container {name} ({IMAGES['modular']})")
    podman.start(IMAGES["modular"], [name])
    stage = {"container_image": IMAGES["modular"], "drivers": drivers, "sets": sets, "runs": [],
             "plan": [{"connection": CONNECTIONS[c], "reps": r, "sets": list(n)} for c, r, n in DAEMON_PLAN]}
    results["daemons"] = stage
    order = list(VARIANTS)
    # every unit of every set back to disabled and stopped before a fresh run
    all_units = list(dict.fromkeys(u for units in sets.values() for u in units))
    for conn, reps, set_names in DAEMON_PLAN:
        for set_name in set_names:
            units = sets[set_name]
            for rep in range(reps):
                rotated = order[rep % 3:] + order[:rep % 3]
                empty = ansible.playbook("empty_play.yml", [name], conn=conn)
                row = {"conn": conn, "set": set_name, "rep": rep, "order": rotated, "empty_s": empty["wall_s"],
                       "loadavg": os.getloadavg()[0]}
                for variant in rotated:
                    reset_units(podman, name, all_units)
                    fresh = ansible.playbook(VARIANTS[variant], [name], {"bench_units": units}, conn=conn)
                    fresh_ok = converged_ok(podman, name, units)
                    conv = ansible.playbook(VARIANTS[variant], [name], {"bench_units": units}, conn=conn)
                    row[variant] = {
                        "fresh_s": fresh["wall_s"], "converged_s": conv["wall_s"],
                        "fresh_changed": fresh["hosts"][name]["changed"],
                        "converged_changed": conv["hosts"][name]["changed"],
                        "fresh_end_state_ok": fresh_ok,
                        "module_runs": fresh["hosts"][name]["module_runs"],
                        "podman_calls": fresh["hosts"][name]["podman_calls"],
                    }
                stage["runs"].append(row)
                log(f"  {conn:9} {set_name:14} rep {rep + 1}/{reps}: empty {empty['wall_s']:.2f}s  " + "  ".join(
                    f"{v} {row[v]['fresh_s']:.2f}/{row[v]['converged_s']:.2f}s" for v in order))
    podman.remove([name])
    stage["summary"] = summarize_daemons(stage)


def summarize_daemons(stage):
    summary = {}
    for conn, _reps, set_names in DAEMON_PLAN:
        for set_name in set_names:
            rows = [r for r in stage["runs"] if r["conn"] == conn and r["set"] == set_name]
            if not rows:
                continue
            entry = {"units": len(stage["sets"][set_name]), "reps": len(rows),
                     "empty_play_s": median(r["empty_s"] for r in rows)}
            for when in ("fresh", "converged"):
                cell = {}
                for variant in VARIANTS:
                    cell[variant] = {
                        "total_s": median(r[variant][f"{when}_s"] for r in rows),
                        # per repetition: variant - that repetition's empty play
                        "stage_s": median(r[variant][f"{when}_s"] - r["empty_s"] for r in rows),
                        "changed": sorted({r[variant][f"{when}_changed"] for r in rows}, key=str),
                    }
                    cell[variant]["module_runs"] = rows[0][variant]["module_runs"]
                    cell[variant]["podman_calls"] = rows[0][variant]["podman_calls"]
                cell["end_state_ok"] = all(r[v]["fresh_end_state_ok"] for r in rows for v in VARIANTS)
                cell["baseline_vs_ours_stage"] = ratio(cell["baseline"]["stage_s"], cell["ours"]["stage_s"])
                cell["ours_vs_limit_stage"] = ratio(cell["ours"]["stage_s"], cell["limit"]["stage_s"])
                cell["baseline_vs_ours_total"] = ratio(cell["baseline"]["total_s"], cell["ours"]["total_s"])
                cell["ours_vs_limit_total"] = ratio(cell["ours"]["total_s"], cell["limit"]["total_s"])
                entry[when] = cell
            summary[f"{conn}/{set_name}"] = entry
    return summary


# --- the role -----------------------------------------------------------------------


def role_host(podman, ansible, image_key, name):
    """A fresh container ready for the role: the modular one disguised as EL10 (not timed)."""
    podman.start(IMAGES[image_key], [name])
    extra = {}
    if image_key == "modular":
        ansible.playbook("prepare_el10.yml", [name], conn=MAIN_CONN)
        extra = {"kvmhost_setup_install_packages": False}
    return extra


def journal_tail(podman, name, lines=40):
    """The end of a container's journal, kept in the results when a run failed."""
    return podman.run("exec", name, "journalctl", "--no-pager", "-o", "short-precise", "-n", str(lines),
                      check=False).stdout.splitlines()


def container_now(podman, name):
    return podman.run("exec", name, "date", "+%s").stdout.strip()


def unit_starts_stops(podman, name, unit, since):
    """What systemd did to a unit since ``since`` (epoch seconds): starts, stops, and whether
    it stopped a unit it had started in that time (a restart of something the run started)."""
    lines = podman.run("exec", name, "journalctl", "--no-pager", "-o", "cat", "-u", unit, "--since", f"@{since}",
                       check=False).stdout.splitlines()
    events = [line.split(" ", 1)[0] for line in lines if line.startswith(("Started ", "Stopped "))]
    restarted = "Stopped" in events[events.index("Started") + 1:] if "Started" in events else False
    return {"unit": unit, "starts": events.count("Started"), "stops": events.count("Stopped"),
            "restarted_after_start": restarted}


def role_summary(run, name):
    host = run["hosts"][name]
    keys = ("changed", "ok", "skipped", "tasks_run", "task_items_run", "tasks_skipped", "module_runs",
            "podman_calls", "podman_exec", "file_copies")
    return dict({"wall_s": run["wall_s"], "rc": run["rc"]}, **{k: host[k] for k in keys},
                **({"error": run["error"]} if "error" in run else {}))


def role_on_fresh_host(podman, ansible, image_key, name, conn, reruns):
    """First converge and converged re-runs on a fresh container; None when the first run failed."""
    extra = role_host(podman, ansible, image_key, name)
    since = container_now(podman, name)
    first = ansible.playbook("role.yml", [name], extra, conn=conn, check=False)
    entry = {"image": IMAGES[image_key], "connection": CONNECTIONS[conn], "first": role_summary(first, name),
             "first_hypervisor": unit_starts_stops(podman, name, HYPERVISOR[image_key], since)}
    if first["rc"] != 0:
        log(f"  first converge FAILED: {first['error']}")
        entry["journal"] = journal_tail(podman, name)
        return entry, None
    runs = [ansible.playbook("role.yml", [name], extra, conn=conn, check=False) for _rerun in range(reruns)]
    entry["converged_runs"] = [role_summary(r, name) for r in runs]
    entry["converged"] = dict(role_summary(runs[0], name), wall_s=median(r["wall_s"] for r in runs))
    entry["converged_changed_max"] = max((r["hosts"][name]["changed"] or 0) for r in runs)
    entry["converged_failed"] = sum(1 for r in runs if r["rc"] != 0)
    entry["converged_vs_first"] = ratio(entry["converged"]["wall_s"], entry["first"]["wall_s"])
    log(f"  {conn}: first {first['wall_s']:.1f}s changed={entry['first']['changed']}, converged "
        f"{entry['converged']['wall_s']:.1f}s changed<={entry['converged_changed_max']}")
    return entry, extra


def stage_role(podman, ansible, results):
    stage = results.setdefault("role", {})
    choices = results.setdefault("choices", {})
    for image_key in ("modular", "monolithic"):
        name = f"{PREFIX}-role-{image_key}"
        log(f"role stage: {image_key} ({IMAGES[image_key]}), {MAIN_CONN} connection")
        entry, extra = role_on_fresh_host(podman, ansible, image_key, name, MAIN_CONN, ROLE_REPS)
        stage[image_key] = entry
        if extra is not None and image_key == "modular":
            # What the speed choices buy, on the same converged host.
            runs = {
                f"{MAIN_CONN} connection, min facts (main)": entry["converged"],
                f"{MAIN_CONN} connection, full fact gathering": role_summary(
                    ansible.playbook("role.yml", [name], extra, conn=MAIN_CONN, gathering="implicit"), name),
                f"{OTHER_CONN} connection, ANSIBLE_PIPELINING=true": role_summary(
                    ansible.playbook("role.yml", [name], extra, conn=OTHER_CONN), name),
                f"{OTHER_CONN} connection, ANSIBLE_PIPELINING=false": role_summary(
                    ansible.playbook("role.yml", [name], extra, conn=OTHER_CONN, pipelining=False), name),
            }
            choices["role_converged_modular"] = runs
        podman.remove([name])


# --- the fleet ------------------------------------------------------------------------


def stage_fleet(podman, ansible, results):
    stage = {"image": IMAGES["monolithic"], "runs": []}
    results["fleet"] = stage
    for count in FLEET:
        names = [f"{PREFIX}-fleet-{i:02d}" for i in range(1, count + 1)]
        log(f"fleet: {count} container(s), forks={count}")
        started = time.perf_counter()
        podman.start(IMAGES["monolithic"], names)
        boot = time.perf_counter() - started
        first = ansible.playbook("role.yml", names, memory=True, forks=count, check=False)
        row = {"hosts": count, "boot_s": round(boot, 1), "first_s": first["wall_s"],
               "first_per_host_s": round(first["wall_s"] / count, 2), "rc": first["rc"],
               "memory_first": first["memory"], "controller_cpu_s": first.get("controller_cpu_s"),
               "changed": sorted({h["changed"] for h in first["hosts"].values()}, key=str),
               "failed_hosts": sum(1 for h in first["hosts"].values() if h["failures"] or h["changed"] is None)}
        if first["rc"] != 0:
            row["error"] = first["error"]
            failed = [h for h, r in first["hosts"].items() if r["failures"] or r["changed"] is None]
            row["journal"] = {h: journal_tail(podman, h) for h in failed[:2]}
        elif count in FLEET_CONVERGED:
            conv = ansible.playbook("role.yml", names, memory=True, forks=count, check=False)
            row.update({"converged_s": conv["wall_s"], "converged_per_host_s": round(conv["wall_s"] / count, 2),
                        "memory_converged": conv["memory"],
                        "converged_changed": sorted({h["changed"] for h in conv["hosts"].values()}, key=str)})
        stage["runs"].append(row)
        log(f"  first {row['first_s']:.1f}s ({row['first_per_host_s']:.2f}s/host), controller CPU "
            f"{row['controller_cpu_s']}s, peak PSS {row['memory_first']['pss_mb']:.0f} MB "
            f"(RSS sum {row['memory_first']['rss_mb']:.0f} MB, time -v {row['memory_first']['time_v_max_rss_mb']} MB)")
        podman.remove(names)
    base = next((r for r in stage["runs"] if r["hosts"] == 1), None)
    for row in stage["runs"]:
        if base:
            row["first_vs_one"] = ratio(row["first_s"], base["first_s"])
            row["converged_vs_one"] = ratio(row.get("converged_s"), base.get("converged_s"))


# --- report ---------------------------------------------------------------------------


def machine():
    def cmd(*args):
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False).stdout.strip()
        except OSError:
            return ""

    mem_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    os_name = ""
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release", encoding="utf-8") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    return {
        "cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1), "os": os_name,
        "kernel": platform.release(), "podman": cmd("podman", "--version"),
        "runtime": cmd("podman", "info", "--format", "{{.Host.OCIRuntime.Name}}"),
        "ansible_core": cmd("ansible", "--version").splitlines()[0] if cmd("ansible", "--version") else "",
        "python": platform.python_version(), "loadavg_at_start": os.getloadavg(),
        "kvm": os.path.exists("/dev/kvm"),
    }


def targets(results):
    checks = []
    summary = results.get("daemons", {}).get("summary", {})
    for set_name, minimum in TARGETS["baseline_vs_ours_min"].items():
        entry = summary.get(f"{MAIN_CONN}/{set_name}")
        if not entry:
            continue
        for when in ("fresh", "converged"):
            cell = entry[when]
            checks.append({"target": f"daemon stage {set_name} {when}: baseline/ours >= {minimum:g}x",
                           "value": cell["baseline_vs_ours_stage"],
                           "met": (cell["baseline_vs_ours_stage"] or 0) >= minimum})
            checks.append({"target": f"daemon stage {set_name} {when}: ours/limit <= {TARGETS['ours_vs_limit_max']}x",
                           "value": cell["ours_vs_limit_stage"],
                           "met": cell["ours_vs_limit_stage"] is not None
                           and cell["ours_vs_limit_stage"] <= TARGETS["ours_vs_limit_max"]})
    for image_key, entry in results.get("role", {}).items():
        if "converged" not in entry:
            checks.append({"target": f"role {image_key}: converged < 1/3 of first, changed=0",
                           "value": None, "met": False})
            continue
        checks.append({"target": f"role {image_key}: converged < 1/3 of first, changed=0",
                       "value": entry["converged_vs_first"],
                       "met": entry["converged_vs_first"] < TARGETS["converged_vs_first_max"]
                       and entry["converged_changed_max"] == 0})
    limit = (summary.get(f"{MAIN_CONN}/rhel10_sockets") or {}).get("converged", {}).get("limit", {}).get("total_s")
    for image_key, entry in results.get("role", {}).items():
        if "converged" not in entry:
            continue
        runs = entry["converged"]["module_runs"]
        checks.append({"target": f"role {image_key}: converged module runs <= "
                                 f"{TARGETS['role_converged_module_runs_max']}",
                       "value": runs, "met": runs is not None and runs <= TARGETS["role_converged_module_runs_max"]})
        hyp = entry.get("first_hypervisor", {})
        checks.append({"target": f"role {image_key}: first converge starts {hyp.get('unit')} at most once and "
                                 "restarts nothing it started",
                       "value": f"{hyp.get('starts')} start(s), {hyp.get('stops')} stop(s)",
                       "met": hyp.get("starts") in (0, 1) and not hyp.get("restarted_after_start")})
        if image_key == "modular" and limit:
            value = ratio(entry["converged"]["wall_s"], limit)
            checks.append({"target": f"role modular: converged wall <= {TARGETS['role_converged_vs_limit_max']}x "
                                     "the one-command limit play",
                           "value": value, "met": value is not None and value <= TARGETS["role_converged_vs_limit_max"]})
    for row in results.get("fleet", {}).get("runs", []):
        if row["hosts"] == 20:
            checks.append({"target": "fleet: 20 hosts (first converge) <= 3x one host",
                           "value": row.get("first_vs_one"),
                           "met": row.get("first_vs_one") is not None and row["first_vs_one"] <= 3.0})
            if row.get("converged_vs_one") is None:
                continue
            checks.append({"target": "fleet: 20 hosts (converged) <= 3x one host",
                           "value": row.get("converged_vs_one"),
                           "met": row.get("converged_vs_one") is not None and row["converged_vs_one"] <= 3.0})
    return checks


def fmt(value, unit="", digits=2):
    if value is None:
        return "-"
    return f"{value:.{digits}f}{unit}"


def print_tables(results):
    out = []
    summary = results.get("daemons", {}).get("summary", {})
    if summary:
        out.append("\nDaemon stage (modular container; medians; stage = wall - empty play of the same repetition)")
        out.append(f"{'connection/set':26} {'when':9} {'empty':>6} {'baseline':>9} {'ours':>7} {'limit':>7}"
                   f" {'b/o':>6} {'o/l':>5}  module runs b/o/l   changed b/o/l")
        for key, entry in summary.items():
            for when in ("fresh", "converged"):
                cell = entry[when]
                out.append(
                    f"{key + ' (' + str(entry['units']) + ')':26} {when:9} {fmt(entry['empty_play_s'], 's'):>6} "
                    f"{fmt(cell['baseline']['stage_s'], 's'):>9} {fmt(cell['ours']['stage_s'], 's'):>7} "
                    f"{fmt(cell['limit']['stage_s'], 's'):>7} {fmt(cell['baseline_vs_ours_stage'], 'x', 1):>6} "
                    f"{fmt(cell['ours_vs_limit_stage'], 'x', 2):>5}  "
                    f"{cell['baseline']['module_runs']}/{cell['ours']['module_runs']}/{cell['limit']['module_runs']}"
                    f"{'':10} {','.join(map(str, cell['baseline']['changed']))}/"
                    f"{','.join(map(str, cell['ours']['changed']))}/{','.join(map(str, cell['limit']['changed']))}")
    role = results.get("role", {})
    if role:
        out.append("\nWhole role (one host; converged = median of re-runs)")
        out.append(f"{'image':12} {'run':10} {'wall':>7} {'changed':>7} {'tasks':>6} {'items':>6} {'modules':>7}"
                   f" {'podman calls':>12}")
        for image_key, entry in role.items():
            for run in ("first", "converged"):
                if run in entry:
                    r = entry[run]
                    out.append(f"{image_key:12} {run:10} {fmt(r['wall_s'], 's', 1):>7} {str(r['changed']):>7} "
                               f"{r['tasks_run']:>6} {r['task_items_run']:>6} {r['module_runs']:>7} {r['podman_calls']:>12}")
            if "converged_vs_first" in entry:
                out.append(f"{'':12} converged/first = {entry['converged_vs_first']}")
    choices = results.get("choices", {})
    if choices.get("role_converged_modular"):
        out.append("\nSpeed choices (modular host, converged role)")
        for label, r in choices["role_converged_modular"].items():
            out.append(f"  {label:48} {fmt(r['wall_s'], 's', 1):>7}  modules {r['module_runs']:>3}"
                       f"  podman calls {r['podman_calls']:>4}")
    fleet = results.get("fleet", {}).get("runs", [])
    if fleet:
        out.append("\nFleet (monolithic image, forks = N; memory = peak over the ansible-playbook process tree)")
        out.append(f"{'N':>3} {'first':>7} {'per host':>8} {'x one':>6} {'converged':>9} {'per host':>8} {'x one':>6}"
                   f" {'PSS sum':>8} {'RSS sum':>8} {'time -v':>8} {'procs':>5} {'ctl CPU':>7}")
        for row in fleet:
            mem = row["memory_first"]
            out.append(
                f"{row['hosts']:>3} {fmt(row['first_s'], 's', 1):>7} {fmt(row['first_per_host_s'], 's'):>8} "
                f"{fmt(row.get('first_vs_one'), 'x'):>6} {fmt(row.get('converged_s'), 's', 1):>9} "
                f"{fmt(row.get('converged_per_host_s'), 's'):>8} {fmt(row.get('converged_vs_one'), 'x'):>6} "
                f"{fmt(mem['pss_mb'], 'M', 0):>8} {fmt(mem['rss_mb'], 'M', 0):>8} "
                f"{fmt(mem['time_v_max_rss_mb'], 'M', 0):>8} {mem['processes']:>5} "
                f"{fmt(row.get('controller_cpu_s'), 's', 0):>7}")
    checks = results.get("targets", [])
    if checks:
        out.append("\nTargets")
        for check in checks:
            out.append(f"  [{'met' if check['met'] else 'MISSED':6}] {check['target']}: {check['value']}")
    print("\n".join(out), flush=True)


def main():
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {"stages": STAGES, "main_connection": MAIN_CONN, "reps": REPS, "reps_other_connection": REPS_OTHER,
                     "role_reps": ROLE_REPS,
                     "fleet": FLEET, "connections": CONNECTIONS, "ANSIBLE_PIPELINING": "true",
                     "fact_gathering": "explicit: the role gathers the 'min' subset it needs"},
    }
    with tempfile.TemporaryDirectory(prefix="kvmbench-") as tmp:
        workdir = Path(tmp)
        podman = Podman(workdir)
        ansible = Ansible(podman, workdir)
        try:
            for stage in STAGES:
                stage_started = time.perf_counter()
                try:
                    {"daemons": stage_daemons, "role": stage_role, "fleet": stage_fleet}[stage](podman, ansible, results)
                except (RuntimeError, subprocess.SubprocessError, OSError, KeyError, ValueError) as exc:
                    log(f"stage {stage} FAILED: {exc}")
                    results.setdefault("errors", {})[stage] = str(exc)[:2000]
                results.setdefault("stage_seconds", {})[stage] = round(time.perf_counter() - stage_started, 1)
        finally:
            podman.remove()
    results["targets"] = targets(results)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    out = RESULTS / "latest.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print_tables(results)
    print(f"\nwritten {out.relative_to(ROOT)} in {results['total_seconds']:.0f} s", flush=True)
    return 1 if results.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
