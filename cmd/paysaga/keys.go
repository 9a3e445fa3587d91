package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/db"
)

const keysUsage = `usage: paysaga keys create -role app|finance|ops -name NAME [-customer CUSTOMER_ID]
       paysaga keys list
       paysaga keys revoke KEY_ID`

// runKeys manages API keys straight in the database (DATABASE_URL): an operator
// tool, so it needs database access rather than an API key.
func runKeys(ctx context.Context, args []string) error { return keys(ctx, args, os.Stdout) }

func keys(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	pool, err := openDatabase(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	q := db.New(pool)
	switch args[0] {
	case "create":
		return createKey(ctx, q, args[1:], out)
	case "list":
		return listKeys(ctx, q, out)
	case "revoke":
		if len(args) != 2 {
			return errors.New(keysUsage)
		}
		revoked, err := api.RevokeAPIKey(ctx, q, operator(), args[1])
		if err != nil {
			return err
		}
		if !revoked {
			return fmt.Errorf("no live key %q", args[1])
		}
		fmt.Fprintf(out, "revoked %s\n", args[1])
		return nil
	}
	return errors.New(keysUsage)
}

func createKey(ctx context.Context, q *db.Queries, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	role := fs.String("role", "", "app, finance or ops")
	name := fs.String("name", "", "who the key is for")
	customer := fs.String("customer", "", "limit the key to this customer's objects")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *role == "" || *name == "" {
		return errors.New(keysUsage)
	}
	key, err := api.NewAPIKeyBy(ctx, q, operator(), *role, *name, *customer)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "the key is shown once; only its hash is stored:")
	fmt.Fprintln(out, key)
	return nil
}

func listKeys(ctx context.Context, q *db.Queries, out io.Writer) error {
	keys, err := q.ListAPIKeys(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tROLE\tCUSTOMER\tNAME\tPREFIX\tCREATED\tREVOKED")
	for _, k := range keys {
		revoked := "-"
		if k.RevokedAt.Valid {
			revoked = k.RevokedAt.Time.UTC().Format("2006-01-02 15:04")
		}
		scope := "*"
		if k.CustomerID.Valid {
			scope = k.CustomerID.String
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s…\t%s\t%s\n", k.ID, k.Role, scope, k.Name, k.Prefix, k.CreatedAt.Time.UTC().Format("2006-01-02 15:04"), revoked)
	}
	return w.Flush()
}

// operator is the audit actor of a key made or revoked here: the OS user at
// the CLI (it has database access, not an API key).
func operator() api.KeyActor {
	user := os.Getenv("USER")
	if user == "" {
		user = "unknown"
	}
	return api.KeyActor{ID: "cli:" + user, Role: "operator"}
}
