package devstack

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresOptions says where and how to run a PostgreSQL server.
type PostgresOptions struct {
	Dir      string // holds data/ and the socket directory run/; reused when it exists
	Port     int
	Role     string // superuser created by initdb; default paysaga
	Database string // created when missing; default paysaga
	// Throwaway trades durability for speed (fsync off): for test databases only.
	Throwaway bool
	Log       io.Writer
}

// Postgres is a running server.
type Postgres struct {
	URL  string // of Database, as Role, over TCP on loopback
	proc *process
}

// StartPostgres initialises Dir on first use (initdb refuses to run as root, so
// as root the server runs as the `postgres` user) and starts the server.
func StartPostgres(ctx context.Context, o PostgresOptions) (*Postgres, error) {
	if o.Role == "" {
		o.Role = "paysaga"
	}
	if o.Database == "" {
		o.Database = "paysaga"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	bin, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	data, sock := filepath.Join(o.Dir, "data"), filepath.Join(o.Dir, "run")
	for _, d := range []string{o.Dir, sock} {
		if err := ensureDir(d); err != nil {
			return nil, err
		}
	}
	cred, err := serviceUser(o.Dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); os.IsNotExist(err) {
		initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", o.Role,
			"--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")
		initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := initdb.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("initdb %s: %w\n%s", data, err, out)
		}
	}
	args := []string{"-D", data, "-p", itoa(o.Port), "-k", sock,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=400"}
	if o.Throwaway {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	p, err := start("postgres", cmd, o.Log)
	if err != nil {
		return nil, err
	}
	pg := &Postgres{proc: p,
		URL: fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", o.Role, o.Port, o.Database)}
	admin := fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", o.Role, o.Port)
	err = waitFor(ctx, p, 60*time.Second, func(ctx context.Context) error {
		return createDatabase(ctx, admin, o.Database)
	})
	if err != nil {
		pg.Stop()
		return nil, err
	}
	return pg, nil
}

// Stop shuts the server down (fast shutdown: clients disconnected, data kept).
func (p *Postgres) Stop() { p.proc.stop(30 * time.Second) }

// createDatabase creates name unless it exists.
func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

// postgresBinDir finds the newest installed server: $PAYSAGA_PG_BIN, else
// Debian's /usr/lib/postgresql/<version>/bin.
func postgresBinDir() (string, error) {
	if dir := os.Getenv("PAYSAGA_PG_BIN"); dir != "" {
		return dir, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	sort.Slice(found, func(i, j int) bool { return pgVersion(found[i]) > pgVersion(found[j]) })
	if len(found) == 0 {
		if p, err := exec.LookPath("postgres"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", fmt.Errorf("no PostgreSQL server found: install postgresql (scripts/ensure-postgres.sh) or set PAYSAGA_PG_BIN")
	}
	return filepath.Dir(found[0]), nil
}

func pgVersion(bin string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(bin))))
	return v
}

// serviceUser is who the server runs as: this user, or `postgres` when this is
// root (PostgreSQL refuses root). As root, dir is handed to that user.
func serviceUser(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	err = filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
	if err != nil {
		return nil, fmt.Errorf("hand %s to postgres: %w", dir, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}
