#include "util/canonical_json.hpp"

#include "util/ndjson.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace edgectl {

void append_json_double(std::string& out, double value) {
    if (!std::isfinite(value)) {
        out += "null";
        return;
    }
    char buf[64];
    char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, end);
}

namespace {

// A recursive-descent reader of one JSON text that writes it back as nlohmann's dump would. Every
// method returns false at the first thing it does not handle; the caller then throws the output away.
class Rewriter {
  public:
    Rewriter(std::string_view text, std::string& out) : p_(text.data()), end_(text.data() + text.size()), out_(out) {}

    bool document() { return value(0) && (skip_space(), p_ == end_); }

    bool array_elements(std::vector<std::pair<std::size_t, std::size_t>>& elements) {
        skip_space();
        if (!take('[')) return false;
        skip_space();
        if (take(']')) return (skip_space(), p_ == end_);
        for (;;) {
            std::size_t start = out_.size();
            if (!value(1)) return false;
            elements.emplace_back(start, out_.size() - start);
            skip_space();
            if (take(']')) break;
            if (!take(',')) return false;
        }
        skip_space();
        return p_ == end_;
    }

  private:
    void skip_space() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
            ++p_;
    }
    bool take(char c) {
        if (p_ < end_ && *p_ == c) {
            ++p_;
            return true;
        }
        return false;
    }
    bool literal(std::string_view word) {
        if (std::size_t(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
        p_ += word.size();
        out_ += word;
        return true;
    }

    bool value(int depth) {
        skip_space();
        if (p_ == end_) return false;
        switch (*p_) {
        case '{': return object(depth + 1);
        case '[': return array(depth + 1);
        case '"': {
            std::string text;
            return string(text) && append_json_string(out_, text);
        }
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default: return number();
        }
    }

    bool array(int depth) {
        if (depth > max_json_depth) return false;
        ++p_;
        out_ += '[';
        skip_space();
        if (take(']')) return (out_ += ']', true);
        for (;;) {
            if (!value(depth)) return false;
            skip_space();
            if (take(']')) break;
            if (!take(',')) return false;
            out_ += ',';
        }
        out_ += ']';
        return true;
    }

    // Keys must come in the order a std::map keeps them, each once: then the object is written as
    // it is. Anything else (nlohmann sorts, and the last of equal keys wins) is left to the parser.
    bool object(int depth) {
        if (depth > max_json_depth) return false;
        ++p_;
        out_ += '{';
        skip_space();
        if (take('}')) return (out_ += '}', true);
        std::string key, previous;
        for (bool first = true;; first = false) {
            skip_space();
            key.clear();
            if (p_ == end_ || *p_ != '"' || !string(key)) return false;
            if (!first && !(previous < key)) return false;
            if (!append_json_string(out_, key)) return false;
            skip_space();
            if (!take(':')) return false;
            out_ += ':';
            if (!value(depth)) return false;
            skip_space();
            if (take('}')) break;
            if (!take(',')) return false;
            out_ += ',';
            previous.swap(key);
        }
        out_ += '}';
        return true;
    }

    // A string's content, unescaped. Raw control characters are invalid JSON; \u escapes (which
    // need surrogate pairs handled) are left to the parser.
    bool string(std::string& text) {
        ++p_;
        for (;;) {
            const char* run = p_;
            while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20)
                ++p_;
            text.append(run, p_);
            if (p_ == end_ || static_cast<unsigned char>(*p_) < 0x20) return false;
            if (*p_ == '"') {
                ++p_;
                return true;
            }
            if (++p_ == end_) return false;
            switch (*p_++) {
            case '"': text += '"'; break;
            case '\\': text += '\\'; break;
            case '/': text += '/'; break;
            case 'b': text += '\b'; break;
            case 'f': text += '\f'; break;
            case 'n': text += '\n'; break;
            case 'r': text += '\r'; break;
            case 't': text += '\t'; break;
            default: return false;
            }
        }
    }

    // JSON's number grammar; then as nlohmann's lexer reads it (an integer when it has no fraction
    // or exponent and fits 64 bits, a double otherwise) and as its dump writes it.
    bool number() {
        const char* start = p_;
        take('-');
        if (take('0')) {
        } else if (p_ < end_ && *p_ >= '1' && *p_ <= '9') {
            skip_digits();
        } else {
            return false;
        }
        bool integer = true;
        if (take('.')) {
            integer = false;
            if (!skip_digits()) return false;
        }
        if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
            integer = false;
            ++p_;
            if (!take('+')) take('-');
            if (!skip_digits()) return false;
        }
        char buf[32];
        if (integer) {
            std::to_chars_result written{};
            if (*start == '-') {
                std::int64_t n = 0;
                if (std::from_chars(start, p_, n).ec == std::errc()) written = std::to_chars(buf, buf + sizeof buf, n);
            } else {
                std::uint64_t n = 0;
                if (std::from_chars(start, p_, n).ec == std::errc()) written = std::to_chars(buf, buf + sizeof buf, n);
            }
            if (written.ptr) {
                out_.append(buf, written.ptr);
                return true;
            }
        }
        double x = 0;
        auto [end, ec] = std::from_chars(start, p_, x);
        if (ec != std::errc() || end != p_ || !std::isfinite(x)) return false;
        append_json_double(out_, x);
        return true;
    }
    bool skip_digits() {
        const char* start = p_;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
            ++p_;
        return p_ != start;
    }

    const char* p_;
    const char* end_;
    std::string& out_;
};

}  // namespace

bool append_canonical_json(std::string& out, std::string_view text) {
    std::size_t size = out.size();
    if (Rewriter(text, out).document()) return true;
    out.resize(size);
    return false;
}

bool canonical_json_elements(std::string_view text, std::string& storage,
                             std::vector<std::pair<std::size_t, std::size_t>>& elements) {
    std::size_t size = storage.size(), count = elements.size();
    if (Rewriter(text, storage).array_elements(elements)) return true;
    storage.resize(size);
    elements.resize(count);
    return false;
}

}  // namespace edgectl
