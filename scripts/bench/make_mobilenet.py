#!/usr/bin/python3
"""Writes the image benchmark model to OUT_DIR: model.pt, model.json, golden.ndjson and golden/.

  /usr/bin/python3 scripts/bench/make_mobilenet.py OUT_DIR FRAME...

torchvision's mobilenet_v3_small (1000 classes) with seeded random weights: nothing is downloaded
and nothing is trained, only the arithmetic of a real image classifier matters. Its batch norms'
running statistics are those of the FRAMEs (one pass in training mode): left at their defaults, a
random network's outputs are about 1e-9 for every frame. Scripted to TorchScript in eval mode.

model.json takes 224x224 RGB NCHW made as torchvision's ImageNet recipe makes it: Resize(256)
(bilinear) then CenterCrop(224), ToTensor (1/255), Normalize with ImageNet's mean and std. The
FRAMEs are copied into golden/ and their outputs through that same torchvision pipeline on Pillow
images written to golden.ndjson. Pillow's bilinear resize averages the whole footprint of each
output pixel when it shrinks, OpenCV's (edgectl's) interpolates between the nearest four, and the
generated frames are full of fine texture: on them this network's logits differ by up to about
0.3 between the two (they spread over about 0.1 for one frame), so GOLDEN_ATOL is 0.5, which the
golden check passes, not a tolerance a trained model would be given. It is a benchmark model, not
an accuracy claim. Needs Debian's python3-torch, python3-torchvision and python3-pil.
"""

import json
import os
import shutil
import sys

import torch
import torchvision
from PIL import Image
from torchvision import transforms as T

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
LABELS = [f"c{j}" for j in range(1000)]
# A random network is unsure of everything: edgectl gives the generated frames a confidence of 0.0013
# to 0.0017, and about one in ten falls below this, so that score writes both kinds of insight.
ANOMALY_BELOW = 0.00134
GOLDEN_ATOL = 0.5  # see above: edgectl's resize against Pillow's on fine texture


def reference_input(path):
    """A frame as torchvision's ImageNet recipe makes it (scripts/bench/py_score_images.py does the same)."""
    transform = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
    with Image.open(path) as image:
        return transform(image.convert("RGB"))


def make_model(frames):
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v3_small(weights=None, num_classes=len(LABELS))
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average: one pass gives the frames' own statistics
    model.train()
    with torch.no_grad():
        model(frames)
    return model.eval()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, paths = sys.argv[1], sys.argv[2:]
    torch.set_num_threads(1)
    os.makedirs(os.path.join(out, "golden"), exist_ok=True)
    inputs = torch.stack([reference_input(p) for p in paths])
    model = torch.jit.script(make_model(inputs))
    model.save(os.path.join(out, "model.pt"))
    with torch.inference_mode():
        outputs = model(inputs)
    spec = {
        "schema_version": 1,
        "name": "bench-mobilenet",
        "version": "1.0.0",
        "description": "edgectl benchmark model: torchvision mobilenet_v3_small with random weights (an image "
                       "classifier's arithmetic, no accuracy).",
        "framework": "torchscript",
        "torch_version": torch.__version__,
        "created_at": "2026-12-02T00:00:00Z",
        "input": {"kind": "image", "dtype": "float32", "width": 224, "height": 224, "channels": 3,
                  "colour": "rgb", "layout": "nchw", "resize": "shorter_side", "shorter_side": 256,
                  "interpolation": "bilinear", "scale": 1 / 255, "mean": MEAN, "std": STD},
        "output": {"kind": "classification", "labels": LABELS, "activation": "softmax"},
        "anomaly": [{"rule": "confidence_below", "threshold": ANOMALY_BELOW}],
        "golden": {"atol": GOLDEN_ATOL, "rtol": 0},
    }
    with open(os.path.join(out, "model.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(spec, indent=2) + "\n")
    with open(os.path.join(out, "golden.ndjson"), "w", encoding="utf-8") as f:
        for path, y in zip(paths, outputs.tolist()):
            name = "golden/" + os.path.basename(path)
            shutil.copyfile(path, os.path.join(out, name))
            f.write(json.dumps({"image": name, "output": y}) + "\n")


if __name__ == "__main__":
    main()
