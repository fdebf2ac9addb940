// ANTLR's simulators keep what they learn (DFA states per decision, shared prediction
// contexts) in static tables shared by every lexer and parser of a grammar. A one-shot mybuild
// run never notices; a process that parses millions of unrelated inputs (a fuzzer) grows them
// without bound, and every input then behaves according to what ran before it. These drop the
// tables, so the fuzz targets (fuzz/parser_*_fuzz.cc) start each input from the same state with
// flat memory. Not thread-safe: no parse of that grammar may be running.
#pragma once

namespace mybuild::parser::internal {

void clear_dockerfile_antlr_caches();  // DockerfileLexer/Parser (antlr_to_ast.cc)
void clear_word_antlr_caches();        // ShellWordLexer/Parser (word_expansion.cc)

}  // namespace mybuild::parser::internal
