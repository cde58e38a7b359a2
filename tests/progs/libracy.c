/* A shared library with a global that its callers update without a lock. */
long lib_hits;

void lib_hit(void)
{
    lib_hits++; /* @lib_write */
}
