#include "util/zstd.hpp"

#include "util/error.hpp"

#include <zstd.h>

namespace edgectl {
namespace {

constexpr std::size_t out_buffer_bytes = std::size_t(1) << 18;

[[noreturn]] void zstd_failed(std::size_t code, const std::string& what) {
    throw Error("zstd failed while " + what + ": " + ZSTD_getErrorName(code));
}

}  // namespace

void ZstdWriter::Free::operator()(ZSTD_CCtx* c) const noexcept { ZSTD_freeCCtx(c); }

ZstdWriter::ZstdWriter(std::optional<File> out, int level)
    : cctx_(ZSTD_createCCtx()), out_(std::move(out)), buf_(out_buffer_bytes) {
    if (!cctx_) throw Error("out of memory starting a zstd stream");
    std::size_t r = ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, level);
    if (ZSTD_isError(r)) zstd_failed(r, "setting level " + std::to_string(level));
}

ZstdWriter::ZstdWriter(ZstdWriter&&) noexcept = default;
ZstdWriter& ZstdWriter::operator=(ZstdWriter&&) noexcept = default;
ZstdWriter::~ZstdWriter() = default;

void ZstdWriter::write(std::string_view bytes) {
    run(bytes, ZSTD_e_continue);
    in_ += bytes.size();
}

void ZstdWriter::limit_window(int log) {
    std::size_t r = ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_windowLog, log);
    if (ZSTD_isError(r)) zstd_failed(r, "setting window log " + std::to_string(log));
}

void ZstdWriter::flush() { run({}, ZSTD_e_flush); }

void ZstdWriter::finish(std::string_view sync_point) {
    run({}, ZSTD_e_end);
    if (out_ && !sync_point.empty()) out_->sync(sync_point);
    if (out_) out_->close();
    release();
}

void ZstdWriter::release() {
    cctx_.reset();
    std::vector<char>().swap(buf_);  // its capacity too
}

void ZstdWriter::run(std::string_view bytes, int directive) {
    auto mode = ZSTD_EndDirective(directive);
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    for (;;) {
        ZSTD_outBuffer out{buf_.data(), buf_.size(), used_};
        std::size_t left = ZSTD_compressStream2(cctx_.get(), &out, &in, mode);
        if (ZSTD_isError(left)) zstd_failed(left, out_ ? "writing '" + out_->path().string() + "'" : "counting");
        out_bytes_ += out.pos - used_;
        used_ = out.pos;
        if (used_ == buf_.size()) drain();
        if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0) break;
    }
    if (mode != ZSTD_e_continue) drain();
}

void ZstdWriter::drain() {
    if (out_) out_->write_all(std::string_view(buf_.data(), used_));
    used_ = 0;
}

std::string zstd_frame(std::string_view bytes, int level) {
    std::string frame(ZSTD_compressBound(bytes.size()), '\0');
    std::size_t n = ZSTD_compress(frame.data(), frame.size(), bytes.data(), bytes.size(), level);
    if (ZSTD_isError(n)) zstd_failed(n, "compressing a frame");
    frame.resize(n);
    return frame;
}

void read_zstd_chunks(const fs::path& path, std::size_t chunk, const std::function<void(std::string_view)>& each) {
    std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
    if (!dctx) throw Error("out of memory reading '" + path.string() + "'");
    File file = File::open_read(path);
    std::vector<char> input(ZSTD_DStreamInSize());
    std::string piece(chunk, '\0');
    std::size_t filled = 0;
    while (std::size_t n = file.read_some(input.data(), input.size())) {
        ZSTD_inBuffer in{input.data(), n, 0};
        while (in.pos < in.size) {
            ZSTD_outBuffer out{piece.data(), piece.size(), filled};
            std::size_t r = ZSTD_decompressStream(dctx.get(), &out, &in);
            if (ZSTD_isError(r)) zstd_failed(r, "reading '" + path.string() + "'");
            filled = out.pos;
            if (filled == piece.size()) {
                each(piece);
                filled = 0;
            }
        }
    }
    // What the decoder still holds once its input is all in (a full output buffer stopped it).
    for (;;) {
        ZSTD_inBuffer in{nullptr, 0, 0};
        ZSTD_outBuffer out{piece.data(), piece.size(), filled};
        std::size_t r = ZSTD_decompressStream(dctx.get(), &out, &in);
        if (ZSTD_isError(r)) zstd_failed(r, "reading '" + path.string() + "'");
        bool progress = out.pos > filled;
        filled = out.pos;
        if (filled == piece.size()) {
            each(piece);
            filled = 0;
        }
        if (!progress) break;
    }
    if (filled) each(std::string_view(piece.data(), filled));
}

}  // namespace edgectl
