#!/usr/bin/python3
"""Writes N camera frames as a site's cameras would drop them: 640x480 JPEGs (quality 85, 4:2:0)
with EXIF carrying a GPS position, an orientation and a serial number, each frame's pixels
different. Deterministic. Encoded by libjpeg-turbo's TurboJPEG through ctypes (no Python imaging
package needed).

  gen_frames.py N DIR
"""
import ctypes
import os
import struct
import sys

WIDTH, HEIGHT = 640, 480


def exif_segment(n):
    text = b"GPS 47.376887N 8.541694E serial SN-%06d" % n
    tiff = b"II*\x00" + struct.pack("<IH", 8, 1) + struct.pack("<HHII", 0x0112, 3, 1, 1) + struct.pack("<I", 0) + text
    return b"\xff\xe1" + struct.pack(">H", len(tiff) + 8) + b"Exif\x00\x00" + tiff


def main(n, out):
    tj = ctypes.CDLL("libturbojpeg.so.0")
    tj.tjInitCompress.restype = ctypes.c_void_p
    handle = ctypes.c_void_p(tj.tjInitCompress())
    pixels = bytearray(WIDTH * HEIGHT * 3)
    for y in range(HEIGHT):
        row = bytes(v for x in range(WIDTH) for v in ((x * 255) // WIDTH, (x * y * 7 + x * 13) & 255, (x ^ y) & 255))
        pixels[y * WIDTH * 3:(y + 1) * WIDTH * 3] = row
    os.makedirs(out, exist_ok=True)
    buf = (ctypes.c_ubyte * len(pixels)).from_buffer(pixels)
    for i in range(n):
        # A moving block makes every frame different, as a scene does.
        x0, y0 = (i * 7) % (WIDTH - 32), (i * 13) % (HEIGHT - 32)
        for y in range(y0, y0 + 32):
            start = (y * WIDTH + x0) * 3
            pixels[start:start + 96] = bytes([(i * 37) & 255] * 96)
        jpeg = ctypes.POINTER(ctypes.c_ubyte)()
        size = ctypes.c_ulong(0)
        if tj.tjCompress2(handle, buf, WIDTH, 0, HEIGHT, 0, ctypes.byref(jpeg), ctypes.byref(size), 2, 85, 0) != 0:
            raise SystemExit("gen_frames.py: TurboJPEG failed")
        data = ctypes.string_at(jpeg, size.value)
        tj.tjFree(jpeg)
        with open(os.path.join(out, "frame-%06d.jpg" % i), "wb") as f:
            f.write(data[:2] + exif_segment(i) + data[2:])


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
