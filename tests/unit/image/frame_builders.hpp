#pragma once
// Camera frames built byte by byte for the tests: JPEG segment structures and PNG chunks (with real
// CRCs), with the metadata a phone or camera writes. Their compressed data is not real: the
// structure is what image/scrub and ingest look at.

#include "image/scrub.hpp"

#include <cstdint>
#include <string>

namespace edgectl::test::frames {

inline std::string be16(unsigned v) { return {char(v >> 8), char(v & 0xFF)}; }
inline std::string be32(std::uint32_t v) { return be16(v >> 16) + be16(v & 0xFFFF); }
inline std::string le16(unsigned v) { return {char(v & 0xFF), char(v >> 8)}; }
inline std::string le32(std::uint32_t v) { return le16(v & 0xFFFF) + le16(v >> 16); }

// A JPEG segment: marker, length, body.
inline std::string segment(unsigned marker, const std::string& body) {
    return std::string("\xFF") + char(marker) + be16(unsigned(body.size()) + 2) + body;
}

// EXIF (TIFF) with an orientation and a GPS directory holding a position's text.
inline std::string exif_tiff(int orientation, bool little) {
    auto u16 = little ? le16 : be16;
    auto u32 = little ? le32 : be32;
    std::string t = little ? std::string("II*\0", 4) : std::string("MM\0*", 4);
    t += u32(8) + u16(2);
    t += u16(0x0112) + u16(3) + u32(1) + u16(unsigned(orientation)) + u16(0);  // orientation, one SHORT
    t += u16(0x8825) + u16(4) + u32(1) + u32(38);                              // the GPS directory
    t += u32(0);
    t += "GPS 47.376887N 8.541694E";
    return t;
}

inline const std::string jfif = segment(0xE0, std::string("JFIF\0\x01\x02\0\0\x01\0\x01\0\0", 14));
inline const std::string icc = segment(0xE2, std::string("ICC_PROFILE\0\x01\x01profile", 21));
inline const std::string adobe = segment(0xEE, std::string("Adobe\0\x64\0\0\0\0\x01", 12));
inline const std::string exif_be = segment(0xE1, std::string("Exif\0\0", 6) + exif_tiff(6, false));
inline const std::string xmp =
    segment(0xE1, std::string("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPS</x:xmpmeta>", 55));
inline const std::string iptc = segment(0xED, "Photoshop 3.0 8BIM by-line: A. Person");
inline const std::string comment = segment(0xFE, "camera serial SN-8841-ZX");
inline const std::string vendor = segment(0xEF, "vendor data");
inline const std::string dqt = segment(0xDB, std::string(65, '\x01'));
inline const std::string dht = segment(0xC4, std::string(29, '\x02'));
inline const std::string sos = segment(0xDA, std::string("\x03\x01\x00\x02\x11\x03\x11\x00\x3F\x00", 10));
// Entropy-coded data with a stuffed 0xFF00 and a restart marker, which do not end it.
inline const std::string scan = std::string("\x12\x34\xFF\x00\x56\xFF\xD0\x78\x9A", 9);

inline std::string sof(unsigned marker, unsigned width, unsigned height, int components = 3) {
    std::string body = "\x08" + be16(height) + be16(width) + char(components);
    for (int c = 0; c < components; ++c)
        body += std::string{char(c + 1), '\x11', char(c ? 1 : 0)};
    return segment(marker, body);
}

// A JPEG: SOI, `head` (the segments before the tables), tables, frame header, scans, EOI, `tail`.
inline std::string jpeg(const std::string& head, const std::string& frame = sof(0xC0, 640, 480), int scans = 1,
                        const std::string& tail = "") {
    std::string j = std::string("\xFF\xD8") + head + dqt + frame + dht;
    for (int s = 0; s < scans; ++s)
        j += sos + scan;
    return j + "\xFF\xD9" + tail;
}

inline std::string chunk(const std::string& type, const std::string& body) {
    return be32(std::uint32_t(body.size())) + type + body + be32(crc32(type + body));
}

inline const std::string signature("\x89PNG\r\n\x1a\n", 8);

inline std::string ihdr(std::uint32_t width, std::uint32_t height, int depth = 8, int colour = 2, int interlace = 0) {
    return chunk("IHDR", be32(width) + be32(height) + char(depth) + char(colour) + '\0' + '\0' + char(interlace));
}

inline const std::string idat = chunk("IDAT", "compressed pixels");
inline const std::string iend = chunk("IEND", "");
inline const std::string gama = chunk("gAMA", be32(45455));

}  // namespace edgectl::test::frames
