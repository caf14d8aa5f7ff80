package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/igtoken/igtoken/emulator"
)

func ExampleServer() {
	emu := emulator.New(emulator.Config{})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	defer emu.Close()

	token := emu.IssueToken("alice", true)

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v23.0/me?fields=username", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var me struct{ Username string }
	json.NewDecoder(resp.Body).Decode(&me)
	fmt.Println(resp.StatusCode, me.Username, emu.Calls(emulator.EndpointMe))
	// Output: 200 alice 1
}
