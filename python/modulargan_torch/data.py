"""Datasets and batches, as the studio's core/data makes them.

Sources: a CelebA folder and an image folder with a CSV are read natively; ColorMNIST and
the synthetic faces are rendered by the studio only, so `modulargan export-dataset` writes
them (or any source) as an image folder + CSV + dataset.json (the split, the flip policy and,
where pixels are not whole bytes, their exact float32 values in pixels.f32). Batch k is a
pure function of (seed, k): the same seeded epoch permutations and flips as the studio's
BatchLoader, so both engines see the same images in the same order; with several processes
each takes its share of the same global batch (a distributed sampler over that order).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .images import ImageFileError, bytes_to_floats, read_image
from .project import (
    CELEBA,
    CELEBA_COLUMNS,
    COLOR_MNIST,
    SYNTHETIC_FACES,
    AttributeGroup,
    Project,
    ProjectError,
    encode_condition,
    groups_length,
    same_groups,
    describe_groups,
)
from .rng import Alea, seeded_permutation

EXPORT_FORMAT = "modulargan-dataset"
CELEBA_CROP = 178
DEFAULT_GROUPS: Dict[str, List[AttributeGroup]] = {
    "colormnist": [COLOR_MNIST["digit"], COLOR_MNIST["color"], COLOR_MNIST["style"], COLOR_MNIST["background"]],
    "synthetic-faces": [SYNTHETIC_FACES["hair"], SYNTHETIC_FACES["smiling"], SYNTHETIC_FACES["glasses"]],
    "celeba": [CELEBA["hair"], CELEBA["male"], CELEBA["smiling"]],
    "image-folder": [],
}


class DatasetFileError(Exception):
    """An error in a dataset file, naming the file and line."""

    def __init__(self, file: str, line: Optional[int], reason: str) -> None:
        super().__init__(f"{file}{'' if line is None else f':{line}'}: {reason}")


def quote(s: str, limit: int = 40) -> str:
    return f"'{s[:limit]}…'" if len(s) > limit else f"'{s}'"


def split_every(count: int, every: int) -> Tuple[List[int], List[int]]:
    train: List[int] = []
    test: List[int] = []
    for i in range(count):
        (test if i % every == every - 1 else train).append(i)
    return train, test


@dataclass
class Dataset:
    title: str
    image_size: int
    groups: List[AttributeGroup]
    train: List[int]
    test: List[int]
    flip: bool
    load: Callable[[int], Tuple[np.ndarray, np.ndarray]]
    notes: List[str] = field(default_factory=list)


def _lines_of(text: str) -> List[str]:
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _read_text(file: str, missing: str) -> str:
    try:
        with open(file, encoding="utf-8", newline="") as f:
            return f.read()
    except FileNotFoundError as e:
        raise DatasetFileError(file, None, missing) from e
    except OSError as e:
        raise DatasetFileError(file, None, e.strerror or str(e)) from e


def open_celeba(root: str, size: int, groups: Optional[List[AttributeGroup]]) -> Dataset:
    attr_file = os.path.join(root, "list_attr_celeba.txt")
    part_file = os.path.join(root, "list_eval_partition.txt")
    img_dir = os.path.join(root, "img_align_celeba")
    text = _read_text(attr_file, "not found (a CelebA folder holds list_attr_celeba.txt and img_align_celeba/)")
    if not os.path.isdir(img_dir):
        raise DatasetFileError(img_dir, None, "not found: the images folder of CelebA")
    lines = _lines_of(text)
    head = lines[0].strip()
    if not head.isdigit() or not head.isascii():
        raise DatasetFileError(attr_file, 1, f"expected the number of images, got {quote(head)}")
    if len(lines) < 2:
        raise DatasetFileError(attr_file, 1, "ends after the image count; line 2 should list the attribute names")
    names = lines[1].split()
    if not names:
        raise DatasetFileError(attr_file, 2, "expected the attribute names")
    rows: List[Tuple[str, np.ndarray, int]] = []
    for i in range(2, len(lines)):
        parts = lines[i].split()
        if not parts:
            continue
        name, vals = parts[0], parts[1:]
        if len(vals) != len(names):
            raise DatasetFileError(attr_file, i + 1, f"{quote(name)} has {len(vals)} values, expected {len(names)} (one per attribute)")
        values = np.zeros(len(vals), dtype=np.int8)
        for j, v in enumerate(vals):
            if v not in ("1", "-1", "0"):
                raise DatasetFileError(attr_file, i + 1, f"value {quote(v)} of {names[j]} is not 1 or -1")
            values[j] = 1 if v == "1" else 0
        rows.append((name, values, i + 1))
    if len(rows) != int(head):
        raise DatasetFileError(attr_file, 1, f"says {int(head)} images but lists {len(rows)}")
    gs = groups or DEFAULT_GROUPS["celeba"]

    def columns(g: AttributeGroup) -> List[int]:
        known = CELEBA_COLUMNS.get(g["name"])
        if g["kind"] == "binary":
            cols = [known if isinstance(known, str) else g["name"]]
        else:
            cols = [(known.get(v) if isinstance(known, dict) else None) or v for v in g["values"]]
        out = []
        for c in cols:
            if c not in names:
                raise DatasetFileError(attr_file, 2, f"has no attribute column '{c}' (for '{g['name']}')")
            out.append(names.index(c))
        return out

    cols = [columns(g) for g in gs]
    notes: List[str] = []
    ambiguous = sum(1 for _, v, _ in rows if any(g["kind"] == "onehot" and sum(int(v[j]) for j in cols[gi]) != 1 for gi, g in enumerate(gs)))
    if ambiguous:
        notes.append(f"{attr_file}: {ambiguous} of {len(rows)} images have no single value of a one-hot group (kept, labelled as listed)")
    if os.path.exists(part_file):
        part: Dict[str, int] = {}
        for i, line in enumerate(_lines_of(_read_text(part_file, "not found"))):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
                raise DatasetFileError(part_file, i + 1, f'expected "file.jpg 0|1|2", got {quote(line.strip())}')
            part[parts[0]] = int(parts[1])
        train, test = [], []
        for i, (name, _, line_no) in enumerate(rows):
            which = part.get(name)
            if which is None:
                raise DatasetFileError(part_file, None, f"does not list '{name}' ({attr_file}:{line_no})")
            if which == 0:
                train.append(i)
            elif which == 2:
                test.append(i)
    else:
        train, test = split_every(len(rows), 10)
        notes.append(f"{part_file} not found: every 10th image is held out for testing")
    labels = np.array([[float(v[j]) for cs in cols for j in cs] for _, v, _ in rows], dtype=np.float32).reshape(len(rows), -1)

    def load(i: int) -> Tuple[np.ndarray, np.ndarray]:
        return read_image(os.path.join(img_dir, rows[i][0]), size, crop="celeba", max_crop=CELEBA_CROP), labels[i]

    return Dataset(f"CelebA at {root}", size, list(gs), train, test, True, load, notes)


FILE_COLUMNS = ("file", "filename", "image", "path")
YES = {"1", "true", "yes"}
NO = {"0", "-1", "false", "no"}


def _csv_records(text: str, file: str) -> List[Tuple[List[str], int]]:
    """Records with the line each ends on; empty lines skipped, fields trimmed (csv-parse's options)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    out = []
    try:
        for rec in reader:
            fields = [f.strip() for f in rec]
            if not fields or (len(fields) == 1 and fields[0] == ""):
                continue
            out.append((fields, reader.line_num))
    except csv.Error as e:
        raise DatasetFileError(file, reader.line_num, str(e)) from e
    return out


def open_image_folder(root: str, csv_file: str, size: int, groups: List[AttributeGroup]) -> Dataset:
    if not groups:
        raise DatasetFileError(csv_file, None, "the dataset lists no attributes: choose the attribute groups the CSV holds")
    records = _csv_records(_read_text(csv_file, "not found"), csv_file)
    if not records:
        raise DatasetFileError(csv_file, 1, "is empty; expected a header row")
    header = [h.lower() for h in records[0][0]]
    file_col = next((j for j, h in enumerate(header) if h in FILE_COLUMNS), -1)
    if file_col < 0:
        raise DatasetFileError(csv_file, 1, f"has no file column ({', '.join(FILE_COLUMNS)})")
    group_cols = []
    for g in groups:
        if g["name"].lower() not in header:
            raise DatasetFileError(csv_file, 1, f"has no column '{g['name']}'")
        group_cols.append(header.index(g["name"].lower()))
    files: List[str] = []
    labels: List[List[float]] = []
    for rec, line in records[1:]:
        values: Dict[str, str] = {}
        for g, j in zip(groups, group_cols):
            raw = rec[j] if j < len(rec) else ""
            if g["kind"] == "binary":
                v = raw.lower()
                if v not in YES and v not in NO:
                    raise DatasetFileError(csv_file, line, f"'{g['name']}' must be 1 or 0, got {quote(raw)}")
                values[g["name"]] = "1" if v in YES else "0"
            else:
                if raw not in g["values"]:
                    raise DatasetFileError(csv_file, line, f"{quote(raw)} is not a value of '{g['name']}' ({', '.join(g['values'])})")
                values[g["name"]] = raw
        name = rec[file_col] if file_col < len(rec) else ""
        if not name:
            raise DatasetFileError(csv_file, line, "the file name is empty")
        files.append(name)
        labels.append(encode_condition(groups, values))
    table = np.array(labels, dtype=np.float32).reshape(len(files), groups_length(groups))
    train, test = split_every(len(files), 10)

    def load(i: int) -> Tuple[np.ndarray, np.ndarray]:
        return read_image(os.path.join(root, files[i]), size), table[i]

    return Dataset(f"image folder {root}", size, list(groups), train, test, True, load)


def open_export(folder: str, ref: Dict[str, Any]) -> Dataset:
    """A folder `modulargan export-dataset` wrote, checked against the project's dataset."""
    desc_file = os.path.join(folder, "dataset.json")
    text = _read_text(desc_file, f"not found: write it with `modulargan export-dataset` (dataset '{ref.get('id')}')")
    try:
        desc = json.loads(text)
    except json.JSONDecodeError as e:
        raise DatasetFileError(desc_file, e.lineno, f"not valid JSON ({e.msg})") from e
    if desc.get("format") != EXPORT_FORMAT:
        raise DatasetFileError(desc_file, None, f"is not a dataset export (format is not '{EXPORT_FORMAT}')")
    groups = ref.get("attributes") or DEFAULT_GROUPS[ref["source"]]
    stale = []
    if desc.get("source") != ref["source"]:
        stale.append(f"source {desc.get('source')} in the export, {ref['source']} in the project")
    if desc.get("imageSize") != ref["imageSize"]:
        stale.append(f"image size {desc.get('imageSize')} in the export, {ref['imageSize']} in the project")
    if ref["source"] in ("colormnist", "synthetic-faces") and desc.get("seed") != ref.get("seed", 0):
        stale.append(f"seed {desc.get('seed')} in the export, {ref.get('seed', 0)} in the project")
    if not same_groups(desc.get("attributes") or [], groups):
        stale.append(f"attributes {describe_groups(desc.get('attributes') or [])} in the export, {describe_groups(groups)} in the project")
    if stale:
        raise DatasetFileError(desc_file, None, f"was exported for another dataset ({'; '.join(stale)}): run `modulargan export-dataset` again")
    size = int(desc["imageSize"])
    count = int(desc["count"])
    base = open_image_folder(folder, os.path.join(folder, desc.get("csv", "attributes.csv")), size, list(groups))
    if len(base.train) + len(base.test) != count:
        raise DatasetFileError(os.path.join(folder, desc.get("csv", "attributes.csv")), None, f"lists {len(base.train) + len(base.test)} images, dataset.json says {count}")
    # The exact label vectors (the CSV can only name one value of a group per image).
    labels: Optional[np.ndarray] = None
    if desc.get("labels"):
        lfile = os.path.join(folder, desc["labels"])
        length = groups_length(groups)
        if not os.path.exists(lfile) or os.path.getsize(lfile) != count * length * 4:
            raise DatasetFileError(lfile, None, f"should hold {count * length * 4} bytes (float32 labels of {count} images): run `modulargan export-dataset` again")
        labels = np.fromfile(lfile, dtype="<f4").reshape(count, length)
    pixels: Optional[np.ndarray] = None
    if desc.get("pixels"):
        pfile = os.path.join(folder, desc["pixels"])
        want = count * size * size * 3 * 4
        if not os.path.exists(pfile) or os.path.getsize(pfile) != want:
            raise DatasetFileError(pfile, None, f"should hold {want} bytes (float32 pixels of {count} images): run `modulargan export-dataset` again")
        pixels = np.memmap(pfile, dtype="<f4", mode="r", shape=(count, size, size, 3))
    base_load = base.load

    def load(i: int) -> Tuple[np.ndarray, np.ndarray]:
        if pixels is not None:
            image = np.array(pixels[i], dtype=np.float32)
            lab = labels[i] if labels is not None else base_load(i)[1]
            return image, lab
        image, lab = base_load(i)
        return image, (labels[i] if labels is not None else lab)

    return Dataset(desc.get("title", f"export {folder}"), size, list(groups), [int(i) for i in desc["train"]], [int(i) for i in desc["test"]], bool(desc["flip"]), load, [])


def default_export_folder(project_file: str, dataset_id: str) -> str:
    """Where `modulargan export-dataset` writes by default: <project>.data/<dataset id>/ beside it."""
    base = os.path.basename(project_file)
    for suffix in (".mgproj.json", ".json"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return os.path.join(os.path.dirname(os.path.abspath(project_file)), f"{base}.data", dataset_id)


def open_dataset(project: Project, data_folder: Optional[str] = None) -> Dataset:
    ref = project.dataset_ref()
    groups = ref.get("attributes") or None
    source = ref["source"]
    size = int(ref["imageSize"])
    if data_folder or source in ("colormnist", "synthetic-faces"):
        folder = data_folder or default_export_folder(project.file, ref["id"])
        return open_export(folder, ref)

    def need(what: str) -> str:
        v = ref.get(what)
        if not isinstance(v, str) or not v.strip():
            raise ProjectError(f"dataset '{ref['id']}': a {source} dataset needs '{what}'")
        return os.path.join(project.base_dir, v)

    if source == "celeba":
        return open_celeba(need("path"), size, groups)
    path = need("path")
    csv_file = os.path.join(project.base_dir, ref["csv"]) if isinstance(ref.get("csv"), str) and ref["csv"] else os.path.join(path, "attributes.csv")
    return open_image_folder(path, csv_file, size, groups or [])


def flip_horizontal(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img[:, ::-1, :])


class BatchLoader:
    """Batch k of the seeded stream, this process's share of it, prepared a few batches ahead."""

    def __init__(self, dataset: Dataset, batch_size: int, seed: int, rank: int = 0, world: int = 1, ahead: int = 3, on_skip: Optional[Callable[[str], None]] = None, split: str = "train") -> None:
        if batch_size % world:
            raise ValueError(f"the batch size {batch_size} does not split evenly over {world} processes: choose a batch size that is a multiple of {world}")
        self.dataset = dataset
        self.items = dataset.test if split == "test" else dataset.train
        if not self.items:
            raise ValueError(f"{dataset.title}: the {split} split is empty")
        self.batch_size = batch_size
        self.local = batch_size // world
        self.rank = rank
        self.seed = seed
        self.ahead = ahead
        self.on_skip = on_skip
        self.split = split
        self._perms: Dict[int, List[int]] = {}
        self._bad: set = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 2)))
        self._pending: Dict[int, "Future[Tuple[np.ndarray, np.ndarray]]"] = {}

    def _item_at(self, p: int) -> int:
        n = len(self.items)
        epoch = p // n
        with self._lock:
            perm = self._perms.get(epoch)
            if perm is None:
                perm = seeded_permutation(n, f"{self.seed}:epoch:{epoch}")
                self._perms[epoch] = perm
                for e in list(self._perms):
                    if e < epoch - 1:
                        del self._perms[e]
        return self.items[perm[p % n]]

    def _load_at(self, p: int) -> Tuple[np.ndarray, np.ndarray]:
        for _ in range(len(self.items)):
            i = self._item_at(p)
            if i not in self._bad:
                try:
                    return self.dataset.load(i)
                except ImageFileError as e:
                    with self._lock:
                        first = i not in self._bad
                        self._bad.add(i)
                    if first and self.on_skip:
                        self.on_skip(f"skipped {e}")
            p += 1
        raise ValueError(f"{self.dataset.title}: no item of the {self.split} split could be loaded")

    def _build(self, k: int) -> Tuple[np.ndarray, np.ndarray]:
        b, s = self.batch_size, self.dataset.image_size
        start = self.rank * self.local
        flips = Alea(f"{self.seed}:flip:{k}")
        # Every process draws the whole batch's flips so its share gets the same ones.
        flipped = [self.dataset.flip and flips() < 0.5 for _ in range(b)]
        images = np.empty((self.local, s, s, 3), dtype=np.float32)
        labels = np.empty((self.local, groups_length(self.dataset.groups)), dtype=np.float32)
        for j in range(self.local):
            img, lab = self._load_at(k * b + start + j)
            images[j] = flip_horizontal(img) if flipped[start + j] else img
            labels[j] = lab
        return images, labels

    def get(self, k: int) -> Tuple[np.ndarray, np.ndarray]:
        """This process's images (n x H x W x 3) and labels of batch k."""
        for old in [j for j in self._pending if j < k]:
            del self._pending[old]
        for j in range(k, k + self.ahead + 1):
            if j not in self._pending:
                self._pending[j] = self._pool.submit(self._build, j)
        return self._pending.pop(k).result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
