#!/bin/sh
# The full benchmark of docs/performance.md: both reference workloads at 1 and 2 threads (10 s each),
# the per-layer profiles, and the conv workload's peak resident memory.
set -eu
cd "$(dirname "$0")/.."
swift build -c release
lam=.build/release/lam
$lam bench --workload all --threads 1,2 --seconds 10
$lam bench --workload all --threads 1,2 --seconds 10 --json
$lam bench --workload conv --threads 2 --profile
$lam bench --workload mlp --threads 1 --profile
/usr/bin/time -v $lam bench --workload conv --threads 2 --seconds 5 2>&1 | grep -E "samples/s|Maximum resident"
