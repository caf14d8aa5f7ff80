package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/igtoken/igtoken"
)

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// when formats a time for tables and messages, in UTC; "-" when unknown.
func when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// daysLeft is the number of days from now to t, rounded, never negative.
func daysLeft(t, now time.Time) int {
	return int(math.Max(0, math.Round(t.Sub(now).Hours()/24)))
}

// oneLine shortens s to one line of at most n runes for tables.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runSummary says what a refresh or convert run did, e.g.
// "3 refreshed, 1 skipped, 0 failed". action is the run's own action;
// the other action's count appears only when it happened (a refresh run
// converts short-lived tokens).
func runSummary(rep *igtoken.Report, action igtoken.Action, dryRun bool) string {
	type count struct {
		outcome, what string
		always        bool
	}
	counts := []count{
		{igtoken.ResultRefreshed, "refreshed", action == igtoken.ActionRefresh},
		{igtoken.ResultConverted, "converted", action == igtoken.ActionConvert},
	}
	if dryRun {
		counts = []count{
			{igtoken.ResultWouldRefresh, "would refresh", action == igtoken.ActionRefresh},
			{igtoken.ResultWouldConvert, "would convert", action == igtoken.ActionConvert},
		}
	}
	counts = append(counts, count{igtoken.ResultSkipped, "skipped", true},
		count{igtoken.ResultConflict, "changed by another process", false})
	var parts []string
	for _, c := range counts {
		if n := rep.Count(c.outcome); n > 0 || c.always {
			parts = append(parts, fmt.Sprintf("%d %s", n, c.what))
		}
	}
	parts = append(parts, fmt.Sprintf("%d failed", rep.Failed()))
	return strings.Join(parts, ", ")
}

// printResults prints one line per result, "<username>: <outcome> — <reason>",
// and the summary.
func printResults(w io.Writer, rep *igtoken.Report, action igtoken.Action, dryRun bool) {
	for _, r := range rep.Results {
		fmt.Fprintln(w, resultLine(r))
	}
	if len(rep.Results) == 0 {
		fmt.Fprintln(w, "No accounts yet.")
		return
	}
	fmt.Fprintln(w, runSummary(rep, action, dryRun))
}

func resultLine(r igtoken.Result) string {
	var b strings.Builder
	b.WriteString(orDash(r.Username))
	if r.Username == "" {
		b.Reset()
		b.WriteString(r.AccountID)
	}
	b.WriteString(": ")
	b.WriteString(strings.ReplaceAll(r.Outcome, "_", " "))
	if r.Reason != "" {
		b.WriteString(" — ")
		b.WriteString(r.Reason)
	}
	if r.NewExpiresAt != nil && (r.Outcome == igtoken.ResultRefreshed || r.Outcome == igtoken.ResultConverted) {
		b.WriteString("; now expires ")
		b.WriteString(when(r.NewExpiresAt))
	}
	if r.Error != "" && r.Error != r.Reason {
		b.WriteString("; error: ")
		b.WriteString(r.Error)
	}
	return b.String()
}

// reportJSON is a run report with its counts, for --json.
type reportJSON struct {
	*igtoken.Report
	Counts map[string]int `json:"counts"`
	Failed int            `json:"failed"`
}

func newReportJSON(rep *igtoken.Report) reportJSON {
	counts := map[string]int{}
	for _, o := range []string{igtoken.ResultRefreshed, igtoken.ResultConverted, igtoken.ResultWouldRefresh,
		igtoken.ResultWouldConvert, igtoken.ResultSkipped, igtoken.ResultFailed, igtoken.ResultNeedsReconnect,
		igtoken.ResultConflict} {
		counts[o] = rep.Count(o)
	}
	if rep.Results == nil {
		rep.Results = []igtoken.Result{}
	}
	return reportJSON{Report: rep, Counts: counts, Failed: rep.Failed()}
}

// failedRun ends a run in which some accounts failed with exit status 1.
func failedRun(rep *igtoken.Report) error {
	n := rep.Failed()
	if n == 0 {
		return nil
	}
	h := "see the lines above; `igtoken status` shows each account's last error"
	if rep.Count(igtoken.ResultNeedsReconnect) > 0 {
		h = hintReauth
	}
	return withHint(fmt.Errorf("%d of %d account%s failed", n, len(rep.Results), plural(len(rep.Results))), h)
}
