# mybuild_antlr_library(NAME target GRAMMARS A.g4 [B.g4 ...] [NAMESPACE ns] [LIB_DIR dir])
# Runs Debian's ANTLR tool (4.7.2, a Java jar) at build time and compiles its C++ into a static
# library of its own. The generated code does not compile as plain C++20 (it uses u8"" literals
# as std::string), hence -fno-char8_t; warnings are off for this target only (STYLE.md §9).
# Lexer/parser grammars given together are generated in order, so a parser grammar can use
# `tokenVocab` of a lexer grammar listed before it. Nothing generated is committed.
find_program(ANTLR4_TOOL antlr4 REQUIRED)
find_package(antlr4-runtime REQUIRED)

# Clang 14 rejects misc/InterpreterDataReader.h of libantlr4-runtime-dev 4.9 (a defaulted
# constructor of a struct with a reference member). Nothing of ours uses it, so for clang (the
# fuzz build) a copy of antlr4-runtime.h without that one include is put ahead of the system
# header; its other includes still resolve in /usr/include/antlr4-runtime.
set(MYBUILD_ANTLR_SHIM_DIR "")
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(MYBUILD_ANTLR_SHIM_DIR ${CMAKE_BINARY_DIR}/antlr4-shim)
  file(READ /usr/include/antlr4-runtime/antlr4-runtime.h _antlr_umbrella)
  string(REPLACE "#include \"misc/InterpreterDataReader.h\"" "" _antlr_umbrella "${_antlr_umbrella}")
  file(WRITE ${MYBUILD_ANTLR_SHIM_DIR}/antlr4-runtime.h "${_antlr_umbrella}")
endif()

function(mybuild_antlr_library)
  cmake_parse_arguments(A "" "NAME;NAMESPACE" "GRAMMARS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${A_NAME})
  file(MAKE_DIRECTORY ${out_dir})
  set(all_sources)
  set(prev_outputs)
  foreach(g4 IN LISTS A_GRAMMARS)
    get_filename_component(base ${g4} NAME_WE)
    set(abs ${CMAKE_CURRENT_SOURCE_DIR}/${g4})
    file(READ ${abs} text)
    if(text MATCHES "(^|\n)[ \t]*lexer[ \t]+grammar")
      set(outputs ${out_dir}/${base}.cpp ${out_dir}/${base}.h)
    elseif(text MATCHES "(^|\n)[ \t]*parser[ \t]+grammar")
      set(outputs ${out_dir}/${base}.cpp ${out_dir}/${base}.h
                  ${out_dir}/${base}Visitor.cpp ${out_dir}/${base}Visitor.h
                  ${out_dir}/${base}BaseVisitor.cpp ${out_dir}/${base}BaseVisitor.h)
    else()
      set(outputs ${out_dir}/${base}Lexer.cpp ${out_dir}/${base}Lexer.h
                  ${out_dir}/${base}Parser.cpp ${out_dir}/${base}Parser.h
                  ${out_dir}/${base}Visitor.cpp ${out_dir}/${base}Visitor.h
                  ${out_dir}/${base}BaseVisitor.cpp ${out_dir}/${base}BaseVisitor.h)
    endif()
    set(ns_args)
    if(A_NAMESPACE)
      set(ns_args -package ${A_NAMESPACE})
    endif()
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND ${ANTLR4_TOOL} -Dlanguage=Cpp -visitor -no-listener ${ns_args}
              -Xexact-output-dir -o ${out_dir} -lib ${out_dir} ${abs}
      DEPENDS ${abs} ${prev_outputs}
      COMMENT "ANTLR ${g4}"
      VERBATIM)
    list(APPEND all_sources ${outputs})
    set(prev_outputs ${outputs})
  endforeach()
  list(FILTER all_sources INCLUDE REGEX "\\.cpp$")
  add_library(${A_NAME} STATIC ${all_sources})
  target_include_directories(${A_NAME} SYSTEM BEFORE PUBLIC ${MYBUILD_ANTLR_SHIM_DIR} ${out_dir}
                             /usr/include/antlr4-runtime)
  target_compile_options(${A_NAME} PRIVATE -fno-char8_t -w)
  # ANTLR's files are few and large, and each defines the same file-local helpers.
  set_target_properties(${A_NAME} PROPERTIES UNITY_BUILD OFF)
  target_link_libraries(${A_NAME} PUBLIC antlr4_static)
endfunction()
