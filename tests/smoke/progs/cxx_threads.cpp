// A C++ program written the everyday way: std::thread, std::mutex,
// std::scoped_lock over two mutexes (std::lock's try-and-back-off), a work
// queue on std::condition_variable (wait and wait_for), a table behind
// std::shared_mutex (shared readers, exclusive writers), std::call_once.
// Every shared global is protected, so lockscope must report nothing; the
// output is the same on every run.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

// ---- a bank: transfers lock both accounts with std::scoped_lock ----------
struct account {
    std::mutex m;
    long balance = 1000;
};
static account accounts[8];

static void teller(unsigned seed)
{
    for (int i = 0; i < 400000; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned a = (seed >> 8) % 8, b = (seed >> 16) % 8;
        if (a == b)
            continue;
        std::scoped_lock both(accounts[a].m, accounts[b].m);
        long amount = (long)(seed % 50);
        accounts[a].balance -= amount;
        accounts[b].balance += amount;
    }
}

// ---- a work queue on a condition variable ---------------------------------
static std::mutex queue_mutex;
static std::condition_variable queue_cv;
static std::deque<int> work_queue;
static bool queue_closed;
long queue_sum;          // global: watched by lockscope, always under queue_mutex
int queue_items;

static void producer(int base)
{
    for (int i = 1; i <= 100000; i++) {
        {
            std::lock_guard<std::mutex> g(queue_mutex);
            work_queue.push_back(base + i);
        }
        queue_cv.notify_one();
    }
}

static void consumer()
{
    for (;;) {
        std::unique_lock<std::mutex> g(queue_mutex);
        // wait_for: pthread_cond_clockwait underneath; wait: pthread_cond_wait.
        while (work_queue.empty() && !queue_closed)
            queue_cv.wait_for(g, std::chrono::milliseconds(20));
        if (work_queue.empty())
            return;
        queue_sum += work_queue.front();
        queue_items++;
        work_queue.pop_front();
    }
}

// ---- a table behind a shared_mutex ------------------------------------------
static std::shared_mutex table_mutex;
int table_version;       // global, written under the exclusive lock only
static int table[64];

static void writer()
{
    for (int v = 1; v <= 5000; v++) {
        std::unique_lock<std::shared_mutex> g(table_mutex);
        table_version = v;
        for (int &cell : table)
            cell = v;
    }
}

static long reader()
{
    long seen = 0;
    for (int i = 0; i < 50000; i++) {
        std::shared_lock<std::shared_mutex> g(table_mutex);
        if (table[0] == table_version && table[63] == table_version)
            seen++;
    }
    return seen;
}

// ---- call_once --------------------------------------------------------------
static std::once_flag config_once;
int config_value;

static void use_config(int *out)
{
    std::call_once(config_once, [] { config_value = 42; });
    *out = config_value;
}

int main()
{
    std::vector<std::thread> ts;
    for (unsigned s = 1; s <= 4; s++)
        ts.emplace_back(teller, s);
    for (auto &t : ts)
        t.join();
    long total = 0;
    for (auto &a : accounts)
        total += a.balance;
    std::printf("bank total %ld\n", total);

    ts.clear();
    for (int c = 0; c < 3; c++)
        ts.emplace_back(consumer);
    for (int p = 0; p < 2; p++)
        ts.emplace_back(producer, p * 100000);
    ts[3].join();
    ts[4].join();
    {
        std::lock_guard<std::mutex> g(queue_mutex);
        queue_closed = true;
    }
    queue_cv.notify_all();
    for (int c = 0; c < 3; c++)
        ts[c].join();
    std::printf("queue items %d sum %ld\n", queue_items, queue_sum);

    ts.clear();
    std::vector<long> seen(3);
    ts.emplace_back(writer);
    for (int r = 0; r < 3; r++)
        ts.emplace_back([&seen, r] { seen[r] = reader(); });
    for (auto &t : ts)
        t.join();
    std::printf("table version %d consistent reads %ld\n", table_version,
                seen[0] + seen[1] + seen[2]);

    ts.clear();
    int got[4];
    for (int i = 0; i < 4; i++)
        ts.emplace_back(use_config, &got[i]);
    for (auto &t : ts)
        t.join();
    std::printf("config %d %d %d %d\n", got[0], got[1], got[2], got[3]);
    return 0;
}
