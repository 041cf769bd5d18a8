// Doxygen INPUT_FILTER for flowgrad's headers: they document declarations
// with plain `//` comments (STYLE.md), which Doxygen ignores. This filter
// turns, on the fly (the sources stay as they are):
//   - the comment block at the top of a header into the file's description
//     (`/// @file`),
//   - a comment block directly above a declaration at namespace or class
//     scope into that declaration's `///` documentation,
//   - a trailing `// ...` after a member (an inline member function
//     included) or a namespace-scope declaration into `///< ...`.
// Converted text is plain prose: characters Doxygen would read as commands
// or HTML (\ @ < > & # % $) are escaped. Comments that are already `///`
// (written for Doxygen) pass through untouched, as do comments inside
// function bodies. Usage: comment_filter FILE (writes to stdout).

#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

namespace {

enum class Scope { ns, type, other };

std::string ltrim(const std::string& s) {
  size_t i = s.find_first_not_of(" \t");
  return i == std::string::npos ? "" : s.substr(i);
}

std::string rtrim(const std::string& s) { return s.substr(0, s.find_last_not_of(" \t") + 1); }

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }
bool plain_comment(const std::string& t) { return starts_with(t, "//") && !starts_with(t, "///"); }

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string("\\@<>&#%$").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

// "  // text" -> "  /// text" (escaped)
std::string to_doc(const std::string& line) {
  size_t at = line.find("//");
  return line.substr(0, at) + "///" + escape(line.substr(at + 2));
}

// The code part of a line: string and char literals blanked, comment cut.
std::string code_of(const std::string& line) {
  static const std::regex str(R"("(\\.|[^"\\])*\")"), chr(R"('(\\.|[^'\\])*')");
  std::string s = std::regex_replace(std::regex_replace(line, str, "\"\""), chr, "''");
  size_t at = s.find("//");
  return at == std::string::npos ? s : s.substr(0, at);
}

void track_braces(const std::string& code, std::vector<Scope>& stack) {
  static const std::regex ns(R"(\bnamespace\b)"), type(R"(\b(class|struct|union|enum)\b)"),
      call_end(R"(\)\s*(const\s*)?(noexcept\s*)?(override\s*)?(->\s*[\w:<>]+\s*)?$)");
  for (size_t i = 0; i < code.size(); ++i) {
    if (code[i] == '}') {
      if (!stack.empty()) stack.pop_back();
    } else if (code[i] == '{') {
      std::string before = code.substr(0, i);
      if (std::regex_search(before, ns)) stack.push_back(Scope::ns);
      else if (std::regex_search(before, type) && !std::regex_search(before, call_end)) stack.push_back(Scope::type);
      else stack.push_back(Scope::other);
    }
  }
}

bool declaration_scope(const std::vector<Scope>& stack) {
  for (Scope s : stack) {
    if (s == Scope::other) return false;
  }
  return true;
}

// Does a comment block followed by `next` document it?
bool documents(const std::string& next) {
  if (starts_with(next, "#define")) return true;
  for (const char* p : {"#", "}", "namespace", "public:", "private:", "protected:"}) {
    if (starts_with(next, p)) return false;
  }
  return !next.empty();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: comment_filter FILE\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "comment_filter: cannot read " << argv[1] << "\n";
    return 1;
  }
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);

  static const std::regex trailing(R"(^(\s*[^/\s}].*?[;,}])(\s+)//(?!/)\s?(.*)$)");
  std::vector<Scope> stack;
  bool file_doc_done = false;
  for (size_t i = 0; i < lines.size();) {
    const std::string t = ltrim(lines[i]);
    if (plain_comment(t) && declaration_scope(stack)) {
      size_t j = i;
      while (j < lines.size() && plain_comment(ltrim(lines[j]))) ++j;
      bool file_doc = !file_doc_done && stack.empty();
      bool doc = file_doc || documents(j < lines.size() ? ltrim(lines[j]) : "");
      if (file_doc) std::cout << "/// @file\n";
      file_doc_done = file_doc_done || file_doc;
      for (size_t k = i; k < j; ++k) std::cout << (doc ? to_doc(lines[k]) : lines[k]) << "\n";
      i = j;
      continue;
    }
    if (!t.empty() && !starts_with(t, "#") && !starts_with(t, "//") && stack.empty()) file_doc_done = true;
    std::string line = lines[i];
    std::smatch m;
    if (declaration_scope(stack) && !stack.empty() && std::regex_match(line, m, trailing) &&
        rtrim(code_of(line)) == rtrim(code_of(m[1].str())) &&
        (stack.back() == Scope::type || m[1].str().back() == ';')) {
      line = m[1].str() + m[2].str() + "///< " + escape(m[3].str());
    }
    std::cout << line << "\n";
    track_braces(code_of(lines[i]), stack);
    ++i;
  }
  return 0;
}
