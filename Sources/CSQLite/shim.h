#include <sqlite3.h>

/// Process-wide SQLite settings, applied once before the first connection: no memory statistics, so
/// that every allocation does not take a global mutex (bulk imports allocate per row).
static inline int evaldb_sqlite_configure(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
