# mybuild_add_test(NAME name SOURCES a_test.cc ... LIBS lib ... LABELS module [ENV K=V ...])
# One GoogleTest executable; every TEST becomes its own ctest entry, labelled with its module so
# `ctest -L parser` selects one module (the sanitizer build runs labels, not the whole suite).
# `make test` builds the target `sanitized_tests` in the ASan+UBSan tree: every test executable
# with a label in MYBUILD_SANITIZED_LABELS.
set(MYBUILD_SANITIZED_LABELS "parser" CACHE STRING "Labels whose tests `make test` also runs under sanitizers")
add_custom_target(sanitized_tests)

function(mybuild_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;ENV" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${T_NAME} PRIVATE
    MYBUILD_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    MYBUILD_CONFORMANCE_DIR="${PROJECT_SOURCE_DIR}/../shared/conformance")
  mybuild_target_warnings(${T_NAME})
  # The code under test is in the libraries, optimised as the build type says; the test bodies
  # themselves (GoogleTest macros, JSON and CLI11 templates) cost twice the compile time at -O3
  # for nothing, and compiling dominates `make test` on a 2-core runner.
  target_compile_options(${T_NAME} PRIVATE -O0)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  foreach(label IN LISTS T_LABELS)
    if(label IN_LIST MYBUILD_SANITIZED_LABELS)
      add_dependencies(sanitized_tests ${T_NAME})
    endif()
  endforeach()
  gtest_discover_tests(${T_NAME}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT} ENVIRONMENT "${T_ENV}")
endfunction()
