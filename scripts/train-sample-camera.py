#!/usr/bin/python3
"""Train edgectl's sample camera model and write the sample site's camera share.

What it makes (all under scripts/sample-site/):

  camera-model/model.pt       TorchScript CNN: conv 3->8 (3x3, pad 1), ReLU, max-pool 2, conv 8->16
                              (3x3, pad 1), ReLU, max-pool 2, flatten, linear 1024->10. It takes
                              ALREADY PREPROCESSED float32 frames, NCHW [N, 3, 32, 32], channels
                              R, G, B, and returns raw logits [N, 10] (no softmax).
  camera-model/model.json     the package manifest: image input (32x32 RGB, stretch, area
                              resize, 1/255 scale, the training inputs' per-channel mean/std),
                              labels digit_0..digit_9, softmax, anomaly rule "confidence_below"
                              with a threshold chosen here, the golden tolerance measured here,
                              and the drift reference: the training frames' statistics (each
                              channel's mean and deviation, brightness) and predicted labels.
  camera-model/golden.ndjson  8 acceptance vectors: a frame's path in, raw logits out.
  camera-model/golden/        those 8 frames (held-out digits): 4 PNG, 4 JPEG, 128x128.
  camera/                     the camera's share: 60 frames of held-out digits, cam-0001..cam-0060 (57 JPEG,
                              3 PNG, 128x128), plus planted defects:
                                cam-trunc.jpg      a JPEG cut off at 60% of its bytes (no EOI)
                                cam-png-named.jpg  a PNG named .jpg
                                cam-cmyk.jpg       a CMYK JPEG (Adobe, inverted)
                                cam-16bit.png      a 16-bit-per-sample RGB PNG
                                cam-gps.jpg        a JPEG whose EXIF carries a GPS position, a Make
                                                   and a BodySerialNumber (personal data to scrub)
                              All but cam-trunc.jpg are real digit frames that can be scored.
  camera-shifted/             86 more held-out digits, taken at dusk: every sample times 0.6 (JPEG),
                              a planted shift that drift must flag.
  camera-truth.csv            file,label,reference_label for every frame in camera/ that can be
                              scored: its true digit, and the label this script's reference
                              pipeline (Pillow decode, area resize, the model) gives it; kept out
                              of camera/ so that ingesting it sees frames only.

Data: scikit-learn's bundled copy of the UCI optical handwritten digits (Alpaydin and Kaynak;
1797 images of 8x8 pixels, 0..16, labels 0..9), loaded with sklearn.datasets.load_digits(); no
network needed. A stratified split keeps 25% of the digits out of training; the golden frames
and the inbox show only those. Each digit is rendered as a colour camera frame: upscaled
(bilinear) to 72..88 pixels, placed at a random offset (up to 12 pixels from the centre) on a
128x128 dark blue background with mild colour variation, shading and sensor noise, the ink
orange-red in proportion to the digit's intensity. Training and held-out frames come from the same
renderer; training frames are re-encoded as JPEG half of the time. The colours are far from gray,
so a model fed B,G,R instead of R,G,B goes badly wrong.

It is deterministic (fixed seeds, one CPU thread, deterministic algorithms, explicit JPEG
options, a fixed created_at): rerunning it rewrites byte-identical files. Rerun it from the
project root with Debian's interpreter (python3-torch, python3-sklearn, python3-pil), not a
pyenv/venv one:

    /usr/bin/python3 scripts/train-sample-camera.py
    /usr/bin/python3 scripts/train-sample-camera.py --reference   # only the drift reference and
                                                                  # camera-shifted/, for the model there

Preprocessing contract the files assume (what edgectl's scorer does, and what the reference
pipeline here does; golden outputs, accuracy and the threshold all come from it):
    a. decode to 8-bit RGB (a 16-bit PNG keeps each sample's high byte; CMYK converts to RGB);
    b. resize to 32x32 by area averaging: for a 128x128 frame each output sample is the mean of
       a 4x4 block, rounded: (sum + 8) // 16;
    c. x = uint8 * (1/255), then (x - mean[c]) / std[c] per channel, float32, NCHW, R, G, B;
    logits = model(x); p = softmax(logits); label = argmax p; confidence = max p;
    anomaly when confidence < threshold.
The scorer may decode a JPEG at half size in the DCT (64x64) before the area resize, which moves
its inputs by a few gray levels. The golden tolerance is measured here to cover that: atol is
5x the largest logit difference between the reference pipeline and scorer-like decodes (see
scorer_like_input) over the golden and inbox frames, and every golden frame is checked to move by
more than 10x atol when its channels are fed B,G,R.
"""

import csv
import io
import json
import math
import os
import re
import struct
import sys
import zlib

import numpy as np
import torch
from torch import nn
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 20261202
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SITE = os.path.join(HERE, "sample-site")
MODEL_DIR = os.path.join(SITE, "camera-model")
GOLDEN_DIR = os.path.join(MODEL_DIR, "golden")
INBOX_DIR = os.path.join(SITE, "camera")
SHIFTED_DIR = os.path.join(SITE, "camera-shifted")
TRUTH_CSV = os.path.join(SITE, "camera-truth.csv")
SCHEMA = os.path.join(ROOT, "schemas", "model.schema.json")

CREATED_AT = "2026-12-02T00:00:00Z"  # fixed, so reruns write identical files
LABELS = [f"digit_{d}" for d in range(10)]
FRAME = 128  # camera frames are FRAME x FRAME
OFFSET = 12  # a digit's centre is up to this many pixels from the frame's
SIDE = 32  # model input is SIDE x SIDE
BLOCK = FRAME // SIDE
SCALE = 1.0 / 255.0
N_INBOX = 60
N_INBOX_PNG = 3  # the rest are JPEG
RENDERS_PER_TRAIN_DIGIT = 4
EPOCHS = 15
INPUT_NOISE = 2.0  # gray levels of Gaussian noise added to each training batch's 32x32 inputs
LABEL_SMOOTHING = 0.05
JPEG_OPTIONS = {"quality": 90, "optimize": False, "progressive": False, "subsampling": 0}
# Golden frames: (label, format), one held-out digit each, named digit-<label>-a.<ext>.
GOLDEN = [(3, "png"), (7, "png"), (0, "png"), (5, "png"), (8, "jpg"), (2, "jpg"), (9, "jpg"), (4, "jpg")]
NAME_RE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(png|jpg)"
TARGET_SHARE = 0.15  # aim for ~15% (10-20%) of scoreable inbox frames flagged as low confidence

BACKGROUND = np.array([30.0, 45.0, 110.0])  # dark blue
INK = np.array([230.0, 90.0, 40.0])  # orange-red


# ---------------------------------------------------------------------------------------------
# Model

class DigitCNN(nn.Module):
    """[N, 3, 32, 32] preprocessed frames -> [N, 10] logits.

    Plain parameters rather than nn.Conv2d/nn.Linear submodules: scripting those writes their
    Final constants in Python's (hash-randomised) set order, so model.pt would differ from run to
    run."""

    def __init__(self):
        super().__init__()
        # for their default init
        c1, c2, fc = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 16, 3, padding=1), nn.Linear(16 * 8 * 8, 10)
        self.w1 = nn.Parameter(c1.weight.detach().clone())
        self.b1 = nn.Parameter(c1.bias.detach().clone())
        self.w2 = nn.Parameter(c2.weight.detach().clone())
        self.b2 = nn.Parameter(c2.bias.detach().clone())
        self.w3 = nn.Parameter(fc.weight.detach().clone())
        self.b3 = nn.Parameter(fc.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.max_pool2d(torch.relu(nn.functional.conv2d(x, self.w1, self.b1, padding=1)), 2)
        h = torch.max_pool2d(torch.relu(nn.functional.conv2d(h, self.w2, self.b2, padding=1)), 2)
        return nn.functional.linear(torch.flatten(h, 1), self.w3, self.b3)


# ---------------------------------------------------------------------------------------------
# Drift reference
#
# model.json's "reference" for an image model. Per frame, edgectl score computes from the model's
# input, before it is normalised (each sample times the scale, here 0..1): each channel's mean and
# standard deviation over the frame's pixels, and its brightness, the mean of the channel means.
# The reference holds the quartile bins of each over the training frames, and the shares of the
# labels the model predicts on them. The thresholds are the smallest (in steps of 0.05) that flag
# at most 0.5% each of REFERENCE_WINDOWS windows of held-out frames drawn as the camera's are; the
# same windows darkened as at dusk (DUSK) measure detection.
REFERENCE_WINDOW = 50
REFERENCE_QUANTILES = (0.25, 0.5, 0.75)
REFERENCE_WINDOWS = 2000
STATISTICS = ["mean_r", "mean_g", "mean_b", "std_r", "std_g", "std_b", "brightness"]
DUSK = 0.6  # every sample times this: the light the shifted batch was taken in
N_SHIFTED = 86  # frames in camera-shifted/: with the camera/ share's 64 scoreable frames, three full windows


def frame_statistics(u8):
    """(N, 32, 32, 3) uint8 model inputs -> (N, 7): the STATISTICS of each, as edgectl computes them."""
    x = u8.astype(np.float64) * SCALE
    means, stds = x.mean(axis=(1, 2)), x.std(axis=(1, 2))
    return np.concatenate([means, stds, means.mean(axis=1, keepdims=True)], axis=1)


def reference_bins(values, shares):
    edges = []
    for q in np.quantile(values, REFERENCE_QUANTILES):
        edge = round(float(q), 6)
        if not edges or edge > edges[-1]:
            edges.append(edge)
    counts = np.bincount(np.searchsorted(np.asarray(edges), values, side="right"), minlength=len(edges) + 1)
    return {"edges": edges, "fractions": shares(counts)}


def drift_reference(model, train_u8, held_u8, mean, std):
    """model.json's "reference", and the false-alarm and detection rates of its thresholds."""
    drift = load_script("drift_false_alarms", "drift-false-alarms.py")
    shares = load_script("train_sample_model", "train-sample-model.py").shares  # as the records' reference
    stats = frame_statistics(train_u8)
    predicted = logits_of(model, train_u8, mean, std).argmax(1)
    features = {name: reference_bins(stats[:, j], shares) for j, name in enumerate(STATISTICS)}
    labels = dict(zip(LABELS, shares(np.bincount(predicted, minlength=len(LABELS)))))
    ref = {"window": REFERENCE_WINDOW, "thresholds": {}, "features": features, "predictions": {"labels": labels}}

    def indices(u8, picks):
        s, p = frame_statistics(u8), logits_of(model, u8, mean, std).argmax(1)
        out = []
        for pick in picks:
            psi, js = drift.window_indices(ref, STATISTICS, LABELS, s[pick], p[pick])
            out.append((max(psi), js))
        return np.array(out)

    rng = np.random.RandomState(SEED + 6)
    picks = [rng.randint(0, len(held_u8), REFERENCE_WINDOW) for _ in range(REFERENCE_WINDOWS)]
    fresh = indices(held_u8, picks)
    dusk = indices(np.round(held_u8.astype(np.float64) * DUSK).astype(np.uint8), picks)
    grid = np.round(np.arange(0.05, 2.0, 0.05), 2)
    psi_t = float(next(t for t in grid if np.mean(fresh[:, 0] > t) <= 0.005))
    js_t = float(next(t for t in grid if np.mean(fresh[:, 1] > t) <= 0.005))
    ref["thresholds"] = {"psi": psi_t, "js": js_t}
    flagged = lambda w: float(np.mean((w[:, 0] > psi_t) | (w[:, 1] > js_t)))
    return ref, flagged(fresh), flagged(dusk)


def load_script(name, file):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shifted_frames(rng, digits):
    """camera-shifted/: held-out digits rendered as the camera's frames, darkened by DUSK, JPEG."""
    out = []
    for n, digit in enumerate(digits):
        rgb = np.round(render(rng, digit).astype(np.float64) * DUSK).astype(np.uint8)
        out.append((f"cam-dusk-{n + 1:04d}.jpg", jpeg_bytes(rgb)))
    return out


# ---------------------------------------------------------------------------------------------
# Rendering: a digit as a colour camera frame

def render(rng, digit):
    """One FRAME x FRAME x 3 uint8 frame of an 8x8 digit (values 0..16): random size, offset,
    colours and noise. Used alike for training frames and for held-out ones."""
    size = int(rng.randint(72, 89))
    ink = np.asarray(Image.fromarray((digit / 16.0).astype(np.float32), "F")
                     .resize((size, size), Image.BILINEAR), dtype=np.float64)
    alpha = np.zeros((FRAME, FRAME))
    x0, y0 = ((FRAME - size) // 2 + int(v) for v in rng.randint(-OFFSET, OFFSET + 1, 2))
    alpha[y0:y0 + size, x0:x0 + size] = np.clip(ink, 0.0, 1.0) * rng.uniform(0.8, 1.0)
    # background with a mild left-to-right shading, as uneven light gives
    bg = BACKGROUND + rng.uniform(-12.0, 12.0, 3)
    shade = 1.0 + rng.uniform(-0.08, 0.08) * np.linspace(-1.0, 1.0, FRAME)
    bg_img = bg[None, None, :] * shade[None, :, None]
    ink_rgb = INK + rng.uniform(-20.0, 20.0, 3)
    a = alpha[:, :, None]
    img = bg_img * (1.0 - a) + ink_rgb[None, None, :] * a
    img += rng.normal(0.0, rng.uniform(0.3, 0.7), img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def jpeg_bytes(rgb, mode="RGB"):
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").convert(mode).save(buf, "JPEG", **JPEG_OPTIONS)
    return buf.getvalue()


def png_bytes(rgb):
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "PNG", optimize=False, compress_level=9)
    return buf.getvalue()


def decode(data):
    """Step a: any frame file's bytes -> 8-bit RGB (H, W, 3). Pillow's 16-bit RGB PNG reader keeps
    each sample's high byte, as the scorer does."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.uint8)


# ---------------------------------------------------------------------------------------------
# Reference pipeline (the contract) and variants for the tolerance experiment

def area_mean(u8, k, half_even=False):
    """Mean of each k x k block of (H, W, 3) or (N, H, W, 3) uint8, rounded to uint8: half up
    ((sum + k*k/2) // (k*k), the contract), or half to even."""
    *lead, h, w, c = u8.shape
    s = u8.reshape(*lead, h // k, k, w // k, k, c).astype(np.int64).sum(axis=(-4, -2))
    if half_even:
        return np.round(s / (k * k)).astype(np.uint8)
    return ((s + k * k // 2) // (k * k)).astype(np.uint8)


def normalise(u8, mean, std, bgr=False):
    """Step c: (N, 32, 32, 3) uint8 -> float32 NCHW, channels R,G,B (or B,G,R to mimic a wrongly
    built package)."""
    x = u8[..., ::-1] if bgr else u8
    x = x.astype(np.float32) * np.float32(SCALE)
    x = (x - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def reference_input(data):
    """Steps a and b on one frame file: 32x32x3 uint8."""
    rgb = decode(data)
    assert rgb.shape == (FRAME, FRAME, 3), rgb.shape
    return area_mean(rgb, BLOCK)


def scorer_like_input(data, variant):
    """What a scorer that decodes JPEGs at half size might see instead of reference_input:
      "dct_half":  libjpeg's half-size DCT decode (Pillow's draft mode), then 2x2 means rounded
                   half up; CMYK turned into RGB as (255 - c) * (255 - k) // 255;
      "two_step":  full decode, 2x2 means rounded, then 2x2 means rounded again;
      "half_even": full decode, 4x4 means rounded half to even (as an area resize that divides
                   in floating point and rounds to nearest even would)."""
    if variant == "dct_half":
        im = Image.open(io.BytesIO(data))
        if im.format == "JPEG":
            im.draft(im.mode, (FRAME // 2, FRAME // 2))
            assert im.size == (FRAME // 2, FRAME // 2), im.size
            if im.mode == "CMYK":
                v = np.asarray(im, dtype=np.int64)
                rgb = ((255 - v[..., :3]) * (255 - v[..., 3:]) // 255).astype(np.uint8)
            else:
                rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
            return area_mean(rgb, 2)
        return area_mean(decode(data), BLOCK)
    rgb = decode(data)
    if variant == "two_step":
        return area_mean(area_mean(rgb, 2), 2)
    assert variant == "half_even"
    return area_mean(rgb, BLOCK, half_even=True)


def logits_of(model, u8, mean, std, bgr=False):
    with torch.no_grad():
        return model(torch.from_numpy(normalise(u8, mean, std, bgr))).numpy()


def softmax_confidence(logits):
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return p.argmax(axis=1), p.max(axis=1)


# ---------------------------------------------------------------------------------------------
# Training

def training_inputs(rng, x_train, y_train):
    """RENDERS_PER_TRAIN_DIGIT frames of each training digit, half of them through a JPEG round
    trip, resized by the contract: (N, 32, 32, 3) uint8 and labels."""
    frames, labels = [], []
    for _ in range(RENDERS_PER_TRAIN_DIGIT):
        for digit, label in zip(x_train, y_train):
            rgb = render(rng, digit)
            if rng.rand() < 0.5:
                rgb = decode(jpeg_bytes(rgb))
            frames.append(area_mean(rgb, BLOCK))
            labels.append(label)
    return np.stack(frames), np.array(labels, dtype=np.int64)


def train(x, y, std):
    """Adam on minibatches; each batch gets fresh Gaussian noise of INPUT_NOISE gray levels, so the
    model does not hang on single gray levels (decoders differ by that much), and mild label
    smoothing, which keeps the logits moderate."""
    torch.manual_seed(SEED)
    model = DigitCNN()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=LABEL_SMOOTHING)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    noise = torch.tensor([INPUT_NOISE * SCALE / s for s in std], dtype=torch.float32).view(1, 3, 1, 1)
    gen = torch.Generator().manual_seed(SEED)
    model.train()
    loss = torch.tensor(0.0)
    for _ in range(EPOCHS):
        order = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(order), 64):
            idx = order[i:i + 64]
            xb = xt[idx] + noise * torch.randn(xt[idx].shape, generator=gen)
            opt.zero_grad()
            loss = loss_fn(model(xb), yt[idx])
            loss.backward()
            opt.step()
    model.eval()
    return model, float(loss)


# ---------------------------------------------------------------------------------------------
# Frame files with defects: a 16-bit PNG writer and an EXIF block with a GPS position

def png16_bytes(rgb):
    """A 16-bit-per-sample RGB PNG (colour type 2, bit depth 16) of an 8-bit frame, each sample v
    stored as v * 257, big-endian. Every row has filter 1 (Sub: each byte minus the byte one
    pixel, 6 bytes, to its left), which compresses better than none."""
    h, w, _ = rgb.shape
    rows = np.frombuffer((rgb.astype(">u2") * 257).tobytes(), dtype=np.uint8).reshape(h, w * 6).astype(np.int16)
    rows[:, 6:] = (rows[:, 6:] - rows[:, :-6]) % 256
    filtered = np.hstack([np.ones((h, 1), dtype=np.int16), rows]).astype(np.uint8)
    raw = filtered.tobytes()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


TIFF_TYPES = {"BYTE": (1, 1), "ASCII": (2, 1), "SHORT": (3, 2), "LONG": (4, 4), "RATIONAL": (5, 8),
              "UNDEFINED": (7, 1)}


def tiff_value(kind, values):
    """(type code, count, little-endian value bytes) of one TIFF field."""
    code, _ = TIFF_TYPES[kind]
    if kind == "ASCII":
        data = values.encode("ascii") + b"\x00"
        return code, len(data), data
    if kind in ("BYTE", "UNDEFINED"):
        return code, len(values), bytes(values)
    if kind == "SHORT":
        return code, len(values), struct.pack(f"<{len(values)}H", *values)
    if kind == "LONG":
        return code, len(values), struct.pack(f"<{len(values)}I", *values)
    assert kind == "RATIONAL"
    return code, len(values), b"".join(struct.pack("<II", n, d) for n, d in values)


def tiff_ifd(fields, at):
    """One little-endian IFD placed at offset `at` of the TIFF block, followed by the values that
    do not fit in an entry: fields is [(tag, kind, values)]; next-IFD offset 0."""
    fields = sorted(fields)
    entries, extra = [], b""
    extra_at = at + 2 + 12 * len(fields) + 4
    for tag, kind, values in fields:
        code, count, data = tiff_value(kind, values)
        if len(data) <= 4:
            entries.append(struct.pack("<HHI", tag, code, count) + data.ljust(4, b"\x00"))
        else:
            entries.append(struct.pack("<HHII", tag, code, count, extra_at + len(extra)))
            extra += data + b"\x00" * (len(data) % 2)  # keep offsets even
    return struct.pack("<H", len(fields)) + b"".join(entries) + struct.pack("<I", 0) + extra


def exif_app1(make, serial, lat, lat_ref, lon, lon_ref):
    """An APP1 segment "Exif\\0\\0" + TIFF: IFD0 (Make, Exif and GPS pointers), the Exif IFD
    (ExifVersion, BodySerialNumber) and the GPS IFD (version, latitude, longitude)."""
    exif_fields = [(0x9000, "UNDEFINED", b"0232"), (0xA431, "ASCII", serial)]
    gps_fields = [(0x0000, "BYTE", [2, 3, 0, 0]), (0x0001, "ASCII", lat_ref), (0x0002, "RATIONAL", lat),
                  (0x0003, "ASCII", lon_ref), (0x0004, "RATIONAL", lon)]

    def ifd0(exif_at, gps_at):
        return tiff_ifd([(0x010F, "ASCII", make), (0x8769, "LONG", [exif_at]), (0x8825, "LONG", [gps_at])], 8)

    size0 = len(ifd0(0, 0))
    exif_at = 8 + size0
    exif = tiff_ifd(exif_fields, exif_at)
    gps_at = exif_at + len(exif)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd0(exif_at, gps_at) + exif + tiff_ifd(gps_fields, gps_at)
    body = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def with_app1(jpeg, segment):
    assert jpeg[:2] == b"\xff\xd8"
    return jpeg[:2] + segment + jpeg[2:]


def check_gps_frame(data):
    exif = Image.open(io.BytesIO(data)).getexif()
    gps = exif.get_ifd(0x8825)
    sub = exif.get_ifd(0x8769)
    assert exif[0x010F] == "EdgeCam", exif
    assert sub[0xA431] == "SN-5541-GPS-TEST", sub
    assert gps[1] == "N" and [float(v) for v in gps[2]] == [59.0, 19.0, 46.6], gps
    assert gps[3] == "E" and [float(v) for v in gps[4]] == [18.0, 4.0, 6.2], gps


# ---------------------------------------------------------------------------------------------
# model.json check (a hand-written subset of schemas/model.schema.json; no jsonschema package)

def check_spec(spec, schema):
    def fail(msg):
        raise SystemExit(f"train-sample-camera: model.json does not match the schema: {msg}: {spec}")

    def keys_ok(obj, sch, where):
        if not isinstance(obj, dict):
            fail(f"{where} is not an object")
        for k in sch.get("required", []):
            if k not in obj:
                fail(f"{where} misses required key {k!r}")
        if sch.get("additionalProperties") is False:
            extra = set(obj) - set(sch["properties"])
            if extra:
                fail(f"{where} has keys the schema does not allow: {sorted(extra)}")

    props = schema["properties"]
    keys_ok(spec, schema, "model.json")
    if spec["schema_version"] != props["schema_version"]["const"] or spec["framework"] != props["framework"]["const"]:
        fail("schema_version or framework")
    if not re.fullmatch(props["name"]["pattern"], spec["name"]):
        fail("name pattern")
    if not re.fullmatch(props["version"]["pattern"], spec["version"]):
        fail("version pattern")

    inp = spec["input"]
    isch = schema.get("definitions", {}).get("image_input")
    if isch is None:
        fail("the schema has no image input")
    keys_ok(inp, isch, "input")
    ip = isch["properties"]
    if inp["kind"] != ip["kind"]["const"] or inp["dtype"] != ip["dtype"]["const"]:
        fail("input kind/dtype")
    for k, v in inp.items():
        if "enum" in ip[k] and v not in ip[k]["enum"]:
            fail(f"input.{k} is {v!r}, not one of {ip[k]['enum']}")
    if inp["channels"] != 3 or inp["colour"] not in ("rgb", "bgr"):
        fail("input.channels/colour")
    for k in ("mean", "std"):
        if len(inp[k]) != inp["channels"] or not all(isinstance(v, float) and math.isfinite(v) for v in inp[k]):
            fail(f"input.{k} must be {inp['channels']} finite numbers")
    if not all(v > 0 for v in inp["std"]) or not inp["scale"] > 0:
        fail("input.std and input.scale must be > 0")

    out, osch = spec["output"], props["output"]
    keys_ok(out, osch, "output")
    if out["kind"] != "classification" or len(out["labels"]) != 10 or len(set(out["labels"])) != 10:
        fail("output.kind/labels")
    if out["activation"] not in osch["properties"]["activation"]["enum"]:
        fail("output.activation")
    asch = props["anomaly"]["items"]
    for i, rule in enumerate(spec["anomaly"]):
        keys_ok(rule, asch, f"anomaly[{i}]")
        if rule["rule"] not in asch["properties"]["rule"]["enum"] or not isinstance(rule.get("threshold"), float):
            fail(f"anomaly[{i}]")
    keys_ok(spec["golden"], props["golden"], "golden")
    for k in ("atol", "rtol"):
        if not 0 <= spec["golden"][k] <= 1:
            fail(f"golden.{k}")


# ---------------------------------------------------------------------------------------------

def ceil2(v):
    """v rounded up to two significant digits."""
    step = 10.0 ** (math.floor(math.log10(v)) - 1)
    return float(f"{math.ceil(v / step - 1e-9) * step:.12g}")


def choose_threshold(conf, conf_alt, margin):
    """Round threshold (2 decimals, else 3) whose flagged share is closest to TARGET_SHARE, within
    10-20%, flagging the same frames under both pipelines and at least `margin` away from every
    confidence of either, so small decoding differences cannot flip a frame; of equals, the one
    farthest from every confidence."""
    both = np.concatenate([conf, conf_alt])
    for decimals in (2, 3):
        best = None
        for k in range(5 * 10 ** (decimals - 1), 10 ** decimals):
            t = round(k / 10 ** decimals, decimals)
            share = float(np.mean(conf < t))
            gap = float(np.min(np.abs(both - t)))
            if not 0.10 <= share <= 0.20 or np.any((conf < t) != (conf_alt < t)) or gap < margin:
                continue
            key = (abs(share - TARGET_SHARE), -gap)
            if best is None or key < best[0]:
                best = (key, t, share)
        if best is not None:
            return best[1], best[2]
    raise SystemExit("train-sample-camera: no threshold flags 10-20% of the scoreable inbox frames")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def write_reference(spec, model, train_u8, held_u8, x_held):
    """Adds the drift reference to spec, writes model.json, and the shifted batch camera-shifted/."""
    mean, std = spec["input"]["mean"], spec["input"]["std"]
    spec["reference"], false_alarms, detected = drift_reference(model, train_u8, held_u8, mean, std)
    with open(SCHEMA, encoding="utf-8") as f:
        check_spec(spec, json.load(f))
    with open(os.path.join(MODEL_DIR, "model.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")
    os.makedirs(SHIFTED_DIR, exist_ok=True)
    for name in sorted(os.listdir(SHIFTED_DIR)):
        os.remove(os.path.join(SHIFTED_DIR, name))
    for name, data in shifted_frames(np.random.RandomState(SEED + 5), x_held[-N_SHIFTED:]):
        write(os.path.join(SHIFTED_DIR, name), data)
    t = spec["reference"]["thresholds"]
    print(f"drift reference: windows of {REFERENCE_WINDOW} frames, PSI {t['psi']}, JS {t['js']}: "
          f"{false_alarms:.2%} of {REFERENCE_WINDOWS} windows of held-out frames flagged, "
          f"{detected:.2%} of the same at dusk (x{DUSK})")


def reference_only():
    """--reference: the drift reference and camera-shifted/ for the model.pt and model.json there,
    without training again."""
    torch.set_num_threads(1)
    digits = load_digits()
    x_all, y_all = digits.images.astype(np.float64), digits.target
    x_train, x_held, y_train, y_held = train_test_split(
        x_all, y_all, test_size=0.25, stratify=y_all, random_state=SEED % (2**31))
    perm = np.random.RandomState(SEED).permutation(len(x_held))
    x_held = x_held[perm]
    train_u8, _ = training_inputs(np.random.RandomState(SEED + 1), x_train, y_train)
    rng = np.random.RandomState(SEED + 2)
    held_u8 = np.stack([reference_input(jpeg_bytes(render(rng, d))) for d in x_held])
    with open(os.path.join(MODEL_DIR, "model.json"), encoding="utf-8") as f:
        spec = json.load(f)
    write_reference(spec, torch.jit.load(os.path.join(MODEL_DIR, "model.pt")), train_u8, held_u8, x_held)
    return 0


def main():
    if sys.argv[1:] == ["--reference"]:
        return reference_only()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for d in (MODEL_DIR, GOLDEN_DIR, INBOX_DIR):
        os.makedirs(d, exist_ok=True)
    for d in (GOLDEN_DIR, INBOX_DIR):  # wholly this script's: no frame of an earlier run stays
        for name in sorted(os.listdir(d)):
            os.remove(os.path.join(d, name))

    # 1. data and split
    digits = load_digits()
    x_all, y_all = digits.images.astype(np.float64), digits.target
    x_train, x_held, y_train, y_held = train_test_split(
        x_all, y_all, test_size=0.25, stratify=y_all, random_state=SEED % (2**31))
    perm = np.random.RandomState(SEED).permutation(len(x_held))
    x_held, y_held = x_held[perm], y_held[perm]

    # 2. training frames, their statistics, training
    train_u8, train_y = training_inputs(np.random.RandomState(SEED + 1), x_train, y_train)
    scaled = train_u8.astype(np.float64) * SCALE
    mean = [round(float(v), 4) for v in scaled.mean(axis=(0, 1, 2))]
    std = [round(float(v), 4) for v in scaled.std(axis=(0, 1, 2))]
    model, loss = train(normalise(train_u8, mean, std), train_y, std)
    scripted = torch.jit.script(model.eval())
    model_pt = os.path.join(MODEL_DIR, "model.pt")
    scripted.save(model_pt)
    acc_train = float(np.mean(logits_of(scripted, train_u8, mean, std).argmax(1) == train_y))
    print(f"split: {len(x_train)} train digits ({len(train_u8)} training frames), {len(x_held)} held-out digits; "
          f"final train loss {loss:.4f}, train accuracy {acc_train:.4f}")
    print(f"input statistics (after 1/255): mean {mean}, std {std}")

    # Every held-out digit as a JPEG frame, in memory: a larger accuracy sample than the inbox.
    rng = np.random.RandomState(SEED + 2)
    held_u8 = np.stack([reference_input(jpeg_bytes(render(rng, d))) for d in x_held])
    acc_held = float(np.mean(logits_of(scripted, held_u8, mean, std).argmax(1) == y_held))
    print(f"held-out accuracy, all {len(x_held)} held-out digits as JPEG frames in memory: {acc_held:.4f}")

    # 3. golden frames: the first held-out digit of each GOLDEN label that the model gets right,
    # rendered anew; the inbox uses held-out digits after those.
    rng = np.random.RandomState(SEED + 3)
    golden, used = [], set()
    for label, ext in GOLDEN:
        for i in range(len(x_held)):
            if i in used or y_held[i] != label:
                continue
            rgb = render(rng, x_held[i])
            data = png_bytes(rgb) if ext == "png" else jpeg_bytes(rgb)
            if logits_of(scripted, reference_input(data)[None], mean, std).argmax() == label:
                used.add(i)
                name = f"digit-{label}-a.{ext}"
                assert re.fullmatch(NAME_RE, name)
                golden.append((name, data))
                break
        else:
            raise SystemExit(f"train-sample-camera: no held-out digit {label} for a golden frame")
    for name, data in golden:
        write(os.path.join(GOLDEN_DIR, name), data)

    # 4. inbox: N_INBOX frames, then the defects
    rng = np.random.RandomState(SEED + 4)
    pool = [i for i in range(len(x_held)) if i not in used]
    png_at = set(int(i) for i in rng.choice(N_INBOX, N_INBOX_PNG, replace=False))
    inbox, truth = [], {}  # inbox: (name, bytes) of every scoreable frame
    for n in range(N_INBOX):
        i = pool[n]
        rgb = render(rng, x_held[i])
        name = f"cam-{n + 1:04d}.{'png' if n in png_at else 'jpg'}"
        inbox.append((name, png_bytes(rgb) if n in png_at else jpeg_bytes(rgb)))
        truth[name] = LABELS[y_held[i]]
    defect = iter(pool[N_INBOX:])

    i = next(defect)  # cut off at 60% of its bytes: no end marker; not scoreable
    data = jpeg_bytes(render(rng, x_held[i]))
    trunc = data[:len(data) * 6 // 10]
    assert b"\xff\xd9" not in trunc[-2:]
    write(os.path.join(INBOX_DIR, "cam-trunc.jpg"), trunc)

    i = next(defect)  # a PNG named .jpg
    inbox.append(("cam-png-named.jpg", png_bytes(render(rng, x_held[i]))))
    truth["cam-png-named.jpg"] = LABELS[y_held[i]]

    i = next(defect)  # a CMYK JPEG (Pillow writes Adobe-inverted CMYK)
    data = jpeg_bytes(render(rng, x_held[i]), mode="CMYK")
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    inbox.append(("cam-cmyk.jpg", data))
    truth["cam-cmyk.jpg"] = LABELS[y_held[i]]

    i = next(defect)  # 16 bits per sample
    rgb = render(rng, x_held[i])
    data = png16_bytes(rgb)
    assert np.array_equal(decode(data), rgb)
    inbox.append(("cam-16bit.png", data))
    truth["cam-16bit.png"] = LABELS[y_held[i]]

    i = next(defect)  # EXIF with a GPS position, a make and a serial number
    app1 = exif_app1("EdgeCam", "SN-5541-GPS-TEST", [(59, 1), (19, 1), (466, 10)], "N",
                     [(18, 1), (4, 1), (62, 10)], "E")
    data = with_app1(jpeg_bytes(render(rng, x_held[i])), app1)
    check_gps_frame(data)
    inbox.append(("cam-gps.jpg", data))
    truth["cam-gps.jpg"] = LABELS[y_held[i]]

    for name, data in inbox:
        assert re.fullmatch(NAME_RE, name)
        write(os.path.join(INBOX_DIR, name), data)

    # 5. scoring the inbox through the reference pipeline; its labels go beside the true ones, so
    # that a test can hold edgectl's to them frame by frame
    inbox_u8 = np.stack([reference_input(data) for _, data in inbox])
    inbox_y = np.array([LABELS.index(truth[name]) for name, _ in inbox])
    pred, conf = softmax_confidence(logits_of(scripted, inbox_u8, mean, std))
    n_correct = int(np.sum(pred == inbox_y))
    reference = {name: LABELS[p] for (name, _), p in zip(inbox, pred)}
    with open(TRUTH_CSV, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "label", "reference_label"])
        for name in sorted(truth):
            w.writerow([name, truth[name], reference[name]])

    # 6. tolerance experiment: reference logits against those of scorer-like decodes
    frames = golden + inbox
    ref = logits_of(scripted, np.stack([reference_input(d) for _, d in frames]), mean, std)
    diffs = {}
    for variant in ("dct_half", "two_step", "half_even"):
        alt = logits_of(scripted, np.stack([scorer_like_input(d, variant) for _, d in frames]), mean, std)
        diffs[variant] = np.abs(alt - ref).max(axis=1)
    worst = max(float(d.max()) for d in diffs.values())
    atol = max(0.01, ceil2(5 * worst))
    gold_ref = ref[:len(golden)]
    gold_u8 = np.stack([reference_input(d) for _, d in golden])
    bgr_diff = np.abs(logits_of(scripted, gold_u8, mean, std, bgr=True) - gold_ref).max(axis=1)
    for variant, d in diffs.items():
        print(f"tolerance experiment: max |logit difference| {variant}: {d.max():.5f} "
              f"(golden {d[:len(golden)].max():.5f})")
    print(f"golden: {len(golden)} frames; atol {atol} (5 x {worst:.5f}, at least 0.01), rtol 0")
    print(f"channel swap (B,G,R): max |logit difference| per golden frame, min over frames {bgr_diff.min():.3f} "
          f"(must be > 10 x atol = {10 * atol:g} for every frame): "
          + ", ".join(f"{name} {d:.2f}" for (name, _), d in zip(golden, bgr_diff)))
    for (name, _), d in zip(golden, bgr_diff):
        assert d > 10 * atol, f"channel swap moves {name}'s logits by only {d:.4f} (atol {atol})"

    # 7. anomaly threshold, stable under the scorer-like decode
    alt_inbox = logits_of(scripted, np.stack([scorer_like_input(d, "dct_half") for _, d in inbox]), mean, std)
    _, conf_alt = softmax_confidence(alt_inbox)
    threshold, share = choose_threshold(conf, conf_alt, margin=0.002)

    # 8. model.json and golden.ndjson
    spec = {
        "schema_version": 1,
        "name": "digit-camera",
        "version": "1.0.0",
        "description": ("Sample camera model for edgectl: reads a handwritten digit (0-9) in a "
                        "colour camera frame (orange-red ink on a dark blue background). Digits "
                        "from the UCI optical handwritten digits data (Alpaydin and Kaynak, as "
                        "bundled with scikit-learn) rendered as 128x128 frames. Small CNN on 32x32 "
                        "RGB; outputs logits. Trained by scripts/train-sample-camera.py."),
        "framework": "torchscript",
        "torch_version": torch.__version__.split("+")[0],
        "created_at": CREATED_AT,
        "input": {
            "kind": "image", "dtype": "float32",
            "width": SIDE, "height": SIDE, "channels": 3,
            "colour": "rgb", "layout": "nchw", "resize": "stretch", "interpolation": "area",
            "scale": SCALE, "mean": mean, "std": std,
            "orientation": True, "alpha": "drop", "grayscale": "convert", "cmyk": "convert",
            "sixteen_bit": "convert",
            "sources": ["*camera*"],
        },
        "output": {"kind": "classification", "labels": LABELS, "activation": "softmax"},
        "anomaly": [{"rule": "confidence_below", "threshold": threshold}],
        "golden": {"atol": atol, "rtol": 0},
    }
    write_reference(spec, scripted, train_u8, held_u8, x_held)
    with open(os.path.join(MODEL_DIR, "golden.ndjson"), "w", encoding="utf-8", newline="\n") as f:
        for (name, _), out in zip(golden, gold_ref):
            f.write(json.dumps({"image": f"golden/{name}", "output": [float(v) for v in out]}) + "\n")

    # 9. summary
    n_flag = int(np.sum(conf < threshold))
    sizes = sum(os.path.getsize(os.path.join(dp, fn)) for top in (MODEL_DIR, INBOX_DIR)
                for dp, _, fns in os.walk(top) for fn in fns) + os.path.getsize(TRUTH_CSV)
    print(f"model: {model_pt} ({os.path.getsize(model_pt)} bytes), torch {spec['torch_version']}")
    print(f"inbox accuracy (reference pipeline, {N_INBOX} frames + {len(inbox) - N_INBOX} scoreable defect frames): "
          f"{n_correct}/{len(inbox)} = {n_correct / len(inbox):.4f}")
    wrong = [f"{name} ({truth[name]} read as {LABELS[p]}, {c:.3f})"
             for (name, _), p, y, c in zip(inbox, pred, inbox_y, conf) if p != y]
    print(f"  misread: {', '.join(wrong) if wrong else 'none'}")
    print(f"anomaly rule: confidence_below {threshold}: {n_flag} of {len(conf)} scoreable inbox frames flagged "
          f"({share:.1%}); min confidence {conf.min():.4f}, median {np.median(conf):.4f}")
    print(f"generated files: {sizes} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
