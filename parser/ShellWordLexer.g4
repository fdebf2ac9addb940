// Docker's shell-word syntax (BuildKit frontend/dockerfile/shell/lex.go), which is NOT POSIX sh.
// One mode per context of lex.go: unquoted text, '...', "...", the name after "${", the operator
// after the name, the word of ${V<op>word} (up to '}') and the pattern of ${V/pattern/...} (up to
// '/'). The escape token is a runtime choice (`\` or a backtick, from `# escape=`): the input
// stream (parser/internal/escape_swapped_stream.h) shows it to these rules as '\' and the other of
// the two as '`', so the rules name it as a literal and need no semantic predicate.
lexer grammar ShellWordLexer;

// ---- unquoted text (lex.go processStopOn with stop char EOF) ----
// An escape takes the next character, whatever it is; at the end of input it stands alone.
ESC : '\\' .? ;
SQ_OPEN : '\'' -> pushMode(SINGLE_QUOTED) ;
DQ_OPEN : '"' -> pushMode(DOUBLE_QUOTED) ;
DOLLAR_BRACE : '${' -> pushMode(PARAM_NAME) ;
DOLLAR_NAME : '$' NAME ;
DOLLAR : '$' ;
TEXT : ~['"$\\`]+ ;
// Whichever of `\` and backtick is not the escape token is ordinary text. ESC is listed first so
// that it wins for a lone escape token at the end of the word.
NOT_ESCAPE : '`' -> type(TEXT) ;

// lex.go processName: all digits when the first is a digit (positional), one special
// character, or a run of letters, numbers and '_' (Go's unicode.IsLetter/IsNumber).
fragment NAME : [\p{Nd}]+ | [@*#?\-$!] | [\p{L}\p{Nl}\p{No}_] [\p{L}\p{N}_]* ;

mode SINGLE_QUOTED;
// No escapes at all inside single quotes.
SQ_TEXT : ~[']+ ;
SQ_CLOSE : '\'' -> popMode ;

mode DOUBLE_QUOTED;
DQ_CLOSE : '"' -> popMode ;
DQ_ESC : '\\' .? -> type(ESC) ;
DQ_DOLLAR_BRACE : '${' -> type(DOLLAR_BRACE), pushMode(PARAM_NAME) ;
DQ_DOLLAR_NAME : '$' NAME -> type(DOLLAR_NAME) ;
DQ_DOLLAR : '$' -> type(DOLLAR) ;
DQ_TEXT : ~["$\\`]+ -> type(TEXT) ;
DQ_NOT_ESCAPE : '`' -> type(TEXT) ;

mode PARAM_NAME;
PARAM : NAME -> mode(PARAM_OP) ;
// "${}", "${:}", "${{", "${." ...: lex.go's "bad substitution".
BAD_NAME : . ;

mode PARAM_OP;
PARAM_CLOSE : '}' -> popMode ;
// ':' makes an empty value count as unset; ${V:#p} and ${V:%p} are not allowed (lex.go).
OP : (':'? [-+?] | [#%]) -> mode(PARAM_WORD) ;
SLASH_ALL : '//' -> mode(PATTERN) ;
SLASH : '/' -> mode(PATTERN) ;
// "${V:=w}", "${V=w}", "${V:w}", "${V:#p}": lex.go's "unsupported modifier".
BAD_OP : ':' . | . ;

mode PARAM_WORD;
// lex.go processStopOn('}'): the first unescaped, unquoted '}' ends the word.
WORD_CLOSE : '}' -> popMode ;
W_ESC : '\\' .? -> type(ESC) ;
W_SQ_OPEN : '\'' -> type(SQ_OPEN), pushMode(SINGLE_QUOTED) ;
W_DQ_OPEN : '"' -> type(DQ_OPEN), pushMode(DOUBLE_QUOTED) ;
W_DOLLAR_BRACE : '${' -> type(DOLLAR_BRACE), pushMode(PARAM_NAME) ;
W_DOLLAR_NAME : '$' NAME -> type(DOLLAR_NAME) ;
W_DOLLAR : '$' -> type(DOLLAR) ;
W_TEXT : ~['"$}\\`]+ -> type(TEXT) ;
W_NOT_ESCAPE : '`' -> type(TEXT) ;

mode PATTERN;
// lex.go processStopOn('/'): the pattern of ${V/pattern/replacement} ends at the first
// unescaped, unquoted '/'; the replacement is then read like any other word up to '}'.
PATTERN_END : '/' -> mode(PARAM_WORD) ;
P_ESC : '\\' .? -> type(ESC) ;
P_SQ_OPEN : '\'' -> type(SQ_OPEN), pushMode(SINGLE_QUOTED) ;
P_DQ_OPEN : '"' -> type(DQ_OPEN), pushMode(DOUBLE_QUOTED) ;
P_DOLLAR_BRACE : '${' -> type(DOLLAR_BRACE), pushMode(PARAM_NAME) ;
P_DOLLAR_NAME : '$' NAME -> type(DOLLAR_NAME) ;
P_DOLLAR : '$' -> type(DOLLAR) ;
P_TEXT : ~['"$/\\`]+ -> type(TEXT) ;
P_NOT_ESCAPE : '`' -> type(TEXT) ;
