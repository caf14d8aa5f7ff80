package igtoken_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/igtoken/igtoken"

// TestImportRules enforces DESIGN.md's layout: graph and emulator never
// import the root; the root imports graph and the standard library only
// (and golang.org/x/oauth2, for Manager.TokenSource); adapters import the
// root and never each other; only cmd/igtoken wires everything.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	adapters := []string{"/sqlite", "/postgres", "/notify", "/internal/server", "/internal/dashboard"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		rel := strings.TrimPrefix(pkg, module)
		for _, imp := range strings.Fields(imports) {
			if msg := violation(rel, imp, adapters); msg != "" {
				t.Errorf("%s imports %s: %s", pkg, imp, msg)
			}
		}
	}
}

func violation(pkg, imp string, adapters []string) string {
	own := strings.HasPrefix(imp, module)
	rel := strings.TrimPrefix(imp, module)
	switch {
	case (pkg == "/graph" || pkg == "/emulator") && imp == module:
		return "graph and emulator never import the root package"
	case pkg == "" && own && rel != "/graph":
		return "the root imports graph and the standard library only"
	case pkg == "" && !own && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && imp != "golang.org/x/oauth2":
		return "the root takes no third-party dependency beyond golang.org/x/oauth2"
	}
	for _, a := range adapters {
		if strings.HasPrefix(pkg, a) && own && rel != a && slices.Contains(adapters, rel) {
			return "adapters never import each other"
		}
	}
	return ""
}
