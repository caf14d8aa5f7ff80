package migration_test

import (
	"testing"
	"testing/fstest"

	"github.com/igtoken/igtoken/internal/migration"
)

func TestList(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	tests := []struct {
		name    string
		files   []string
		want    []int
		wantErr bool
	}{
		{"Ordered", []string{"m/0002_b.sql", "m/0001_a.sql", "m/0010_c.sql"}, []int{1, 2, 10}, false},
		{"NoNumber", []string{"m/init.sql"}, nil, true},
		{"Duplicate", []string{"m/0001_a.sql", "m/01_b.sql"}, nil, true},
		{"Empty", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tt.files {
				fsys[f] = file
			}
			got, err := migration.List(fsys, "m")
			if (err != nil) != tt.wantErr {
				t.Fatalf("List error = %v, want error %v", err, tt.wantErr)
			}
			for i, m := range got {
				if m.Version != tt.want[i] {
					t.Errorf("migration %d has version %d, want %d", i, m.Version, tt.want[i])
				}
			}
		})
	}
}
