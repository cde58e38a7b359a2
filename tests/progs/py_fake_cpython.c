/* An executable that looks like a CPython interpreter to the shim (it
 * exports _PyRuntime and Py_Version, as Debian's statically linked python3
 * does) of a version whose threading.Lock makes no libc call: lockscope must
 * say, in one line and in the report, that Python locks are not checked.
 * The version is fixed at build time (PY_FAKE_VERSION). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((visibility("default"))) char _PyRuntime[4096];
__attribute__((visibility("default"))) const unsigned int Py_Version = PY_FAKE_VERSION;

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
    pthread_mutex_lock(&m);
    _PyRuntime[0] = 1;
    pthread_mutex_unlock(&m);
    printf("fake interpreter %x\n", Py_Version);
    return 0;
}
