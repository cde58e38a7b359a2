// C++ synchronization goes through the pthread entry points: std::mutex
// (pthread_mutex_*), std::shared_mutex (pthread_rwlock_*),
// std::condition_variable (pthread_cond_*), std::thread (pthread_create).
// Two threads lock two std::mutexes in opposite orders (a cycle); the rest
// is correct and clean.
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <chrono>

std::mutex noodle_lock, fork_lock, q_lock;
std::shared_mutex table_lock;
std::condition_variable q_cv;
int table[4];
int queue_item;
bool queue_full;

int main()
{
    std::thread t1([] {
        std::lock_guard<std::mutex> a(noodle_lock); // @t1_noodle
        std::lock_guard<std::mutex> b(fork_lock);   // @t1_fork
    });
    std::thread t2([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::lock_guard<std::mutex> a(fork_lock);   // @t2_fork
        std::lock_guard<std::mutex> b(noodle_lock); // @t2_noodle
    });
    std::thread producer([] {
        for (int i = 1; i <= 100; i++) {
            std::unique_lock<std::mutex> l(q_lock);
            q_cv.wait(l, [] { return !queue_full; });
            queue_item = i;
            queue_full = true;
            q_cv.notify_all();
        }
    });
    std::thread consumer([] {
        long sum = 0;
        for (int i = 1; i <= 100; i++) {
            std::unique_lock<std::mutex> l(q_lock);
            q_cv.wait(l, [] { return queue_full; });
            sum += queue_item;
            queue_full = false;
            q_cv.notify_all();
        }
        std::unique_lock<std::shared_mutex> w(table_lock);
        table[0] = (int)sum;
    });
    std::thread reader([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::shared_lock<std::shared_mutex> r(table_lock);
        (void)table[0];
    });
    t1.join();
    t2.join();
    producer.join();
    consumer.join();
    reader.join();
    std::printf("%d\n", table[0]);
    return 0;
}
