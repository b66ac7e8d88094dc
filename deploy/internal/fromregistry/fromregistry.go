// Package fromregistry writes the parts of the deploy files and their docs
// that follow from the producer registry: the compose publishers, the NATS
// accounts, users and permissions (nats/accounts.conf and the Helm values), the
// password settings, and the lists of producers in docs/deploy.md and
// docs/architecture.md. A new producer then needs no edit there: go
// generate ./deploy (which runs ../gendeploy) rewrites them, and a test in
// deploy fails while they are stale.
//
// The generated parts are regions between markers (see Begin and End) in
// files that are otherwise written by hand.
package fromregistry

import (
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"exhaust/event"
	"exhaust/producers"
)

// nameRE is the registry's rule for a producer name (producers.Register):
// it makes a NATS token, an account name and a variable name alike.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

// A File is one file with generated regions, as committed and as generated.
type File struct {
	// Path is the file's slash-separated path from the repository root.
	Path string
	// Old is the file as read; New, as generated.
	Old, New []byte
}

// Stale reports whether the file differs from what the registry generates.
func (f File) Stale() bool { return !bytes.Equal(f.Old, f.New) }

// target is a file with generated regions, each filled by a function of the
// producers.
type target struct {
	path    string
	regions map[string]func([]producers.Spec) string
}

// targets are every file with generated regions.
var targets = []target{
	{"deploy/compose.yaml", map[string]func([]producers.Spec) string{
		"producer passwords": composePasswords,
		"publishers":         composePublishers,
	}},
	{"deploy/nats/accounts.conf", map[string]func([]producers.Spec) string{
		"producer exports":     confExports,
		"stream names exports": confStreamNames,
		"producer accounts":    confAccounts,
	}},
	{"deploy/helm/exhaust/values.yaml", map[string]func([]producers.Spec) string{
		"producer names":       helmNames,
		"producer exports":     helmExports,
		"stream names exports": helmStreamNames,
		"producer accounts":    helmAccounts,
		"producer passwords":   helmPasswords,
	}},
	{"deploy/.env.example", map[string]func([]producers.Spec) string{
		"producer passwords": envPasswords,
	}},
	{"docs/deploy.md", map[string]func([]producers.Spec) string{
		"producer services": codeNames,
		"producer users":    codeNames,
		"secret command":    docSecretCommand,
	}},
	{"docs/architecture.md", map[string]func([]producers.Spec) string{
		"producer names": plainNames,
	}},
}

// Paths returns the slash-separated paths, from the repository root, of the
// files with generated regions.
func Paths() []string {
	var out []string
	for _, t := range targets {
		out = append(out, t.path)
	}
	return out
}

// Generate reads every file with generated regions from repo (the
// repository root) and returns it with its regions filled for specs, in
// the order of Paths. specs is the registry's (producers.All), or any list
// of producers to see what they would deploy as.
func Generate(repo fs.FS, specs []producers.Spec) ([]File, error) {
	for _, s := range specs {
		if !nameRE.MatchString(s.Name) {
			return nil, fmt.Errorf("producer name %q: want one lower-case NATS token, as the registry does", s.Name)
		}
	}
	var out []File
	for _, t := range targets {
		old, err := fs.ReadFile(repo, t.path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", t.path, err)
		}
		fills := map[string]string{}
		for name, f := range t.regions {
			fills[name] = f(specs)
		}
		gen, err := fill(old, fills)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.path, err)
		}
		out = append(out, File{Path: t.path, Old: old, New: gen})
	}
	return out, nil
}

// Specs returns the specs of producers, in their order.
func Specs(ps []producers.Producer) []producers.Spec {
	out := make([]producers.Spec, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Spec())
	}
	return out
}

// User returns the NATS user a producer publishes as: its name.
func User(producer string) string { return producer }

// Account returns the NATS account of a producer: its name in capitals.
func Account(producer string) string { return strings.ToUpper(producer) }

// PasswordEnv returns the environment variable that holds a NATS user's
// password: NATS_<USER>_PASSWORD.
func PasswordEnv(user string) string { return "NATS_" + strings.ToUpper(user) + "_PASSWORD" }

// Subjects returns the subjects a producer may publish: exhaust.<name>.>.
func Subjects(producer string) string { return event.SubjectRoot + "." + producer + ".>" }

// lines joins one line per producer.
func lines(specs []producers.Spec, line func(producers.Spec) string) string {
	var b strings.Builder
	for _, s := range specs {
		b.WriteString(line(s))
		b.WriteString("\n")
	}
	return b.String()
}

// accounts lists the producers' accounts, then TRUTH's, as a NATS list.
func accounts(specs []producers.Spec) string {
	var names []string
	for _, s := range specs {
		names = append(names, Account(s.Name))
	}
	return "[" + strings.Join(append(names, "TRUTH"), ", ") + "]"
}

// composeRequired is how compose.yaml reads a secret: required, with the fix.
func composeRequired(env string) string {
	return "${" + env + ":?set it in deploy/.env (run deploy/gen-env.sh)}"
}

func composePasswords(specs []producers.Spec) string {
	return lines(specs, func(s producers.Spec) string {
		env := PasswordEnv(User(s.Name))
		return env + ": " + composeRequired(env)
	})
}

func composePublishers(specs []producers.Spec) string {
	var b strings.Builder
	for i, s := range specs {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "# %s\n", strings.Join(strings.Fields(s.Summary), " "))
		fmt.Fprintf(&b, "%s:\n", s.Name)
		b.WriteString("  <<: *exhaust\n")
		fmt.Fprintf(&b, "  command: [\"produce\", \"--nats\", \"nats://nats:4222\", \"--producers\", %q, \"--setup=false\", \"--truth=false\"]\n", s.Name)
		b.WriteString("  environment:\n")
		b.WriteString("    <<: *city\n")
		fmt.Fprintf(&b, "    EXHAUST_NATS_USER: %s\n", User(s.Name))
		fmt.Fprintf(&b, "    EXHAUST_NATS_PASSWORD: %s\n", composeRequired(PasswordEnv(User(s.Name))))
	}
	return b.String()
}

func confExports(specs []producers.Spec) string {
	return lines(specs, func(s producers.Spec) string {
		return fmt.Sprintf("{ service: %q, accounts: [%s] }", Subjects(s.Name), Account(s.Name))
	})
}

func confStreamNames(specs []producers.Spec) string {
	return fmt.Sprintf("{ service: \"$JS.API.INFO\", accounts: %s }\n{ service: \"$JS.API.STREAM.NAMES\", accounts: %s }\n",
		accounts(specs), accounts(specs))
}

func confAccounts(specs []producers.Spec) string {
	var b strings.Builder
	for _, s := range specs {
		subj := Subjects(s.Name)
		fmt.Fprintf(&b, "%s {\n", Account(s.Name))
		b.WriteString("  users: [{\n")
		fmt.Fprintf(&b, "    user: %s, password: $%s\n", User(s.Name), PasswordEnv(User(s.Name)))
		b.WriteString("    permissions: {\n")
		fmt.Fprintf(&b, "      publish: { allow: [%q, \"$JS.API.INFO\", \"$JS.API.STREAM.NAMES\"] }\n", subj)
		b.WriteString("      subscribe: { allow: [\"_INBOX.>\"] }\n")
		b.WriteString("    }\n")
		b.WriteString("  }]\n")
		b.WriteString("  imports: [\n")
		fmt.Fprintf(&b, "    { service: { account: EXHAUST, subject: %q } }\n", subj)
		b.WriteString("    { service: { account: EXHAUST, subject: \"$JS.API.INFO\" } }\n")
		b.WriteString("    { service: { account: EXHAUST, subject: \"$JS.API.STREAM.NAMES\" } }\n")
		b.WriteString("  ]\n")
		b.WriteString("}\n")
	}
	return b.String()
}

func helmNames(specs []producers.Spec) string {
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	return "names: [" + strings.Join(names, ", ") + "]\n"
}

func helmExports(specs []producers.Spec) string {
	return lines(specs, func(s producers.Spec) string {
		return fmt.Sprintf("- {service: %q, accounts: [%s]}", Subjects(s.Name), Account(s.Name))
	})
}

func helmStreamNames(specs []producers.Spec) string {
	return fmt.Sprintf("- service: \"$JS.API.INFO\"\n  accounts: %s\n- service: \"$JS.API.STREAM.NAMES\"\n  accounts: %s\n",
		accounts(specs), accounts(specs))
}

func helmAccounts(specs []producers.Spec) string {
	var b strings.Builder
	for _, s := range specs {
		subj := Subjects(s.Name)
		fmt.Fprintf(&b, "%s:\n", Account(s.Name))
		b.WriteString("  users:\n")
		fmt.Fprintf(&b, "    - user: %s\n", User(s.Name))
		fmt.Fprintf(&b, "      password: << $%s >>\n", PasswordEnv(User(s.Name)))
		b.WriteString("      permissions:\n")
		fmt.Fprintf(&b, "        publish: {allow: [%q, \"$JS.API.INFO\", \"$JS.API.STREAM.NAMES\"]}\n", subj)
		b.WriteString("        subscribe: {allow: [\"_INBOX.>\"]}\n")
		b.WriteString("  imports:\n")
		fmt.Fprintf(&b, "    - service: {account: EXHAUST, subject: %q}\n", subj)
		b.WriteString("    - service: {account: EXHAUST, subject: \"$JS.API.INFO\"}\n")
		b.WriteString("    - service: {account: EXHAUST, subject: \"$JS.API.STREAM.NAMES\"}\n")
	}
	return b.String()
}

func helmPasswords(specs []producers.Spec) string {
	var b strings.Builder
	for _, s := range specs {
		fmt.Fprintf(&b, "%s:\n", PasswordEnv(User(s.Name)))
		b.WriteString("  valueFrom:\n")
		fmt.Fprintf(&b, "    secretKeyRef: {name: exhaust-nats-users, key: %s}\n", User(s.Name))
	}
	return b.String()
}

func envPasswords(specs []producers.Spec) string {
	return lines(specs, func(s producers.Spec) string { return PasswordEnv(User(s.Name)) + "=" })
}

// codeNames lists the producers as `a`, `b`, `c` (Markdown code).
func codeNames(specs []producers.Spec) string {
	var names []string
	for _, s := range specs {
		names = append(names, "`"+s.Name+"`")
	}
	return strings.Join(names, ", ")
}

// plainNames lists the producers as a, b, c.
func plainNames(specs []producers.Spec) string {
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

func docSecretCommand(specs []producers.Spec) string {
	users := []string{"admin", "aggregator", "truth"}
	for _, s := range specs {
		users = append(users, User(s.Name))
	}
	return "```sh\n" +
		"args=\"\"\n" +
		"for u in " + strings.Join(users, " ") + "; do\n" +
		"  args=\"$args --from-literal=$u=p$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 31)\"\n" +
		"done\n" +
		"kubectl -n exhaust create secret generic exhaust-nats-users $args\n" +
		"```\n"
}
