#!/usr/bin/python3
"""Writes N camera frames as a site's cameras would drop them: 640x480 JPEGs (quality 85, 4:2:0)
with EXIF carrying a GPS position, an orientation and a serial number, each frame's pixels
different. Deterministic. Encoded by libjpeg-turbo's TurboJPEG through ctypes (no Python imaging
package needed). WIDTH and HEIGHT (over 32 each) make smaller or larger frames, such as the
many small ones a memory measurement needs.

  gen_frames.py N DIR [WIDTH HEIGHT]
"""
import ctypes
import os
import struct
import sys

BLOCK = 32


def exif_segment(n):
    text = b"GPS 47.376887N 8.541694E serial SN-%06d" % n
    tiff = b"II*\x00" + struct.pack("<IH", 8, 1) + struct.pack("<HHII", 0x0112, 3, 1, 1) + struct.pack("<I", 0) + text
    return b"\xff\xe1" + struct.pack(">H", len(tiff) + 8) + b"Exif\x00\x00" + tiff


def main(n, out, width=640, height=480):
    tj = ctypes.CDLL("libturbojpeg.so.0")
    tj.tjInitCompress.restype = ctypes.c_void_p
    handle = ctypes.c_void_p(tj.tjInitCompress())
    if width <= BLOCK or height <= BLOCK:
        raise SystemExit(f"gen_frames.py: frames are larger than {BLOCK}x{BLOCK}")
    pixels = bytearray(width * height * 3)
    for y in range(height):
        row = bytes(v for x in range(width) for v in ((x * 255) // width, (x * y * 7 + x * 13) & 255, (x ^ y) & 255))
        pixels[y * width * 3:(y + 1) * width * 3] = row
    os.makedirs(out, exist_ok=True)
    buf = (ctypes.c_ubyte * len(pixels)).from_buffer(pixels)
    for i in range(n):
        # A moving block makes every frame different, as a scene does.
        x0, y0 = (i * 7) % (width - BLOCK), (i * 13) % (height - BLOCK)
        for y in range(y0, y0 + BLOCK):
            start = (y * width + x0) * 3
            pixels[start:start + 3 * BLOCK] = bytes([(i * 37) & 255] * (3 * BLOCK))
        jpeg = ctypes.POINTER(ctypes.c_ubyte)()
        size = ctypes.c_ulong(0)
        if tj.tjCompress2(handle, buf, width, 0, height, 0, ctypes.byref(jpeg), ctypes.byref(size), 2, 85, 0) != 0:
            raise SystemExit("gen_frames.py: TurboJPEG failed")
        data = ctypes.string_at(jpeg, size.value)
        tj.tjFree(jpeg)
        with open(os.path.join(out, "frame-%06d.jpg" % i), "wb") as f:
            f.write(data[:2] + exif_segment(i) + data[2:])


if __name__ == "__main__":
    if len(sys.argv) not in (3, 5):
        sys.exit(__doc__)
    main(int(sys.argv[1]), sys.argv[2], *(int(a) for a in sys.argv[3:]))
