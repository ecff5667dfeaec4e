#pragma once
// Buffered byte-at-a-time reading over a File, for the record parsers. Inline: it is their hot loop.

#include "util/fs.hpp"

#include <array>

namespace edgectl {

class ByteReader {
  public:
    explicit ByteReader(File& file) : file_(file) {}

    /// The next byte, or -1 at end of file.
    int get() {
        if (pos_ == end_ && !fill()) return -1;
        return static_cast<unsigned char>(buf_[pos_++]);
    }
    /// The next byte without consuming it, or -1 at end of file.
    int peek() {
        if (pos_ == end_ && !fill()) return -1;
        return static_cast<unsigned char>(buf_[pos_]);
    }

    /// At the start of a file, skips a UTF-8 byte order mark (EF BB BF): editors on Windows write
    /// one, and left in place it would become part of the first field's name, out of the PII
    /// policy's reach.
    void skip_byte_order_mark() {
        if (pos_ == end_) fill();
        if (end_ - pos_ >= 3 && buf_[pos_] == '\xEF' && buf_[pos_ + 1] == '\xBB' && buf_[pos_ + 2] == '\xBF') pos_ += 3;
    }

  private:
    bool fill() {
        pos_ = 0;
        end_ = file_.read_some(buf_.data(), buf_.size());
        return end_ > 0;
    }
    File& file_;
    std::array<char, 1 << 16> buf_{};
    std::size_t pos_ = 0;
    std::size_t end_ = 0;
};

}  // namespace edgectl
