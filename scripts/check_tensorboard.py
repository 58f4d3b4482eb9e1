"""Reads a run's TensorBoard event files with TensorBoard's own reader and checks them against metrics.jsonl.

    python check_tensorboard.py RUN [--prefix]

Every scalar of every metrics.jsonl line must come back at its step with the same value (as float32),
each tag's steps exactly the lines that hold its key, no step twice. With --prefix (a run still training),
metrics.jsonl is read first and must be a prefix of what the event files hold. Prints one line; exits 1 on
any difference.
"""
import json
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator

TAGS = {  # metrics.jsonl key -> TensorBoard tag (Sources/Training/EventFile.swift)
    "loss": "train/loss", "recon": "train/recon", "bottleneck": "train/bottleneck", "label": "train/label",
    "grad_norm": "train/grad_norm", "samples_per_s": "speed/samples_per_s", "lr": "train/lr",
    "codes_used": "vq/codes_used", "perplexity": "vq/perplexity", "val_recon": "val/recon",
}


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def main():
    run, prefix = sys.argv[1], "--prefix" in sys.argv[2:]
    with open(f"{run}/metrics.jsonl") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    # No purging of points past a restart: the files themselves must hold each step once.
    acc = event_accumulator.EventAccumulator(f"{run}/tb", size_guidance={event_accumulator.SCALARS: 0},
                                             purge_orphaned_data=False)
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    problems, points = [], 0
    for key, tag in TAGS.items():
        expected = [(line["step"], f32(line[key])) for line in lines if line.get(key) is not None]
        got = [(e.step, e.value) for e in acc.Scalars(tag)] if tag in tags else []
        if prefix:
            got = got[:len(expected)]
        steps = [s for s, _ in got]
        if len(set(steps)) != len(steps):
            problems.append(f"{tag}: a step appears twice")
        if got != expected:
            diff = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
            problems.append(f"{tag}: {len(got)} points against {len(expected)} lines, first difference at point {diff}")
        points += len(got)
        tags.discard(tag)
    if tags:
        problems.append(f"tags without a metrics.jsonl key: {sorted(tags)}")
    if problems:
        print(f"FAIL {run}: " + "; ".join(problems))
        sys.exit(1)
    print(f"ok {run}: {len(lines)} metrics lines, {points} scalars equal in TensorBoard's reader")


if __name__ == "__main__":
    main()
