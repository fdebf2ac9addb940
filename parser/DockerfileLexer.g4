// The Dockerfile lexer. Its modes follow the physical structure of a Dockerfile:
//   DEFAULT    the start of a line outside any instruction (comments, directives, blank lines,
//              the instruction keyword);
//   ARGS       the rest of an instruction line;
//   CONTINUED  the start of a line that continues an instruction (comment and blank lines there
//              are dropped, as BuildKit does);
//   HEREDOC    heredoc body lines, up to their terminator.
// Three things cannot be written as static rules, so the superclass (internal/lexer_base.h)
// does them: the escape token is chosen at run time by `# escape=`, whether a `#` line is a
// parser directive depends on everything before it, and heredoc terminators are words found in
// the instruction line just read.
// Input symbols are bytes (ByteCharStream), so any byte sequence lexes and texts are byte-exact.
// The superclass maps bytes to the symbols these rules see: '\\' here stands for the escape
// token, whichever byte it is (after `# escape=``, the input's '`' reads as '\\' and its '\\' as
// an ordinary character), and every byte above 0x7F reads as 'a'. So the rules need no semantic
// predicates and see only symbols below 0x80, the two things that keep ANTLR's lexer from caching
// a DFA edge (it then simulates the ATN again, allocating, for every such character).
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
CONTINUATION : '\\' [ \t]* '\r'? '\n' -> channel(HIDDEN), pushMode(CONTINUED) ;
// The escape token and the character it escapes (so `\\` at the end of a line does not continue).
ESCAPED : '\\' ~[\r\n] ;
// Words and the blanks between them in one token: the walk and the heredoc scan only join the
// argument text, and a token per word doubled the lexer's and the tree's allocations.
TEXT : ~[\r\n\\]+ ;
WS : [ \t\f\u000B\r]+ ;
// The escape token right before EOF or a lone '\r'.
CHAR : '\\' ;

mode CONTINUED;
CONTINUED_COMMENT : [ \t\f\u000B]* '#' ~[\n]* '\n'? -> skip ;
CONTINUED_BLANK : [ \t\f\u000B\r]* '\n' -> skip ;
// A line holding only the escape token continues further.
CONTINUED_CONTINUATION : '\\' [ \t]* '\r'? '\n' -> channel(HIDDEN), type(CONTINUATION) ;
CONTINUED_WS : [ \t\f\u000B\r]+ -> type(WS), popMode ;
CONTINUED_TEXT : ~[ \t\f\u000B\r\n#\\] ~[ \t\f\u000B\r\n\\]* -> type(TEXT), popMode ;
CONTINUED_ESCAPED : '\\' ~[\r\n] -> type(ESCAPED), popMode ;
CONTINUED_CHAR : '\\' -> type(CHAR), popMode ;

mode HEREDOC;
// One body line with its newline; the superclass retypes the terminator line to HEREDOC_END.
HEREDOC_LINE : ~[\n]* '\n' | ~[\n]+ ;
