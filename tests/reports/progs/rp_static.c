/* A statically linked program: LD_PRELOAD does not apply to it, so
 * lockscope cannot follow it and must say so. */
#include <stdio.h>

int main(void)
{
    puts("static program ran");
    return 0;
}
