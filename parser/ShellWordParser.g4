// The structure of one Docker shell word (see ShellWordLexer.g4). What each piece means
// (lookup, defaults, pattern removal, replacement, word splitting) is in word_expansion.cc.
parser grammar ShellWordParser;

options { tokenVocab = ShellWordLexer; }

word : part* EOF ;

// Unquoted text, escapes, quotes and expansions, in the order they appear.
part : TEXT | ESC | singleQuoted | doubleQuoted | dollar ;

singleQuoted : SQ_OPEN SQ_TEXT? SQ_CLOSE ;

doubleQuoted : DQ_OPEN quotedPart* DQ_CLOSE ;

quotedPart : TEXT | ESC | dollar ;

// Which alternative matched is read from the tokens present (DOLLAR_NAME, PARAM_CLOSE, OP, ...).
dollar
  : DOLLAR_NAME
  | DOLLAR
  | DOLLAR_BRACE PARAM PARAM_CLOSE
  | DOLLAR_BRACE PARAM OP operand+=part* WORD_CLOSE
  | DOLLAR_BRACE PARAM (SLASH | SLASH_ALL) pattern+=part* PATTERN_END replacement+=part* WORD_CLOSE
  ;
