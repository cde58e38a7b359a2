/* Built with -static: the shim cannot be loaded into it. */
#include <stdio.h>

int main(void)
{
    printf("static child ran\n");
    return 5;
}
