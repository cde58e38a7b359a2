// Reproducer: a data race on a C++ file-static global (internal linkage:
// its symbol is mangled, _ZL11last_writer).  Two threads write it without a
// lock.  Expected: the race reported on `last_writer` (demangled), as for C.
#include <chrono>
#include <cstdio>
#include <thread>

static long last_writer;

static void stamp(long me)
{
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    last_writer = me; // @write
}

int main()
{
    std::thread a(stamp, 1), b(stamp, 2);
    a.join();
    b.join();
    std::printf("%s\n", last_writer ? "stamped" : "?");
    return 0;
}
