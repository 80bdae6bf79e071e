"""The networks a run trains, built from the project's graph as the studio builds them
(core/train/model.ts): the encoder (or generator), every transformer, the reconstructor,
and one discriminator per transformer (plus one for G's condition in generation mode), or
one shared by all of them (training.sharedDiscriminator), sized from the dataset. Seeds are
hashSeed(run seed, node id); weights named in the project (and D_<id>.mgw or D.mgw beside
them) are loaded."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from torch import Tensor

from .mgw import read_weights
from .modules import Discriminator, GanModule, Reconstructor, Transformer, create_module
from .project import AttributeGroup, Node, Project, ProjectError, default_discriminator_depth, describe_groups, group_length, same_groups
from .rng import hash_seed


# The id of the shared discriminator (the studio's SHARED_D).
SHARED_D = "D"


class SharedJudge:
    """The shared discriminator as one judged module's D sees it: the same critic, and the slots
    of the head that hold that module's attributes (the studio's SharedJudge)."""

    def __init__(self, shared: Discriminator, slots: List[int], attributes: List[AttributeGroup]) -> None:
        self.shared = shared
        self.slots = slots
        self.params: Dict[str, Any] = {**shared.params, "attributes": attributes}

    @property
    def condition_length(self) -> int:
        return len(self.slots)

    def slice(self, logits: Tensor) -> Tensor:
        return logits[:, self.slots]

    def __call__(self, image: Tensor) -> Tuple[Tensor, Tensor]:
        patch, logits = self.shared(image)
        return patch, self.slice(logits)


Judge = Union[Discriminator, SharedJudge]


@dataclass
class Part:
    id: str
    module: GanModule
    # Positions in the dataset's label vector of this part's condition, in its group order.
    label_index: List[int]


@dataclass
class JudgePart:
    """A view of the shared D as the D of one judged module (id D_<its id>)."""

    id: str
    module: SharedJudge
    label_index: List[int]


@dataclass
class TrainModel:
    mode: str
    base: Part
    transformers: List[Part]
    reconstructor: Part
    # The D judging each transformer (then G's condition's); views of `shared_d` when there is one.
    discriminators: Sequence[Union[Part, JudgePart]]
    all: List[Part] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    # The one D behind every view in `discriminators` (training.sharedDiscriminator).
    shared_d: Optional[Part] = None


def label_index(who: str, groups: Sequence[AttributeGroup], dataset_groups: Sequence[AttributeGroup]) -> List[int]:
    out: List[int] = []
    for g in groups:
        at = 0
        found = None
        for d in dataset_groups:
            if d["name"] == g["name"]:
                found = d
                break
            at += group_length(d)
        if found is None:
            raise ProjectError(f"{who}: the dataset has no attribute '{g['name']}' (it has {describe_groups(dataset_groups)})")
        if not same_groups([found], [g]):
            raise ProjectError(f"{who}: attribute '{g['name']}' is {describe_groups([g])} here but {describe_groups([found])} in the dataset")
        out.extend(range(at, at + group_length(g)))
    return out


def _groups_of(n: Node) -> List[AttributeGroup]:
    a = n.params.get("attributes")
    return list(a) if isinstance(a, list) else []


def build_train_model(project: Project, image_size: int, dataset_groups: Sequence[AttributeGroup]) -> TrainModel:
    t = project.require_training()
    mode = t["mode"]
    seed = t["seed"]
    base_dir = project.base_dir
    base_kind = "encoder" if mode == "translation" else "generator"
    bases = [n for n in project.nodes if n.kind == base_kind]
    if len(bases) != 1:
        raise ProjectError(f"{mode} training needs exactly one {base_kind} node in the graph, found {len(bases)}")
    recs = [n for n in project.nodes if n.kind == "reconstructor"]
    if len(recs) != 1:
        raise ProjectError(f"training needs exactly one reconstructor node in the graph, found {len(recs)}")
    ts = [n for n in project.nodes if n.kind == "transformer"]
    if not ts:
        raise ProjectError("training needs at least one transformer node in the graph")
    built: List[Part] = []
    notes: List[str] = []

    def make(node: Node, kind: str, params: Dict[str, Any], index: List[int]) -> Part:
        try:
            m = create_module(kind, params, hash_seed(seed, node.id))
        except (ProjectError, ValueError) as e:
            raise ProjectError(f"{node.name}: {e}") from e
        part = Part(node.id, m, index)
        built.append(part)
        given = params.get("weights")
        file = given.strip() if isinstance(given, str) else ""
        if file:
            path = os.path.join(base_dir, file)
            try:
                notes.extend(f"{node.name}: {x}" for x in m.load_weights(read_weights(path), path))
            except ValueError as e:
                raise ProjectError(str(e)) from e
        return part

    base_node = bases[0]
    base_params = {**base_node.params, "imageSize": image_size} if base_kind == "encoder" else dict(base_node.params)
    base = make(base_node, base_kind, base_params, label_index(base_node.name, _groups_of(base_node), dataset_groups) if base_kind == "generator" else [])
    if base_kind == "generator" and base.module.int("imageSize") != image_size:
        raise ProjectError(f"{base_node.name}: makes {base.module.int('imageSize')} px images but the dataset has {image_size} px")
    transformers = [make(n, "transformer", dict(n.params), label_index(n.name, _groups_of(n), dataset_groups)) for n in ts]
    rec_node = recs[0]
    reconstructor = make(rec_node, "reconstructor", {**rec_node.params, "imageSize": image_size}, [])
    judged = ts + ([base_node] if base_kind == "generator" and _groups_of(base_node) else [])
    d_weights: Dict[str, str] = t.get("discriminatorWeights") or {}

    def d_params(groups: List[AttributeGroup], weights: str) -> Dict[str, Any]:
        return {
            "imageSize": image_size,
            "baseChannels": t.get("dBaseChannels", base.module.int("baseChannels")),
            "depth": t.get("dDepth", default_discriminator_depth(image_size)),
            "attributes": groups,
            "weights": weights,
        }

    if t.get("sharedDiscriminator"):
        if any(n.id == SHARED_D for n in project.nodes):
            raise ProjectError(f"training.sharedDiscriminator: the graph has a node '{SHARED_D}', the id the shared discriminator takes")
        # The head holds each attribute once, in the order the judged modules first name it.
        groups: List[AttributeGroup] = []

        def slots_of(g: AttributeGroup) -> List[int]:
            at = 0
            for h in groups:
                if h["name"] == g["name"]:
                    return list(range(at, at + group_length(g)))
                at += group_length(h)
            groups.append(g)
            return list(range(at, at + group_length(g)))

        views = [(n, [s for g in _groups_of(n) for s in slots_of(g)]) for n in judged]
        params = d_params(groups, _shared_weights(judged, d_weights, base_dir))
        d_node = Node(id=SHARED_D, kind="discriminator", label="D shared by every transformer", params=params)
        shared = make(d_node, "discriminator", params, label_index("the shared discriminator", groups, dataset_groups))
        assert isinstance(shared.module, Discriminator)
        judges = [JudgePart(f"D_{n.id}", SharedJudge(shared.module, slots, _groups_of(n)), label_index(n.name, _groups_of(n), dataset_groups)) for n, slots in views]
        return TrainModel(mode, base, transformers, reconstructor, judges, built, notes, shared)
    discriminators = []
    for n in judged:
        params = d_params(_groups_of(n), _discriminator_weights(n, d_weights, base_dir))
        d_node = Node(id=f"D_{n.id}", kind="discriminator", label=f"D for {n.label or n.id}", params=params)
        discriminators.append(make(d_node, "discriminator", params, label_index(n.name, _groups_of(n), dataset_groups)))
    return TrainModel(mode, base, transformers, reconstructor, discriminators, built, notes)


def _discriminator_weights(judged: Node, explicit: Dict[str, str], base_dir: str) -> str:
    """The training config's entry, else D_<id>.mgw beside the judged module's weights, else none."""
    return explicit.get(judged.id) or _beside_weights(judged, f"D_{judged.id}.mgw", base_dir)


def _beside_weights(judged: Node, file: str, base_dir: str) -> str:
    """`file` in the folder of `judged`'s own weights file, if both exist; else ''."""
    own = judged.params.get("weights")
    own = own.strip() if isinstance(own, str) else ""
    if not own:
        return ""
    beside = os.path.join(os.path.dirname(os.path.join(base_dir, own)), file)
    return beside if os.path.exists(beside) else ""


def _shared_weights(judged: Sequence[Node], explicit: Dict[str, str], base_dir: str) -> str:
    """discriminatorWeights.D, else D.mgw beside a judged module's weights, else none."""
    if explicit.get(SHARED_D):
        return explicit[SHARED_D]
    for n in judged:
        beside = _beside_weights(n, f"{SHARED_D}.mgw", base_dir)
        if beside:
            return beside
    return ""


def typed_transformer(p: Part) -> Transformer:
    assert isinstance(p.module, Transformer)
    return p.module


def typed_judge(p: Union[Part, JudgePart]) -> Judge:
    assert isinstance(p.module, (Discriminator, SharedJudge))
    return p.module


def typed_discriminator(p: Part) -> Discriminator:
    assert isinstance(p.module, Discriminator)
    return p.module


def typed_reconstructor(p: Part) -> Reconstructor:
    assert isinstance(p.module, Reconstructor)
    return p.module


def find_part(model: TrainModel, part_id: str) -> Optional[Part]:
    return next((p for p in model.all if p.id == part_id), None)
