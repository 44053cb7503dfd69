#!/usr/bin/env bash
# Reproduce the shipped emotion weights: draw studio faces with seed 1, then train both presets on them.
# Seeds 1 (faces) and 0 (training) are the only ones used in training; tests and benchmarks draw other seeds.
# synth_faces draws marmalade, pip and extras only: the studio's guests (toonvision/studio/guests.py) never.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
FACES="${FACES:-studio-data/train-seed1}"
PER_CLASS="${PER_CLASS:-500}"

[ -d "$FACES" ] || $PY manage.py synth_faces "$FACES" --per-class "$PER_CLASS" --seed 1
$PY manage.py train_emotions --dataset "$FACES" --out emotions/weights/toon.pt --arch toon --seed 0
$PY manage.py train_emotions --dataset "$FACES" --out emotions/weights/seed.pt --arch seed --seed 0
