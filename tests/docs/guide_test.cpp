// docs/guide.md shows code only from files that CI compiles: every ```cpp
// and ```cmake block must be preceded by a link to a file under examples/
// (e.g. [`model.cpp`](../examples/user_project/model.cpp)) and must appear in
// that file verbatim. examples/user_project is built and run by the
// user_project test, so the guide's snippets cannot rot.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::filesystem::path kRoot = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  REQUIRE_MESSAGE(in.good(), "cannot read " << p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Snippet {
  std::string lang, source, text;
  int line = 0;
};

std::vector<Snippet> snippets(const std::string& guide) {
  std::vector<Snippet> out;
  std::istringstream in(guide);
  std::string line, last_text;
  int n = 0;
  static const std::regex link(R"(\]\(\.\./([^)#]+)\))");
  while (std::getline(in, line)) {
    ++n;
    if (line.starts_with("```") && line.size() > 3) {
      Snippet s{.lang = line.substr(3), .line = n};
      std::smatch m;
      if (std::regex_search(last_text, m, link)) s.source = m[1].str();
      while (std::getline(in, line) && !line.starts_with("```")) {
        ++n;
        s.text += line + "\n";
      }
      ++n;
      out.push_back(s);
      last_text.clear();
      continue;
    }
    if (!line.empty()) last_text = line;
  }
  return out;
}

TEST_CASE("every code snippet of docs/guide.md is verbatim from an example file that CI builds") {
  std::vector<Snippet> all = snippets(slurp(kRoot / "docs" / "guide.md"));
  int checked = 0;
  for (const Snippet& s : all) {
    if (s.lang != "cpp" && s.lang != "cmake") continue;
    INFO("docs/guide.md:" << s.line << " (" << s.lang << ")");
    REQUIRE_MESSAGE(s.source.starts_with("examples/"), "a code block without a link to its examples/ file");
    std::string file = slurp(kRoot / s.source);
    CHECK_MESSAGE(file.find(s.text) != std::string::npos, "not found verbatim in " << s.source << ":\n" << s.text);
    ++checked;
  }
  CHECK(checked >= 6);
}

}  // namespace
