#!/usr/bin/env python3
"""Generates configs/bench-large.yaml, the large benchmark scenario of issue 3.

200 tranches on 20 sites, horizon 2025-11-01 .. 2032-10-31 (2,557 days),
daily report: a seven-year build-out of a hyperscale accelerator fleet in the
style of configs/openai-aws-2026.yaml (several accelerator and system
generations, stepped site power, construction and supply risks, correlated
slips). The numbers are synthetic assumptions, sized to be plausible (about
4 million accelerators and 10 GW of facility power by 2032), not forecasts.

Deterministic: the only randomness is a Mersenne Twister seeded with SEED and
used only through random.random(), whose sequence Python keeps stable, and
all numbers are rounded before they are written. Regenerate with

    python3 tools/make-bench-large.py             # writes configs/bench-large.yaml
    python3 tools/make-bench-large.py --check     # exit 1 if the file is stale
    python3 tools/make-bench-large.py --output -  # to stdout

and check it with `capplan validate configs/bench-large.yaml`.
"""

import argparse
import datetime as dt
import os
import random
import sys

SEED = 20251101
START = dt.date(2025, 11, 1)
END = dt.date(2032, 10, 31)
SITE_COUNT = 20
TRANCHES_PER_SITE = 10  # 200 tranches
EXISTING_SITES = 4      # campuses that are ready at the horizon start

# Accelerators: dense TFLOPS per accelerator (bf16, fp8). Values after 2026 are assumptions.
ACCELERATORS = [
    ("h200", 989, 1979, "NVIDIA H200 SXM: 989 dense BF16, 1,979 dense FP8"),
    ("gb200", 2500, 5000, "GB200 (per GPU): 2,500 dense BF16 (as in openai-aws-2026.yaml)"),
    ("gb300", 2500, 5000, "GB300 (per GPU): 2,500 dense BF16 (as in openai-aws-2026.yaml)"),
    ("vr200", 4000, 8000, "assumption: Vera Rubin package, 1.6x GB300 dense BF16"),
    ("vr300", 8000, 16000, "assumption: Rubin Ultra package (4 dies), 2x Rubin"),
    ("mi355x", 2300, 4600, "assumption: AMD MI355X, about 2.3 PF dense BF16"),
    ("trn2", 667, 1299, "AWS Trainium2: 667 dense BF16, 1,299 dense FP8"),
    ("trn3", 671, 2517, "AWS Trainium3: 671 dense BF16, 2,517 dense MXFP8 (as in openai-aws-2026.yaml)"),
]

# Systems: (id, accelerator, accelerators per system, IT kW, units per tranche (min, max), comment).
SYSTEMS = {
    "hgx-h200": ("h200", 8, 10.2, (600, 2400), "8-GPU HGX server, 10.2 kW"),
    "gb200-nvl72": ("gb200", 72, 132, (120, 400), "GB200 NVL72 rack, ~132 kW"),
    "gb300-nvl72": ("gb300", 72, 135, (150, 450), "GB300 NVL72 rack, ~135 kW"),
    "vr200-nvl144": ("vr200", 72, 190, (150, 450), "assumption: Vera Rubin NVL144 rack (72 packages), 190 kW"),
    "vr300-nvl576": ("vr300", 144, 600, (30, 110), "assumption: Rubin Ultra NVL576 rack (144 packages), 600 kW"),
    "mi355x-8": ("mi355x", 8, 14, (500, 2000), "assumption: 8-GPU MI355X server, 14 kW"),
    "trn2-ultraserver": ("trn2", 64, 48, (150, 500), "assumption: Trn2 UltraServer, 64 chips, 48 kW"),
    "trn3-ultraserver": ("trn3", 144, 144, (100, 350), "assumption: Trn3 UltraServer, 144 chips, ~1 kW per chip"),
}

# Which systems are shipped in which period (first delivery day); later periods take newer generations.
GENERATIONS = [
    (dt.date(2026, 7, 1), ["gb200-nvl72", "gb200-nvl72", "hgx-h200", "trn2-ultraserver", "mi355x-8"]),
    (dt.date(2027, 7, 1), ["gb300-nvl72", "gb300-nvl72", "trn3-ultraserver", "mi355x-8"]),
    (dt.date(2029, 1, 1), ["vr200-nvl144", "vr200-nvl144", "trn3-ultraserver", "gb300-nvl72"]),
    (dt.date(2099, 1, 1), ["vr300-nvl576", "vr200-nvl144", "vr300-nvl576", "trn3-ultraserver"]),
]

# New products slip more: delivery slip triangular (min, mode, max) in days, per system.
SLIPS = {
    "hgx-h200": (0, 14, 42),
    "gb200-nvl72": (0, 28, 84),
    "gb300-nvl72": (0, 42, 112),
    "vr200-nvl144": (0, 42, 140),
    "vr300-nvl576": (0, 56, 180),
    "mi355x-8": (0, 21, 70),
    "trn2-ultraserver": (0, 14, 56),
    "trn3-ultraserver": (0, 42, 112),
}


class Rng:
    """Only random.random() is used: its sequence for a given seed is stable across Python versions."""

    def __init__(self, seed):
        self._r = random.Random(seed)

    def uniform(self, a, b):
        return a + (b - a) * self._r.random()

    def integer(self, a, b):  # a .. b inclusive
        return a + min(int(self._r.random() * (b - a + 1)), b - a)

    def choice(self, items):
        return items[self.integer(0, len(items) - 1)]

    def chance(self, p):
        return self._r.random() < p


def day(d):
    return d.isoformat()


def generation_of(first_day):
    for until, systems in GENERATIONS:
        if first_day < until:
            return systems
    return GENERATIONS[-1][1]


def fmt(x):
    """A number as YAML: integers without a decimal point, others with at most 3 decimals."""
    if abs(x - round(x)) < 1e-9:
        return str(int(round(x)))
    return ("%.3f" % x).rstrip("0").rstrip(".")


def generate():
    rng = Rng(SEED)
    horizon_days = (END - START).days + 1

    # ---- sites: 4 existing campuses, 16 new builds staggered over 2026-2030.
    sites = []
    for i in range(SITE_COUNT):
        site = {"id": "site-%02d" % (i + 1), "tranches": [], "steps": []}
        if i < EXISTING_SITES:
            site["ready"] = START
            site["ready_slip"] = None
        else:
            offset = int((i - EXISTING_SITES) * (1550 / (SITE_COUNT - EXISTING_SITES))) + rng.integer(60, 150)
            site["ready"] = START + dt.timedelta(days=offset)
            lo, mode, hi = 0, rng.integer(10, 21), rng.integer(45, 90)
            site["ready_slip"] = (lo, mode, hi)
        site["pue"] = round(rng.uniform(1.1, 1.35), 2)
        rate_mode = rng.integer(6, 14)
        site["install"] = (max(2, rate_mode - rng.integer(2, 5)), rate_mode, rate_mode + rng.integer(3, 7))
        sites.append(site)

    # ---- tranches: 10 per site, every 60-170 days after the site is ready.
    tranches = []
    counter = {}
    for site in sites:
        first = site["ready"] + dt.timedelta(days=rng.integer(14, 45))
        previous = None
        for k in range(TRANCHES_PER_SITE):
            system = rng.choice(generation_of(first))
            accelerator, per_system, kw, (umin, umax), _ = SYSTEMS[system]
            units = rng.integer(umin, umax)
            if units >= 1000:
                units = int(round(units, -1))
            counter[system] = counter.get(system, 0) + 1
            tranche = {
                "id": "%s-%s-t%d" % (system.split("-")[0], site["id"].split("-")[1], k + 1),
                "system": system,
                "site": site["id"],
                "units": units,
                "planned": first,
                "spread": rng.integer(20, 75),
                "slip": SLIPS[system],
                "burn_in": (rng.integer(14, 21), rng.integer(28, 38), rng.integer(50, 63)),
                "acceptance": (round(rng.uniform(0.93, 0.97), 3), round(rng.uniform(0.01, 0.02), 3)),
                "rework": (rng.integer(5, 10), rng.integer(18, 24)),
                "probability": None,
                "after": None,
                "generation_index": counter[system],
            }
            # Options: later tranches are less certain.
            if first > dt.date(2028, 6, 30) and rng.chance(0.25):
                tranche["probability"] = round(rng.uniform(0.4, 0.85), 2)
            # The same crews: sometimes a tranche waits for the previous one at its site.
            if previous is not None and rng.chance(0.3):
                tranche["after"] = previous["id"]
            site["tranches"].append(tranche)
            tranches.append(tranche)
            previous = tranche
            first = first + dt.timedelta(days=rng.integer(60, 170))

    # ---- power: per site one step per tranche, energised 2-5 weeks before its
    # deliveries and sized for it with 10-30% headroom (IT kW x PUE).
    for site in sites:
        for index, tranche in enumerate(site["tranches"]):
            _, _, kw, _, _ = SYSTEMS[tranche["system"]]
            need_mw = tranche["units"] * kw * site["pue"] / 1000.0
            add = max(5, int(round(need_mw * rng.uniform(1.1, 1.3) / 5.0)) * 5)
            planned = tranche["planned"] - dt.timedelta(days=rng.integer(14, 35))
            if index == 0 and site["ready"] == START:
                planned = START  # existing campus: its first block is live
                slip = None
            else:
                slip = (0, rng.integer(7, 21), rng.integer(45, 75))
            if planned < START:
                planned = START
            site["steps"].append({"planned": planned, "add": add, "slip": slip})

    # ---- risks.
    risks = []
    new_sites = sites[EXISTING_SITES:]
    for site in new_sites:
        risks.append({
            "id": "%s-power-ready" % site["id"],
            "probability": round(rng.uniform(0.2, 0.4), 2),
            "delay": (30, rng.integer(45, 75), rng.integer(150, 240)),
            "factor": None,
            "applies": ["site:%s" % site["id"], "power:%s/0" % site["id"], "power:%s/1" % site["id"]],
            "comment": "assumption: late grid connection or switchgear delays the new site and its first two blocks",
        })
    for n in range(4):
        site = new_sites[(n * 5 + 2) % len(new_sites)]
        risks.append({
            "id": "%s-grid-shortfall" % site["id"],
            "probability": round(rng.uniform(0.2, 0.35), 2),
            "delay": None,
            "factor": (0.6, 0.9),
            "applies": ["site:%s" % site["id"]],
            "comment": "assumption: the utility supplies 60-90% of the contracted MW",
        })
    by_system = {}
    for t in tranches:
        by_system.setdefault(t["system"], []).append(t)
    for system, label, count, delay in [
        ("gb300-nvl72", "gb300-cooling-rework", 3, (14, 30, 90)),
        ("vr200-nvl144", "rubin-ramp", 4, (30, 60, 150)),
        ("vr300-nvl576", "rubin-ultra-ramp", 4, (45, 90, 210)),
        ("trn3-ultraserver", "trn3-ramp", 3, (21, 45, 120)),
        ("mi355x-8", "mi355x-software-readiness", 2, (14, 30, 60)),
    ]:
        first_ones = sorted(by_system.get(system, []), key=lambda t: t["planned"])[:count]
        if not first_ones:
            continue
        risks.append({
            "id": label,
            "probability": round(rng.uniform(0.2, 0.35), 2),
            "delay": delay,
            "factor": None,
            "applies": ["tranche:%s" % t["id"] for t in first_ones],
            "comment": "assumption: a new product's first volume shipments slip together",
        })
    transformer_sites = [sites[i] for i in (5, 9, 13, 17)]
    risks.append({
        "id": "transformer-shortage-2028",
        "probability": 0.3,
        "delay": (30, 90, 240),
        "factor": None,
        "applies": ["power:%s/3" % s["id"] for s in transformer_sites],
        "comment": "assumption: large power transformers (2-5 year lead times) arrive late for one block at four sites",
    })

    # ---- correlations: disjoint groups (equal pairwise correlations: positive definite).
    correlations = []
    for system in ["gb300-nvl72", "vr200-nvl144", "vr300-nvl576"]:
        group = sorted(by_system.get(system, []), key=lambda t: t["planned"])[4:8]
        if len(group) >= 2:
            correlations.append((["tranche:%s.slip" % t["id"] for t in group], 0.5,
                                 "assumption: one supply chain: slips of the same product move together"))
    for site in new_sites[1:4]:
        correlations.append((["site:%s.ready" % site["id"], "power:%s/0.slip" % site["id"]], 0.6,
                             "assumption: the same contractor builds the halls and the first power block"))

    # ---- targets: year ends, from the planned build-out.
    def planned_total(until, what):
        total = 0.0
        for t in tranches:
            if t["planned"] + dt.timedelta(days=t["spread"] + 45) > until:
                continue
            weight = 1.0 if t["probability"] is None else t["probability"]
            accelerator, per_system, _, _, _ = SYSTEMS[t["system"]]
            if what == "accelerators":
                total += weight * t["units"] * per_system
            elif what == "systems":
                total += weight * t["units"]
            elif what == "pflops":
                bf16 = next(a[1] for a in ACCELERATORS if a[0] == accelerator)
                total += weight * t["units"] * per_system * bf16 / 1000.0
            elif what == "mw":
                total += weight * t["units"] * SYSTEMS[t["system"]][2] * site_pue[t["site"]] / 1000.0
            elif what == "flop_e24":  # PFLOPS-days at 40% MFU from 90 days after the last delivery
                bf16 = next(a[1] for a in ACCELERATORS if a[0] == accelerator)
                online = t["planned"] + dt.timedelta(days=t["spread"] + 45)
                total += weight * t["units"] * per_system * bf16 / 1000.0 * 0.4 * (until - online).days * 8.64e-5
        return total

    site_pue = {s["id"]: s["pue"] for s in sites}

    targets = []
    for year in (2026, 2027, 2028, 2029, 2030, 2031):
        date = dt.date(year, 12, 31)
        need = planned_total(date, "accelerators") * (0.8 if year < 2028 else 0.87)
        targets.append(("eoy%d-accelerators" % year, "available_accelerators", date, int(round(need, -3)),
                        "assumption: 80% (87% from 2028) of the accelerators planned to be delivered 45 days before (options weighted)"))
    date = dt.date(2030, 6, 30)
    targets.append(("mid2030-effective", "effective_pflops", date,
                    int(round(planned_total(date, "pflops") * 0.4 * 0.85, -3)),
                    "assumption: 85% of the planned peak at 40% MFU"))
    date = dt.date(2029, 12, 31)
    targets.append(("eoy2029-delivered", "delivered_systems", date, int(round(planned_total(date, "systems") * 1.0, -2)),
                    "assumption: the systems planned (options weighted) 45 days before are on site"))
    targets.append(("horizon-compute", "delivered_flop_e24", END, int(round(planned_total(END, "flop_e24") * 0.85, -3)),
                    "assumption: 85% of the effective BF16 compute the plan delivers over the seven years"))
    targets.append(("horizon-power", "facility_power_mw", END, int(round(planned_total(END, "mw") * 0.95, -2)),
                    "assumption: 95% of the facility power of the systems planned by then"))

    return sites, tranches, risks, correlations, targets, horizon_days


def dist_triangular(t):
    return "{triangular: [%s, %s, %s]}" % tuple(fmt(v) for v in t)


def render():
    sites, tranches, risks, correlations, targets, horizon_days = generate()
    out = []
    w = out.append
    w("# GENERATED FILE -- do not edit by hand. Made by tools/make-bench-large.py")
    w("# (deterministic, seed %d); regenerate with:" % SEED)
    w("#   python3 tools/make-bench-large.py")
    w("# and check with: capplan validate configs/bench-large.yaml")
    w("#")
    w("# The large benchmark scenario of issue 3 (CUDA backend): %d tranches on %d" % (len(tranches), len(sites)))
    w("# sites, horizon %s to %s (%d days), daily report." % (day(START), day(END), horizon_days))
    w("# A synthetic seven-year build-out of a hyperscale accelerator fleet in the style of")
    w("# configs/openai-aws-2026.yaml: GB200/GB300 NVL72, Vera Rubin NVL144, Rubin")
    w("# Ultra NVL576, HGX H200, MI355X and Trainium 2/3 UltraServers; one power step")
    w("# per tranche; site power-ready, grid-shortfall, product-ramp and transformer")
    w("# risks; correlated slips. Every number is an assumption (see the generator).")
    w("")
    w("version: 1")
    w("name: bench-large")
    w("description: >-")
    w("  Benchmark scenario (generated): %d tranches on %d sites, seven years, daily" % (len(tranches), len(sites)))
    w("  report; several accelerator generations, stepped power, risks and correlations.")
    w("")
    w("horizon:")
    w("  start: %s" % day(START))
    w("  end: %s" % day(END))
    w("")
    w("simulation:")
    w("  trials: 20000  # a benchmark: capplan bench --trials overrides it")
    w("  seed: %d" % SEED)
    w("")
    w("precision: bf16")
    w("")
    w("accelerators:")
    for aid, bf16, fp8, comment in ACCELERATORS:
        w("  %s: {dense_tflops: {bf16: %s, fp8: %s}}  # %s" % (aid, fmt(bf16), fmt(fp8), comment))
    w("")
    w("systems:")
    for sid, (accelerator, per_system, kw, _, comment) in SYSTEMS.items():
        w("  %s: {accelerator: %s, accelerators: %d, power_kw: %s}  # %s" % (sid, accelerator, per_system, fmt(kw), comment))
    w("")
    w("sites:")
    for site in sites:
        w("  %s:%s" % (site["id"], "  # existing campus" if site["ready_slip"] is None else "  # new build"))
        if site["ready_slip"] is None:
            w("    ready: {planned: %s, slip_days: 0}" % day(site["ready"]))
        else:
            w("    ready: {planned: %s, slip_days: %s}" % (day(site["ready"]), dist_triangular(site["ready_slip"])))
        w("    power_mw:")
        for step in site["steps"]:
            slip = "0" if step["slip"] is None else dist_triangular(step["slip"])
            w("      - {planned: %s, add: %s, slip_days: %s}" % (day(step["planned"]), fmt(step["add"]), slip))
        w("    pue: %s" % fmt(site["pue"]))
        w("    install_per_day: %s  # systems per day" % dist_triangular(site["install"]))
    w("")
    w("tranches:")
    for t in tranches:
        w("  %s:" % t["id"])
        w("    system: %s" % t["system"])
        w("    site: %s" % t["site"])
        w("    units: %d" % t["units"])
        if t["probability"] is not None:
            w("    probability: %s  # an option, not yet committed" % fmt(t["probability"]))
        w("    delivery: {planned: %s, slip_days: %s, spread_days: %d}"
          % (day(t["planned"]), dist_triangular(t["slip"]), t["spread"]))
        w("    burn_in_days: %s" % dist_triangular(t["burn_in"]))
        w("    acceptance: {beta: {mean: %s, sd: %s}}" % (fmt(t["acceptance"][0]), fmt(t["acceptance"][1])))
        w("    rework_days: {uniform: [%d, %d]}" % t["rework"])
        if t["after"]:
            w("    after: [%s]" % t["after"])
    w("")
    w("risks:")
    for r in risks:
        w("  %s:  # %s" % (r["id"], r["comment"]))
        w("    probability: %s" % fmt(r["probability"]))
        if r["delay"] is not None:
            w("    delay_days: %s" % dist_triangular(r["delay"]))
        if r["factor"] is not None:
            w("    power_factor: {uniform: [%s, %s]}" % (fmt(r["factor"][0]), fmt(r["factor"][1])))
        w("    applies_to: [%s]" % ", ".join(r["applies"]))
    w("")
    w("correlations:")
    for variables, rho, comment in correlations:
        w("  - variables: [%s]" % ", ".join(variables))
        w("    rank_correlation: %s  # %s" % (fmt(rho), comment))
    w("")
    w("operations:")
    w("  failures_per_accelerator_day: 4.7e-4  # Llama 3 405B interruption rate (as in openai-aws-2026.yaml)")
    w("  repair_days: {triangular: [1, 2, 3]}")
    w("  utilization: {triangular: [0.35, 0.40, 0.45]}  # MFU")
    w("")
    w("report:")
    w("  every: day")
    w("  quantiles: [0.1, 0.5, 0.9]")
    w("")
    w("targets:")
    for tid, metric, date, threshold, comment in targets:
        w("  %s: {metric: %s, date: %s, at_least: %s}  # %s" % (tid, metric, day(date), fmt(threshold), comment))
    return "\n".join(out) + "\n"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=os.path.join(root, "configs", "bench-large.yaml"),
                        help="file to write ('-' for stdout; default configs/bench-large.yaml)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the output file differs from what would be generated")
    args = parser.parse_args()
    text = render()
    if args.check:
        try:
            with open(args.output, encoding="utf-8") as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            print("%s is stale: run tools/make-bench-large.py" % args.output, file=sys.stderr)
            return 1
        return 0
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
