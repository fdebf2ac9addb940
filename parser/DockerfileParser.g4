// The Dockerfile parser: directives first, then instructions, comments and blank lines; an
// instruction is its keyword, its argument text (continuations are on the hidden channel) and,
// for RUN/COPY/ADD lines that open heredocs, the heredoc bodies that follow the line.
// How the argument text splits into flags and arguments depends on the keyword and, for the
// JSON (exec) form, on whether the whole joined text is a valid JSON array; BuildKit decides
// this on the logical line after joining continuations, so the tree walk (antlr_to_ast.cc)
// does it with the same rules on the same text.
parser grammar DockerfileParser;

options { tokenVocab = DockerfileLexer; }

dockerfile : DIRECTIVE* (instruction | COMMENT | BLANK)* EOF ;

instruction : KEYWORD arguments (EOL heredoc* unterminatedHeredoc?)? ;

arguments : (TEXT | WS | ESCAPED | CHAR)* ;

heredoc : HEREDOC_LINE* HEREDOC_END ;

// Body lines that run into the end of the file. Accepted here so that the tree walk can report
// "unterminated heredoc" with the line that opened it, which a generic "missing token" message
// could not name.
unterminatedHeredoc : HEREDOC_LINE+ ;
