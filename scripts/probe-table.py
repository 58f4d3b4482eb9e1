#!/usr/bin/env python3
"""The table of docs/results.md that sits beside a sweep's means: for each condition of the sweep folder
DIR, what its runs' probe.json files say beyond the sweep's metrics (means over the seeds).

    python3 scripts/probe-table.py DIR      # prints a markdown table; scripts/results.sh calls it

Columns: the controllable and stochastic losses of a latent that holds nothing (decoding each transition
with another transition's latent), what else the latent holds (each distractor's action and each shake
axis, MLP probe balanced accuracy with its chance in brackets, and the NMI for shake; a distractor that
never moves is left out), and each verdict
with the number of seeds that got it (its numbers left out)."""
import glob
import json
import os
import statistics
import sys


def mean(values):
    values = [v for v in values if v is not None]
    return statistics.mean(values) if values else None


def show(value, digits):
    return "-" if value is None else f"{value:.{digits}f}"


def main(folder):
    spec = json.load(open(os.path.join(folder, "sweep.json")))["spec"]
    print("| condition | controllable / stochastic loss with another transition's latent "
          "| what else the latent holds (MLP balanced accuracy, chance in brackets) | verdicts (seeds) |")
    print("|---|---|---|---|")
    for condition in spec["conditions"]:
        name = condition["name"]
        runs = []
        for seed in spec["seeds"]:
            path = os.path.join(folder, "runs", f"{name}-seed{seed}", "probe.json")
            if os.path.exists(path):
                runs.append(json.load(open(path)))
        if not runs:
            print(f"| {name} | - | - | no probe.json |")
            continue
        levels = (show(mean(r["paper"]["controllable_loss_shuffled"] for r in runs), 1) + " / "
                  + show(mean(r["paper"].get("stochastic_loss_shuffled") for r in runs), 2))
        held = []
        for j, who in enumerate(runs[0]["distractor_names"]):
            accuracy = mean(r["distractors"][j]["mlp"]["balanced_accuracy"] for r in runs)
            chance = mean(r["distractors"][j]["balanced_chance"] for r in runs)
            if chance is not None and chance > 0.999:
                continue  # a distractor that never moves: one class, nothing to hold
            held.append(f"{who}'s action {show(accuracy, 2)} ({show(chance, 2)})")
        for axis in ("shake_dx", "shake_dy"):
            if runs[0].get(axis):
                accuracy = mean(r[axis]["mlp"]["balanced_accuracy"] for r in runs)
                chance = mean(r[axis]["balanced_chance"] for r in runs)
                nmi = mean(r[axis]["mlp"]["nmi"] for r in runs)
                held.append(f"{axis.replace('_', ' ')} {show(accuracy, 2)} ({show(chance, 2)}), NMI {show(nmi, 2)}")
        verdicts = {}
        for r in runs:
            words = r["verdict"].split(" (")[0].split(": ")[0]
            verdicts[words] = verdicts.get(words, 0) + 1
        said = "; ".join(f"{count} of {len(runs)}: {words}" for words, count in verdicts.items())
        print(f"| {name} | {levels} | {', '.join(held) or '-'} | {said} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: probe-table.py SWEEP_DIR")
    main(sys.argv[1])
