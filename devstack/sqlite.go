package devstack

import "fmt"

// SQLiteMode is how the dev server's SQLite file commits, i.e. what a commit
// survives (issue 19: the durable floor). The dev server runs every store
// (history, matching, visibility) on one SQLite connection, so each commit's
// cost is the ceiling of the whole server.
type SQLiteMode string

const (
	// SQLiteDefault is SQLite's own default: a rollback journal
	// (journal_mode=DELETE) with synchronous=FULL. Survives a power loss; each
	// commit creates, syncs and deletes the journal and syncs the database
	// (several fsyncs and a file create/delete per commit).
	SQLiteDefault SQLiteMode = ""
	// SQLiteDurable is write-ahead logging with synchronous=FULL: the WAL is
	// synced at every commit (one fsync), so a committed workflow step
	// survives a power loss as with the default, at a fraction of its I/O.
	// `make dev` and `paysaga bench -durable` run this.
	SQLiteDurable SQLiteMode = "wal"
	// SQLiteCrashSafe is write-ahead logging with synchronous=NORMAL: no fsync
	// per commit (only at checkpoints). Survives a crash of the server process
	// (the commit is in the OS's page cache), NOT a power loss or an OS crash,
	// which may roll back the last commits (never corrupt the file).
	SQLiteCrashSafe SQLiteMode = "wal-normal"
)

// ParseSQLiteMode reads a mode's name: "default", "wal" or "wal-normal".
func ParseSQLiteMode(s string) (SQLiteMode, error) {
	switch m := SQLiteMode(s); m {
	case SQLiteDurable, SQLiteCrashSafe:
		return m, nil
	case "default", "":
		return SQLiteDefault, nil
	}
	return "", fmt.Errorf("sqlite mode %q: want default, wal or wal-normal", s)
}

// String names the mode as ParseSQLiteMode reads it.
func (m SQLiteMode) String() string {
	if m == SQLiteDefault {
		return "default"
	}
	return string(m)
}

// pragmas are the mode's --sqlite-pragma values (the pinned CLI passes them
// on every connection it opens to the file).
func (m SQLiteMode) pragmas() ([]string, error) {
	switch m {
	case SQLiteDefault:
		return nil, nil
	case SQLiteDurable:
		return []string{"journal_mode=wal", "synchronous=full"}, nil
	case SQLiteCrashSafe:
		return []string{"journal_mode=wal", "synchronous=normal"}, nil
	}
	return nil, fmt.Errorf("sqlite mode %q: want default, wal or wal-normal", string(m))
}
