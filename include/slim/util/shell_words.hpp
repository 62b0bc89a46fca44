#pragma once
// Splitting a command line into words the way a POSIX shell does for quoting (no expansion).

#include <string>
#include <string_view>
#include <vector>

namespace slim {

/// Splits on unquoted blanks; '...' is literal, "..." allows \" \\ \$ \`, a backslash outside
/// quotes escapes the next character. Throws slim::Error on an unterminated quote.
std::vector<std::string> split_words(std::string_view text);

/// Quotes `word` for a POSIX shell when it needs it (for messages and `sh -c`).
std::string shell_quote(std::string_view word);

/// True when `command` needs a shell to mean what it says: operators and redirections
/// (`; & | < > ( )`), expansions (`$`, backquotes, globs `* ? [`, `~`), comments, quotes,
/// escapes, newlines, a leading `NAME=value` assignment or a shell keyword (`if`, `for`,
/// `while`, `case`, `until`, `{`, `!`, ...). A plain `prog arg arg` does not.
bool needs_shell(std::string_view command);

} // namespace slim
