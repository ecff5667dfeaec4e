#include "image/preprocess.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace edgectl {
namespace {

int cv_interpolation(ImageInput::Interpolation i) {
    switch (i) {
    case ImageInput::Interpolation::nearest: return cv::INTER_NEAREST_EXACT;  // bit-exact, OpenCV's match for Pillow's
    case ImageInput::Interpolation::bilinear: return cv::INTER_LINEAR;
    case ImageInput::Interpolation::bicubic: return cv::INTER_CUBIC;
    case ImageInput::Interpolation::area: return cv::INTER_AREA;
    }
    return cv::INTER_LINEAR;
}

int at_least_one(double v) { return std::max(1, int(std::lround(v))); }

// The frame at the model's width × height, 8-bit, still in RGB (or gray) order.
cv::Mat resized(const cv::Mat& src, const ImageInput& in) {
    const int w = int(in.width), h = int(in.height), interpolation = cv_interpolation(in.interpolation);
    const int sw = src.cols, sh = src.rows;
    cv::Mat out;
    switch (in.resize) {
    case ImageInput::Resize::stretch: cv::resize(src, out, cv::Size(w, h), 0, 0, interpolation); break;
    case ImageInput::Resize::letterbox: {
        double s = std::min(double(w) / sw, double(h) / sh);
        int rw = std::min(w, at_least_one(sw * s)), rh = std::min(h, at_least_one(sh * s));
        cv::Mat inner;
        cv::resize(src, inner, cv::Size(rw, rh), 0, 0, interpolation);
        out = cv::Mat(h, w, src.type(), cv::Scalar::all(in.pad));
        inner.copyTo(out(cv::Rect((w - rw) / 2, (h - rh) / 2, rw, rh)));
        break;
    }
    case ImageInput::Resize::centre_crop: {
        double aspect = double(w) / h;
        int cw = sw, ch = sh;
        if (double(sw) / sh > aspect)
            cw = std::min(sw, at_least_one(sh * aspect));
        else
            ch = std::min(sh, at_least_one(sw / aspect));
        cv::resize(src(cv::Rect((sw - cw) / 2, (sh - ch) / 2, cw, ch)), out, cv::Size(w, h), 0, 0, interpolation);
        break;
    }
    case ImageInput::Resize::shorter_side: {
        // torchvision: Resize(S) makes the shorter side S and the longer int(S * long / short);
        // CenterCrop then starts at round((size - crop) / 2), rounding half to even as Python does.
        int s = int(std::max({in.shorter_side, in.width, in.height}));
        int rw = sw <= sh ? s : std::max(w, int(std::int64_t(s) * sw / sh));
        int rh = sw <= sh ? std::max(h, int(std::int64_t(s) * sh / sw)) : s;
        cv::Mat whole;
        cv::resize(src, whole, cv::Size(rw, rh), 0, 0, interpolation);
        int left = int(std::nearbyint((rw - w) / 2.0)), top = int(std::nearbyint((rh - h) / 2.0));
        out = whole(cv::Rect(left, top, w, h)).clone();
        break;
    }
    }
    return out;
}

}  // namespace

DecodeSpec decode_spec(const ImageInput& in, DecodeSpec base) {
    base.channels = in.channels();
    // The decoder keeps at least twice what the resize starts from: the whole frame at the model's
    // size, or its shorter side at `shorter_side`.
    std::uint32_t side = std::max({in.shorter_side, in.width, in.height});
    bool shorter = in.resize == ImageInput::Resize::shorter_side;
    base.target_width = shorter ? side : in.width;
    base.target_height = shorter ? side : in.height;
    return base;
}

void preprocess(const Pixels& pixels, const ImageInput& in, float* out) {
    const int channels = in.channels();
    if (pixels.channels != channels || pixels.width == 0 || pixels.height == 0)
        throw Error("preprocess: the frame was not decoded for this model's input");
    cv::Mat src(int(pixels.height), int(pixels.width), channels == 1 ? CV_8UC1 : CV_8UC3,
                const_cast<std::uint8_t*>(pixels.data.data()));  // read only
    cv::Mat sized = resized(src, in);
    const std::size_t w = in.width, h = in.height;
    const bool bgr = in.colour == ImageInput::Colour::bgr;
    for (std::size_t y = 0; y < h; ++y) {
        const std::uint8_t* row = sized.ptr<std::uint8_t>(int(y));
        for (std::size_t x = 0; x < w; ++x)
            for (int c = 0; c < channels; ++c) {
                int from = bgr ? 2 - c : c;
                float v = float(row[x * std::size_t(channels) + std::size_t(from)]) * in.scale;
                if (!in.mean.empty()) v -= in.mean[std::size_t(c)];
                if (!in.std.empty()) v /= in.std[std::size_t(c)];
                std::size_t at = in.layout == ImageInput::Layout::nchw
                                     ? (std::size_t(c) * h + y) * w + x
                                     : (y * w + x) * std::size_t(channels) + std::size_t(c);
                out[at] = v;
            }
    }
}

}  // namespace edgectl
