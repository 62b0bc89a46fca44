#include "slim/util/shell_words.hpp"

#include "slim/util/error.hpp"

namespace slim {

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) {
        words.push_back(std::move(cur));
        cur.clear();
        in_word = false;
      }
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 < text.size()) {
        cur.push_back(text[++i]);
      }
    } else if (c == '\'') {
      auto end = text.find('\'', i + 1);
      if (end == std::string_view::npos) {
        throw Error("unterminated ' in `" + std::string(text) + "`");
      }
      cur.append(text.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      ++i;
      for (; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size() &&
            std::string_view("\"\\$`").find(text[i + 1]) != std::string_view::npos) {
          ++i;
        }
        cur.push_back(text[i]);
      }
      if (i >= text.size()) {
        throw Error("unterminated \" in `" + std::string(text) + "`");
      }
    } else {
      cur.push_back(c);
    }
  }
  if (in_word) {
    words.push_back(std::move(cur));
  }
  return words;
}

std::string shell_quote(std::string_view word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_-./=:,+@%") == std::string_view::npos) {
    return std::string(word);
  }
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

bool needs_shell(std::string_view command) {
  if (command.find_first_of(";&|<>()$`*?[]#~'\"\\\n\t{}!") != std::string_view::npos) {
    return true;
  }
  std::string_view first = command.substr(0, command.find(' '));
  for (std::string_view keyword :
       {"if",   "then", "else",     "elif",   "fi",   "for",  "while",  "until", "do", "done",
        "case", "esac", "function", "select", "time", "exec", "export", "set",   "cd", "."}) {
    if (first == keyword) {
      return true;
    }
  }
  return first.find('=') != std::string_view::npos; // VAR=value cmd
}

} // namespace slim
