#include "util/ndjson.hpp"

#include "util/error.hpp"

#include <charconv>

namespace edgectl {
namespace {

// Deepest nesting of arrays/objects in text, ignoring brackets inside strings. nlohmann's parser
// recurses, so hostile nesting must be refused before it reaches the parser.
int nesting_depth(std::string_view text) {
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

}  // namespace

bool LineReader::next(Line& out) {
    out.text.clear();
    out.too_long = false;
    int c = in_.get();
    if (c < 0) return false;
    out.number = ++number_;
    for (; c >= 0 && c != '\n' && c != '\r'; c = in_.get()) {
        if (out.text.size() < max_)
            out.text.push_back(char(c));
        else
            out.too_long = true;
    }
    if (c == '\r' && in_.peek() == '\n') in_.get();
    return true;
}

Result<Json> parse_json(std::string_view text) {
    if (nesting_depth(text) > max_json_depth)
        return fail("JSON nested deeper than " + std::to_string(max_json_depth) + " levels");
    try {
        return Json::parse(text);
    } catch (const Json::parse_error& e) {
        return fail("invalid JSON at byte " + std::to_string(e.byte));
    } catch (const Json::out_of_range&) {
        // e.g. 1e400: found by fuzzing; it used to escape and abort the whole ingest.
        return fail("a number in the JSON is out of range");
    }
}

Result<Json> parse_json_object(std::string_view text) {
    auto value = parse_json(text);
    if (value && !value->is_object()) return fail("expected a JSON object, found " + std::string(value->type_name()));
    return value;
}

std::string dump_json(const Json& value) {
    try {
        return value.dump();
    } catch (const Json::type_error&) { throw Error("text is not valid UTF-8"); }
}

namespace {

// The length of the well-formed UTF-8 character at p (Unicode 15, table 3-7: no overlong forms, no
// surrogates, at most U+10FFFF), or 0 if there is none. *p >= 0x80.
std::size_t utf8_char_length(const unsigned char* p, const unsigned char* end) {
    unsigned char c = *p;
    std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0xC2 || c > 0xF4) return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (std::size_t(end - p) < n || p[1] < lo || p[1] > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if ((p[k] & 0xC0) != 0x80) return 0;
    return n;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
        if (*p < 0x80) {
            ++p;
            continue;
        }
        std::size_t n = utf8_char_length(p, end);
        if (n == 0) return false;
        p += n;
    }
    return true;
}

bool append_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    const std::size_t start = out.size();
    out.reserve(start + text.size() + 2);
    out.push_back('"');
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
        // A run of printable ASCII other than '"' and '\\' is copied as it is, at once (byte by byte
        // this was the largest item of export's own code in its profile).
        const auto* run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            ++p;
        if (p != run) out.append(reinterpret_cast<const char*>(run), std::size_t(p - run));
        if (p == end) break;
        unsigned char c = *p;
        if (c >= 0x80) {
            std::size_t n = utf8_char_length(p, end);
            if (n == 0) {
                out.resize(start);
                return false;
            }
            out.append(reinterpret_cast<const char*>(p), n);
            p += n;
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            out += "\\u00";  // the runs above took every other byte below 0x80
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xf]);
        }
        ++p;
    }
    out.push_back('"');
    return true;
}

std::string lossy_json_text(std::string_view text) {
    return Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

void append_json_text(std::string& out, std::string_view text) {
    if (!append_json_string(out, text)) out += lossy_json_text(text);
}

void append_json_integer(std::string& out, std::int64_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    (void)ec;
    out.append(buf, end);
}

}  // namespace edgectl
