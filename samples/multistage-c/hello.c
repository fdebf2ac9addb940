/* The program of the multistage-c sample: a greeting, then each argument on its own line, so a
   test sees that ENTRYPOINT (exec form) passes `docker run IMAGE a b` through unchanged. */
#include <stdio.h>

int main(int argc, char** argv) {
  printf("hello from a multi-stage mybuild image\n");
  for (int i = 1; i < argc; ++i) printf("arg %d: %s\n", i, argv[i]);
  return 0;
}
