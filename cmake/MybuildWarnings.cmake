# mybuild_target_warnings(target): our warning set (STYLE.md §9). Generated code does not use it.
function(mybuild_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
  if(MYBUILD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
