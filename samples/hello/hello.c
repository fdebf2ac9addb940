#include <stdio.h>

int main(void) {
  puts("hello from mybuild");
  return 0;
}
