"""Train the classifier from seeds: data, a seed model, rare-event mining rounds, conversion.

    scripts/lab train [--train-scenes 320] [--home-scenes 120] [--combo-scenes 80] [--wide-scenes 0]
                      [--seed-scenes 100] [--rounds 2] [--mining-hours 5] [--wide-mining-hours 0]
                      [--epochs 10] [--seed N] [--card-scenes 0] [--far-seat-scenes 0] [--observable-walks]
                      [--frames 12] [--ema 0]

The defaults are the best recipe in lab/results/retrains_v5.json, and what
they write is the shipped model (byte for byte, with the frames cached: its
model card).

1. Render the training scenes (seeds.TRAIN, 30 s each): every kind as
   drawn, then curtains and other devices' tones with nobody in the room,
   then extra walks with music and with a fan, the two mixes the benchmark
   asks ≥ 95 % of (the drawn mix alone holds 21 and 19 of 320, and a network
   trained on it misses walks with music: drawn_mix_6_epochs in
   lab/results/retrains_v5.json); with --wide-scenes, training's widened
   scenes too (lab/widened.py: uneven mics, music on every path, travelling
   curtains, fan drafts to 0.35 % of c, tones near the carrier, slow, far and
   tangential walkers). Not by default: with 300 of them and 2 h of them
   mined per round the network did worse on the shifted suite, music and
   tones above all (lab/results/retrains_v6.json), nor with
   --observable-walks: with two seeds, as many held-out shifted rooms
   opened as with the shipped recipe's two
   (lab/results/retrains_widened_observable.json).
   With --card-scenes, every kind as drawn on 44.1 and 48 kHz cards in
   turn (the drawn devices are at 44.1 kHz never): not by default either,
   as 300 of them opened more shifted rooms beside pedestal fans, music
   and tones than they reported walks (lab/results/retrains_cards.json).
   With --far-seat-scenes, people seated 1.5-2.25 m away (the drawn kinds
   seat them within 1.5 m): not by default, as 160 of them saw no more of
   the shifted suite's seated hands and opened more rooms beside tones,
   music and ceiling fans (lab/results/retrains_far_seats.json).
   With --observable-walks, a walking frame counts in the loss only where
   the walking band rises over what its scene holds without anyone walking
   (lab/windows.py): not by default, as with three seeds it opened no fewer
   empty rooms (lab/results/retrains_observable.json).
   With --frames 40, the network judges a second instead of 300 ms
   (lab/model.py): not by default, as with two seeds it opened 15 and 14
   held-out shifted rooms with music and ceiling fans, the shipped recipe 4
   and 12 (lab/results/retrains_frames.json). With --ema 0.999, each
   model is its weights' moving average over the steps: not by default,
   as with two seeds it opened 12 and 6 of those rooms
   (lab/results/retrains_ema.json).
2. Train a seed model on the first --seed-scenes of them.
3. Each round: run the current model over a fresh stretch of the mining
   stream (seeds.MINING, 60 s scenes, 70 % nobody in the room), and with
   --wide-mining-hours of the widened one (the same share); keep its
   false alarms (background windows it calls motion) and near misses (motion
   windows it gets wrong); retrain on everything so far plus what was mined.
   False alarms per hour on that stretch are reported before and after.
4. Convert to a float16 .tflite (custom_components/uspd/model/uspd.tflite),
   write LiteRT's outputs on held-out windows as the numpy executor's test
   vectors (tests/data/model_vectors.npz) and the training figures for the
   model card (custom_components/uspd/model/training.json).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

import lab  # noqa: F401
from custom_components.uspd.engine.features import CONTEXT_FRAMES, MAX_NETWORK_FRAMES

from . import dataset, seeds
from .dataset import Job, SceneFrames, build
from .scenes import Kind, WideKind
from .windows import Windows, left_out_walking, onsets

ROOT = Path(__file__).resolve().parent.parent
MODEL_PATH = ROOT / "custom_components" / "uspd" / "model" / "uspd.tflite"
TRAINING_JSON = MODEL_PATH.with_name("training.json")
VECTORS_PATH = ROOT / "tests" / "data" / "model_vectors.npz"
SELF_CHECK_PATH = MODEL_PATH.with_name("self_check.npz")
SEED = 20261124
BATCH = 256
# Background frames are most of every stream; a sample of them per epoch is
# enough once the mined ones are always kept.
BACKGROUND_PER_EPOCH = 60_000
# The motion bar the mining rounds count false alarms at (training.json): the detector's when the shipped model was
# trained, kept apart from it so that tuning the detector leaves what `scripts/lab train` writes as it was.
MINING_MOTION_BIAS_LOGIT = 2.0


# The widened scenes' mix, by seed: empty rooms with one distractor class four times in ten.
WIDE_MIX: tuple[WideKind, ...] = (
    *("wide_negative",) * 4,
    "wide_walk",
    "wide_walk",
    "wide_walk_fan",
    "wide_walk_music",
    "wide_seated",
    "wide_enter_sit",
)


# --far-seat-scenes: seated people 1.5-2.25 m from the device (lab/scenes.FAR_SEAT_M), already there or walking in.
FAR_SEAT_KINDS: tuple[Kind, ...] = ("seated_far", "enter_sit_far")


# --card-scenes: the sound cards most computers have; the drawn devices are at 44.1 kHz never and at 48 kHz one in five.
CARD_RATES_HZ = (44100, 48000)


def training_jobs(
    train_scenes: int,
    home_scenes: int,
    combo_scenes: int,
    wide_scenes: int = 0,
    card_scenes: int = 0,
    far_seat_scenes: int = 0,
) -> list[Job]:
    """Every kind as drawn, curtains and tones, walks with music and with a fan, widened, card and far-seat scenes.

    The card scenes: every kind as drawn, on 44.1 and 48 kHz sound cards in turn (CARD_RATES_HZ).
    """
    base = seeds.TRAIN.start
    jobs: list[Job] = [(base + i, None, 30.0, None) for i in range(train_scenes)]
    jobs += [(base + 50_000 + i, "negative_home", 30.0, None) for i in range(home_scenes)]
    jobs += [(base + 60_000 + i, "walk_music", 30.0, None) for i in range(combo_scenes)]
    jobs += [(base + 70_000 + i, "walk_fan", 30.0, None) for i in range(combo_scenes)]
    jobs += [(base + 80_000 + i, WIDE_MIX[i % len(WIDE_MIX)], 30.0, None) for i in range(wide_scenes)]
    jobs += [(base + 90_000 + i, None, 30.0, CARD_RATES_HZ[i % 2]) for i in range(card_scenes)]
    jobs += [(base + 95_000 + i, FAR_SEAT_KINDS[i % 2], 30.0, None) for i in range(far_seat_scenes)]
    return jobs


def mining_jobs(start: int, hours: float) -> list[Job]:
    """The mining stream: `hours` of one-minute scenes, mostly empty rooms."""
    n = round(hours * 60)
    base = seeds.MINING.start + start
    return [(base + i, "negative" if (base + i) % 10 < 7 else None, 60.0, None) for i in range(n)]


def wide_mining_jobs(start: int, hours: float) -> list[Job]:
    """The widened mining stream: `hours` of one-minute widened scenes (lab/widened.py), 70 % empty rooms."""
    n = round(hours * 60)
    base = seeds.MINING.start + 50_000 + start
    people: tuple[WideKind, ...] = ("wide_walk", "wide_walk_fan", "wide_walk_music")
    kinds = [("wide_negative" if (base + i) % 10 < 7 else people[(base + i) % 10 - 7]) for i in range(n)]
    return [(base + i, kind, 60.0, None) for i, kind in enumerate(kinds)]


def train(  # type: ignore[no-untyped-def]
    windows: Windows, mined: np.ndarray, epochs: int, seed: int, ema: float = 0.0
):
    """A fresh model trained on the windows (as many frames as theirs), the mined ones in every epoch.

    ema: over 0, the model's weights are their moving average over the steps at this momentum, not the last step's.
    """
    import keras
    import tensorflow as tf

    from .model import build as build_model

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = build_model(frames=windows.frames_per_window)
    optimizer = keras.optimizers.Adam(1e-3, use_ema=ema > 0, ema_momentum=ema)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(seed)
    usable = windows.weight > 0
    positives = np.flatnonzero(usable & (windows.y > 0))
    background = np.flatnonzero(usable & (windows.y == 0))
    for epoch in range(epochs):
        pick = rng.choice(background, min(BACKGROUND_PER_EPOCH, len(background)), replace=False)
        index = rng.permutation(np.concatenate([positives, pick, mined]))
        # Each class weighs the same in this epoch's loss, whatever its share of the windows drawn.
        counts = np.bincount(windows.y[index], minlength=3).astype(np.float64)
        cw = counts.sum() / (3 * np.maximum(counts, 1))
        losses = []
        for i in range(0, len(index), BATCH):
            b = index[i : i + BATCH]
            losses.append(model.train_on_batch(windows.batch(b), windows.y[b], sample_weight=cw[windows.y[b]]))
        print(f"    epoch {epoch + 1}/{epochs}: {len(index)} windows, loss {float(np.mean(losses)):.4f}", flush=True)
    if ema > 0:
        optimizer.finalize_variable_values(model.trainable_variables)
    return model


def predict(model, windows: Windows) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The model's class probabilities for every window."""
    out = np.empty((len(windows), 3), dtype=np.float32)
    for i in range(0, len(windows), 8192):
        index = np.arange(i, min(i + 8192, len(windows)))
        out[index] = model.predict_on_batch(windows.batch(index))
    return out


def false_alarms_per_hour(probs: np.ndarray, windows: Windows) -> float:
    """Motion onsets at the mining bar (MINING_MOTION_BIAS_LOGIT, 2 frames) where nobody is in the room."""
    neg = windows.negative_scene
    hours = neg.sum() * 0.025 / 3600
    p_motion = 1 / (1 + np.exp(-MINING_MOTION_BIAS_LOGIT))
    return float(onsets((1 - probs[:, 0] > p_motion) & neg).sum() / max(hours, 1e-9))


def mine(probs: np.ndarray, windows: Windows, offset: int) -> tuple[np.ndarray, dict[str, int]]:
    """The stream's false alarms and near misses (as indices into the training set, by offset), and their counts."""
    pred = probs.argmax(axis=1)
    usable = windows.weight > 0
    false_alarm = usable & (windows.y == 0) & (probs[:, 0] < 0.5)
    near_miss = usable & (windows.y > 0) & (pred != windows.y)
    picked = np.flatnonzero(false_alarm | near_miss)
    return picked + offset, {"false_alarm_windows": int(false_alarm.sum()), "near_miss_windows": int(near_miss.sum())}


def convert(model) -> bytes:  # type: ignore[no-untyped-def]
    """The model as float16 TFLite at batch size one, as the integration runs it."""
    import tensorflow as tf

    from .model import build as build_model

    fixed = build_model(batch_size=1, frames=int(model.input_shape[1]))
    fixed.set_weights(model.get_weights())
    converter = tf.lite.TFLiteConverter.from_keras_model(fixed)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    return bytes(converter.convert())


def write_vectors(tflite: bytes, windows: Windows, count: int = 24) -> None:
    """Write test vectors: windows of each class and LiteRT's outputs for them."""
    from ai_edge_litert.interpreter import Interpreter

    rng = np.random.default_rng(SEED)
    index = np.concatenate([rng.choice(np.flatnonzero(windows.y == c), count // 3, replace=False) for c in range(3)])
    x = windows.batch(index)
    interp = Interpreter(model_content=tflite)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    ys = []
    for row in x:
        interp.set_tensor(inp["index"], row[None])
        interp.invoke()
        ys.append(interp.get_tensor(out["index"])[0].copy())
    VECTORS_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(VECTORS_PATH, x=x, y=np.asarray(ys), truth=windows.y[index])
    # Shipped beside the model: the engine refuses a file that is not this one or that answers these differently.
    first = [int(np.flatnonzero(windows.y[index] == c)[0]) for c in range(3)]
    sha256 = hashlib.sha256(tflite).hexdigest()
    np.savez_compressed(SELF_CHECK_PATH, x=x[first], y=np.asarray(ys)[first], sha256=np.array(sha256))


def main() -> None:
    """Train, mine and convert; write the shipped model, its test vectors and its report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-scenes", type=int, default=320)
    parser.add_argument("--seed-scenes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--mining-hours", type=float, default=5.0)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=SEED, help="weights and batches; the data are the same")
    parser.add_argument("--home-scenes", type=int, default=120, help="extra scenes with curtains and other tones")
    parser.add_argument("--combo-scenes", type=int, default=80, help="extra walks with music, and as many with a fan")
    parser.add_argument("--wide-scenes", type=int, default=0, help="widened scenes (lab/widened.py)")
    parser.add_argument("--wide-mining-hours", type=float, default=0.0, help="of widened scenes, per round")
    parser.add_argument("--card-scenes", type=int, default=0, help="every kind as drawn, on 44.1 and 48 kHz cards")
    parser.add_argument("--far-seat-scenes", type=int, default=0, help="seated 1.5-2.25 m away, already or walking in")
    parser.add_argument(
        "--observable-walks", action="store_true", help="walking frames count only where the walker stands out"
    )
    parser.add_argument("--frames", type=int, default=CONTEXT_FRAMES, help="the network's window (25 ms each)")
    parser.add_argument("--ema", type=float, default=0.0, help="weights averaged over the steps at this momentum")
    parser.add_argument(
        "--music-reference",
        action="store_true",
        help="train on frames with music cancelled from the audible band (Tuning.music_reference; off as shipped)",
    )
    args = parser.parse_args()
    dataset.MUSIC_REFERENCE = args.music_reference
    if not 0.0 <= args.ema < 1.0:
        parser.error("--ema: a momentum from 0 (off) up to, not including, 1")
    if not CONTEXT_FRAMES <= args.frames <= MAX_NETWORK_FRAMES:  # the engine would refuse the model it writes
        parser.error(f"--frames: the engine takes {CONTEXT_FRAMES} to {MAX_NETWORK_FRAMES}")
    began = time.time()
    report: dict[str, object] = {"seed": args.seed, "args": vars(args)}

    jobs = training_jobs(
        args.train_scenes, args.home_scenes, args.combo_scenes, args.wide_scenes, args.card_scenes, args.far_seat_scenes
    )
    print(f"rendering {len(jobs)} training scenes (seeds {seeds.TRAIN.start}…)", flush=True)
    scenes: list[SceneFrames] = build(jobs)
    if args.observable_walks:
        left_out = left_out_walking(scenes)
        report["walking_windows_left_out"] = left_out
        for kind, (left, total) in left_out.items():
            print(f"  {kind}: {left} of {total} walking windows left out of the loss", flush=True)
    seed_set = Windows(scenes[: args.seed_scenes], args.observable_walks, args.frames)
    print(f"seed model on {args.seed_scenes} scenes ({seed_set.hours:.1f} h)", flush=True)
    model = train(seed_set, np.zeros(0, dtype=np.int64), args.epochs, args.seed, args.ema)

    full = scenes
    mined_scenes: list[SceneFrames] = []
    mined_index: list[np.ndarray] = []
    rounds = []
    for r in range(args.rounds):
        stream = build(
            mining_jobs(int(r * args.mining_hours * 60), args.mining_hours)
            + wide_mining_jobs(int(r * args.wide_mining_hours * 60), args.wide_mining_hours)
        )
        sw = Windows(stream, args.observable_walks, args.frames)
        probs = predict(model, sw)
        before = false_alarms_per_hour(probs, sw)
        mined_scenes += stream
        everything = Windows(full + mined_scenes, args.observable_walks, args.frames)
        # The stream's windows come last in `everything`.
        picked, stats = mine(probs, sw, len(everything) - len(sw))
        mined_index.append(picked)
        model = train(everything, np.concatenate(mined_index), args.epochs, args.seed + r + 1, args.ema)
        after = false_alarms_per_hour(predict(model, sw), sw)
        rounds.append({"round": r + 1, "stream_hours": round(sw.hours, 2), **stats,
                       "false_alarms_per_hour_before": round(before, 2),
                       "false_alarms_per_hour_after": round(after, 2)})  # fmt: skip
        print(f"round {r + 1}: {sw.hours:.1f} h mined, {stats}, false alarms/h {before:.2f} → {after:.2f}", flush=True)
    report["mining_rounds"] = rounds
    report["training_hours"] = round(Windows(full + mined_scenes).hours, 2)

    tflite = convert(model)
    MODEL_PATH.write_bytes(tflite)
    held_out = Windows(build([(seeds.TEST_VECTORS.start + i, None, 30.0, None) for i in range(6)]), frames=args.frames)
    write_vectors(tflite, held_out)
    report["tflite_bytes"] = len(tflite)
    report["minutes"] = round((time.time() - began) / 60, 1)
    TRAINING_JSON.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {MODEL_PATH} ({len(tflite)} bytes) in {report['minutes']} min")


if __name__ == "__main__":
    main()
