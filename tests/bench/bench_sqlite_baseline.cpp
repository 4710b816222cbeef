// bench_sqlite_baseline: what SQLite alone achieves when every insert is its own transaction.
//
// The baseline the command-throughput target is measured against: journal_mode=WAL,
// synchronous=FULL (one fsync per COMMIT), ONE row per transaction, into a table shaped like
// the event store's `events` table (same columns, same unique indexes), with realistic JSON.
// Run it on the same file system as the engine's data directory.
//
//   bench_sqlite_baseline DIR [--seconds S] [--inserts N] [--runs R] [--synchronous FULL|NORMAL]
//                             [--batch B] [--ordered-ids] [--cache-mib M] [--autocheckpoint P]
//
// Each run uses a fresh database file in DIR and stops after S seconds or N inserts, whichever
// comes first. The last line is machine readable:
//   BASELINE synchronous=FULL batch=1 ids=random runs=3 median_inserts_per_sec=... min=... max=...
//
// The defaults are the baseline. The other options are for what-if experiments on the event
// store's design, not for the baseline: --batch B commits B inserts per transaction (group
// commit), --ordered-ids uses time-ordered ids (UUIDv7-like, so both unique indexes grow at their
// right edge instead of at random places), --cache-mib sets the page cache, --autocheckpoint
// the WAL auto-checkpoint threshold in pages (0: off).

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

struct Config
{
    std::string dir;
    double seconds = 5.0;
    long long inserts = 0;   // 0: no limit
    int runs = 3;
    std::string synchronous = "FULL";
    int batch = 1;
    bool orderedIds = false;
    int cacheMiB = 0;          // 0: SQLite's default
    int autocheckpoint = -1;   // -1: SQLite's default (1000 pages)
};

[[noreturn]] void usage(const char *argv0)
{
    std::fprintf(stderr,
                 "usage: %s DIR [--seconds S] [--inserts N] [--runs R] [--synchronous FULL|NORMAL]\n"
                 "       [--batch B] [--ordered-ids] [--cache-mib M] [--autocheckpoint PAGES]\n"
                 "  Commits one insert per transaction (WAL) into DIR/baseline-<run>.db and prints inserts/s.\n",
                 argv0);
    std::exit(2);
}

Config parse(int argc, char **argv)
{
    Config c;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage(argv[0]);
            return argv[++i];
        };
        if (a == "--seconds")
            c.seconds = std::atof(value().c_str());
        else if (a == "--inserts")
            c.inserts = std::atoll(value().c_str());
        else if (a == "--runs")
            c.runs = std::atoi(value().c_str());
        else if (a == "--synchronous")
            c.synchronous = value();
        else if (a == "--batch")
            c.batch = std::atoi(value().c_str());
        else if (a == "--ordered-ids")
            c.orderedIds = true;
        else if (a == "--cache-mib")
            c.cacheMiB = std::atoi(value().c_str());
        else if (a == "--autocheckpoint")
            c.autocheckpoint = std::atoi(value().c_str());
        else if (a == "-h" || a == "--help")
            usage(argv[0]);
        else if (!a.empty() && a[0] == '-')
            usage(argv[0]);
        else if (c.dir.empty())
            c.dir = a;
        else
            usage(argv[0]);
    }
    if (c.dir.empty() || c.runs < 1 || c.batch < 1 || (c.seconds <= 0 && c.inserts <= 0)
        || (c.synchronous != "FULL" && c.synchronous != "NORMAL"))
        usage(argv[0]);
    if (c.seconds <= 0)
        c.seconds = 1e9;
    return c;
}

void check(int rc, sqlite3 *db, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        std::fprintf(stderr, "bench_sqlite_baseline: %s: %s\n", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        std::exit(1);
    }
}

void exec(sqlite3 *db, const char *sql)
{
    char *message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::fprintf(stderr, "bench_sqlite_baseline: %s: %s\n", sql, message ? message : "?");
        std::exit(1);
    }
}

struct Statement
{
    sqlite3_stmt *st = nullptr;
    Statement(sqlite3 *db, const char *sql) { check(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), db, sql); }
    ~Statement() { sqlite3_finalize(st); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    void run(sqlite3 *db, const char *what)
    {
        check(sqlite3_step(st), db, what);
        sqlite3_reset(st);
    }
};

class Uuids
{
public:
    explicit Uuids(bool ordered) : m_ordered(ordered), m_rng(std::random_device{}()) {}
    // Random (v4), or time-ordered: 48-bit milliseconds plus a counter up front, like UUIDv7.
    std::string next()
    {
        static const char hex[] = "0123456789abcdef";
        std::string s(36, '-');
        uint64_t a = m_rng(), b = m_rng();
        if (m_ordered) {
            const auto ms = uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch()).count());
            const uint64_t high = (ms << 16) | (m_counter++ & 0xffff);
            // The writer below emits a's nibbles first, lowest first: put the time there, reversed.
            a = 0;
            for (int i = 0; i < 16; ++i)
                a |= ((high >> (4 * (15 - i))) & 0xf) << (4 * i);
        }
        for (int i = 0, k = 0; i < 36; ++i) {
            if (i == 8 || i == 13 || i == 18 || i == 23)
                continue;
            uint64_t &src = k < 16 ? a : b;
            s[i] = hex[src & 0xf];
            src >>= 4;
            ++k;
        }
        s[14] = '4';                 // version 4
        s[19] = hex[8 + (b & 3)];    // variant
        return s;
    }

private:
    bool m_ordered;
    uint64_t m_counter = 0;
    std::mt19937_64 m_rng;
};

// Bytes this process has handed to write()/pwrite() so far (Linux /proc/self/io "wchar"): the
// WAL frames and checkpoint writes, a noise-free measure of write amplification.
long long bytesWritten()
{
    std::ifstream io("/proc/self/io");
    std::string key;
    long long value = 0;
    while (io >> key >> value) {
        if (key == "wchar:")
            return value;
    }
    return -1;
}

double runOnce(const Config &c, int run)
{
    namespace fs = std::filesystem;
    const fs::path path = fs::path(c.dir) / ("baseline-" + std::to_string(run) + ".db");
    for (const char *suffix : {"", "-wal", "-shm", "-journal"})
        fs::remove(path.string() + suffix);

    sqlite3 *db = nullptr;
    check(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr),
          db, "open");
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, c.synchronous == "FULL" ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    if (c.cacheMiB > 0)
        exec(db, ("PRAGMA cache_size = -" + std::to_string(c.cacheMiB * 1024)).c_str());
    if (c.autocheckpoint >= 0)
        exec(db, ("PRAGMA wal_autocheckpoint = " + std::to_string(c.autocheckpoint)).c_str());
    // The event store's table and its unique indexes (engine/store/eventstore.cpp, migration 1).
    exec(db,
         "CREATE TABLE events("
         "  position INTEGER PRIMARY KEY,"
         "  stream TEXT NOT NULL,"
         "  version INTEGER NOT NULL,"
         "  id TEXT NOT NULL UNIQUE,"
         "  type TEXT NOT NULL,"
         "  data TEXT NOT NULL,"
         "  metadata TEXT NOT NULL,"
         "  time INTEGER NOT NULL);"
         "CREATE UNIQUE INDEX events_stream_version ON events(stream, version);");

    Statement begin(db, "BEGIN IMMEDIATE");
    Statement commit(db, "COMMIT");
    Statement insert(db, "INSERT INTO events(position, stream, version, id, type, data, metadata, time)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    Uuids uuids(c.orderedIds);
    char data[512];
    char meta[512];

    using Clock = std::chrono::steady_clock;
    const long long writtenBefore = bytesWritten();
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(c.seconds));
    long long n = 0;
    auto now = start;
    while ((c.inserts <= 0 || n < c.inserts) && now < deadline) {
        const long long position = n + 1;
        const std::string entity = uuids.next();
        const std::string stream = "products-" + entity;
        const std::string eventId = uuids.next();
        const std::string command = uuids.next();
        // ~150 bytes, like a products.created event body.
        const int dataLen = std::snprintf(data, sizeof data,
            "{\"id\":\"%s\",\"name\":\"Widget %lld\",\"price\":%lld.5,\"sku\":\"ABC-123\",\"stock\":%lld,"
            "\"tags\":[\"bench\",\"baseline\"]}",
            entity.c_str(), position, position % 1000, position % 97);
        const int metaLen = std::snprintf(meta, sizeof meta,
            "{\"causationid\":\"%s\",\"commandid\":\"%s\",\"correlationid\":\"%s\"}",
            command.c_str(), command.c_str(), command.c_str());
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch()).count();

        if (n % c.batch == 0)
            begin.run(db, "BEGIN");
        sqlite3_bind_int64(insert.st, 1, position);
        sqlite3_bind_text(insert.st, 2, stream.data(), int(stream.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert.st, 3, 0);
        sqlite3_bind_text(insert.st, 4, eventId.data(), int(eventId.size()), SQLITE_TRANSIENT);
        sqlite3_bind_text(insert.st, 5, "products.created", -1, SQLITE_STATIC);
        sqlite3_bind_text(insert.st, 6, data, dataLen, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert.st, 7, meta, metaLen, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert.st, 8, ms);
        insert.run(db, "INSERT");
        ++n;
        if (n % c.batch == 0)
            commit.run(db, "COMMIT");   // synchronous=FULL: the WAL is fsynced here
        now = Clock::now();
    }
    if (n % c.batch != 0) {
        commit.run(db, "COMMIT");
        now = Clock::now();
    }
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const long long written = bytesWritten() - writtenBefore;
    sqlite3_close_v2(db);
    for (const char *suffix : {"", "-wal", "-shm", "-journal"})
        fs::remove(path.string() + suffix);
    const double rate = elapsed > 0 ? double(n) / elapsed : 0.0;
    std::printf("run %d: %lld inserts in %.2f s = %.0f inserts/s (synchronous=%s, %d insert(s) per transaction, %s ids;"
                " %.0f bytes written per insert)\n",
                run, n, elapsed, rate, c.synchronous.c_str(), c.batch, c.orderedIds ? "ordered" : "random",
                n > 0 && writtenBefore >= 0 ? double(written) / double(n) : 0.0);
    std::fflush(stdout);
    return rate;
}

} // namespace

int main(int argc, char **argv)
{
    const Config c = parse(argc, argv);
    std::error_code ec;
    std::filesystem::create_directories(c.dir, ec);
    if (ec) {
        std::fprintf(stderr, "bench_sqlite_baseline: cannot create %s: %s\n", c.dir.c_str(), ec.message().c_str());
        return 1;
    }
    std::printf("SQLite %s, journal_mode=WAL, synchronous=%s, dir %s\n", sqlite3_libversion(), c.synchronous.c_str(),
                c.dir.c_str());
    std::vector<double> rates;
    for (int r = 1; r <= c.runs; ++r)
        rates.push_back(runOnce(c, r));
    std::vector<double> sorted = rates;
    std::sort(sorted.begin(), sorted.end());
    const size_t m = sorted.size();
    const double median = m % 2 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
    std::printf("BASELINE synchronous=%s batch=%d ids=%s runs=%zu median_inserts_per_sec=%.0f min=%.0f max=%.0f\n",
                c.synchronous.c_str(), c.batch, c.orderedIds ? "ordered" : "random", m, median, sorted.front(),
                sorted.back());
    return 0;
}
