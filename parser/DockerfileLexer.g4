// The Dockerfile lexer. Its modes follow the physical structure of a Dockerfile:
//   DEFAULT    the start of a line outside any instruction (comments, directives, blank lines,
//              the instruction keyword);
//   ARGS       the rest of an instruction line;
//   CONTINUED  the start of a line that continues an instruction (comment and blank lines there
//              are dropped, as BuildKit does);
//   HEREDOC    heredoc body lines, up to their terminator.
// Three things cannot be written as static rules, so the superclass (internal/lexer_base.h)
// does them: the escape token is chosen at run time by `# escape=` (predicates isEscape()),
// whether a `#` line is a parser directive depends on everything before it, and heredoc
// terminators are words found in the instruction line just read.
// Input symbols are bytes (ByteCharStream), so any byte sequence lexes and texts are byte-exact.
lexer grammar DockerfileLexer;

options { superClass = DockerfileLexerBase; }

@lexer::header {
#include "parser/internal/lexer_base.h"
namespace mybuild::parser::gen {
using DockerfileLexerBase = ::mybuild::parser::internal::DockerfileLexerBase;
}
}

tokens { DIRECTIVE, HEREDOC_END }

@lexer::members {
  TokenKinds token_kinds() const override {
    return {COMMENT, DIRECTIVE, BLANK, KEYWORD, EOL, TEXT, WS, ESCAPED, CHAR, HEREDOC_LINE,
            HEREDOC_END, HEREDOC};
  }
}

// ---- DEFAULT: start of a line ----
// A `#` line; the superclass retypes it to DIRECTIVE while the directive scan is open.
COMMENT : [ \t\f\u000B]* '#' ~[\n]* '\n'? ;
BLANK : [ \t\f\u000B\r]* '\n' | [ \t\f\u000B\r]+ ;
// The instruction word (leading whitespace included; the tree walk trims it).
KEYWORD : [ \t\f\u000B\r]* ~[ \t\f\u000B\r\n#] ~[ \t\f\u000B\r\n]* -> pushMode(ARGS) ;

mode ARGS;
EOL : '\r'? '\n' -> popMode ;
// The escape token as the last non-blank character: the instruction goes on on the next line.
CONTINUATION : [\\`] [ \t]* '\r'? '\n' {isEscape()}? -> channel(HIDDEN), pushMode(CONTINUED) ;
// The escape token and the character it escapes (so `\\` at the end of a line does not continue).
ESCAPED : [\\`] ~[\r\n] {isEscape()}? ;
// Words and the blanks between them in one token: the walk and the heredoc scan only join the
// argument text, and a token per word doubled the lexer's and the tree's allocations.
TEXT : ~[\r\n\\`]+ ;
WS : [ \t\f\u000B\r]+ ;
// A backslash or backtick that is not the escape token, or the escape token right before EOF.
CHAR : [\\`] ;

mode CONTINUED;
CONTINUED_COMMENT : [ \t\f\u000B]* '#' ~[\n]* '\n'? -> skip ;
CONTINUED_BLANK : [ \t\f\u000B\r]* '\n' -> skip ;
// A line holding only the escape token continues further.
CONTINUED_CONTINUATION : [\\`] [ \t]* '\r'? '\n' {isEscape()}? -> channel(HIDDEN), type(CONTINUATION) ;
CONTINUED_WS : [ \t\f\u000B\r]+ -> type(WS), popMode ;
CONTINUED_TEXT : ~[ \t\f\u000B\r\n#\\`] ~[ \t\f\u000B\r\n\\`]* -> type(TEXT), popMode ;
CONTINUED_ESCAPED : [\\`] ~[\r\n] {isEscape()}? -> type(ESCAPED), popMode ;
CONTINUED_CHAR : [\\`] -> type(CHAR), popMode ;

mode HEREDOC;
// One body line with its newline; the superclass retypes the terminator line to HEREDOC_END.
HEREDOC_LINE : ~[\n]* '\n' | ~[\n]+ ;
