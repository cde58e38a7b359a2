// Two std::threads are given a pointer to a heap object and increment its
// count without a lock.  std::thread hands pthread_create its own state
// (a heap block holding the callable and its arguments), so the object
// is what a word of the thread's argument points to.  With "locked", the
// increments hold the object's std::mutex: clean.
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

struct Counter {
    long count = 0;
    std::mutex m;
};

static bool locked;

static void work(Counter *c)
{
    bool lk = locked; // read once: the loop is about the shared memory
    for (int i = 0; i < (lk ? 2000000 : 20000000); i++) {
        if (lk)
            c->m.lock();
        static_cast<volatile long &>(c->count)++; // @write
        if (lk)
            c->m.unlock();
    }
}

int main(int argc, char **argv)
{
    locked = argc > 1 && !std::strcmp(argv[1], "locked");
    std::vector<std::unique_ptr<char[]>> earlier;
    for (int i = 0; i < 64; i++)
        earlier.emplace_back(new char[32 + i]);
    Counter *c = new Counter;
    std::thread a(work, c), b(work, c);
    a.join();
    b.join();
    std::printf("%d\n", c->count > 0);
    delete c;
    return 0;
}
