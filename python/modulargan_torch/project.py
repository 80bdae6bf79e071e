"""Reading a `.mgproj.json` project (core/graph/format/project.ts and schemas.ts): the
graph's module nodes with the catalogue's defaults filled in, the training section with
its defaults, and the dataset references. Version 1 files are migrated as the studio does."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

PROJECT_FORMAT = "modulargan-project"
PROJECT_VERSION = 2
DATASET_SOURCES = ("colormnist", "synthetic-faces", "celeba", "image-folder")

AttributeGroup = Dict[str, Any]


class ProjectError(Exception):
    """A project the trainer cannot use; the message names the file and the field."""


def onehot(name: str, values: Sequence[str]) -> AttributeGroup:
    return {"name": name, "kind": "onehot", "values": list(values)}


def binary(name: str) -> AttributeGroup:
    return {"name": name, "kind": "binary"}


DIGIT = onehot("digit", [str(d) for d in range(10)])
COLOR_MNIST = {
    "digit": DIGIT,
    "color": onehot("color", ["red", "blue", "green", "purple", "brown"]),
    "style": onehot("style", ["flat", "stroke"]),
    "background": onehot("background", ["cyan", "yellow", "white", "silver", "salmon"]),
}
CELEBA = {"hair": onehot("hair", ["black", "blond", "brown"]), "male": binary("male"), "smiling": binary("smiling")}
CELEBA_COLUMNS: Dict[str, Any] = {
    "hair": {"black": "Black_Hair", "blond": "Blond_Hair", "brown": "Brown_Hair"},
    "male": "Male",
    "smiling": "Smiling",
}
SYNTHETIC_FACES = {"hair": onehot("hair", ["black", "blond", "brown"]), "smiling": binary("smiling"), "glasses": binary("glasses")}


def group_length(g: AttributeGroup) -> int:
    return len(g["values"]) if g["kind"] == "onehot" else 1


def groups_length(gs: Sequence[AttributeGroup]) -> int:
    return sum(group_length(g) for g in gs)


def describe_groups(gs: Sequence[AttributeGroup]) -> str:
    if not gs:
        return "no attributes"
    return ", ".join(f"{g['name']} ∈ {{{', '.join(g['values'])}}}" if g["kind"] == "onehot" else f"{g['name']} (yes/no)" for g in gs)


def same_groups(a: Sequence[AttributeGroup], b: Sequence[AttributeGroup]) -> bool:
    if len(a) != len(b):
        return False
    for g, h in zip(a, b):
        if g["name"] != h["name"] or g["kind"] != h["kind"]:
            return False
        if g["kind"] == "onehot" and h["kind"] == "onehot" and list(g["values"]) != list(h["values"]):
            return False
    return True


def encode_condition(groups: Sequence[AttributeGroup], values: Mapping[str, str]) -> List[float]:
    out: List[float] = []
    for g in groups:
        v = values.get(g["name"])
        if g["kind"] == "binary":
            if v not in ("0", "1"):
                raise ValueError(f"attribute '{g['name']}' must be 0 or 1, got {json.dumps(v)}")
            out.append(1.0 if v == "1" else 0.0)
            continue
        if v not in g["values"]:
            raise ValueError(f"'{v}' is not a value of '{g['name']}' ({', '.join(g['values'])})")
        out.extend(1.0 if x == v else 0.0 for x in g["values"])
    return out


# The catalogue's module parameters (core/graph/catalogue.ts): default, and for numbers the
# range the studio accepts. Kept in one table so .mgw headers carry the same resolved params.
_INT = "int"
_FLOAT = "float"
_BOOL = "bool"
_PATH = "path"
_ATTRS = "attributes"

MODULE_PARAMS: Dict[str, Dict[str, Dict[str, Any]]] = {
    "encoder": {
        "imageSize": {"type": _INT, "title": "Image size", "default": 128, "min": 0, "max": 1024, "multipleOf": 4},
        "baseChannels": {"type": _INT, "title": "Base channels", "default": 64, "min": 4, "max": 512},
        "resBlocks": {"type": _INT, "title": "Residual blocks", "default": 0, "min": 0, "max": 32},
        "weights": {"type": _PATH, "title": "Weights", "default": ""},
    },
    "generator": {
        "imageSize": {"type": _INT, "title": "Image size", "default": 64, "min": 16, "max": 1024, "multipleOf": 4},
        "baseChannels": {"type": _INT, "title": "Base channels", "default": 64, "min": 4, "max": 512},
        "noiseLength": {"type": _INT, "title": "Noise length", "default": 64, "min": 1, "max": 1024},
        "attributes": {"type": _ATTRS, "title": "Attributes", "default": [DIGIT]},
        "weights": {"type": _PATH, "title": "Weights", "default": ""},
    },
    "transformer": {
        "baseChannels": {"type": _INT, "title": "Base channels", "default": 64, "min": 4, "max": 512},
        "resBlocks": {"type": _INT, "title": "Residual blocks", "default": 6, "min": 0, "max": 32},
        "attributes": {"type": _ATTRS, "title": "Attributes", "default": [CELEBA["hair"]]},
        "useMask": {"type": _BOOL, "title": "Use mask", "default": True},
        "maskGain": {"type": _FLOAT, "title": "Mask gain", "default": 1, "min": 1e-4, "max": 10, "mustMatchWeights": True},
        "weights": {"type": _PATH, "title": "Weights", "default": ""},
    },
    "reconstructor": {
        "imageSize": {"type": _INT, "title": "Image size", "default": 128, "min": 0, "max": 1024, "multipleOf": 4},
        "baseChannels": {"type": _INT, "title": "Base channels", "default": 64, "min": 4, "max": 512},
        "resBlocks": {"type": _INT, "title": "Residual blocks", "default": 0, "min": 0, "max": 32},
        "weights": {"type": _PATH, "title": "Weights", "default": ""},
    },
    "discriminator": {
        "imageSize": {"type": _INT, "title": "Image size", "default": 128, "min": 8, "max": 1024, "multipleOf": 4},
        "baseChannels": {"type": _INT, "title": "Base channels", "default": 64, "min": 4, "max": 512},
        "depth": {"type": _INT, "title": "Depth", "default": 6, "min": 1, "max": 8},
        "attributes": {"type": _ATTRS, "title": "Attributes", "default": [CELEBA["hair"]]},
        "weights": {"type": _PATH, "title": "Weights", "default": ""},
    },
}
MODULE_KIND_OF = {"encoder": "E", "generator": "G", "transformer": "T", "reconstructor": "R", "discriminator": "D"}
MODULE_TITLES = {"encoder": "Encoder", "generator": "Generator", "transformer": "Transformer", "reconstructor": "Reconstructor", "discriminator": "Discriminator"}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _groups_problem(v: Any) -> Optional[str]:
    if not isinstance(v, list):
        return "must be a list of attribute groups"
    names = set()
    for g in v:
        if not isinstance(g, dict) or not isinstance(g.get("name"), str) or not g["name"]:
            return "has a group without a name"
        if g["name"] in names:
            return f"names '{g['name']}' twice"
        names.add(g["name"])
        if g.get("kind") == "onehot":
            vals = g.get("values")
            if not isinstance(vals, list) or len(vals) < 2 or not all(isinstance(x, str) and x for x in vals):
                return f"group '{g['name']}' needs at least two values"
        elif g.get("kind") != "binary":
            return f"group '{g['name']}' must be onehot or binary"
    return None


def resolve_module_params(node_kind: str, params: Mapping[str, Any]) -> Dict[str, Any]:
    """Defaults filled in and every value checked against the catalogue (resolveModuleParams)."""
    specs = MODULE_PARAMS.get(node_kind)
    if specs is None:
        raise ProjectError(f"'{node_kind}' is not a module node kind")
    p: Dict[str, Any] = dict(params)
    for k, s in specs.items():
        if p.get(k) is None:
            p[k] = json.loads(json.dumps(s["default"]))
    problems = []
    for k, s in specs.items():
        v = p[k]
        why: Optional[str] = None
        if s["type"] == _INT:
            if not _is_number(v) or float(v) != int(v):
                why = f"must be a whole number, got {json.dumps(v)}"
            elif not s["min"] <= v <= s["max"]:
                why = f"must be from {s['min']} to {s['max']}, got {v}"
            elif s.get("multipleOf") and int(v) % s["multipleOf"]:
                why = f"must be a multiple of {s['multipleOf']}, got {v}"
        elif s["type"] == _FLOAT:
            if not _is_number(v):
                why = f"must be a number, got {json.dumps(v)}"
            elif not s["min"] <= v <= s["max"]:
                why = f"must be from {s['min']} to {s['max']}, got {v}"
        elif s["type"] == _BOOL and not isinstance(v, bool):
            why = f"must be true or false, got {json.dumps(v)}"
        elif s["type"] == _PATH and not isinstance(v, str):
            why = f"must be a path, got {json.dumps(v)}"
        elif s["type"] == _ATTRS:
            why = _groups_problem(v)
        if why:
            problems.append(f"parameter '{s['title']}' {why}")
    if not problems and node_kind == "generator":
        s4 = p["imageSize"] / 4
        if not math.log2(s4).is_integer():
            problems.append(f"image size must be 4 × a power of two (e.g. 32, 64, 128), got {p['imageSize']}")
    if not problems and node_kind == "discriminator":
        side, depth = int(p["imageSize"]), int(p["depth"])
        if side % (2**depth):
            problems.append(f"image size {side} cannot be halved {depth} times; use a depth of at most {int(math.log2(side & -side))}")
    if problems:
        raise ProjectError(f"{MODULE_TITLES[node_kind]}: {'; '.join(problems)}")
    for k, s in specs.items():
        if s["type"] == _INT:
            p[k] = int(p[k])
    return p


def default_discriminator_depth(image_size: int) -> int:
    # JavaScript's Math.round rounds halves up; log2 of a side is never a half here anyway.
    return max(1, min(6, math.floor(math.log2(image_size) + 0.5) - 1))


@dataclass
class Node:
    id: str
    kind: str
    label: Optional[str]
    params: Dict[str, Any]

    @property
    def name(self) -> str:
        """For messages: "Hair (node 'T_hair')"."""
        return f"{self.label or self.id} (node '{self.id}')"


TRAINING_DEFAULTS: Dict[str, Any] = {
    "iterations": 200_000,
    "batchSize": 16,
    "learningRate": 1e-4,
    "beta1": 0.5,
    "beta2": 0.999,
    "nCritic": 5,
    "lambdaGp": 10,
    "lambdaCls": 1,
    "lambdaRec": 10,
    "lambdaCyc": 10,
    "seed": 0,
    "checkpointEvery": 1000,
    "sampleEvery": 500,
    "frozen": [],
}


# Every key of the studio's training settings (trainingSchema in core/graph/format/schemas.ts;
# python/tests checks the two lists agree). A key outside it is a setting this engine has never
# heard of, say one a newer studio added: refused by name rather than ignored, since ignoring it
# would train another model than the project asks for.
# The studio's CLS_FAKE_BINARY (core/graph/format/schemas.ts); pytest checks they agree.
CLS_FAKE_BINARY = ("absent", "neither", "skip")
TRAINING_KEYS = frozenset(
    {
        "mode", "dataset", "iterations", "batchSize", "learningRate", "beta1", "beta2", "nCritic", "decayFrom",
        "lambdaAdv", "lambdaGp", "lambdaCls", "lambdaRec", "lambdaCyc", "chainProbability", "lambdaKeep", "lambdaChain",
        "lambdaClsFake", "clsFakeOthers", "clsFakeBinary", "lambdaRoundTrip", "lambdaIdentity", "lambdaMask", "lambdaUnmasked", "augment", "ema", "monitor", "seed",
        "checkpointEvery", "sampleEvery", "frozen", "backend", "dDepth", "dBaseChannels", "sharedDiscriminator", "discriminatorWeights",
    }
)


@dataclass
class Project:
    file: str
    name: str
    nodes: List[Node]
    training: Optional[Dict[str, Any]]
    datasets: List[Dict[str, Any]]
    raw: Dict[str, Any]

    @property
    def base_dir(self) -> str:
        return os.path.dirname(os.path.abspath(self.file))

    def dataset_ref(self) -> Dict[str, Any]:
        t = self.require_training()
        for d in self.datasets:
            if d.get("id") == t["dataset"]:
                return d
        ids = ", ".join(str(d.get("id")) for d in self.datasets) or "none"
        raise ProjectError(f"{self.file}: training.dataset '{t['dataset']}' is not one of the project's datasets ({ids})")

    def require_training(self) -> Dict[str, Any]:
        if self.training is None:
            raise ProjectError(f'{self.file}: the project has no "training" section')
        return self.training


def _migrate_v1(doc: Dict[str, Any]) -> Dict[str, Any]:
    nodes = doc.get("nodes")
    if not isinstance(nodes, list):
        raise ProjectError('"nodes" is not a list')
    rest = {k: v for k, v in doc.items() if k not in ("nodes", "links")}
    graph_nodes = []
    for n in nodes:
        if not isinstance(n, dict):
            raise ProjectError("a node is not an object")
        graph_nodes.append({k: v for k, v in n.items() if k != "position"})
    edges = []
    for i, link in enumerate(doc.get("links") or []):
        ends = []
        for ref in (link.get("from"), link.get("to")):
            if not isinstance(ref, str) or "." not in ref:
                raise ProjectError(f'link end {json.dumps(ref)} is not "node.port"')
            j = ref.rindex(".")
            ends.append({"node": ref[:j], "port": ref[j + 1 :]})
        edges.append({"id": f"e{i + 1}", "from": ends[0], "to": ends[1]})
    return {**rest, "version": 2, "graph": {"nodes": graph_nodes, "edges": edges}, "datasets": [], "checkpoints": []}


def _check_training(t: Any, where: str) -> Dict[str, Any]:
    if not isinstance(t, dict):
        raise ProjectError(f'{where}: "training" is not an object')
    unknown = sorted(k for k in t if k not in TRAINING_KEYS)
    if unknown:
        names = ", ".join(f"training.{k}" for k in unknown)
        raise ProjectError(f"{where}: {names} {'is not a setting' if len(unknown) == 1 else 'are not settings'} this version of the PyTorch engine knows; train with the studio's own engine (modulargan train without --engine torch), or update modulargan_torch")
    out = {**TRAINING_DEFAULTS, **{k: v for k, v in t.items() if v is not None}}
    if out.get("mode") not in ("translation", "generation"):
        raise ProjectError(f"{where}: training.mode must be 'translation' or 'generation', got {json.dumps(out.get('mode'))}")
    if not isinstance(out.get("dataset"), str) or not out["dataset"]:
        raise ProjectError(f"{where}: training.dataset must name one of the project's datasets")
    ints = {"iterations": 1, "batchSize": 1, "nCritic": 1, "seed": 0, "checkpointEvery": 1, "sampleEvery": 1}
    for k, lo in ints.items():
        v = out[k]
        if not _is_number(v) or float(v) != int(v) or v < lo:
            raise ProjectError(f"{where}: training.{k} must be a whole number of at least {lo}, got {json.dumps(v)}")
        out[k] = int(v)
    for k in ("learningRate",):
        if not _is_number(out[k]) or out[k] <= 0:
            raise ProjectError(f"{where}: training.{k} must be a positive number, got {json.dumps(out[k])}")
    for k in ("beta1", "beta2", "chainProbability"):
        if k in out and (not _is_number(out[k]) or not 0 <= out[k] <= 1):
            raise ProjectError(f"{where}: training.{k} must be from 0 to 1, got {json.dumps(out[k])}")
    for k in ("lambdaAdv", "lambdaGp", "lambdaCls", "lambdaRec", "lambdaCyc", "lambdaKeep", "lambdaChain", "lambdaClsFake", "lambdaRoundTrip", "lambdaIdentity", "lambdaMask", "lambdaUnmasked"):
        if k in out and (not _is_number(out[k]) or out[k] < 0):
            raise ProjectError(f"{where}: training.{k} must be a number of at least 0, got {json.dumps(out[k])}")
    for k in ("clsFakeOthers", "sharedDiscriminator"):
        if k in out and not isinstance(out[k], bool):
            raise ProjectError(f"{where}: training.{k} must be true or false, got {json.dumps(out[k])}")
    if "clsFakeBinary" in out:
        # One mode for every binary attribute, or a mode per attribute name.
        mode = out["clsFakeBinary"]
        modes = list(mode.values()) if isinstance(mode, dict) else [mode]
        if not all(isinstance(m, str) and m in CLS_FAKE_BINARY for m in modes):
            raise ProjectError(
                f"{where}: training.clsFakeBinary must be one of {', '.join(CLS_FAKE_BINARY)}, or an object naming one per binary attribute, got {json.dumps(mode)}"
            )
    if "decayFrom" in out and (not _is_number(out["decayFrom"]) or float(out["decayFrom"]) != int(out["decayFrom"]) or out["decayFrom"] < 0):
        raise ProjectError(f"{where}: training.decayFrom must be a whole number of at least 0")
    if not isinstance(out["frozen"], list) or not all(isinstance(f, str) for f in out["frozen"]):
        raise ProjectError(f"{where}: training.frozen must be a list of node ids")
    return out


def parse_project(text: str, file: str) -> Project:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ProjectError(f"{file}:{e.lineno}:{e.colno}: not valid JSON ({e.msg})") from e
    if not isinstance(doc, dict) or doc.get("format") != PROJECT_FORMAT:
        raise ProjectError(f"{file}: not a ModularGAN project (format is not '{PROJECT_FORMAT}')")
    version = doc.get("version")
    if version == 1:
        doc = _migrate_v1(doc)
    elif isinstance(version, int) and version > PROJECT_VERSION:
        raise ProjectError(f"{file}: written by a newer ModularGAN Studio (project version {version}; this reads up to {PROJECT_VERSION})")
    elif version != PROJECT_VERSION:
        raise ProjectError(f"{file}: unknown project version {json.dumps(version)}")
    graph = doc.get("graph")
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list):
        raise ProjectError(f"{file}: graph.nodes is missing")
    nodes = []
    for i, n in enumerate(graph["nodes"]):
        if not isinstance(n, dict) or not isinstance(n.get("id"), str) or not isinstance(n.get("kind"), str):
            raise ProjectError(f"{file}: graph.nodes[{i}] needs an id and a kind")
        params = n.get("params") or {}
        if not isinstance(params, dict):
            raise ProjectError(f"{file}: graph.nodes[{i}].params is not an object")
        nodes.append(Node(id=n["id"], kind=n["kind"], label=n.get("label"), params=params))
    training = _check_training(doc["training"], file) if doc.get("training") is not None else None
    datasets = doc.get("datasets") or []
    for i, d in enumerate(datasets):
        if not isinstance(d, dict) or d.get("source") not in DATASET_SOURCES:
            raise ProjectError(f"{file}: datasets[{i}].source must be one of {', '.join(DATASET_SOURCES)}")
        size: Any = d.get("imageSize")
        if not _is_number(size) or float(size) != int(size) or not 8 <= size <= 1024:
            raise ProjectError(f"{file}: datasets[{i}].imageSize must be a whole number from 8 to 1024")
        if d.get("attributes") is not None:
            why = _groups_problem(d["attributes"])
            if why:
                raise ProjectError(f"{file}: datasets[{i}].attributes {why}")
    if training is not None:
        ids = {n.id for n in nodes}
        for f in training["frozen"]:
            if f not in ids:
                raise ProjectError(f"{file}: training.frozen names a node '{f}' that is not in the graph")
    return Project(file=file, name=str(doc.get("name", "")), nodes=nodes, training=training, datasets=datasets, raw=doc)


def read_project(file: str) -> Project:
    try:
        with open(file, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ProjectError(f"{file}: {e.strerror or e}") from e
    return parse_project(text, file)
