/* A statically linked program: the shim cannot be loaded into it. */
#include <stdio.h>

int main(void)
{
    puts("static child ran");
    return 0;
}
