#include "link_scan.hpp"

#include <optional>
#include <vector>

namespace slim::probe {
namespace link_scan {
namespace {

struct NamedReference {
  std::string_view name;
  std::string_view text;
  bool legacy; ///< also recognised without its `;` (HTML's legacy list)
};

// The character references that occur in URLs (HTML's full list has 2231; the rest would only
// decode to text no URL has).
constexpr NamedReference k_references[] = {
    {"amp", "&", true},     {"AMP", "&", true},       {"lt", "<", true},
    {"LT", "<", true},      {"gt", ">", true},        {"GT", ">", true},
    {"quot", "\"", true},   {"QUOT", "\"", true},     {"nbsp", "\xc2\xa0", true},
    {"apos", "'", false},   {"sol", "/", false},      {"colon", ":", false},
    {"period", ".", false}, {"comma", ",", false},    {"quest", "?", false},
    {"num", "#", false},    {"equals", "=", false},   {"percnt", "%", false},
    {"lpar", "(", false},   {"rpar", ")", false},     {"lowbar", "_", false},
    {"plus", "+", false},   {"excl", "!", false},     {"dollar", "$", false},
    {"ast", "*", false},    {"commat", "@", false},   {"lsqb", "[", false},
    {"rsqb", "]", false},   {"lbrack", "[", false},   {"rbrack", "]", false},
    {"lcub", "{", false},   {"rcub", "}", false},     {"semi", ";", false},
    {"Tab", "\t", false},   {"NewLine", "\n", false}, {"verbar", "|", false},
    {"bsol", "\\", false},  {"grave", "`", false},    {"Hat", "^", false},
};

// An attribute value with its character references decoded (HTML 13.2.5.72-80, as inside an
// attribute: a legacy name without `;` before `=` or an alphanumeric stays as written).
std::string decode_references(std::string_view v) {
  if (v.find('&') == std::string_view::npos) {
    return std::string(v);
  }
  std::string out;
  out.reserve(v.size());
  std::size_t i = 0;
  while (i < v.size()) {
    if (v[i] != '&') {
      out += v[i++];
      continue;
    }
    std::size_t j = i + 1;
    if (j < v.size() && v[j] == '#') {
      ++j;
      bool hex = j < v.size() && (v[j] == 'x' || v[j] == 'X');
      if (hex) {
        ++j;
      }
      std::size_t digits = j;
      std::uint32_t cp = 0;
      while (j < v.size() && (hex ? hex_value(v[j]) >= 0 : is_digit(v[j]))) {
        if (cp <= 0x10ffff) { // saturate: any larger value becomes U+FFFD anyway
          cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(hex_value(v[j]));
        }
        ++j;
      }
      if (j == digits) {
        out += v[i++];
        continue;
      }
      if (j < v.size() && v[j] == ';') {
        ++j;
      }
      append_utf8(out, cp);
      i = j;
      continue;
    }
    while (j < v.size() && j - i <= 8 && is_alnum(v[j])) {
      ++j;
    }
    std::string_view name = v.substr(i + 1, j - i - 1);
    bool semicolon = j < v.size() && v[j] == ';';
    bool decoded = false;
    for (const auto& ref : k_references) {
      if (ref.name != name) {
        continue;
      }
      if (semicolon) {
        out += ref.text;
        i = j + 1;
        decoded = true;
      } else if (ref.legacy && !(j < v.size() && (v[j] == '=' || is_alnum(v[j])))) {
        out += ref.text;
        i = j;
        decoded = true;
      }
      break;
    }
    if (!decoded) {
      out += v[i++];
    }
  }
  return out;
}

// The URL of a <meta http-equiv=refresh content=...> (HTML 4.2.5.3, "shared declarative
// refresh steps"); nullopt when it only reloads the page or is malformed.
std::optional<std::string_view> refresh_url(std::string_view s) {
  std::size_t i = 0;
  auto skip_spaces = [&] {
    while (i < s.size() && is_space(s[i])) {
      ++i;
    }
  };
  skip_spaces();
  std::size_t start = i;
  while (i < s.size() && (is_digit(s[i]) || s[i] == '.')) {
    ++i;
  }
  if (i == start || i >= s.size()) {
    return std::nullopt;
  }
  if (s[i] != ';' && s[i] != ',' && !is_space(s[i])) {
    return std::nullopt;
  }
  skip_spaces();
  if (i < s.size() && (s[i] == ';' || s[i] == ',')) {
    ++i;
  }
  skip_spaces();
  std::string_view rest = s.substr(i);
  if (istarts_with(rest, "url")) {
    std::size_t k = 3;
    while (k < rest.size() && is_space(rest[k])) {
      ++k;
    }
    if (k < rest.size() && rest[k] == '=') {
      ++k;
      while (k < rest.size() && is_space(rest[k])) {
        ++k;
      }
      rest = rest.substr(k);
    }
  }
  if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
    char quote = rest.front();
    rest.remove_prefix(1);
    rest = rest.substr(0, rest.find(quote));
  }
  rest = trim(rest);
  if (rest.empty()) {
    return std::nullopt;
  }
  return rest;
}

struct Attribute {
  std::string_view name;  ///< as written
  std::string_view value; ///< raw: references not decoded yet
};

// One pass over HTML as the tokenizer of HTML 13.2.5 reads it, without building a tree: start
// tags with their attributes, comments, and the elements whose contents are text.
class HtmlScanner {
public:
  HtmlScanner(std::string_view doc, LinkSink& sink) : m_doc(doc), m_sink(sink) {}

  void run() {
    const std::size_t n = m_doc.size();
    // Past the cap only a <base> can still matter: it applies to the links before it too.
    while (m_pos < n && (!m_sink.full() || !m_base_seen)) {
      std::size_t lt = m_doc.find('<', m_pos);
      if (lt == std::string_view::npos || lt + 1 >= n) {
        return;
      }
      char next = m_doc[lt + 1];
      if (m_doc.substr(lt, 4) == "<!--") {
        m_pos = comment_end(lt + 4);
      } else if (next == '!' || next == '?' ||
                 (next == '/' && !(lt + 2 < n && is_alpha(m_doc[lt + 2])))) {
        // doctype, CDATA, processing instruction, `</>`, `</3`: up to the next `>`
        auto gt = m_doc.find('>', lt + 2);
        m_pos = gt == std::string_view::npos ? n : gt + 1;
      } else if (next == '/' || is_alpha(next)) {
        std::string_view name;
        auto end = read_tag(lt + (next == '/' ? 2 : 1), name);
        if (!end) {
          return; // the document ends inside the tag: HTML drops it
        }
        m_pos = *end;
        if (next != '/') {
          on_start_tag(name);
        }
      } else {
        m_pos = lt + 1;
      }
    }
  }

  /// The first <base href>, as written.
  std::string& base() noexcept { return m_base; }

private:
  // After `<!--` at `i`: the index past the comment's end (`-->`, `--!>`, or the abrupt
  // `<!-->` and `<!--->`); the end of the document when it has none.
  std::size_t comment_end(std::size_t i) const {
    if (m_doc.substr(i, 1) == ">") {
      return i + 1;
    }
    if (m_doc.substr(i, 2) == "->") {
      return i + 2;
    }
    while (true) {
      auto dash = m_doc.find("--", i);
      if (dash == std::string_view::npos) {
        return m_doc.size();
      }
      if (m_doc.substr(dash + 2, 1) == ">") {
        return dash + 3;
      }
      if (m_doc.substr(dash + 2, 2) == "!>") {
        return dash + 4;
      }
      i = dash + 1;
    }
  }

  // The tag whose name starts at `i`: its name and attributes (in m_attrs); returns the index
  // after its `>`, nullopt when the document ends inside the tag.
  std::optional<std::size_t> read_tag(std::size_t i, std::string_view& name) {
    const std::size_t n = m_doc.size();
    m_attrs.clear();
    std::size_t start = i;
    while (i < n && !is_space(m_doc[i]) && m_doc[i] != '/' && m_doc[i] != '>') {
      ++i;
    }
    name = m_doc.substr(start, i - start);
    while (true) {
      while (i < n && (is_space(m_doc[i]) || m_doc[i] == '/')) {
        ++i;
      }
      if (i >= n) {
        return std::nullopt;
      }
      if (m_doc[i] == '>') {
        return i + 1;
      }
      std::size_t name_start = i++; // a leading `=` belongs to the name
      while (i < n && !is_space(m_doc[i]) && m_doc[i] != '/' && m_doc[i] != '>' &&
             m_doc[i] != '=') {
        ++i;
      }
      Attribute attr{m_doc.substr(name_start, i - name_start), {}};
      while (i < n && is_space(m_doc[i])) {
        ++i;
      }
      if (i >= n) {
        return std::nullopt;
      }
      if (m_doc[i] == '=') {
        ++i;
        while (i < n && is_space(m_doc[i])) {
          ++i;
        }
        if (i >= n) {
          return std::nullopt;
        }
        if (m_doc[i] == '"' || m_doc[i] == '\'') {
          auto close = m_doc.find(m_doc[i], i + 1);
          if (close == std::string_view::npos) {
            return std::nullopt;
          }
          attr.value = m_doc.substr(i + 1, close - i - 1);
          i = close + 1;
        } else {
          std::size_t value_start = i;
          while (i < n && !is_space(m_doc[i]) && m_doc[i] != '>') {
            ++i;
          }
          if (i >= n) {
            return std::nullopt;
          }
          attr.value = m_doc.substr(value_start, i - value_start);
        }
      }
      m_attrs.push_back(attr);
    }
  }

  // The first attribute called `lower_name` (HTML keeps the first of duplicates).
  const Attribute* attribute(std::string_view lower_name) const {
    for (const auto& a : m_attrs) {
      if (iequals(a.name, lower_name)) {
        return &a;
      }
    }
    return nullptr;
  }

  std::optional<std::string> value(std::string_view lower_name) const {
    const Attribute* a = attribute(lower_name);
    if (a == nullptr) {
      return std::nullopt;
    }
    return decode_references(a->value);
  }

  void add(std::string_view lower_name) {
    if (auto v = value(lower_name)) {
      m_sink.add(*v);
    }
  }

  void add_srcset(std::string_view lower_name) {
    if (auto v = value(lower_name)) {
      for (const auto& url : parse_srcset(*v)) {
        m_sink.add(url);
      }
    }
  }

  // Where the text of a raw text element opened before `from` ends: its `</name` followed by
  // whitespace, `/` or `>`; npos when the document ends first.
  std::size_t raw_text_end(std::size_t from, std::string_view lower_name) const {
    while (true) {
      auto p = m_doc.find("</", from);
      if (p == std::string_view::npos) {
        return p;
      }
      std::size_t after = p + 2 + lower_name.size();
      if (after < m_doc.size() && iequals(m_doc.substr(p + 2, lower_name.size()), lower_name) &&
          (is_space(m_doc[after]) || m_doc[after] == '/' || m_doc[after] == '>')) {
        return p;
      }
      from = p + 2;
    }
  }

  void on_start_tag(std::string_view raw_name) {
    std::string name;
    if (raw_name.size() <= 16) {
      for (char c : raw_name) {
        name += lower(c);
      }
    }
    if (name == "a" || name == "area") {
      add("href");
    } else if (name == "link") {
      if (!rel_only_connects()) {
        add("href");
        add_srcset("imagesrcset");
      }
    } else if (name == "script" || name == "embed" || name == "iframe" || name == "frame" ||
               name == "audio" || name == "track") {
      add("src");
    } else if (name == "img" || name == "source") {
      add("src");
      add_srcset("srcset");
      add("data-src"); // lazy loaders put the real image there for a script to swap in
      add_srcset("data-srcset");
    } else if (name == "video") {
      add("src");
      add("poster");
    } else if (name == "object") {
      add("data");
    } else if (name == "input") {
      if (auto type = value("type"); type && iequals(trim(*type), "image")) {
        add("src");
      }
    } else if (name == "body" || name == "table" || name == "td" || name == "th") {
      add("background");
    } else if (name == "use" || name == "image") {
      add("href");
      add("xlink:href");
    } else if (name == "meta") {
      auto equiv = value("http-equiv");
      auto content = value("content");
      if (equiv && content && iequals(trim(*equiv), "refresh")) {
        if (auto url = refresh_url(*content)) {
          m_sink.add(*url);
        }
      }
    } else if (name == "base") {
      if (auto href = value("href"); href && !m_base_seen) {
        m_base_seen = true;
        m_base = std::string(trim(*href));
      }
    } else if (name == "form") {
      on_form();
    }
    if (auto style = value("style")) {
      scan_css(*style, m_sink);
    }
    skip_contents(name);
  }

  // rel=dns-prefetch and rel=preconnect name an origin to connect to, not a resource.
  bool rel_only_connects() const {
    auto rel = value("rel");
    if (!rel) {
      return false;
    }
    std::string_view tokens = *rel;
    std::size_t i = 0;
    while (i < tokens.size()) {
      while (i < tokens.size() && is_space(tokens[i])) {
        ++i;
      }
      std::size_t start = i;
      while (i < tokens.size() && !is_space(tokens[i])) {
        ++i;
      }
      std::string_view token = tokens.substr(start, i - start);
      if (iequals(token, "dns-prefetch") || iequals(token, "preconnect")) {
        return true;
      }
    }
    return false;
  }

  // A GET form's action without its query (a submission replaces it with the fields). Only
  // `post` and `dialog` are not GET: any other method value falls back to GET.
  void on_form() {
    if (auto method = value("method")) {
      auto m = trim(*method);
      if (iequals(m, "post") || iequals(m, "dialog")) {
        return;
      }
    }
    if (auto action = value("action")) {
      std::string_view a = *action;
      m_sink.add(a.substr(0, a.find_first_of("?#")));
    }
  }

  // The contents of elements that hold text, not markup: skipped, or read as CSS for <style>.
  void skip_contents(const std::string& name) {
    if (name == "plaintext") {
      m_pos = m_doc.size();
      return;
    }
    if (name != "script" && name != "style" && name != "textarea" && name != "title" &&
        name != "xmp" && name != "iframe" && name != "noembed" && name != "noframes") {
      return;
    }
    std::size_t end = raw_text_end(m_pos, name);
    std::size_t stop = end == std::string_view::npos ? m_doc.size() : end;
    if (name == "style") {
      scan_css(m_doc.substr(m_pos, stop - m_pos), m_sink);
    }
    m_pos = stop;
  }

  std::string_view m_doc;
  LinkSink& m_sink;
  std::size_t m_pos = 0;
  std::vector<Attribute> m_attrs;
  bool m_base_seen = false;
  std::string m_base;
};

} // namespace

void scan_html(std::string_view html, LinkSink& sink, std::string& base) {
  HtmlScanner scanner(html, sink);
  scanner.run();
  base = std::move(scanner.base());
}

} // namespace link_scan

std::vector<std::string> parse_srcset(std::string_view s) {
  using link_scan::is_space;
  // HTML 4.8.4.3.10: URLs separated by whitespace from their descriptors, candidates by commas
  // (a comma inside the descriptors' parentheses does not separate).
  std::vector<std::string> out;
  std::size_t i = 0;
  while (true) {
    while (i < s.size() && (is_space(s[i]) || s[i] == ',')) {
      ++i;
    }
    if (i >= s.size()) {
      return out;
    }
    std::size_t start = i;
    while (i < s.size() && !is_space(s[i])) {
      ++i;
    }
    std::string_view url = s.substr(start, i - start);
    if (url.back() == ',') {
      while (!url.empty() && url.back() == ',') {
        url.remove_suffix(1);
      }
    } else {
      bool in_parens = false;
      for (; i < s.size(); ++i) {
        if (s[i] == '(') {
          in_parens = true;
        } else if (s[i] == ')') {
          in_parens = false;
        } else if (s[i] == ',' && !in_parens) {
          ++i;
          break;
        }
      }
    }
    if (!url.empty()) {
      out.emplace_back(url);
    }
  }
}

} // namespace slim::probe
