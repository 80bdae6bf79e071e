"""Formats and draws that must be the studio's bit for bit: seeded random streams, the .mgw
file, JSON numbers in logs; and datasets' errors, which name the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from modulargan_torch.data import DatasetFileError, open_export, open_image_folder
from modulargan_torch.distributed import DistContext
from modulargan_torch.mgw import Weights, WeightsFileError, decode, encode, read_weights, write_weights
from modulargan_torch.model import build_train_model
from modulargan_torch.modules import Transformer, module_from_weights
from modulargan_torch.project import CLS_FAKE_BINARY, TRAINING_KEYS, ProjectError, read_project
from modulargan_torch.rng import Alea, gaussian, hash_seed, normal_values, seeded_permutation, uniform_stream
from modulargan_torch.runfolder import json_line
from modulargan_torch.trainer import Trainer

# Values the studio's seedrandom, noise and random modules give (node, checked once).
STUDIO = {
    "alea": [0.24014441156759858, 0.22365259216167033, 0.16128076380118728, 0.41689429082907736],
    "alea2": [0.5276823455933481, 0.16312448284588754],
    "perm": [7, 16, 12, 19, 14, 4, 9, 0, 13, 3, 2, 15, 6, 18, 5, 17, 10, 11, 1, 8],
    "gauss": [0.10655464231967926, 0.714511513710022, 0.2728697955608368, 1.8059722185134888, -1.1629832983016968, -0.5804328918457031, 0.669983446598053],
    "hash": [3670062715, 258552464, 3894220398, 2232988947],
    "uni": [0.2604658124037087, 0.8048227655235678, 0.5408715349622071],
    "normal": [0.03601465001702309, 0.11812470108270645, -0.011427922174334526, 0.10424592345952988, -0.07607971131801605, 0.040823232382535934, -0.03783487156033516, -0.00658551836386323, 0.1673082411289215],
}


def test_seeded_draws_are_the_studios() -> None:
    a = Alea("7:epoch:3")
    assert [a() for _ in range(4)] == STUDIO["alea"]
    b = Alea("0:gp:12:1é😀")  # characters outside ASCII and the BMP hash as UTF-16 units
    assert [b(), b()] == STUDIO["alea2"]
    assert seeded_permutation(20, "3:target:5:0") == STUDIO["perm"]
    assert [float(x) for x in gaussian("0:z:4", 7)] == STUDIO["gauss"]
    assert [hash_seed(0, "T.conv0.weight"), hash_seed(12345, "D_T_hair"), hash_seed(2**40 + 7, "x"), hash_seed(hash_seed(3, "E"), "E.conv0.weight")] == STUDIO["hash"]
    u = uniform_stream(99)
    assert [u(), u(), u()] == STUDIO["uni"]
    assert [float(x) for x in normal_values(hash_seed(3, "w"), 9, 0.1)] == STUDIO["normal"]


def test_log_lines_write_numbers_as_javascript_does() -> None:
    assert json_line({"iteration": 3, "lr": 1e-7, "a": 0.0001, "b": 2.0, "c": 1e21, "d": -0.5}) == '{"iteration":3,"lr":1e-7,"a":0.0001,"b":2,"c":1e+21,"d":-0.5}'


def test_weights_round_trip_in_both_precisions(tmp_path: Path) -> None:
    t = Transformer({"baseChannels": 4, "resBlocks": 1, "attributes": [{"name": "smiling", "kind": "binary"}], "maskGain": 0.25}, seed=7)
    w = t.to_weights({"note": "x"})
    back = module_from_weights(decode(encode(w)))
    for (n, a), (_, b) in zip(t.named_weights(), back.named_weights()):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy()), n
    half = decode(encode(w, "float16"))
    assert max(float(np.abs(half.tensors[n] - w.tensors[n]).max()) for n in w.tensors) < 2e-3
    assert decode(encode(half)).tensors.keys() == w.tensors.keys()


def test_a_damaged_weights_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    t = Transformer({"baseChannels": 4, "resBlocks": 0}, seed=1)
    data = bytearray(encode(t.to_weights()))
    data[-3] ^= 0xFF
    f = tmp_path / "t.mgw"
    f.write_bytes(bytes(data))
    with pytest.raises(WeightsFileError, match=r"t\.mgw: transformer weights: checksum mismatch"):
        read_weights(str(f))
    f.write_bytes(bytes(data[:-8]))
    with pytest.raises(WeightsFileError, match="truncated or has trailing bytes"):
        read_weights(str(f))
    f.write_bytes(b"PNG....")
    with pytest.raises(WeightsFileError, match="not a ModularGAN weights file"):
        read_weights(str(f))


def test_a_bad_csv_row_names_the_file_and_line(tmp_path: Path) -> None:
    csv = tmp_path / "attributes.csv"
    csv.write_text("file,hair,smiling\na.png,black,1\n\nb.png,grey,0\n")
    hair = {"name": "hair", "kind": "onehot", "values": ["black", "blond"]}
    smiling = {"name": "smiling", "kind": "binary"}
    with pytest.raises(DatasetFileError, match=r"attributes\.csv:4: 'grey' is not a value of 'hair' \(black, blond\)"):
        open_image_folder(str(tmp_path), str(csv), 16, [hair, smiling])
    csv.write_text("name,hair\na.png,black\n")
    with pytest.raises(DatasetFileError, match=r"attributes\.csv:1: has no file column"):
        open_image_folder(str(tmp_path), str(csv), 16, [hair])


def test_an_export_for_other_settings_is_refused(studio: Path) -> None:
    folder = studio / "generation" / "generation.data" / "cm"
    ref = json.loads((studio / "generation" / "generation.mgproj.json").read_text())["datasets"][0]
    ds = open_export(str(folder), ref)
    assert ds.image_size == 16 and len(ds.train) + len(ds.test) == 10000 and not ds.flip
    with pytest.raises(DatasetFileError, match=r"was exported for another dataset \(image size 16 in the export, 32 in the project\): run `modulargan export-dataset` again"):
        open_export(str(folder), {**ref, "imageSize": 32})
    with pytest.raises(DatasetFileError, match="not found: write it with `modulargan export-dataset`"):
        open_export(str(studio / "nowhere"), ref)


def test_a_celeba_folder_reads_as_the_studio_reads_it(studio: Path) -> None:
    """Split, labels and notes exactly; pixels (a 178 px crop resized to 32 px: Pillow's
    Lanczos here, libvips' in the studio) within a few levels of 255."""
    from modulargan_torch.data import open_celeba

    folder = studio / "celeba"
    want = json.loads((folder / "loaded.json").read_text())
    ds = open_celeba(str(folder), 32, None)
    assert (ds.train, ds.test, ds.notes) == (want["train"], want["test"], want["notes"])
    pixels = np.fromfile(folder / "loaded.f32", dtype="<f4").reshape(len(want["items"]), 32, 32, 3)
    worst = 0.0
    for n, i in enumerate(want["items"]):
        image, labels = ds.load(i)
        assert labels.tolist() == want["labels"][n]
        worst = max(worst, float(np.abs(image - pixels[n]).max()) * 127.5)
    print(f"CelebA pixels: max {worst:.2f} levels of 255 from the studio's")
    assert worst <= 3 + 1e-3


def test_the_engine_knows_every_training_setting_of_the_studio(studio: Path) -> None:
    studio_keys = json.loads((studio / "training-keys.json").read_text())
    assert sorted(TRAINING_KEYS) == studio_keys
    assert list(CLS_FAKE_BINARY) == json.loads((studio / "cls-fake-binary.json").read_text())


def test_cls_fake_binary_per_attribute_is_read_and_a_wrong_one_refused_by_name(studio: Path, tmp_path: Path) -> None:
    doc = json.loads((studio / "translation" / "translation.mgproj.json").read_text())
    file = tmp_path / "modes.mgproj.json"
    doc["training"]["clsFakeBinary"] = {"smiling": "sometimes"}
    file.write_text(json.dumps(doc))
    with pytest.raises(ProjectError, match=r"modes\.mgproj\.json: training\.clsFakeBinary must be one of absent, neither, skip.*\"sometimes\""):
        read_project(str(file))
    ctx = DistContext(rank=0, world=1, local_rank=0, device=torch.device("cpu"), backend=None)
    for modes, refused in (({"smiling": "neither"}, None), ({"hair": "skip"}, "hair"), ({"smile": "absent"}, "smile")):
        doc["training"]["clsFakeBinary"] = modes
        file.write_text(json.dumps(doc))
        project = read_project(str(file))
        model = build_train_model(project, 16, project.datasets[0]["attributes"])
        if refused is None:
            Trainer(model, project.require_training(), ctx)
            continue
        with pytest.raises(ValueError, match=rf"clsFakeBinary: '{refused}' is not a binary attribute of any discriminator \(binary attributes: smiling\)"):
            Trainer(model, project.require_training(), ctx)


def test_a_shared_discriminator_is_one_d_read_through_each_modules_slots(studio: Path, tmp_path: Path) -> None:
    from modulargan_torch.model import SharedJudge

    doc = json.loads((studio / "translation" / "translation.mgproj.json").read_text())
    file = tmp_path / "shared.mgproj.json"
    doc["training"]["sharedDiscriminator"] = "yes"
    file.write_text(json.dumps(doc))
    with pytest.raises(ProjectError, match=r"shared\.mgproj\.json: training\.sharedDiscriminator must be true or false, got \"yes\""):
        read_project(str(file))
    doc["training"]["sharedDiscriminator"] = True
    file.write_text(json.dumps(doc))
    project = read_project(str(file))
    model = build_train_model(project, 16, project.datasets[0]["attributes"])
    assert model.shared_d is not None and model.shared_d.id == "D"
    assert [p.id for p in model.all] == ["E", "T_hair", "T_smile", "R", "D"]
    assert [d.id for d in model.discriminators] == ["D_T_hair", "D_T_smile"]
    views = [d.module for d in model.discriminators]
    assert all(isinstance(v, SharedJudge) for v in views)
    assert [v.slots for v in views if isinstance(v, SharedJudge)] == [[0, 1, 2], [3]]
    # A checkpoint's D.mgw beside a judged module's weights is where the shared D starts from.
    folder = tmp_path / "weights"
    folder.mkdir()
    write_weights(str(folder / "T_hair.mgw"), model.transformers[0].module.to_weights())
    write_weights(str(folder / "D.mgw"), model.shared_d.module.to_weights())
    next(n for n in doc["graph"]["nodes"] if n["id"] == "T_hair")["params"]["weights"] = "weights/T_hair.mgw"
    file.write_text(json.dumps(doc))
    project = read_project(str(file))
    again = build_train_model(project, 16, project.datasets[0]["attributes"])
    assert again.shared_d is not None and again.shared_d.module.params["weights"].endswith("weights/D.mgw")
    # A node may not take the shared D's id.
    next(n for n in doc["graph"]["nodes"] if n["id"] == "R")["id"] = "D"
    doc["graph"]["edges"] = []
    file.write_text(json.dumps(doc))
    with pytest.raises(ProjectError, match="training.sharedDiscriminator: the graph has a node 'D'"):
        project = read_project(str(file))
        build_train_model(project, 16, project.datasets[0]["attributes"])


def test_a_training_setting_it_does_not_know_is_refused_by_name(studio: Path, tmp_path: Path) -> None:
    doc = json.loads((studio / "translation" / "translation.mgproj.json").read_text())
    doc["training"]["lambdaSharpness"] = 2
    file = tmp_path / "newer.mgproj.json"
    file.write_text(json.dumps(doc))
    with pytest.raises(ProjectError, match=r"newer\.mgproj\.json: training\.lambdaSharpness is not a setting"):
        read_project(str(file))
    del doc["training"]["lambdaSharpness"]
    file.write_text(json.dumps(doc))
    assert read_project(str(file)).training is not None
